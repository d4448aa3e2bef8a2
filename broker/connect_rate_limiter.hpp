// broker::ConnectRateLimiter: new connections per second per source address, as a token bucket
// per address: a bucket holds up to `burst` tokens, refills at `rate` tokens per second, and
// each connection takes one. An address whose bucket is empty is over the rate.
//
// The table is bounded (kMaxAddresses) so that a flood from many addresses cannot exhaust
// memory: a bucket that has refilled completely carries no information and is forgotten when
// room is needed; when every tracked address is still in debt, further addresses share one
// overflow bucket (so a spread-out flood slows new addresses down together instead of growing
// the table).
//
// Ownership: owns its table. Thread safety: core thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace gw::broker {

class ConnectRateLimiter {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  static constexpr std::size_t kMaxAddresses = 4096;

  // `rate` 0 disables the limit (admit() is always true). `burst` >= 1.
  ConnectRateLimiter(std::uint32_t rate, std::uint32_t burst,
                     std::size_t max_addresses = kMaxAddresses);

  // A new connection from `address` at `now`: true if it is within the rate (and takes a token).
  bool admit(std::string_view address, time_point now);
  // False for rate 0: callers need not name the address at all.
  [[nodiscard]] bool enabled() const { return rate_ != 0; }

  // Addresses tracked now (at most the max_addresses given).
  [[nodiscard]] std::size_t tracked() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens = 0;
    time_point last{};
  };
  // Refills `b` up to `now`, then takes a token if there is one.
  bool take(Bucket& b, time_point now) const;
  void forget_full(time_point now);

  double rate_;
  double burst_;
  std::size_t max_addresses_;
  std::unordered_map<std::string, Bucket> buckets_;
  Bucket overflow_;
  bool overflow_used_ = false;
};

}  // namespace gw::broker
