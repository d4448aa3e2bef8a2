# GW_STATIC_DEPS (preset `static-deps`): the dependencies that Debian ships as static libraries
# linked into the binary. Included by the root CMakeLists.txt before the modules, so every target
# built here sees the same choices. A measurement build, not the packaged one.
#
# The idea: a process's RSS counts every page of a shared library that it maps and touches, even
# though those pages are shared with other processes; linked into the binary, only the functions
# it uses are there (--gc-sections). Measured with the demo configuration (docs/performance.md,
# "Footprint"): RSS 11.9 MiB instead of 14.6 MiB, but PSS 8.4 instead of 8.0 MiB (the binary's
# pages are shared with nobody) and a stripped binary of 10.5 MiB instead of 4.3 MiB. So the .deb
# keeps the shared libraries.
#
# What is linked statically: the C++ runtime (-static-libstdc++ -static-libgcc), spdlog and fmt
# (header-only), yaml-cpp, Paho MQTT C (MQTTAsync with TLS), SQLite and OpenSSL. Debian ships no
# static libmodbus, PCRE2 stays shared, and glibc stays shared (NSS, getaddrinfo).
#
# Not with the sanitizers or the fuzzer: they instrument the program, not a release artefact.
if(GW_SANITIZE OR GW_FUZZ)
  message(FATAL_ERROR "GW_STATIC_DEPS measures a release binary; not with GW_SANITIZE or GW_FUZZ")
endif()

add_compile_options(-ffunction-sections -fdata-sections)
add_link_options(-static-libstdc++ -static-libgcc -Wl,--gc-sections -Wl,-O1 -Wl,--as-needed)

# gw_use_static_archive(TARGET ARCHIVE): an imported library target found by its package's
# CMake config (which names the shared object) links ARCHIVE (libfoo.a) instead.
function(gw_use_static_archive target archive)
  find_library(_gw_archive_path NAMES ${archive} NO_CACHE REQUIRED)
  get_target_property(configs ${target} IMPORTED_CONFIGURATIONS)
  set_property(TARGET ${target} PROPERTY IMPORTED_LOCATION ${_gw_archive_path})
  if(configs)
    foreach(c IN LISTS configs)
      set_property(TARGET ${target} PROPERTY IMPORTED_LOCATION_${c} ${_gw_archive_path})
    endforeach()
  endif()
  set_property(TARGET ${target} PROPERTY IMPORTED_NO_SONAME TRUE)
  message(STATUS "GW_STATIC_DEPS: ${target} -> ${_gw_archive_path}")
endfunction()

# OpenSSL: FindOpenSSL picks libssl.a/libcrypto.a (and adds -ldl, threads) itself.
set(OPENSSL_USE_STATIC_LIBS TRUE)
find_package(OpenSSL REQUIRED)

# spdlog and fmt header-only (Debian ships no static archives of them); core/CMakeLists.txt
# links these two targets instead of the shared ones.
set_property(TARGET spdlog::spdlog_header_only PROPERTY
             INTERFACE_LINK_LIBRARIES Threads::Threads fmt::fmt-header-only)

find_package(yaml-cpp REQUIRED)
gw_use_static_archive(yaml-cpp libyaml-cpp.a)

find_package(eclipse-paho-mqtt-c REQUIRED)
gw_use_static_archive(eclipse-paho-mqtt-c::paho-mqtt3as libpaho-mqtt3as.a)

find_library(SQLite3_LIBRARY NAMES libsqlite3.a REQUIRED)
find_package(SQLite3 REQUIRED)
set_property(TARGET SQLite::SQLite3 APPEND PROPERTY
             INTERFACE_LINK_LIBRARIES m ${CMAKE_DL_LIBS} Threads::Threads)
