// bridge::Backoff: reconnect delays, exponential with full jitter (AWS Architecture Blog,
// "Exponential Backoff And Jitter"): attempt n waits a uniformly random time in
// [0, min(max, initial · 2^n)]. Spreading the retries of a fleet of gateways over the whole
// interval keeps them from reconnecting in lock-step after a cloud outage.
//
// The random source is injected so that tests can pin it; the caller measures time with its own
// core::Clock and asks next() once per failed attempt.
//
// Ownership: owns its generator. Thread safety: none; one owner thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace gw::bridge {

class Backoff {
 public:
  using duration = std::chrono::milliseconds;

  // Precondition: 0 < initial <= max.
  Backoff(duration initial, duration max, std::uint64_t seed = std::random_device{}());

  // The delay before the next attempt; each call doubles the ceiling up to max.
  [[nodiscard]] duration next();
  // The ceiling next() draws below, for logs and tests.
  [[nodiscard]] duration ceiling() const;
  // After a successful connection: the next failure starts again from `initial`.
  void reset() { attempt_ = 0; }
  [[nodiscard]] std::uint32_t attempt() const { return attempt_; }

 private:
  duration initial_;
  duration max_;
  std::uint32_t attempt_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace gw::bridge
