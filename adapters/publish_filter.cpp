#include "adapters/publish_filter.hpp"

#include <cmath>
#include <type_traits>

namespace gw::adapters {
namespace {

std::optional<double> as_number(const Value& v) {
  return std::visit(
      [](const auto& x) -> std::optional<double> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, std::uint64_t> ||
                      std::is_same_v<T, double>) {
          return static_cast<double>(x);
        } else {
          return std::nullopt;
        }
      },
      v);
}

}  // namespace

bool PublishFilter::changed(const Value& value) const {
  if (policy_.deadband > 0.0) {
    const auto now = as_number(value);
    const auto last = as_number(last_value_);
    if (now && last) {
      const double limit =
          policy_.deadband_percent ? std::fabs(*last) * policy_.deadband / 100.0 : policy_.deadband;
      return std::fabs(*now - *last) > limit;
    }
  }
  return value != last_value_;
}

bool PublishFilter::offer(const Value& value, Quality quality, TimePoint now) {
  bool publish = false;
  if (!published_ || quality != last_quality_) {
    publish = true;
  } else if (quality == Quality::Good) {
    const auto since = now - last_time_;
    if (since >= policy_.min_interval) {
      publish = changed(value) || since >= policy_.heartbeat;
    }
  }
  if (publish) {
    published_ = true;
    last_value_ = value;
    last_quality_ = quality;
    last_time_ = now;
  }
  return publish;
}

}  // namespace gw::adapters
