# Warnings are errors in the project's own code only; third-party headers are included as SYSTEM.
# -Wno-missing-field-initializers: GCC 12 warns on designated initializers that leave members to
# their default member initializers (`Puback{.packet_id = id}`), which is the idiom we want.
# GCC only, -Wno-restrict: at -O3 (Release) GCC 12 reports a false -Wrestrict inside std::string's
# operator+ (GCC bug 105329), which would make Release builds fail.
# GCC only, Release only: -Wmaybe-uninitialized stays a warning, not an error. At -O3 GCC 12
# reports a std::string's small-buffer pointer in a defaulted options struct as maybe
# uninitialized (GCC bug 105562); the -O2 builds (default, asan, release preset) keep it an error.
function(gw_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror
    -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough
    -Wno-missing-field-initializers $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>
    $<$<AND:$<CXX_COMPILER_ID:GNU>,$<CONFIG:Release>>:-Wno-error=maybe-uninitialized>)
endfunction()
