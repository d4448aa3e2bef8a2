#include "gateway/bridge/outbox_stats.hpp"

namespace gw::bridge {

std::string_view to_string(DropReason reason) noexcept {
  switch (reason) {
    case DropReason::OverflowBytes: return "overflow_bytes";
    case DropReason::OverflowRows: return "overflow_rows";
    case DropReason::MaxAge: return "max_age";
    case DropReason::DiskFull: return "disk_full";
    case DropReason::Expired: return "expired";
  }
  return "unknown";
}

std::uint64_t DropCounts::total() const noexcept {
  std::uint64_t sum = 0;
  for (const auto n : by_reason) sum += n;
  return sum;
}

}  // namespace gw::bridge
