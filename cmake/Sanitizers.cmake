# GW_SANITIZE: AddressSanitizer + UndefinedBehaviorSanitizer for everything built here.
# GW_FUZZ: coverage instrumentation for libFuzzer (clang only); fuzz targets add -fsanitize=fuzzer.
if(GW_SANITIZE OR GW_FUZZ)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=all)
endif()
if(GW_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "GW_FUZZ needs clang (CC=clang-14 CXX=clang++-14)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
