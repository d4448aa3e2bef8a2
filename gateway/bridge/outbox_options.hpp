// bridge::OutboxOptions: where and how the bridge's store-and-forward outbox keeps messages, from
// the `bridge.outbox:` section of the configuration (config/ validates the ranges stated here;
// the outbox relies on them and rejects, never clamps, anything outside with
// OutboxErrc::InvalidOptions).
//
// Durability: appends and acknowledgements are grouped into one transaction that the bridge loop
// commits (Outbox::flush) when Outbox::commit_due() says so. On a power cut, what was not yet
// committed is lost: the loss window is the commit window (commit_window or commit_max_messages,
// whichever comes first). A process crash loses nothing committed with synchronous = NORMAL; a
// power cut may also lose the last commits before the WAL was synced. For zero loss set
// synchronous_full and commit_max_messages = 1, and flush after each append (one fsync per
// message: flash wears and throughput drops to the disk's fsync rate).
//
// Ownership: plain value types. Thread safety: value types; read-only after open.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace gw::bridge {

enum class OverflowPolicy : std::uint8_t {
  // Delete stored rows, lowest priority first and oldest first within a priority, until the new
  // message fits.
  DropOldest,
  // Refuse the new message (OutboxErrc::Full / DiskFull); what is stored stays.
  DropNewest,
};

struct OutboxOptions {
  // The SQLite file; created with its directory's permissions when missing. The directory must
  // exist and be writable: WAL mode keeps `<path>-wal` and `<path>-shm` next to the file.
  // Required (no default: it belongs in the service's StateDirectory=).
  std::string path;

  // false: PRAGMA synchronous = NORMAL (WAL synced at checkpoints only; a power cut may lose the
  // last commits). true: synchronous = FULL (every commit is fsynced).
  bool synchronous_full = false;

  // Group commit: commit_due() once this many writes (appends, acks, moves) are pending...
  // 1..100000.
  std::uint32_t commit_max_messages = 500;
  // ...or once the oldest pending write is this old. 0 ms .. 10 s; 0 = due at once.
  std::chrono::milliseconds commit_window{50};

  // Limits on what is stored. A row's size is route + topic + payload + props blob in bytes
  // (SQLite's own overhead is not counted). 0 = no limit for each of them.
  std::uint64_t max_bytes = 256ULL * 1024 * 1024;
  std::uint64_t max_rows = 0;
  // Rows older than this (by stored_at, in append order) are deleted on append and by expire().
  // 0 = kept until acknowledged, expired or pushed out by another limit.
  std::chrono::seconds max_age{0};
  // Keep at least this much free on the outbox's file system. 0 = no check.
  std::uint64_t min_free_disk = 64ULL * 1024 * 1024;
  // statvfs is asked at most this often (appends in between are subtracted from the last
  // answer). 0 ms .. 60 s; 0 = on every append.
  std::chrono::milliseconds disk_check_interval{1000};
  OverflowPolicy overflow = OverflowPolicy::DropOldest;

  // Dead letters kept; beyond it the oldest dead letter is deleted (counted). 1..10000000.
  std::uint64_t max_dead_letters = 10000;

  friend bool operator==(const OutboxOptions&, const OutboxOptions&) = default;
};

}  // namespace gw::bridge
