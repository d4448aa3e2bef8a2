# Cross build for 32-bit ARMv7 with hardware floating point (Debian armhf). See
# debian-cross.cmake and docs/operations.md.
set(GW_CROSS_TRIPLET arm-linux-gnueabihf)
set(GW_CROSS_PROCESSOR arm)
set(GW_CROSS_QEMU qemu-arm-static)
set(GW_DEB_ARCH armhf)
# GCC notes on every std::vector<std::pair<...>> that the ARM calling convention for such
# arguments changed in GCC 7.1; it only matters when linking with code built by GCC < 7.
set(CMAKE_CXX_FLAGS_INIT "-Wno-psabi")
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
