// bridge::Outbox: the bridge's store-and-forward queue in a SQLite file (DESIGN.md,
// "Store-and-forward"). Every message bound upstream is appended before it is sent, and its row is
// deleted only when the cloud acknowledges it.
//
// Writing. append() and every other change join one group-commit transaction, opened by the first
// write after a commit. The bridge loop calls flush() whenever commit_due() is true and on
// shutdown. Nothing is durable before flush(): destroying the Outbox without it rolls the open
// transaction back, as a crash would. The loss window on a power cut is therefore the commit
// window (see OutboxOptions for the zero-loss setting). Acks are grouped the same way; an ack lost
// in a crash only means the message is sent once more (at-least-once).
//
// Write-behind. An appended row is kept in memory until the group commit (or until
// min(commit_max_messages, kMaxDeferred) of them, or kMaxDeferredBytes, wait) and only then
// INSERTed: a row whose
// acknowledgement arrives before that is never written at all, so with the uplink up a message
// that is appended, sent and acknowledged within one commit window costs no disk write (flash
// wear). The loss window is unchanged: a row is durable at the same flush() as before, and
// nothing unflushed survives a crash either way. Ids of rows never written are not reused after
// a clean flush: flush() reserves ids in the file ahead of them (kIdReserve at a time, one small
// write), so after a restart ids continue above the reservation. Ids given up in memory after the
// last flush may be given again after a crash; that is harmless, because an id never leaves the
// process (dead letters keep theirs through max(id)).
//
// Reading. next(max) returns up to `max` sendable rows in send order: priority descending, then id
// (append order) ascending. Rows it returns are "in flight" and are skipped by later calls until
// ack(id) deletes them, nack(id) makes one sendable again, or release_inflight() (after a
// reconnect) makes all of them sendable again. So a sender may pipeline: fetch a batch, send it,
// fetch more while waiting, and acknowledge out of order. next() also returns rows of the open
// transaction: sending them before the commit does not widen the loss window. Expired rows are
// never returned. A row that cannot be decoded is moved to the dead letters instead of blocking
// the queue.
//
// Limits (OutboxOptions) are enforced on append: age first, then free disk, rows and bytes, with
// the overflow policy. Every message given up is counted by DropReason in stats(); rows and bytes
// are running totals loaded at open, so append never counts the table.
//
// Recovery. open() on an existing file keeps every committed row; rows that were in flight before
// a restart are simply pending again. Ids are never reused, not even after a rollback.
//
// Failure. Errors come back as Result: the "sqlite" domain for SQLite (sqlite_errc.hpp), the
// "outbox" domain for OutboxErrc. If SQLite rolls the whole group-commit transaction back (it may
// on SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM), the unflushed appends are lost (counted in
// stats().lost_uncommitted), totals are reloaded from the file, and everything in flight becomes
// sendable again so that no acknowledgement lost with it can strand a row.
//
// Ownership: owns the SQLite connection and its prepared statements; borrows the clock and the
// free-space probe, which must outlive it.
// Thread safety: none. The bridge's store thread owns the Outbox and is the only one to call it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/clock.hpp"
#include "core/message.hpp"
#include "core/result.hpp"
#include "gateway/bridge/free_space.hpp"
#include "gateway/bridge/outbox_options.hpp"
#include "gateway/bridge/outbox_stats.hpp"
#include "gateway/bridge/statement.hpp"
#include "gateway/bridge/stored_message.hpp"

namespace gw::bridge {

class Outbox {
 public:
  // Write-behind limits: appended rows (and their bytes) held in memory at most, and ids
  // reserved at a time.
  static constexpr std::size_t kMaxDeferred = 1024;
  static constexpr std::uint64_t kMaxDeferredBytes = 4 * 1024 * 1024;
  static constexpr std::uint64_t kIdReserve = 4096;

 private:
  // Lets open() use make_unique with a constructor nobody else can call (explicit: no `{}`).
  struct Key {
    explicit Key() = default;
  };

 public:
  // Opens or creates the outbox file: WAL journal, synchronous NORMAL or FULL, schema created or
  // checked (PRAGMA user_version; application_id marks the file as an outbox), totals loaded.
  // Errors: OutboxErrc::InvalidOptions; sqlite SQLITE_CANTOPEN (missing or unwritable directory,
  // a directory at `path`), SQLITE_READONLY (file not writable), SQLITE_NOTADB (not a SQLite
  // file), SQLITE_CORRUPT, SQLITE_BUSY (locked by another process for over 5 s);
  // OutboxErrc::NotAnOutbox, SchemaTooNew, WalUnavailable.
  static Result<std::unique_ptr<Outbox>> open(
      OutboxOptions options, const core::Clock& clock,
      const FreeSpaceProbe& disk = StatvfsProbe::instance());

  // Rolls back whatever was not flushed (as a crash would) and closes the file.
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Stores `message` for `route` and returns its id. stored_at is clock.wall_ms(); with a
  // Message Expiry it also gets expires_at. Not durable before flush().
  // Errors: OutboxErrc::Full (DropNewest, max_rows/max_bytes reached), DiskFull,
  // MessageTooLarge; sqlite codes (SQLITE_FULL, SQLITE_IOERR...).
  Result<std::uint64_t> append(std::string_view route, int priority, const Message& message);

  // True when the open transaction holds commit_max_messages writes or its first write is
  // commit_window old. Cheap; the bridge loop asks after each batch and on its timer.
  [[nodiscard]] bool commit_due() const;
  // Commits the open transaction, if any. Errors: sqlite codes; on SQLITE_BUSY the transaction
  // stays open and flush() may be retried.
  Result<void> flush();
  // True while a group commit is open: rows or changes not yet flushed (something to flush on
  // shutdown).
  [[nodiscard]] bool has_pending() const { return batch_open_; }

  // Up to `max` sendable rows in send order, marked in flight. Errors: sqlite codes (nothing is
  // then marked in flight).
  Result<std::vector<StoredMessage>> next(std::size_t max);
  // True when `id` cannot be handed out again after a crash: committed in the file (as a row or
  // as a reserved id). With write-behind, a new row's id may not be yet.
  [[nodiscard]] bool id_durable(std::uint64_t id) const { return id <= durable_seq_; }
  // Has the next flush() make `id` and the next kIdReserve ids durable.
  void make_id_durable(std::uint64_t id);
  // Transactions SQLite rolled back (on SQLITE_FULL, IOERR, ...): what was written since the last
  // flush() is gone, including what a caller was about to rely on.
  [[nodiscard]] std::uint64_t rollbacks() const { return rollbacks_; }

  // One row as next() would return it, without changing what is in flight; nullopt when it is
  // gone or expired, or (with `corrupt` set) when it does not decode. Errors: sqlite codes.
  Result<std::optional<StoredMessage>> read(std::uint64_t id, bool& corrupt);
  // Deletes the row: only on the cloud's acknowledgement. Errors: OutboxErrc::NotFound (already
  // gone: expired, dropped or acked), sqlite codes.
  Result<void> ack(std::uint64_t id);
  // Makes one in-flight row sendable again, in its place in send order (e.g. the remote refused
  // it with a retryable reason). Errors: OutboxErrc::NotFound if `id` is not in flight.
  Result<void> nack(std::uint64_t id);
  // Makes every in-flight row sendable again (after a reconnect). In-flight rows acked later are
  // still deleted normally. The rows in `keep` stay in flight and next() skips them: a resumed
  // session sends them again itself (MQTT 5 §4.4); nack() makes one sendable in its place, ack()
  // deletes it.
  void release_inflight(const std::vector<std::uint64_t>& keep = {});
  [[nodiscard]] std::size_t inflight() const { return inflight_.size(); }

  // The uplink session's unfinished QoS 2 exchanges, kept so that a restarted gateway can
  // continue them with their packet identifiers (MQTT 5 §4.4) instead of sending a different
  // message under an identifier the server still holds.
  struct SessionExchange {
    std::uint16_t packet_id = 0;
    std::uint64_t row = 0;    // outbox id
    bool released = false;    // PUBREC came: PUBREL is what goes again
    bool row_exists = true;   // recovered_exchanges(): false when the row is gone meanwhile
  };
  // Records a new one (`released` false: last in send order), or marks one released (with `row`,
  // 0 when its row is given up), in the open transaction; flush() before the PUBLISH leaves, so
  // that a crash cannot forget an identifier the server may hold. Errors: sqlite codes.
  Result<void> record_exchange(const SessionExchange& exchange);
  // Errors: sqlite codes.
  Result<void> forget_exchange(std::uint16_t packet_id);
  // All of them (the server has no session). Errors: sqlite codes.
  Result<void> forget_exchanges();
  // What open() found, in send order. Their rows are held in flight (next() skips them)
  // until nack(), ack() or release_inflight() without them.
  [[nodiscard]] const std::vector<SessionExchange>& recovered_exchanges() const { return recovered_; }

  // Deletes rows whose Message Expiry has passed (DropReason::Expired) and, with max_age, rows
  // older than that (DropReason::MaxAge). Returns how many rows went. Errors: sqlite codes.
  Result<std::size_t> expire();

  // Moves a row to the dead letters with `reason` (e.g. "packet too large: 300000 > 262144"),
  // atomically. Errors: OutboxErrc::NotFound, sqlite codes.
  Result<void> dead_letter(std::uint64_t id, std::string_view reason);
  // The oldest `limit` dead letters (by the time they died). Errors: sqlite codes.
  Result<std::vector<DeadLetter>> dead_letters(std::size_t limit);
  // Moves a dead letter back to the outbox with a new id (so at the end of its priority) and
  // stored_at = now; its expires_at is kept, so an expired one will expire. Limits apply as for
  // append. Errors: OutboxErrc::NotFound, Full, DiskFull; sqlite codes.
  Result<std::uint64_t> replay_dead_letter(std::uint64_t id);

  // Errors: sqlite codes (reading the oldest row).
  Result<OutboxStats> stats();

  // Public for make_unique only (Key is private).
  Outbox(Key, OutboxOptions options, const core::Clock& clock, const FreeSpaceProbe& disk,
         DbPtr db);

 private:
  // Where next() stands in one priority: every row with id <= after was handed out; `redo`
  // holds ids below it that are sendable again (nacked, or handed out by a failed next()).
  struct Cursor {
    std::uint64_t after = 0;
    std::set<std::uint64_t> redo;
  };

  Result<void> prepare_statements();
  Result<void> load_totals();
  Result<void> load_exchanges();
  Result<void> resync_if_stale();
  Result<void> begin_if_needed();
  void begin_batch();
  void note_write();
  // Write-behind (see the class comment).
  struct Deferred {
    StoredMessage row;  // message.props as appended (the original Message Expiry)
    std::string props;  // encoded for the props column
  };
  Result<void> write_deferred();
  // Removes a deferred row (keeps deferred_bytes_); returns the next one.
  std::map<std::uint64_t, Deferred>::iterator erase_deferred(
      std::map<std::uint64_t, Deferred>::iterator it);
  // A deferred row that ends in memory (acknowledged, expired, aged out): never written.
  std::map<std::uint64_t, Deferred>::iterator give_up_deferred(
      std::map<std::uint64_t, Deferred>::iterator it);
  Result<void> insert_row(const Deferred& d);
  Result<void> reserve_ids();
  [[nodiscard]] StoredMessage sendable(const Deferred& d, std::int64_t now) const;
  std::error_code failed(std::error_code ec);

  Result<void> make_room(std::uint64_t size);
  Result<void> purge_aged(std::int64_t now);
  Result<std::optional<std::uint64_t>> drop_lowest();
  Result<std::optional<std::uint64_t>> free_disk();
  void forget(std::uint64_t id, std::uint64_t size);

  Result<void> fetch_after(int priority, Cursor& cursor, std::size_t max, std::int64_t now,
                           std::vector<StoredMessage>& out, std::vector<std::uint64_t>& corrupt);
  // One row by id as next() would send it; nullopt when gone or expired, or (with `corrupt` set)
  // when it does not decode.
  Result<std::optional<StoredMessage>> lookup(std::uint64_t id, std::int64_t now, bool& corrupt);
  Result<bool> fetch_one(std::uint64_t id, int priority, std::int64_t now,
                         std::vector<StoredMessage>& out, std::vector<std::uint64_t>& corrupt);
  Result<void> move_to_dead_letters(std::uint64_t id, std::string_view reason);
  Result<void> trim_dead_letters();

  OutboxOptions options_;
  const core::Clock& clock_;
  const FreeSpaceProbe& disk_;
  std::string directory_;
  DbPtr db_;  // declared before the statements: destroyed after them

  Statement begin_, commit_, rollback_, savepoint_, release_, rollback_to_;
  Statement insert_, select_after_, select_one_, delete_one_, drop_lowest_, purge_aged_, oldest_;
  Statement expire_, dead_insert_, dead_list_, dead_get_, dead_delete_, dead_trim_, replay_insert_;
  Statement seq_update_, seq_insert_;
  Statement exchange_put_, exchange_release_, exchange_delete_;
  std::vector<SessionExchange> recovered_;

  // Running totals of the file (committed + open transaction).
  std::uint64_t rows_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t dead_count_ = 0;
  // stored_at of the first row in append order, or an older value after deletes: a lower bound
  // that tells append whether max_age may have been reached without a query.
  std::optional<std::int64_t> oldest_hint_;
  std::uint64_t next_id_ = 1;
  bool stale_ = false;  // totals must be reloaded (a rolled-back transaction)

  // Group commit: batch_open_ from the first change after a flush to the next flush; in_txn_ while
  // SQLite's transaction is open (a batch of deferred appends and acks alone has none).
  bool batch_open_ = false;
  bool in_txn_ = false;
  std::uint64_t pending_writes_ = 0;
  std::uint64_t pending_appends_ = 0;
  core::Clock::time_point txn_started_{};

  // Send cursors by priority, highest first, and what is in flight (id → priority).
  std::map<int, Cursor, std::greater<>> cursors_;
  std::unordered_map<std::uint64_t, int> inflight_;
  // In flight across release_inflight(keep): next() skips them until nack(), ack() or a drop.
  std::unordered_set<std::uint64_t> held_;

  // Free disk: the last probe answer, when it was taken, and bytes appended since.
  std::optional<std::uint64_t> disk_free_;
  core::Clock::time_point disk_checked_at_{};
  std::uint64_t appended_since_check_ = 0;

  // Appended rows not yet INSERTed, by id; every id here is above every id in the table.
  std::map<std::uint64_t, Deferred> deferred_;
  std::uint64_t deferred_bytes_ = 0;  // the sum of their sizes
  std::uint64_t persisted_seq_ = 0;  // ids up to this are reserved in the file (sqlite_sequence)
  std::uint64_t durable_seq_ = 0;    // ... and committed
  std::uint64_t durable_wanted_ = 0;  // make_id_durable(): reserve past it at the next flush()
  std::uint64_t rollbacks_ = 0;
  std::uint64_t max_unwritten_ = 0;  // highest id given up without ever being written

  std::string props_buf_;  // reused by append: no allocation per message in the steady state
  OutboxStats counters_;   // only the counter fields are kept here
};

}  // namespace gw::bridge
