# GW_PACKAGE_BUILD (preset `release`): how the binary that the .deb installs is compiled and
# linked. Included by the root CMakeLists.txt before the modules, so every target built here sees
# the same choices. Developer, test, sanitizer and fuzz builds leave it off: LTO makes every link
# of every test binary slow, and they do not ship.
#
# - -ffunction-sections -fdata-sections with -Wl,--gc-sections: code nothing calls is dropped at
#   link time, function by function instead of object file by object file.
# - LTO (CMake's INTERPROCEDURAL_OPTIMIZATION, GCC's -flto=auto): the whole program is optimised
#   at link time. The big win is identical code folding across translation units: fmt's floating
#   point formatter (format_dragon, bigint) was compiled into every file that logs a double, 17
#   copies of about 10 kB each; GCC's -fipa-icf merges identical functions, but only among those it
#   sees at once, which with LTO is the whole program.
# - -Wl,--as-needed: no DT_NEEDED entry for a library nothing uses.
#
# Not -fno-asynchronous-unwind-tables or -fno-exceptions: startup and config code throws and
# catches (STYLE.md, Errors). Not -Os: see docs/performance.md, "Footprint".
# Sizes per step are in docs/performance.md, "Footprint".
if(GW_SANITIZE OR GW_FUZZ)
  message(FATAL_ERROR "GW_PACKAGE_BUILD builds the shipped binary; not with GW_SANITIZE or GW_FUZZ")
endif()

include(CheckIPOSupported)
check_ipo_supported(RESULT _gw_ipo OUTPUT _gw_ipo_output LANGUAGES C CXX)
if(NOT _gw_ipo)
  message(FATAL_ERROR "GW_PACKAGE_BUILD needs LTO, which this compiler cannot do: ${_gw_ipo_output}")
endif()
set(CMAKE_INTERPROCEDURAL_OPTIMIZATION ON)

add_compile_options(-ffunction-sections -fdata-sections)
add_link_options(-Wl,--gc-sections -Wl,--as-needed -Wl,-O1)
