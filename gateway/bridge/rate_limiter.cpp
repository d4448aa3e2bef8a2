#include "gateway/bridge/rate_limiter.hpp"

#include <algorithm>

namespace gw::bridge {

RateLimiter::RateLimiter(std::uint32_t messages_per_second, std::uint64_t bytes_per_second,
                         time_point now)
    : msg_rate_(messages_per_second),
      byte_rate_(static_cast<double>(bytes_per_second)),
      msgs_(msg_rate_),
      bytes_(byte_rate_),
      last_(now) {}

void RateLimiter::refill(time_point now) {
  if (now <= last_) return;
  const double seconds = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  msgs_ = std::min(msg_rate_, msgs_ + seconds * msg_rate_);
  bytes_ = std::min(byte_rate_, bytes_ + seconds * byte_rate_);
}

bool RateLimiter::try_take(std::uint64_t bytes, time_point now) {
  if (unlimited()) return true;
  refill(now);
  const auto cost = static_cast<double>(bytes);
  const bool msg_ok = msg_rate_ == 0 || msgs_ >= 1.0;
  // A message bigger than one second of budget goes when the bucket is full.
  const bool byte_ok = byte_rate_ == 0 || bytes_ >= std::min(cost, byte_rate_);
  if (!msg_ok || !byte_ok) return false;
  if (msg_rate_ != 0) msgs_ -= 1.0;
  if (byte_rate_ != 0) bytes_ -= cost;
  return true;
}

RateLimiter::time_point RateLimiter::ready_at(std::uint64_t bytes, time_point now) {
  if (unlimited()) return now;
  refill(now);
  double wait = 0;
  if (msg_rate_ != 0 && msgs_ < 1.0) wait = std::max(wait, (1.0 - msgs_) / msg_rate_);
  if (byte_rate_ != 0) {
    const double need = std::min(static_cast<double>(bytes), byte_rate_);
    if (bytes_ < need) wait = std::max(wait, (need - bytes_) / byte_rate_);
  }
  return now + std::chrono::duration_cast<core::Clock::duration>(std::chrono::duration<double>(wait));
}

}  // namespace gw::bridge
