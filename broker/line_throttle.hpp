// broker::LineThrottle: decides which of a repeating kind of log line is written, so that
// something failing many times a second cannot flood the log: the first line, then at most one
// per kInterval carrying the number held back since the line before. LimitLog keeps one per
// limit; the listener's "cannot accept" warning (server.cpp) has its own.
//
// Ownership: a value type. Thread safety: none; core thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>

namespace gw::broker {

class LineThrottle {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  static constexpr std::chrono::minutes kInterval{1};

  // A line at `now`. nullopt: stay quiet (it is held back); otherwise write it, mentioning the
  // returned number of lines held back before it (0 for the first).
  std::optional<std::uint64_t> admit(time_point now) {
    if (next_line_ && now < *next_line_) {
      ++held_back_;
      return std::nullopt;
    }
    return take(now);
  }

  // The number of lines held back, once the interval since the last line written has passed
  // (and a new interval starts); nullopt while there are none or the interval runs.
  std::optional<std::uint64_t> flush(time_point now) {
    // Lines are held back only after one was written, so next_line_ is set whenever any are.
    if (held_back_ == 0 || now < *next_line_) return std::nullopt;
    return take(now);
  }

 private:
  std::uint64_t take(time_point now) {
    next_line_ = now + kInterval;
    return std::exchange(held_back_, 0);
  }

  std::optional<time_point> next_line_;  // nullopt: nothing written yet
  std::uint64_t held_back_ = 0;
};

}  // namespace gw::broker
