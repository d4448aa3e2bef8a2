// adapters::PublishFilter: decides, per point, whether a fresh reading is worth publishing —
// report by exception with a deadband, a heartbeat and a minimum interval, the way plant
// historians expect:
//   - the first reading, and every change of quality, is published;
//   - a good value is published when it differs from the last published one by more than the
//     deadband (absolute, or percent of the last published value; 0 = any change), or when the
//     heartbeat has passed since the last publish, but never sooner than min_interval after it;
//   - a bad reading is published once; repeating the same bad quality is not (no stale value is
//     re-sent with a fresh timestamp, and a dead device does not flood the broker).
//
// Ownership: a value type. Thread safety: none; one per point, used by its link thread.
#pragma once

#include <chrono>
#include <optional>

#include "adapters/reading.hpp"

namespace gw::adapters {

class PublishFilter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  struct Policy {
    double deadband = 0.0;
    bool deadband_percent = false;
    std::chrono::milliseconds heartbeat{std::chrono::minutes(1)};
    std::chrono::milliseconds min_interval{0};
  };

  explicit PublishFilter(Policy policy) : policy_(policy) {}

  // True when the reading (value, quality) taken at `now` is to be published; the filter then
  // remembers it as the last published one.
  bool offer(const Value& value, Quality quality, TimePoint now);

 private:
  [[nodiscard]] bool changed(const Value& value) const;

  Policy policy_;
  bool published_ = false;
  Value last_value_;
  Quality last_quality_ = Quality::Good;
  TimePoint last_time_{};
};

}  // namespace gw::adapters
