#include "gateway/bridge/backoff.hpp"

#include "core/check.hpp"

namespace gw::bridge {

Backoff::Backoff(duration initial, duration max, std::uint64_t seed)
    : initial_(initial), max_(max), rng_(seed) {
  GW_CHECK(initial.count() > 0 && initial <= max);
}

Backoff::duration Backoff::ceiling() const {
  // Doubling stops once the ceiling reaches max, so the shift never overflows.
  duration ceiling = initial_;
  for (std::uint32_t i = 0; i < attempt_ && ceiling < max_; ++i) ceiling *= 2;
  return ceiling < max_ ? ceiling : max_;
}

Backoff::duration Backoff::next() {
  const duration cap = ceiling();
  if (attempt_ < 64) ++attempt_;
  std::uniform_int_distribution<std::int64_t> pick(0, cap.count());
  return duration(pick(rng_));
}

}  // namespace gw::bridge
