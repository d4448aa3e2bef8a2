#include "tests/bench/load/latency_recorder.hpp"

#include <algorithm>
#include <cmath>

namespace gw::bench {

LatencyRecorder::LatencyRecorder(std::size_t capacity) : capacity_(capacity) {
  samples_.reserve(std::min<std::size_t>(capacity_, 1 << 16));
}

void LatencyRecorder::record(std::int64_t ns) {
  ns = std::max<std::int64_t>(ns, 0);
  ++seen_;
  sum_ += static_cast<long double>(ns);
  max_ = std::max(max_, ns);
  if (samples_.size() < capacity_) {
    samples_.push_back(ns);
    return;
  }
  const auto j = rng_() % seen_;
  if (j < capacity_) samples_[j] = ns;
}

LatencyRecorder::Summary LatencyRecorder::summarize() const {
  Summary s;
  s.count = seen_;
  if (samples_.empty()) return s;
  std::vector<std::int64_t> sorted = samples_;
  std::sort(sorted.begin(), sorted.end());
  // Nearest-rank percentile.
  auto at = [&](double q) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
    const auto i = std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1);
    return static_cast<double>(sorted[i]) / 1000.0;
  };
  s.p50_us = at(0.50);
  s.p90_us = at(0.90);
  s.p99_us = at(0.99);
  s.p999_us = at(0.999);
  s.max_us = static_cast<double>(max_) / 1000.0;
  s.mean_us = static_cast<double>(sum_ / static_cast<long double>(seen_)) / 1000.0;
  return s;
}

}  // namespace gw::bench
