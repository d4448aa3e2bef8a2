# Warnings are errors in the project's own code only; third-party headers are included as SYSTEM.
# -Wno-missing-field-initializers: GCC 12 warns on designated initializers that leave members to
# their default member initializers (`Puback{.packet_id = id}`), which is the idiom we want.
function(gw_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror
    -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough
    -Wno-missing-field-initializers)
endfunction()
