// broker::LimitLog: decides which limit hits are worth a log line, so that a client hammering a
// limit cannot flood the log. Per LimitKind: the first hit is logged; after that at most one
// line per kInterval, which carries the number of hits held back since the previous line. Hits
// held back when the hammering stops are reported by flush() once the interval has passed.
//
// Ownership: a value type. Thread safety: core thread only.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>

#include "broker/limit_kind.hpp"
#include "broker/line_throttle.hpp"

namespace gw::broker {

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
