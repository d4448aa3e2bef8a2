// GW_CHECK aborts with a log line when an invariant the code relies on is broken (always on);
// GW_ASSERT does the same in debug builds only. Never use either on external input: handle
// likely failures, crash on impossible ones.
//
// (__FILE__/__LINE__ rather than std::source_location: clang 14, used for fuzzing, cannot build
// libstdc++ 12's <source_location>.)
#pragma once

namespace gw::core {

[[noreturn]] void check_failed(const char* expr, const char* file, int line, const char* function);

}  // namespace gw::core

#define GW_CHECK(cond)                                                          \
  do {                                                                          \
    if (!(cond)) ::gw::core::check_failed(#cond, __FILE__, __LINE__, __func__); \
  } while (0)

#ifdef NDEBUG
#define GW_ASSERT(cond) \
  do {                  \
  } while (0)
#else
#define GW_ASSERT(cond) GW_CHECK(cond)
#endif
