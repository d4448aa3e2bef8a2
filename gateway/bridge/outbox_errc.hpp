// OutboxErrc: the outbox's own failures (SQLite failures use the "sqlite" domain instead, see
// sqlite_errc.hpp), as std::error_code in the "outbox" domain:
//   if (id.error() == gw::bridge::OutboxErrc::Full) stats_.refused++;
//
// Thread safety: the category is immutable and safe from any thread.
#pragma once

#include <system_error>

namespace gw::bridge {

enum class OutboxErrc {
  // overflow = DropNewest and max_rows or max_bytes is reached: the new message was not stored.
  Full = 1,
  // Free disk space is below min_free_disk and there is no older row left to give up.
  DiskFull,
  // One message is larger than max_bytes on its own; it can never be stored.
  MessageTooLarge,
  // No row with that id (already acknowledged, expired, dropped, or never existed), or for
  // nack(): the id is not in flight.
  NotFound,
  // A stored row cannot be decoded (bad props blob or QoS); it is moved to the dead letters.
  CorruptRow,
  // The file's schema version is newer than this program understands.
  SchemaTooNew,
  // The file is a SQLite database, but not an outbox (foreign tables or application id).
  NotAnOutbox,
  // The database refused journal_mode=WAL (e.g. a file system without shared memory support).
  WalUnavailable,
  // OutboxOptions outside the documented ranges (config/ should have rejected them).
  InvalidOptions,
};

[[nodiscard]] const std::error_category& outbox_category() noexcept;
[[nodiscard]] std::error_code make_error_code(OutboxErrc e) noexcept;

}  // namespace gw::bridge

template <>
struct std::is_error_code_enum<gw::bridge::OutboxErrc> : std::true_type {};
