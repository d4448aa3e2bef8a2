// bridge::StoredMessage and DeadLetter: what the outbox hands back, a stored message rebuilt with
// its outbox identity.
//
// Ownership: value types that own their strings. Thread safety: value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/message.hpp"

namespace gw::bridge {

struct StoredMessage {
  std::uint64_t id = 0;  // never reused; acknowledge with Outbox::ack(id)
  std::string route;     // name of the upstream route
  int priority = 0;
  // The message as appended, LOCAL topic (the route's topic mapping is applied when sending).
  // props.message_expiry is the REMAINING interval in seconds, rounded up, ready to be sent
  // (MQTT 5 §3.3.2.3.3: the server forwards the received interval minus the time waited); it is
  // never longer than the original, even if the wall clock stepped back. 0 only for a dead
  // letter that has already expired (next() never returns expired rows).
  Message message;
  std::int64_t stored_at = 0;             // Unix ms
  std::optional<std::int64_t> expires_at;  // Unix ms; nullopt = never
  std::uint64_t size = 0;                 // bytes counted against max_bytes
};

struct DeadLetter {
  StoredMessage stored;  // stored.id is the id it had in the outbox
  std::string reason;
  std::int64_t dead_at = 0;  // Unix ms
};

}  // namespace gw::bridge
