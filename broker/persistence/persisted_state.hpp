// broker::persistence records: the broker state that survives a restart, as plain values the
// broker hands to a StateStore (state_store.hpp) and gets back from it at start-up. Times are
// Unix milliseconds (wall clock), never steady_clock: a restart resets the steady clock, and the
// Session Expiry and Message Expiry intervals keep counting across the downtime.
//
// Ownership: value types; a message is shared (immutable) with the broker's queues, so a record
// costs a reference count, not a copy of the payload.
// Thread safety: value types. A batch is built on the core thread and moved to the store's
// writer thread; the messages it shares are immutable.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/protocol/connect.hpp"
#include "broker/protocol/protocol_version.hpp"
#include "broker/subscription.hpp"
#include "core/message.hpp"

namespace gw::broker::persistence {

// Where a QoS 1/2 message towards a client stands (session.hpp: OutgoingMessage, Inflight).
enum class DeliveryState : std::uint8_t {
  Queued = 0,        // waiting in the session's queue; no packet id yet
  AwaitPuback = 1,   // QoS 1 sent (or to be sent) with packet_id
  AwaitPubrec = 2,   // QoS 2 sent (or to be sent) with packet_id
  AwaitPubcomp = 3,  // QoS 2 PUBREC received, PUBREL sent: only the PUBREL is resent
};

struct PersistedMessage {
  // Unique over the broker's lifetime and across restarts; also the order of the queue.
  std::uint64_t key = 0;
  std::shared_ptr<const Message> message;  // message->qos is the publisher's QoS
  QoS qos = QoS::AtLeastOnce;              // the QoS of this delivery
  bool retain = false;
  std::vector<std::uint32_t> subscription_ids;
  std::int64_t since_ms = 0;  // when it started waiting (Message Expiry counts from here)
  DeliveryState state = DeliveryState::Queued;
  std::uint16_t packet_id = 0;  // 0 while Queued
  std::uint64_t seq = 0;        // in-flight order (Inflight::seq)
  bool was_sent = false;        // a resend carries DUP
  friend bool operator==(const PersistedMessage& a, const PersistedMessage& b) {
    return a.key == b.key && *a.message == *b.message && a.qos == b.qos && a.retain == b.retain &&
           a.subscription_ids == b.subscription_ids && a.since_ms == b.since_ms &&
           a.state == b.state && a.packet_id == b.packet_id && a.seq == b.seq &&
           a.was_sent == b.was_sent;
  }
};

struct PersistedSubscription {
  std::string filter;  // as subscribed, $share/{group}/ prefix included
  SubscriptionOptions options;
  friend bool operator==(const PersistedSubscription&, const PersistedSubscription&) = default;
};

// One kept session (Session Expiry Interval > 0).
struct PersistedSession {
  std::string client_id;
  std::optional<std::string> user;  // the verified owner: only this user may resume it
  protocol::ProtocolVersion version = protocol::ProtocolVersion::V5;
  std::uint32_t expiry_interval = 0;
  bool connect_expiry_zero = false;
  // A connection was attached when this was written. At start-up such a session is treated as
  // if its connection had just closed (its expiry and its will start then).
  bool connected = false;
  std::optional<std::int64_t> expires_at_ms;  // while disconnected; nullopt: never
  std::optional<protocol::Will> will;
  std::optional<std::int64_t> will_at_ms;  // a will waiting out its Will Delay Interval
  std::uint16_t last_packet_id = 0;
  std::uint64_t next_seq = 0;
  std::vector<std::uint16_t> awaiting_pubrel;  // inbound QoS 2 ids between PUBREC and PUBREL
  // Filled by StateStore::load and in a full snapshot; empty in an incremental batch, which
  // carries subscription and message changes separately.
  std::vector<PersistedSubscription> subscriptions;
  std::vector<PersistedMessage> messages;  // by key
  friend bool operator==(const PersistedSession&, const PersistedSession&) = default;
};

struct PersistedRetained {
  std::shared_ptr<const Message> message;
  std::int64_t stored_at_ms = 0;  // arrival: the start of its Message Expiry Interval
  friend bool operator==(const PersistedRetained& a, const PersistedRetained& b) {
    return *a.message == *b.message && a.stored_at_ms == b.stored_at_ms;
  }
};

// What StateStore::load returns.
struct PersistedState {
  std::vector<PersistedSession> sessions;
  std::vector<PersistedRetained> retained;
  std::uint64_t next_message_key = 1;  // above every stored key
};

// The changes of one flush window, written by the store in one transaction, in this order:
// replace_all wipes every table; ended sessions are deleted with their subscriptions and
// messages; then session rows are written; then the other changes.
struct JournalBatch {
  bool replace_all = false;  // a full snapshot (sessions carry subscriptions and messages)
  std::vector<std::string> ended_sessions;
  std::vector<PersistedSession> sessions;
  std::vector<std::pair<std::string, PersistedSubscription>> subscriptions_set;  // client id, sub
  std::vector<std::pair<std::string, std::string>> subscriptions_removed;  // client id, filter
  std::vector<std::pair<std::string, PersistedMessage>> messages_put;      // client id, message
  std::vector<std::uint64_t> messages_removed;                             // keys
  std::vector<PersistedRetained> retained_set;
  std::vector<std::string> retained_removed;  // topics

  [[nodiscard]] std::size_t changes() const {
    return ended_sessions.size() + sessions.size() + subscriptions_set.size() +
           subscriptions_removed.size() + messages_put.size() + messages_removed.size() +
           retained_set.size() + retained_removed.size();
  }
};

}  // namespace gw::broker::persistence
