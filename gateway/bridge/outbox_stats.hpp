// bridge::OutboxStats: counters and gauges of one Outbox, for metrics and for the bridge's log
// lines (the outbox counts; the bridge logs the deltas it sees, so a drop storm is one line per
// reason per interval instead of one per message). Counters start at zero when the outbox is
// opened; gauges (rows, bytes, dead letters) describe the file.
//
// Ownership and thread safety: value types.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace gw::bridge {

// Why a stored (or about to be stored) message was given up.
enum class DropReason : std::uint8_t {
  OverflowBytes,  // max_bytes
  OverflowRows,   // max_rows
  MaxAge,         // max_age
  DiskFull,       // min_free_disk
  Expired,        // MQTT 5 Message Expiry reached before the cloud acknowledged it
};
inline constexpr std::size_t kDropReasonCount = 5;

// "overflow_bytes", "overflow_rows", "max_age", "disk_full", "expired".
[[nodiscard]] std::string_view to_string(DropReason reason) noexcept;

struct DropCounts {
  std::array<std::uint64_t, kDropReasonCount> by_reason{};

  [[nodiscard]] std::uint64_t operator[](DropReason r) const noexcept {
    return by_reason[static_cast<std::size_t>(r)];
  }
  std::uint64_t& operator[](DropReason r) noexcept { return by_reason[static_cast<std::size_t>(r)]; }
  [[nodiscard]] std::uint64_t total() const noexcept;
};

struct OutboxStats {
  // Gauges.
  std::uint64_t rows = 0;
  std::uint64_t bytes = 0;                       // sum of row sizes, see OutboxOptions
  std::optional<std::int64_t> oldest_stored_at;  // Unix ms of the first row in append order
  std::uint64_t dead_letters = 0;
  std::uint64_t inflight = 0;     // handed out by next(), not yet acked, nacked or released
  std::uint64_t pending_writes = 0;  // in the open group-commit transaction
  // Write-behind: appended rows held in memory until their commit (or their acknowledgement),
  // at most Outbox::kMaxDeferred rows and kMaxDeferredBytes bytes.
  std::uint64_t deferred_rows = 0;
  std::uint64_t deferred_bytes = 0;

  // Counters since open.
  // Includes refused appends under their reason: DropNewest refusals, MessageTooLarge
  // (overflow_bytes) and DiskFull refusals.
  DropCounts drops;
  std::uint64_t appended = 0;
  std::uint64_t acked = 0;
  std::uint64_t dead_lettered = 0;         // rows moved to the dead letters (corrupt ones too)
  std::uint64_t replayed = 0;              // dead letters moved back
  std::uint64_t dead_letters_dropped = 0;  // oldest dead letters deleted for max_dead_letters
  std::uint64_t lost_uncommitted = 0;      // appends lost when SQLite rolled a transaction back
  std::uint64_t disk_probe_errors = 0;     // statvfs failures (the disk check was skipped)
};

}  // namespace gw::bridge
