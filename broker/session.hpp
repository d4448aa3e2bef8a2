// broker::Session: the MQTT session state of one client identifier (MQTT 5 §4.1), which outlives
// a network connection for its Session Expiry Interval: subscriptions (held in the TopicTree
// under `id`), QoS 1/2 messages in flight towards the client, messages queued while it is offline
// or its Receive Maximum is reached, QoS 2 packet ids received and not yet released, and the will.
//
// Ownership: owned by the Broker (unique_ptr in its session table). `client` is a non-owning
// pointer to the connection currently attached, reset when that connection closes.
// Thread safety: core thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "broker/protocol/connect.hpp"
#include "broker/protocol/packet_id.hpp"
#include "broker/protocol/protocol_version.hpp"
#include "broker/subscription.hpp"
#include "core/message.hpp"

namespace gw::broker {

class Client;

// One message on its way to this session's client: what to send, and since when it waits (the
// MQTT 5 Message Expiry Interval keeps counting while it does, §3.3.2.3.3).
struct OutgoingMessage {
  std::shared_ptr<const Message> message;
  QoS qos = QoS::AtMostOnce;
  bool retain = false;
  std::vector<std::uint32_t> subscription_ids;
  std::chrono::steady_clock::time_point since;
  // With persistence (broker/persistence/): the message's key in the store; 0 = not stored.
  std::uint64_t persist_key = 0;
};

// A QoS 1/2 PUBLISH sent and not yet completed.
// A QoS 1/2 PUBLISH that owns a packet id until it completes. `unsent` entries are waiting for
// quota on the current connection (after a resume with a smaller Receive Maximum, or when the
// client stopped reading); they are sent in `seq` order, which is the original order even after
// packet ids wrap around [MQTT-4.6.0-1].
struct Inflight {
  enum class State : std::uint8_t { AwaitPuback, AwaitPubrec, AwaitPubcomp };
  OutgoingMessage out;
  State state = State::AwaitPuback;
  std::uint64_t seq = 0;
  bool unsent = false;
  bool was_sent = false;  // on some connection: a resend carries DUP and ignores expiry
};

struct Session {
  Session(std::string client_id_, SubscriberId id_)
      : client_id(std::move(client_id_)), id(id_) {}

  // Ordered for size (one Session per client): the small fields share one word. What most
  // sessions never use is in Rare, allocated on first use.
  std::string client_id;
  // The user name verified against the password file at CONNECT; nullopt for anonymous clients
  // (an unverified name is no identity). ACL rules match on it.
  std::optional<std::string> user;
  SubscriberId id;
  Client* client = nullptr;  // attached connection, if any
  protocol::ProtocolVersion version = protocol::ProtocolVersion::V5;
  // CONNECT asked for 0: a DISCONNECT may then not set one [MQTT-3.14.2-2].
  bool connect_expiry_zero = true;
  std::uint16_t last_packet_id = 0;  // towards the client, see next_packet_id()

  // Seconds the session outlives its connection; kNever never expires.
  static constexpr std::uint32_t kNever = 0xFFFF'FFFF;
  std::uint32_t expiry_interval = 0;
  // While no connection is attached: when the session ends (nullopt: never).
  std::optional<std::chrono::steady_clock::time_point> expires_at;

  // Allocated only when the client has a will: most sessions do not, and a Will is large.
  std::unique_ptr<protocol::Will> will;

  // Towards the client.
  std::map<std::uint16_t, Inflight> inflight;  // by packet id
  std::size_t unsent = 0;                       // entries of `inflight` with unsent set
  std::uint64_t next_seq = 0;
  // A list, not a deque: libstdc++'s deque allocates ~600 bytes even when empty, and most
  // sessions never queue anything.
  std::list<OutgoingMessage> queue;
  std::size_t queued_bytes = 0;

  // State most sessions never have: a QoS 2 exchange from the client in progress, a will
  // waiting out its delay, subscriptions kept for persistence. rare() reads it (an empty one
  // when there is none); rare_for_update() allocates it; release_rare_if_empty() frees it once
  // nothing is left in it.
  struct Rare {
    // From the client: QoS 2 packet ids acknowledged with PUBREC and awaiting PUBREL
    // (MQTT 5 §4.3.3: a repeated PUBLISH with such an id is not delivered again).
    std::unordered_set<std::uint16_t> awaiting_pubrel;
    // With persistence only: the session's subscriptions (filter as subscribed -> options), so
    // that a full snapshot can be written without asking the TopicTree.
    std::map<std::string, SubscriptionOptions, std::less<>> subscriptions;
    // While a will waits out its Will Delay Interval after the connection ended: when it is sent.
    std::optional<std::chrono::steady_clock::time_point> will_at;

    [[nodiscard]] bool empty() const {
      return awaiting_pubrel.empty() && subscriptions.empty() && !will_at;
    }
  };
  [[nodiscard]] const Rare& rare() const {
    static const Rare kNone;
    return rare_ ? *rare_ : kNone;
  }
  [[nodiscard]] Rare& rare_for_update() {
    if (!rare_) rare_ = std::make_unique<Rare>();
    return *rare_;
  }
  void release_rare_if_empty() {
    if (rare_ && rare_->empty()) rare_.reset();
  }
  [[nodiscard]] bool has_rare_state() const { return rare_ != nullptr; }

  // A free packet id for a new outgoing PUBLISH; nullopt when all 65,535 are in flight.
  std::optional<protocol::PacketId> next_packet_id() {
    for (int tries = 0; tries < 0xFFFF; ++tries) {
      last_packet_id = static_cast<std::uint16_t>(last_packet_id == 0xFFFF ? 1 : last_packet_id + 1);
      if (!inflight.contains(last_packet_id)) return protocol::PacketId{last_packet_id};
    }
    return std::nullopt;
  }

 private:
  std::unique_ptr<Rare> rare_;  // see rare()
};

}  // namespace gw::broker
