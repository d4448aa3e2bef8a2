# Shared part of the Debian cross toolchain files (aarch64-linux-gnu.cmake,
# arm-linux-gnueabihf.cmake), which set GW_CROSS_TRIPLET, GW_CROSS_PROCESSOR, GW_CROSS_QEMU and
# GW_DEB_ARCH and include this file.
#
# Compilers: Debian's cross packages (g++-<triplet>). Libraries: a sysroot of the target
# architecture's -dev packages, extracted from Debian's archive by scripts/cross.sh (mmdebstrap
# --variant=extract) into build-<arch>/sysroot. A sysroot rather than multiarch packages on the
# build machine because libyaml-cpp-dev is not "Multi-Arch: same" in Debian 12: installing the
# foreign one would remove the native one.
# Tests run under qemu-user (qemu-user-static) through CMAKE_CROSSCOMPILING_EMULATOR, so `ctest`
# and gtest_discover_tests work as in a native build.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${GW_CROSS_PROCESSOR})
set(CMAKE_C_COMPILER ${GW_CROSS_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${GW_CROSS_TRIPLET}-g++)

# The sysroot: -DGW_SYSROOT=DIR (the presets pass build-<arch>/sysroot) or the environment.
if(NOT GW_SYSROOT AND DEFINED ENV{GW_SYSROOT})
  set(GW_SYSROOT "$ENV{GW_SYSROOT}")
endif()
if(NOT GW_SYSROOT OR NOT EXISTS "${GW_SYSROOT}/usr/include")
  message(FATAL_ERROR "GW_SYSROOT='${GW_SYSROOT}' is not a ${GW_DEB_ARCH} sysroot; "
                      "create it with scripts/cross.sh ${GW_DEB_ARCH} build")
endif()
# try_compile projects read the toolchain file again; hand them the same sysroot.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES GW_SYSROOT GW_DEB_ARCH)

set(CMAKE_SYSROOT "${GW_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# pkg-config (libsystemd, libmodbus, libpcre2-8) reads the target's .pc files only.
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${GW_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR}
    "${GW_SYSROOT}/usr/lib/${GW_CROSS_TRIPLET}/pkgconfig:${GW_SYSROOT}/usr/share/pkgconfig")
unset(ENV{PKG_CONFIG_PATH})

set(CMAKE_CROSSCOMPILING_EMULATOR ${GW_CROSS_QEMU} -L ${GW_SYSROOT})
