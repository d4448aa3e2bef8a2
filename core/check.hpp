// GW_CHECK aborts with a log line when an invariant the code relies on is broken (always on);
// GW_ASSERT does the same in debug builds only. Never use either on external input: handle
// likely failures, crash on impossible ones.
#pragma once

#include <source_location>

namespace gw::core {

[[noreturn]] void check_failed(const char* expr, std::source_location where);

}  // namespace gw::core

#define GW_CHECK(cond)                                                                \
  do {                                                                                \
    if (!(cond)) ::gw::core::check_failed(#cond, std::source_location::current());   \
  } while (0)

#ifdef NDEBUG
#define GW_ASSERT(cond) \
  do {                  \
  } while (0)
#else
#define GW_ASSERT(cond) GW_CHECK(cond)
#endif
