# Cross build for 32-bit ARMv7 with hardware floating point (Debian armhf). See
# debian-cross.cmake and docs/operations.md.
set(GW_CROSS_TRIPLET arm-linux-gnueabihf)
set(GW_CROSS_PROCESSOR arm)
set(GW_CROSS_QEMU qemu-arm-static)
set(GW_DEB_ARCH armhf)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
