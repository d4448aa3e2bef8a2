// LatencyRecorder: end-to-end latency samples and their percentiles.
//
// Keeps at most `capacity` samples (a uniform reservoir, Vitter's algorithm R, once full), so a
// long run uses bounded memory; the maximum, mean and count are exact over every sample.
//
// Ownership: owns its samples. Thread safety: none; one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace gw::bench {

class LatencyRecorder {
 public:
  struct Summary {
    std::uint64_t count = 0;
    double p50_us = 0;
    double p90_us = 0;
    double p99_us = 0;
    double p999_us = 0;
    double max_us = 0;
    double mean_us = 0;
  };

  explicit LatencyRecorder(std::size_t capacity = std::size_t{1} << 21);

  void record(std::int64_t ns);
  [[nodiscard]] Summary summarize() const;

 private:
  std::size_t capacity_;
  std::vector<std::int64_t> samples_;
  std::uint64_t seen_ = 0;
  std::int64_t max_ = 0;
  long double sum_ = 0;
  std::mt19937_64 rng_{0x5eed};
};

}  // namespace gw::bench
