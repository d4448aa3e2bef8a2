// adapters::Backoff: exponential backoff from `initial` doubling up to `max`, optionally with
// full jitter (a uniform delay in [initial, current]), for retrying a failing device or reopening
// a lost connection. Pure arithmetic on the delays: the caller owns the clock.
//
//   Backoff b{1s, 60s};
//   auto d = b.next();   // 1s, then 2s, 4s, ... 60s, 60s
//   b.reset();           // after a success
//
// Thread safety: none; owned by one link thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace gw::adapters {

class Backoff {
 public:
  using Duration = std::chrono::milliseconds;

  Backoff(Duration initial, Duration max, bool jitter = false, std::uint32_t seed = 1)
      : initial_(std::max(initial, Duration{1})), max_(std::max(max, initial_)), jitter_(jitter),
        rng_(seed) {}

  // The delay before the next attempt; each call doubles the next one, up to max.
  Duration next() {
    const Duration current = current_.count() == 0 ? initial_ : current_;
    current_ = std::min(max_, current * 2);
    ++failures_;
    if (!jitter_ || current <= initial_) return current;
    std::uniform_int_distribution<std::int64_t> pick(initial_.count(), current.count());
    return Duration{pick(rng_)};
  }

  void reset() {
    current_ = Duration{0};
    failures_ = 0;
  }

  // Consecutive failures since the last reset.
  [[nodiscard]] std::uint32_t failures() const { return failures_; }

 private:
  Duration initial_;
  Duration max_;
  Duration current_{0};
  bool jitter_;
  std::uint32_t failures_ = 0;
  std::minstd_rand rng_;
};

}  // namespace gw::adapters
