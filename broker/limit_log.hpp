// broker::LimitLog: decides which limit hits are worth a log line, so that a client hammering a
// limit cannot flood the log. Per LimitKind: the first hit is logged; after that at most one
// line per kInterval, which carries the number of hits held back since the previous line. Hits
// held back when the hammering stops are reported by flush() once the interval has passed.
// broker::LineThrottle is the same for one kind of line (a listener that cannot accept).
//
// Ownership: a value type. Thread safety: core thread only.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>

#include "broker/limit_kind.hpp"

namespace gw::broker {

// One stream of log lines: the first is written; after it at most one per kInterval, which
// carries the number of lines held back since the one before.
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

class LimitLog {
 public:
  using time_point = LineThrottle::time_point;
  static constexpr auto kInterval = LineThrottle::kInterval;

  // A hit of `kind` at `now`. nullopt: stay quiet (the hit is held back); otherwise log it,
  // mentioning the returned number of hits held back before it (0 for the first).
  std::optional<std::uint64_t> admit(LimitKind kind, time_point now) {
    return kinds_[static_cast<std::size_t>(kind)].admit(now);
  }

  // Hits held back for longer than kInterval: calls sink(kind, count) for each kind that has
  // some, and starts a new interval for it.
  template <typename Sink>
  void flush(time_point now, Sink&& sink) {
    for (std::size_t i = 0; i < kinds_.size(); ++i) {
      if (const auto held_back = kinds_[i].flush(now)) sink(static_cast<LimitKind>(i), *held_back);
    }
  }

 private:
  std::array<LineThrottle, kLimitKinds> kinds_{};
};

}  // namespace gw::broker
