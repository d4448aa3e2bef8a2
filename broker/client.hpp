// broker::Client: the protocol side of one network connection. Decodes what the transport
// receives, enforces the per-connection rules (CONNECT first and once, keep-alive, Maximum Packet
// Size, Receive Maximum, topic aliases, the negotiated capabilities) and passes session-level work
// to the Broker. Sends packets encoded for the connection's protocol version.
//
// Ownership: owned by its transport (a StreamHandler lives as long as its connection); the
// Broker and the attached Session refer to it by pointer until on_closed().
// Thread safety: core thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <spdlog/logger.h>

#include "broker/enhanced_auth.hpp"
#include "broker/backpressure.hpp"
#include "broker/listener_slot.hpp"
#include "broker/net/transport.hpp"
#include "broker/protocol/codec.hpp"
#include "broker/protocol/stream_decoder.hpp"

namespace gw::broker {

class Broker;
struct Session;

class Client final : public net::StreamHandler {
 public:
  Client(Broker& broker, net::Transport& transport);
  ~Client() override;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void on_data(std::span<const std::byte> data) override;
  void on_closed(std::error_code ec) override;
  // The transport wrote some of what was queued: a slow subscriber may have drained.
  void on_written() override;

  // Encodes and queues a packet. A PUBLISH larger than the client's Maximum Packet Size is not
  // sent (MQTT 5 §3.1.2.11.4 [MQTT-3.1.2-25]); returns false then, or when the connection is
  // closing or has stopped reading.
  bool send(const protocol::Packet& packet);
  enum class SendResult : std::uint8_t { Sent, TooLarge, NotWritable };
  SendResult send(const protocol::PublishView& publish);
  // Ends the connection for a protocol reason: MQTT 5 clients get a DISCONNECT with `reason`
  // first (MQTT 3.1.1 has no server DISCONNECT: the connection just closes).
  void disconnect(protocol::DisconnectReason reason, std::string reason_string = {});
  // Closes without a DISCONNECT (after a refusing CONNACK).
  void close();
  // Drops the connection at once, queued bytes included (broker teardown).
  void abort();
  // Deadline checks (connect timeout, keep alive) against `now`; called by Broker::tick().
  void on_tick(std::chrono::steady_clock::time_point now);

  [[nodiscard]] protocol::ProtocolVersion version() const { return version_; }
  [[nodiscard]] const std::string& peer() const { return transport_.peer(); }
  [[nodiscard]] const std::string& peer_address() const { return transport_.peer_address(); }
  [[nodiscard]] bool peer_is_loopback() const { return transport_.peer_is_loopback(); }
  [[nodiscard]] std::optional<std::string> tls_identity() const { return transport_.tls_identity(); }

  // While the broker verifies the CONNECT's credentials, packets the client sends after CONNECT
  // (MQTT allows that before CONNACK) are kept, at most kMaxHeldPackets (more closes the
  // connection), at most kMaxHeldBytes of PUBLISH topics and payloads, and handled by
  // release_held() once the CONNECT is accepted.
  static constexpr std::size_t kMaxHeldPackets = 32;
  static constexpr std::size_t kMaxHeldBytes = 64 * 1024;
  [[nodiscard]] bool closing() const { return closing_; }
  void hold_until_authenticated(std::uint64_t ticket) { auth_ticket_ = ticket; }
  void release_held();
  [[nodiscard]] std::uint64_t auth_ticket() const { return auth_ticket_; }
  [[nodiscard]] std::size_t pending_bytes() const { return transport_.pending_bytes(); }
  // The client's Receive Maximum (MQTT 5 §3.1.2.11.3): QoS 1/2 PUBLISHes it accepts unacknowledged.
  [[nodiscard]] std::uint16_t receive_maximum() const { return receive_maximum_; }
  // The Keep Alive in force (seconds; 0 = none), after the server's maximum.
  [[nodiscard]] std::uint16_t keep_alive_s() const { return keep_alive_s_; }
  [[nodiscard]] std::uint32_t maximum_packet_size() const { return maximum_packet_size_; }

  // What the client announced in CONNECT (MQTT 5 §3.1.2.11), and the keep alive in force.
  struct Negotiated {
    std::uint16_t keep_alive_s = 0;
    std::uint16_t receive_maximum = 65535;
    std::uint32_t maximum_packet_size = protocol::kMaxPacketSize;
    std::uint16_t topic_alias_maximum = 0;  // aliases we may use towards the client
    bool request_problem_information = true;
  };
  // Set by the Broker when CONNECT is accepted.
  void accept_connect(Session& session, const Negotiated& negotiated);
  // The session attached by accept_connect(), until the connection closes or is taken over.
  [[nodiscard]] Session* session() const { return session_; }
  void detach_session() { session_ = nullptr; }

  // Limits: the listener that accepted the connection (null for none), and whether its source
  // address was over max_connect_rate when it connected (its CONNECT is then refused).
  void set_listener(std::shared_ptr<ListenerSlot> slot) { listener_ = std::move(slot); }
  [[nodiscard]] ListenerSlot* listener() const { return listener_.get(); }
  void set_over_connect_rate() { over_connect_rate_ = true; }
  [[nodiscard]] bool over_connect_rate() const { return over_connect_rate_; }

  // MQTT 5 enhanced authentication: set by the Broker when CONNECT names an Authentication
  // Method; from then on AUTH packets go to Broker::on_auth(). Null for other connections.
  void set_enhanced_auth(std::unique_ptr<EnhancedAuth> state) { enhanced_auth_ = std::move(state); }
  [[nodiscard]] EnhancedAuth* enhanced_auth() const { return enhanced_auth_.get(); }
  // Back-pressure (broker/backpressure.hpp), driven by the Broker. While paused the connection
  // is not read and its keep alive does not run: the broker, not the client, made it silent.
  // The state is allocated on first use and released at the next tick once it is idle again
  // (nothing paired, not stuck): almost no connection ever pauses or is waited on.
  // backpressure() reads it (an idle one when there is none); backpressure_for_update()
  // allocates it. Tests: has_backpressure_state().
  [[nodiscard]] const Backpressure& backpressure() const {
    return backpressure_ ? *backpressure_ : Backpressure::none();
  }
  [[nodiscard]] Backpressure& backpressure_for_update() {
    if (!backpressure_) backpressure_ = std::make_unique<Backpressure>();
    return *backpressure_;
  }
  [[nodiscard]] bool has_backpressure_state() const { return backpressure_ != nullptr; }
  void pause_reading() { transport_.set_reading(false); }
  void resume_reading(std::chrono::steady_clock::time_point now) {
    last_packet_ = now;  // the keep alive starts again from here
    transport_.set_reading(true);
  }

 private:
  void handle(protocol::Packet&& packet);
  // Queues the broker's encode buffer; marks a connection whose unsent bytes grow past the limit.
  bool write_out();
  void on_publish(protocol::Publish&& publish);

  // Ordered for size (one of these per connection): the one-byte and two-byte fields share
  // two words, and what most connections never use is behind pointers, allocated on first use.
  Broker& broker_;
  net::Transport& transport_;
  protocol::StreamDecoder decoder_;
  protocol::ProtocolVersion version_ = protocol::ProtocolVersion::V5;
  // One bit each, so that list_index_ fits in the word they share with the limits below.
  bool connected_ : 1 = false;  // CONNECT accepted
  bool closing_ : 1 = false;    // no more packets are handled
  bool stuck_ : 1 = false;      // stopped reading: aborted at the next tick
  bool request_problem_information_ : 1 = true;
  bool over_connect_rate_ : 1 = false;
  std::uint16_t keep_alive_s_ = 0;
  std::uint16_t topic_alias_maximum_ = 0;
  std::uint16_t receive_maximum_ = 65535;
  std::uint32_t maximum_packet_size_ = protocol::kMaxPacketSize;
  std::uint32_t list_index_ = 0;  // in the broker's ClientList
  friend class ClientList;
  Session* session_ = nullptr;
  std::uint64_t auth_ticket_ = 0;  // nonzero while (or after) the CONNECT was being verified
  // The packets held while the CONNECT is verified (see kMaxHeldPackets); allocated by the
  // first one, released by release_held().
  struct Held {
    std::vector<protocol::Packet> packets;
    std::size_t bytes = 0;  // PUBLISH topics and payloads
  };
  std::unique_ptr<Held> held_;
  std::chrono::steady_clock::time_point created_;
  std::chrono::steady_clock::time_point last_packet_;

  // MQTT 5 §3.3.2.3.4: topic aliases, allocated on first use (most clients never use them):
  // `in`, those the client set for its PUBLISHes on this connection; `out`, those we assigned
  // towards the client, first come first served up to its maximum.
  using InboundAliases = std::unordered_map<std::uint16_t, protocol::TopicName>;
  using OutboundAliases = std::unordered_map<std::string, std::uint16_t>;
  struct Aliases {
    InboundAliases in;
    OutboundAliases out;
  };
  std::unique_ptr<Aliases> aliases_;
  Aliases& aliases() {
    if (!aliases_) aliases_ = std::make_unique<Aliases>();
    return *aliases_;
  }
  // The client chooses its Topic Alias Maximum (up to 65,535); what we keep for it is ours to
  // bound: at most this many aliases, for topics up to this long.
  static constexpr std::uint16_t kMaxOutboundAliases = 64;
  static constexpr std::size_t kMaxAliasedTopic = 1024;

  std::shared_ptr<ListenerSlot> listener_;
  std::unique_ptr<EnhancedAuth> enhanced_auth_;
  std::unique_ptr<Backpressure> backpressure_;  // see backpressure()

};

}  // namespace gw::broker
