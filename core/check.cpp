#include "core/check.hpp"

#include <cstdio>
#include <cstdlib>

#include <spdlog/spdlog.h>

namespace gw::core {

void check_failed(const char* expr, std::source_location where) {
  spdlog::critical("check failed: {} at {}:{} in {}", expr, where.file_name(), where.line(),
                   where.function_name());
  spdlog::default_logger()->flush();
  std::fflush(stderr);
  std::abort();
}

}  // namespace gw::core
