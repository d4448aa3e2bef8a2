#include "broker/connect_rate_limiter.hpp"

#include <algorithm>
#include <iterator>

namespace gw::broker {

ConnectRateLimiter::ConnectRateLimiter(std::uint32_t rate, std::uint32_t burst,
                                       std::size_t max_addresses)
    : rate_(rate), burst_(std::max<std::uint32_t>(burst, 1)), max_addresses_(max_addresses) {}

bool ConnectRateLimiter::take(Bucket& b, time_point now) const {
  if (now > b.last) {
    const std::chrono::duration<double> elapsed = now - b.last;
    b.tokens = std::min(burst_, b.tokens + elapsed.count() * rate_);
    b.last = now;
  }
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

void ConnectRateLimiter::forget_full(time_point now) {
  std::erase_if(buckets_, [&](const auto& entry) {
    const Bucket& b = entry.second;
    const std::chrono::duration<double> elapsed = now - b.last;
    return b.tokens + elapsed.count() * rate_ >= burst_;
  });
}

bool ConnectRateLimiter::admit(std::string_view address, time_point now) {
  if (rate_ == 0) return true;
  auto it = buckets_.find(std::string(address));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_addresses_) forget_full(now);
    if (buckets_.size() >= max_addresses_) {
      if (!overflow_used_) {
        overflow_ = Bucket{burst_, now};
        overflow_used_ = true;
      }
      return take(overflow_, now);
    }
    it = buckets_.emplace(std::string(address), Bucket{burst_, now}).first;
  }
  return take(it->second, now);
}

}  // namespace gw::broker
