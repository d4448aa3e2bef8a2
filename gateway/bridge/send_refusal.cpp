#include "gateway/bridge/send_refusal.hpp"

#include <system_error>

#include "gateway/bridge/paho_errc.hpp"

namespace gw::bridge {

std::string_view to_string(SendRefusal reason) noexcept {
  switch (reason) {
    case SendRefusal::BufferFull: return "buffer_full";
    case SendRefusal::InflightFull: return "inflight_full";
    case SendRefusal::Disconnected: return "disconnected";
    case SendRefusal::Other: return "other";
  }
  return "unknown";
}

SendRefusal classify_send_refusal(const std::error_code& ec) noexcept {
  if (ec == PahoErrc::MaxBufferedMessages) return SendRefusal::BufferFull;
  if (ec == PahoErrc::MaxMessagesInflight) return SendRefusal::InflightFull;
  if (ec == PahoErrc::Disconnected) return SendRefusal::Disconnected;
  // The native client's (NativeUplink).
  if (ec == std::errc::not_connected) return SendRefusal::Disconnected;
  if (ec == std::errc::resource_unavailable_try_again) return SendRefusal::InflightFull;
  return SendRefusal::Other;
}

std::uint64_t SendRefusalCounts::total() const noexcept {
  std::uint64_t sum = 0;
  for (const auto n : by_reason) sum += n;
  return sum;
}

}  // namespace gw::bridge
