// The props blob: how the outbox stores a message's MQTT 5 properties in one BLOB column.
// Message Expiry is not in it: the outbox keeps it as the absolute expires_at column, so that the
// interval keeps counting while the message waits (MQTT 5 §3.3.2.3.3).
//
// Layout (version 1), all integers big-endian:
//   u8 version = 1
//   u8 flags: 0x01 payload format, 0x02 content type, 0x04 response topic, 0x08 correlation
//             data, 0x10 user properties; other bits must be 0
//   [u8 payload format]                         if 0x01
//   [u32 length + bytes] for each string field  if its flag is set, in flag order
//   [u32 count, then count × (u32 + name, u32 + value)]  if 0x10
// An absent property and an empty one are different (the flag says which); user properties keep
// their order and repeats. Properties with nothing set encode to zero bytes (stored as NULL).
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/message.hpp"
#include "core/result.hpp"

namespace gw::bridge {

// Appends the encoding of `props` (without message_expiry) to `out`; appends nothing when none of
// the encoded properties is set.
void encode_props(const MessageProps& props, std::string& out);

// Decodes a blob made by encode_props; an empty blob gives empty properties.
// Errors: OutboxErrc::CorruptRow (unknown version or flags, truncated, trailing bytes, bad value).
Result<MessageProps> decode_props(std::string_view blob);

}  // namespace gw::bridge
