// broker::BrokerStats: counters the broker keeps for metrics and $SYS. Every dropped message is
// counted under its reason.
//
// Thread safety: core thread only (read them there, or copy them out with a post).
#pragma once

#include <array>
#include <cstdint>

#include "broker/limit_kind.hpp"

namespace gw::broker {

struct BrokerStats {
  std::uint64_t connections_total = 0;
  std::uint64_t connections_current = 0;
  std::uint64_t connections_refused = 0;  // max_connections reached or CONNACK failure
  std::uint64_t auth_failures = 0;        // ... of which a wrong user name or password
  std::uint64_t messages_received = 0;     // PUBLISH from clients and the in-process API
                                           // (the broker's own $SYS/ ones excluded)
  std::uint64_t messages_sent = 0;         // PUBLISH to clients
  std::uint64_t dropped_queue_full = 0;    // oldest queued message dropped for a new one
  std::uint64_t dropped_too_large = 0;     // larger than the client's Maximum Packet Size
  std::uint64_t dropped_expired = 0;       // Message Expiry Interval passed while queued
  std::uint64_t dropped_qos0_offline = 0;  // QoS 0 for a session without a connection
  std::uint64_t protocol_errors = 0;       // connections closed for malformed or forbidden input
  std::uint64_t local_handler_errors = 0;  // in-process subscriber handlers that threw
  std::uint64_t dropped_session_ended = 0; // queued or in-flight when their session ended
  std::uint64_t acl_denied_publish = 0;    // PUBLISHes (and wills) the ACL refused
  std::uint64_t acl_denied_subscribe = 0;  // subscription filters the ACL refused
  std::uint64_t acl_denied_receive = 0;    // deliveries the ACL withheld

  // For $SYS/broker/... (gateway/sys_topics.hpp) and the metrics endpoint.
  std::uint64_t bytes_received = 0;       // bytes read from client connections
  std::uint64_t bytes_sent = 0;           // bytes queued to client connections
  std::uint64_t connections_maximum = 0;  // the largest connections_current seen
  std::uint64_t sys_publish_refused = 0;  // client PUBLISHes (and wills) to $SYS/... refused
  // WebSocket listeners (broker/net/ws_transport.hpp)
  std::uint64_t websocket_handshake_failures = 0;  // upgrade requests refused with an HTTP error
  // (frames that break RFC 6455 close the connection and count under protocol_errors)
  // Persistence (broker/persistence/).
  std::uint64_t persist_batches = 0;    // write-behind batches handed to the store
  std::uint64_t persist_snapshots = 0;  // of them full snapshots (after an overflow or failure)
  std::uint64_t persist_overflows = 0;  // journal bound reached while the store was behind
  // Limit hits by LimitKind (connections refused, filters refused, messages dropped...).
  std::array<std::uint64_t, kLimitKinds> limit_hits{};
  [[nodiscard]] std::uint64_t limit_hit_count(LimitKind kind) const {
    return limit_hits[static_cast<std::size_t>(kind)];
  }
  // TLS listeners.
  std::uint64_t tls_handshake_failures = 0;  // handshakes that failed (not those timed out)
  std::uint64_t tls_reload_failures = 0;     // certificate reloads that kept the old files
  // Back-pressure (broker/backpressure.hpp).
  std::uint64_t backpressure_pauses = 0;  // a publisher's reading paused for a slow subscriber
  std::uint64_t backpressure_stuck = 0;   // subscribers that made no progress for max_backpressure_wait
};

}  // namespace gw::broker
