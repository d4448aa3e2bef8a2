// core::Clock: the one source of time for everything that expires, backs off or keeps alive,
// so that tests drive time with FakeClock instead of sleeping.
//
// steady() is monotonic and used for intervals (keep-alive, expiry, backoff, polling).
// wall_ms() is Unix time in milliseconds and only used for timestamps that leave the process.
//
// Thread safety: SystemClock is stateless and safe from any thread; FakeClock is safe from any
// thread (atomics), so a test thread may advance it while the code under test reads it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace gw::core {

class Clock {
 public:
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  [[nodiscard]] virtual time_point steady() const = 0;
  [[nodiscard]] virtual std::int64_t wall_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  [[nodiscard]] time_point steady() const override { return std::chrono::steady_clock::now(); }
  [[nodiscard]] std::int64_t wall_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  // The process-wide real clock; code takes a Clock& so tests can substitute a FakeClock.
  static SystemClock& instance() {
    static SystemClock clock;
    return clock;
  }
};

// A clock that moves only when told to. Starts at an arbitrary non-zero point so that code
// which wrongly treats time_point{} as "never" is caught.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t wall_ms_start = 1'764'097'200'000)
      : steady_ns_(std::chrono::nanoseconds(std::chrono::hours(1)).count()),
        wall_ms_(wall_ms_start) {}

  [[nodiscard]] time_point steady() const override {
    return time_point(std::chrono::nanoseconds(steady_ns_.load()));
  }
  [[nodiscard]] std::int64_t wall_ms() const override { return wall_ms_.load(); }

  void advance(duration d) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
    steady_ns_ += ns;
    wall_ms_ += ns / 1'000'000;
  }

 private:
  std::atomic<std::int64_t> steady_ns_;
  std::atomic<std::int64_t> wall_ms_;
};

}  // namespace gw::core
