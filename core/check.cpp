#include "core/check.hpp"

#include <cstdio>
#include <cstdlib>

#include <spdlog/spdlog.h>

namespace gw::core {

void check_failed(const char* expr, const char* file, int line, const char* function) {
  spdlog::critical("check failed: {} at {}:{} in {}", expr, file, line, function);
  spdlog::default_logger()->flush();
  std::fflush(stderr);
  std::abort();
}

}  // namespace gw::core
