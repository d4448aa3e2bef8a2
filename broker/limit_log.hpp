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

namespace gw::broker {

class LimitLog {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  static constexpr std::chrono::minutes kInterval{1};

  // A hit of `kind` at `now`. nullopt: stay quiet (the hit is held back); otherwise log it,
  // mentioning the returned number of hits held back before it (0 for the first).
  std::optional<std::uint64_t> admit(LimitKind kind, time_point now);

  // Hits held back for longer than kInterval: calls sink(kind, count) for each kind that has
  // some, and starts a new interval for it.
  template <typename Sink>
  void flush(time_point now, Sink&& sink) {
    for (std::size_t i = 0; i < kinds_.size(); ++i) {
      Kind& k = kinds_[i];
      if (k.held_back == 0 || now < k.next_line) continue;
      sink(static_cast<LimitKind>(i), k.held_back);
      k.held_back = 0;
      k.next_line = now + kInterval;
    }
  }

 private:
  struct Kind {
    std::optional<time_point> next_line;  // nullopt: nothing logged yet
    std::uint64_t held_back = 0;
  };
  std::array<Kind, kLimitKinds> kinds_{};
};

inline std::optional<std::uint64_t> LimitLog::admit(LimitKind kind, time_point now) {
  Kind& k = kinds_[static_cast<std::size_t>(kind)];
  if (k.next_line && now < *k.next_line) {
    ++k.held_back;
    return std::nullopt;
  }
  const std::uint64_t held = k.held_back;
  k.held_back = 0;
  k.next_line = now + kInterval;
  return held;
}

}  // namespace gw::broker
