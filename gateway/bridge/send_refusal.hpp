// bridge::SendRefusal: why the client library (Paho MQTTAsync_sendMessage) refused a PUBLISH
// before anything was sent, in the classes an operator acts on. The row stays in the outbox and
// is sent again after a short pause; the bridge counts each refusal (BridgeStats::send_refused)
// and logs them rate-limited at warning level, because a refusal that repeats every burst pauses
// the drain (docs/performance.md, "Bridge: outbox and drain").
//
// Ownership and thread safety: value types and pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <system_error>

namespace gw::bridge {

enum class SendRefusal : std::uint8_t {
  BufferFull,    // Paho's buffer of PUBLISHes not yet written is full (MaxBufferedMessages)
  InflightFull,  // Paho's own in-flight window is full (MaxMessagesInflight)
  Disconnected,  // the connection was gone; ConnectionLost follows
  Other,         // any other refusal (bad topic or QoS, out of message ids, ...)
};
inline constexpr std::size_t kSendRefusalCount = 4;

// "buffer_full", "inflight_full", "disconnected", "other".
[[nodiscard]] std::string_view to_string(SendRefusal reason) noexcept;
// The class of a "paho" error code returned by Uplink::publish; anything else is Other.
[[nodiscard]] SendRefusal classify_send_refusal(const std::error_code& ec) noexcept;

struct SendRefusalCounts {
  std::array<std::uint64_t, kSendRefusalCount> by_reason{};

  [[nodiscard]] std::uint64_t operator[](SendRefusal r) const noexcept {
    return by_reason[static_cast<std::size_t>(r)];
  }
  std::uint64_t& operator[](SendRefusal r) noexcept { return by_reason[static_cast<std::size_t>(r)]; }
  [[nodiscard]] std::uint64_t total() const noexcept;
};

}  // namespace gw::bridge
