// bridge::RateLimiter: the optional upstream rate limit (messages/s and bytes/s), two token
// buckets that hold at most one second of budget. A message larger than a whole second of bytes
// still goes once the bucket is full (the bucket goes into debt), so no message waits forever.
//
// Time comes from the caller (core::Clock::steady()), so tests drive it with a FakeClock.
// Ownership: value type. Thread safety: none; one owner thread.
#pragma once

#include <chrono>
#include <cstdint>

#include "core/clock.hpp"

namespace gw::bridge {

class RateLimiter {
 public:
  using time_point = core::Clock::time_point;

  // 0 = no limit for either.
  RateLimiter(std::uint32_t messages_per_second, std::uint64_t bytes_per_second, time_point now);

  [[nodiscard]] bool unlimited() const { return msg_rate_ == 0 && byte_rate_ == 0; }
  // Whether a message of `bytes` may go now; if so its cost is taken.
  bool try_take(std::uint64_t bytes, time_point now);
  // When try_take(bytes) will succeed (now when it would already).
  [[nodiscard]] time_point ready_at(std::uint64_t bytes, time_point now);

 private:
  void refill(time_point now);

  double msg_rate_;
  double byte_rate_;
  double msgs_;
  double bytes_;
  time_point last_;
};

}  // namespace gw::bridge
