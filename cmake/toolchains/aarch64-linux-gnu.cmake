# Cross build for 64-bit ARM (Debian arm64). See debian-cross.cmake and docs/operations.md.
set(GW_CROSS_TRIPLET aarch64-linux-gnu)
set(GW_CROSS_PROCESSOR aarch64)
set(GW_CROSS_QEMU qemu-aarch64-static)
set(GW_DEB_ARCH arm64)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
