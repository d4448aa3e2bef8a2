#include "gateway/bridge/outbox.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <limits>
#include <utility>

#include "gateway/bridge/outbox_errc.hpp"
#include "gateway/bridge/props_codec.hpp"
#include "gateway/bridge/sqlite_errc.hpp"

namespace gw::bridge {
namespace {

// Schema history (PRAGMA user_version):
//   1: outbox + dead_letters; exchanges, created when missing (an older gateway ignores it).
// A newer file is refused (SchemaTooNew); an older one is migrated in open(), in one transaction.
constexpr std::int64_t kSchemaVersion = 1;
// PRAGMA application_id: "GWOB", so that `file` and open() can tell an outbox from another
// SQLite database.
constexpr std::int64_t kApplicationId = 0x47574f42;

// The uplink session's unfinished QoS 2 exchanges (Outbox::record_exchange). Not in
// kCreateSchema: added to files made before it, without a version step, so that an older gateway
// can still open the file (it neither needs nor touches the table).
constexpr const char* kCreateExchanges = R"sql(
CREATE TABLE IF NOT EXISTS exchanges (
  packet_id  INTEGER PRIMARY KEY,  -- 1..65535
  row_id     INTEGER NOT NULL,     -- outbox id; the row may be gone (0: no row)
  released   INTEGER NOT NULL,     -- 1: PUBREC came, PUBREL is what goes again
  sent_order INTEGER NOT NULL      -- increasing: the order in which they went (MQTT 5 §4.6)
);
)sql";

constexpr const char* kCreateSchema = R"sql(
BEGIN IMMEDIATE;
CREATE TABLE outbox (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: ids are never reused
  route      TEXT    NOT NULL,
  priority   INTEGER NOT NULL,
  topic      TEXT    NOT NULL,                   -- local topic; mapped when sent
  payload    BLOB    NOT NULL,
  qos        INTEGER NOT NULL,
  retain     INTEGER NOT NULL,
  props      BLOB,                               -- props_codec.hpp; NULL = none
  stored_at  INTEGER NOT NULL,                   -- Unix ms
  expires_at INTEGER,                            -- Unix ms; NULL = never
  size       INTEGER NOT NULL                    -- bytes counted against max_bytes
);
-- An index on (priority) holds (priority, rowid): send order within a priority, and drop order.
CREATE INDEX outbox_priority ON outbox(priority);
CREATE INDEX outbox_expiry ON outbox(expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE dead_letters (
  id         INTEGER PRIMARY KEY,                -- the id the row had in the outbox
  route      TEXT    NOT NULL,
  priority   INTEGER NOT NULL,
  topic      TEXT    NOT NULL,
  payload    BLOB    NOT NULL,
  qos        INTEGER NOT NULL,
  retain     INTEGER NOT NULL,
  props      BLOB,
  stored_at  INTEGER NOT NULL,
  expires_at INTEGER,
  size       INTEGER NOT NULL,
  reason     TEXT    NOT NULL,
  dead_at    INTEGER NOT NULL                    -- Unix ms
);
CREATE INDEX dead_letters_dead_at ON dead_letters(dead_at);
PRAGMA user_version = 1;
PRAGMA application_id = 1196904258;
COMMIT;
)sql";
static_assert(kApplicationId == 1196904258);

// The columns every reader selects, in this order (read_row depends on it).
#define GW_OUTBOX_COLUMNS \
  "id, route, priority, topic, payload, qos, retain, props, stored_at, expires_at, size"

Result<bool> fetch_int(sqlite3* db, const char* sql, std::int64_t& value) {
  GW_TRY(stmt, Statement::prepare(db, sql));
  ResetGuard guard(stmt);
  GW_TRY(row, stmt.step());
  if (row) value = stmt.column_int64(0);
  return row;
}

Result<std::int64_t> query_int(sqlite3* db, const char* sql) {
  std::int64_t v = 0;
  GW_TRY_VOID(fetch_int(db, sql, v));
  return v;
}

bool valid(const OutboxOptions& o) {
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  return !o.path.empty() && o.commit_max_messages >= 1 && o.commit_max_messages <= 100'000 &&
         o.commit_window >= milliseconds(0) && o.commit_window <= seconds(10) &&
         o.max_age >= seconds(0) && o.disk_check_interval >= milliseconds(0) &&
         o.disk_check_interval <= seconds(60) && o.max_dead_letters >= 1 &&
         o.max_dead_letters <= 10'000'000 &&
         (o.overflow == OverflowPolicy::DropOldest || o.overflow == OverflowPolicy::DropNewest);
}

// Creates the schema in a new file, or checks (and one day migrates) an existing one.
Result<void> prepare_schema(sqlite3* db) {
  GW_TRY(version, query_int(db, "PRAGMA user_version"));
  GW_TRY(app_id, query_int(db, "PRAGMA application_id"));
  if (version == 0) {
    GW_TRY(objects, query_int(db, "SELECT count(*) FROM sqlite_schema"));
    // Someone else's database: refuse rather than add our tables to it.
    if (objects != 0 || (app_id != 0 && app_id != kApplicationId)) {
      return fail(OutboxErrc::NotAnOutbox);
    }
    auto created = exec_sql(db, kCreateSchema);
    if (!created) {
      (void)exec_sql(db, "ROLLBACK");  // fails harmlessly if SQLite already rolled back
      return created;
    }
    return {};
  }
  if (app_id != kApplicationId) return fail(OutboxErrc::NotAnOutbox);
  if (version > kSchemaVersion) return fail(OutboxErrc::SchemaTooNew);
  return {};
}

// Remaining Message Expiry in whole seconds, rounded up so that a message is never announced as
// expired while it is not; never more than the original interval (a wall clock that stepped back
// must not extend a message's life).
std::int64_t remaining_seconds(std::int64_t expires_at, std::int64_t stored_at, std::int64_t now) {
  const std::int64_t ms = std::min(expires_at - now, expires_at - stored_at);
  return ms <= 0 ? 0 : (ms + 999) / 1000;
}

// Rebuilds a row selected with GW_OUTBOX_COLUMNS. `lenient` (listing dead letters): a field that
// does not decode is left at its default instead of failing, so a corrupt row can be inspected.
Result<StoredMessage> read_row(const Statement& s, std::int64_t now, bool lenient) {
  StoredMessage m;
  m.id = static_cast<std::uint64_t>(s.column_int64(0));
  m.route = s.column_text(1);
  m.priority = static_cast<int>(s.column_int64(2));
  m.message.topic = s.column_text(3);
  m.message.payload = s.column_blob(4);
  const auto qos = s.column_int64(5);
  const auto retain = s.column_int64(6);
  bool ok = qos >= 0 && qos <= 2 && (retain == 0 || retain == 1);
  if (ok) {
    m.message.qos = static_cast<QoS>(qos);
    m.message.retain = retain == 1;
  }
  auto props = decode_props(s.column_blob(7));
  if (props) {
    m.message.props = std::move(*props);
  } else {
    ok = false;
  }
  m.stored_at = s.column_int64(8);
  if (!s.column_is_null(9)) {
    m.expires_at = s.column_int64(9);
    const auto left = remaining_seconds(*m.expires_at, m.stored_at, now);
    if (left <= std::numeric_limits<std::uint32_t>::max()) {
      m.message.props.message_expiry = static_cast<std::uint32_t>(left);
    } else {
      ok = false;
    }
  }
  m.size = static_cast<std::uint64_t>(s.column_int64(10));
  if (!ok && !lenient) return fail(OutboxErrc::CorruptRow);
  return m;
}

std::int64_t to_ms(std::chrono::seconds s) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(s).count();
}

}  // namespace

Result<std::unique_ptr<Outbox>> Outbox::open(OutboxOptions options, const core::Clock& clock,
                                             const FreeSpaceProbe& disk) {
  if (!valid(options)) return fail(OutboxErrc::InvalidOptions);

  sqlite3* raw = nullptr;
  // NOMUTEX: the connection belongs to one thread. EXRESCODE: errors carry the extended code
  // (SQLITE_IOERR_FSYNC rather than SQLITE_IOERR), which is what an operator needs.
  const int rc = sqlite3_open_v2(
      options.path.c_str(), &raw,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  DbPtr db(raw);  // even a failed open returns a handle that must be closed
  if (rc != SQLITE_OK) return fail(make_sqlite_error(rc));
  // Another process may hold a lock for a moment: wait for it rather than fail the start. Only
  // while opening: afterwards a statement never waits (the bridge thread must not stall).
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  // An existing file we may not write is opened read-only without complaint; refuse it now
  // rather than at the first append.
  if (sqlite3_db_readonly(db.get(), "main") == 1) return fail(make_sqlite_error(SQLITE_READONLY));

  {
    // The first statement that reads the file: a garbage file fails here with SQLITE_NOTADB.
    GW_TRY(mode, Statement::prepare(db.get(), "PRAGMA journal_mode=WAL"));
    ResetGuard guard(mode);
    GW_TRY(row, mode.step());
    if (!row || mode.column_text(0) != "wal") return fail(OutboxErrc::WalUnavailable);
  }
  GW_TRY_VOID(exec_sql(db.get(), options.synchronous_full ? "PRAGMA synchronous=FULL"
                                                          : "PRAGMA synchronous=NORMAL"));
  // After a burst the WAL file is truncated back to this size at checkpoints instead of keeping
  // its high-water mark on a small disk.
  GW_TRY_VOID(exec_sql(db.get(), "PRAGMA journal_size_limit=16777216"));
  GW_TRY_VOID(prepare_schema(db.get()));
  GW_TRY_VOID(exec_sql(db.get(), kCreateExchanges));

  auto outbox = std::make_unique<Outbox>(Key{}, std::move(options), clock, disk, std::move(db));
  GW_TRY_VOID(outbox->prepare_statements());
  GW_TRY_VOID(outbox->load_totals());
  GW_TRY_VOID(outbox->load_exchanges());
  sqlite3_busy_timeout(outbox->db_.get(), 0);
  return outbox;
}

Outbox::Outbox(Key, OutboxOptions options, const core::Clock& clock, const FreeSpaceProbe& disk,
               DbPtr db)
    : options_(std::move(options)), clock_(clock), disk_(disk), db_(std::move(db)) {
  const auto parent = std::filesystem::path(options_.path).parent_path();
  directory_ = parent.empty() ? std::string(".") : parent.string();
}

Outbox::~Outbox() {
  // Not flushed means not promised: roll back explicitly rather than leave it to close().
  if (in_txn_) (void)rollback_.run();
}

Result<void> Outbox::prepare_statements() {
  sqlite3* db = db_.get();
  const std::pair<Statement*, const char*> all[] = {
      {&begin_, "BEGIN IMMEDIATE"},
      {&commit_, "COMMIT"},
      {&rollback_, "ROLLBACK"},
      {&savepoint_, "SAVEPOINT outbox_move"},
      {&release_, "RELEASE outbox_move"},
      {&rollback_to_, "ROLLBACK TO outbox_move"},
      {&insert_,
       "INSERT INTO outbox (" GW_OUTBOX_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
       "?10, ?11)"},
      {&select_after_,
       "SELECT " GW_OUTBOX_COLUMNS
       " FROM outbox WHERE priority = ?1 AND id > ?2 AND (expires_at IS NULL OR expires_at > ?3)"
       " ORDER BY id LIMIT ?4"},
      {&select_one_, "SELECT " GW_OUTBOX_COLUMNS
                     " FROM outbox WHERE id = ?1 AND (expires_at IS NULL OR expires_at > ?2)"},
      // DELETE ... RETURNING makes all its changes in the first step (SQLite lang_returning
      // "Processing order"), so resetting after the first row is safe.
      {&delete_one_, "DELETE FROM outbox WHERE id = ?1 RETURNING size"},
      {&drop_lowest_,
       "DELETE FROM outbox WHERE id = (SELECT id FROM outbox ORDER BY priority, id LIMIT 1)"
       " RETURNING id, size"},
      {&purge_aged_,
       "DELETE FROM outbox WHERE id = (SELECT min(id) FROM outbox) AND stored_at <= ?1"
       " RETURNING id, size"},
      {&oldest_, "SELECT stored_at FROM outbox ORDER BY id LIMIT 1"},
      {&expire_, "DELETE FROM outbox WHERE expires_at <= ?1 RETURNING id, size"},
      {&dead_insert_,
       "INSERT INTO dead_letters (" GW_OUTBOX_COLUMNS ", reason, dead_at) SELECT " GW_OUTBOX_COLUMNS
       ", ?2, ?3 FROM outbox WHERE id = ?1"},
      {&dead_list_, "SELECT " GW_OUTBOX_COLUMNS
                    ", reason, dead_at FROM dead_letters ORDER BY dead_at, id LIMIT ?1"},
      {&dead_get_, "SELECT size, priority FROM dead_letters WHERE id = ?1"},
      {&dead_delete_, "DELETE FROM dead_letters WHERE id = ?1"},
      {&dead_trim_,
       "DELETE FROM dead_letters WHERE id = (SELECT id FROM dead_letters ORDER BY dead_at, id "
       "LIMIT 1)"},
      {&replay_insert_,
       "INSERT INTO outbox (" GW_OUTBOX_COLUMNS
       ") SELECT ?2, route, priority, topic, payload, qos, retain, props, ?3, expires_at, size"
       " FROM dead_letters WHERE id = ?1"},
      {&exchange_put_,
       "INSERT OR REPLACE INTO exchanges (packet_id, row_id, released, sent_order) VALUES (?1, ?2, 0,"
       " (SELECT coalesce(max(sent_order), 0) + 1 FROM exchanges))"},
      {&exchange_release_, "UPDATE exchanges SET released = 1, row_id = ?2 WHERE packet_id = ?1"},
      {&exchange_delete_, "DELETE FROM exchanges WHERE packet_id = ?1"},
      // Ids reserved ahead of rows never written (write-behind); AUTOINCREMENT keeps the
      // maximum of this and every id inserted.
      {&seq_update_, "UPDATE sqlite_sequence SET seq = ?1 WHERE name = 'outbox' AND seq < ?1"},
      {&seq_insert_,
       "INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox', ?1"
       " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'outbox')"},
  };
  for (const auto& [stmt, sql] : all) {
    GW_TRY(prepared, Statement::prepare(db, sql));
    *stmt = std::move(prepared);
  }
  return {};
}

Result<void> Outbox::load_exchanges() {
  GW_TRY(rows, Statement::prepare(db_.get(),
                                  "SELECT e.packet_id, e.row_id, e.released, o.priority FROM exchanges e"
                                  " LEFT JOIN outbox o ON o.id = e.row_id ORDER BY e.sent_order"));
  ResetGuard guard(rows);
  for (;;) {
    GW_TRY(row, rows.step());
    if (!row) break;
    const auto packet_id = rows.column_int64(0);
    if (packet_id < 1 || packet_id > 65535) continue;  // not ours to interpret
    SessionExchange e{.packet_id = static_cast<std::uint16_t>(packet_id),
                      .row = static_cast<std::uint64_t>(rows.column_int64(1)),
                      .released = rows.column_int64(2) != 0,
                      .row_exists = !rows.column_is_null(3)};
    // In flight until the session says what becomes of it: next() does not send it anew.
    if (e.row_exists) {
      inflight_.emplace(e.row, static_cast<int>(rows.column_int64(3)));
      held_.insert(e.row);
    }
    recovered_.push_back(e);
  }
  return {};
}

Result<void> Outbox::record_exchange(const SessionExchange& exchange) {
  GW_TRY_VOID(resync_if_stale());
  GW_TRY_VOID(begin_if_needed());
  // A new exchange goes last in send order; PUBREC keeps its place.
  Statement& st = exchange.released ? exchange_release_ : exchange_put_;
  ResetGuard guard(st);
  auto ok = [&]() -> Result<void> {
    GW_TRY_VOID(st.bind(1, static_cast<std::int64_t>(exchange.packet_id)));
    GW_TRY_VOID(st.bind(2, static_cast<std::int64_t>(exchange.row)));
    return st.run();
  }();
  if (!ok) return fail(failed(ok.error()));
  note_write();
  return {};
}

Result<void> Outbox::forget_exchange(std::uint16_t packet_id) {
  GW_TRY_VOID(resync_if_stale());
  GW_TRY_VOID(begin_if_needed());
  ResetGuard guard(exchange_delete_);
  auto ok = [&]() -> Result<void> {
    GW_TRY_VOID(exchange_delete_.bind(1, static_cast<std::int64_t>(packet_id)));
    return exchange_delete_.run();
  }();
  if (!ok) return fail(failed(ok.error()));
  note_write();
  return {};
}

Result<void> Outbox::forget_exchanges() {
  GW_TRY_VOID(resync_if_stale());
  GW_TRY_VOID(begin_if_needed());
  auto ok = exec_sql(db_.get(), "DELETE FROM exchanges");
  if (!ok) return fail(failed(ok.error()));
  note_write();
  return {};
}

Result<void> Outbox::load_totals() {
  sqlite3* db = db_.get();
  {
    GW_TRY(totals, Statement::prepare(db, "SELECT count(*), coalesce(sum(size), 0) FROM outbox"));
    ResetGuard guard(totals);
    GW_TRY(row, totals.step());
    if (!row) return fail(make_sqlite_error(SQLITE_CORRUPT));
    rows_ = static_cast<std::uint64_t>(totals.column_int64(0));
    bytes_ = static_cast<std::uint64_t>(totals.column_int64(1));
  }
  GW_TRY(dead, query_int(db, "SELECT count(*) FROM dead_letters"));
  dead_count_ = static_cast<std::uint64_t>(dead);
  // Ids continue after the highest ever handed out, whether that row still exists or not.
  std::int64_t seq = 0;
  GW_TRY_VOID(fetch_int(db, "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'", seq));
  std::int64_t max_dead = 0;
  GW_TRY_VOID(fetch_int(db, "SELECT coalesce(max(id), 0) FROM dead_letters", max_dead));
  next_id_ = std::max({next_id_, static_cast<std::uint64_t>(seq) + 1,
                       static_cast<std::uint64_t>(max_dead) + 1});
  persisted_seq_ = static_cast<std::uint64_t>(seq);
  durable_seq_ = persisted_seq_;
  {
    // One index seek per distinct priority, instead of SELECT DISTINCT's scan of every row.
    GW_TRY(prios, Statement::prepare(db, "SELECT min(priority) FROM outbox WHERE priority > ?1"));
    std::int64_t after = std::numeric_limits<std::int64_t>::min();
    for (;;) {
      ResetGuard guard(prios);
      GW_TRY_VOID(prios.bind(1, after));
      GW_TRY(row, prios.step());
      if (!row || prios.column_is_null(0)) break;
      after = prios.column_int64(0);
      cursors_.try_emplace(static_cast<int>(after));
    }
  }
  std::int64_t oldest = 0;
  GW_TRY(has_oldest, fetch_int(db, "SELECT stored_at FROM outbox ORDER BY id LIMIT 1", oldest));
  oldest_hint_.reset();
  if (has_oldest) oldest_hint_ = oldest;
  return {};
}

Result<void> Outbox::resync_if_stale() {
  if (!stale_) return {};
  GW_TRY_VOID(load_totals());
  stale_ = false;
  return {};
}

std::error_code Outbox::failed(std::error_code ec) {
  // SQLite may roll back the whole transaction on SQLITE_FULL, IOERR, NOMEM or BUSY: then
  // nothing since the last flush happened, and our totals and cursors describe a file that
  // does not exist.
  if (in_txn_ && sqlite3_get_autocommit(db_.get()) != 0) {
    in_txn_ = false;
    batch_open_ = false;
    deferred_.clear();  // as if they had been inserted in the transaction that is gone
    deferred_bytes_ = 0;
    counters_.lost_uncommitted += pending_appends_;
    pending_writes_ = 0;
    pending_appends_ = 0;
    stale_ = true;
    ++rollbacks_;
    // Acks in the lost transaction are undone: their rows exist again, below the cursors, and
    // come again. What is in flight stays so: its acknowledgement is still to come.
    std::vector<std::uint64_t> keep;
    keep.reserve(inflight_.size());
    for (const auto& [id, priority] : inflight_) keep.push_back(id);
    release_inflight(keep);
  }
  return ec;
}

void Outbox::begin_batch() {
  if (batch_open_) return;
  batch_open_ = true;
  pending_writes_ = 0;
  pending_appends_ = 0;
  txn_started_ = clock_.steady();
}

Result<void> Outbox::begin_if_needed() {
  if (in_txn_) return {};
  auto begun = begin_.run();
  if (!begun) return begun;
  in_txn_ = true;
  begin_batch();
  return {};
}

void Outbox::note_write() {
  if (batch_open_) ++pending_writes_;
}

bool Outbox::commit_due() const {
  if (!batch_open_) return false;
  return pending_writes_ >= options_.commit_max_messages ||
         clock_.steady() - txn_started_ >= options_.commit_window;
}

Result<void> Outbox::flush() {
  if (!batch_open_) return {};
  GW_TRY_VOID(write_deferred());
  GW_TRY_VOID(reserve_ids());
  if (in_txn_) {
    auto committed = commit_.run();
    if (!committed) return fail(failed(committed.error()));
  }
  in_txn_ = false;
  batch_open_ = false;
  pending_writes_ = 0;
  pending_appends_ = 0;
  durable_seq_ = persisted_seq_;
  return {};
}

void Outbox::make_id_durable(std::uint64_t id) {
  // reserve_ids() writes id + kIdReserve at the next flush(): a block of ids ahead, so that one
  // commit covers the next kIdReserve rows.
  durable_wanted_ = std::max(durable_wanted_, id);
  begin_batch();
}

Result<void> Outbox::write_deferred() {
  if (deferred_.empty()) return {};
  GW_TRY_VOID(begin_if_needed());
  while (!deferred_.empty()) {
    GW_TRY_VOID(insert_row(deferred_.begin()->second));
    persisted_seq_ = std::max(persisted_seq_, deferred_.begin()->first);
    erase_deferred(deferred_.begin());
  }
  return {};
}

std::map<std::uint64_t, Outbox::Deferred>::iterator Outbox::erase_deferred(
    std::map<std::uint64_t, Deferred>::iterator it) {
  deferred_bytes_ -= it->second.row.size;
  return deferred_.erase(it);
}

std::map<std::uint64_t, Outbox::Deferred>::iterator Outbox::give_up_deferred(
    std::map<std::uint64_t, Deferred>::iterator it) {
  max_unwritten_ = std::max(max_unwritten_, it->first);
  forget(it->first, it->second.row.size);
  // Not lost if the open transaction rolls back: it was never going to be written.
  if (pending_appends_ > 0) --pending_appends_;
  return erase_deferred(it);
}

Result<void> Outbox::reserve_ids() {
  std::uint64_t want = max_unwritten_ > persisted_seq_ ? max_unwritten_ + kIdReserve : 0;
  if (durable_wanted_ > 0) want = std::max(want, durable_wanted_ + kIdReserve);
  durable_wanted_ = 0;
  if (want <= persisted_seq_) return {};
  GW_TRY_VOID(begin_if_needed());
  const auto seq = static_cast<std::int64_t>(want);
  for (Statement* stmt : {&seq_update_, &seq_insert_}) {
    ResetGuard guard(*stmt);
    auto bound = stmt->bind(1, seq);
    if (!bound) return fail(failed(bound.error()));
    auto done = stmt->step();
    if (!done) return fail(failed(done.error()));
  }
  persisted_seq_ = static_cast<std::uint64_t>(seq);
  return {};
}

Result<void> Outbox::insert_row(const Deferred& d) {
  const StoredMessage& r = d.row;
  ResetGuard guard(insert_);
  const auto bound = [&]() -> Result<void> {
    GW_TRY_VOID(insert_.bind(1, static_cast<std::int64_t>(r.id)));
    GW_TRY_VOID(insert_.bind_text(2, r.route));
    GW_TRY_VOID(insert_.bind(3, r.priority));
    GW_TRY_VOID(insert_.bind_text(4, r.message.topic));
    GW_TRY_VOID(insert_.bind_blob(5, r.message.payload));
    GW_TRY_VOID(insert_.bind(6, static_cast<std::int64_t>(r.message.qos)));
    GW_TRY_VOID(insert_.bind(7, r.message.retain ? 1 : 0));
    GW_TRY_VOID(d.props.empty() ? insert_.bind_null(8) : insert_.bind_blob(8, d.props));
    GW_TRY_VOID(insert_.bind(9, r.stored_at));
    GW_TRY_VOID(r.expires_at ? insert_.bind(10, *r.expires_at) : insert_.bind_null(10));
    return insert_.bind(11, static_cast<std::int64_t>(r.size));
  }();
  if (!bound) return fail(failed(bound.error()));
  auto done = insert_.step();
  if (!done) return fail(failed(done.error()));
  return {};
}

StoredMessage Outbox::sendable(const Deferred& d, std::int64_t now) const {
  StoredMessage m = d.row;
  if (m.expires_at) {
    m.message.props.message_expiry =
        static_cast<std::uint32_t>(remaining_seconds(*m.expires_at, m.stored_at, now));
  }
  return m;
}

void Outbox::forget(std::uint64_t id, std::uint64_t size) {
  --rows_;
  bytes_ -= size;
  inflight_.erase(id);
  if (!held_.empty()) held_.erase(id);
  if (rows_ == 0) oldest_hint_.reset();
  note_write();
}

Result<std::uint64_t> Outbox::append(std::string_view route, int priority, const Message& message) {
  GW_TRY_VOID(resync_if_stale());
  props_buf_.clear();
  encode_props(message.props, props_buf_);
  const std::uint64_t size =
      route.size() + message.topic.size() + message.payload.size() + props_buf_.size();
  if (options_.max_bytes != 0 && size > options_.max_bytes) {
    ++counters_.drops[DropReason::OverflowBytes];
    return fail(OutboxErrc::MessageTooLarge);
  }
  begin_batch();
  GW_TRY_VOID(make_room(size));
  // Bounded memory: a burst (or an outage, when nothing is acknowledged) goes to SQLite in
  // batches, in the open transaction, as before write-behind. Done before this row is taken, so
  // that a failure refuses this row and holds no more than the bound.
  if (deferred_.size() >= std::min<std::size_t>(options_.commit_max_messages, kMaxDeferred) ||
      deferred_bytes_ + size > kMaxDeferredBytes) {
    GW_TRY_VOID(write_deferred());
  }

  const auto now = clock_.wall_ms();
  const auto id = next_id_;
  Deferred d;
  d.row.id = id;
  d.row.route = route;
  d.row.priority = priority;
  d.row.message = message;
  d.row.stored_at = now;
  if (message.props.message_expiry) d.row.expires_at = now + std::int64_t{*message.props.message_expiry} * 1000;
  d.row.size = size;
  d.props = props_buf_;
  deferred_.emplace(id, std::move(d));
  deferred_bytes_ += size;
  ++next_id_;
  ++rows_;
  bytes_ += size;
  appended_since_check_ += size;
  if (!oldest_hint_) oldest_hint_ = now;
  cursors_.try_emplace(priority);
  ++pending_appends_;
  note_write();
  ++counters_.appended;
  return id;
}

Result<void> Outbox::make_room(std::uint64_t size) {
  if (options_.max_age.count() > 0 && oldest_hint_ &&
      clock_.wall_ms() - *oldest_hint_ >= to_ms(options_.max_age)) {
    GW_TRY_VOID(begin_if_needed());
    GW_TRY_VOID(purge_aged(clock_.wall_ms()));
  }
  const bool drop_newest = options_.overflow == OverflowPolicy::DropNewest;

  if (options_.min_free_disk != 0) {
    GW_TRY(free, free_disk());
    if (free && *free < options_.min_free_disk) {
      if (drop_newest || rows_ == 0) {
        ++counters_.drops[DropReason::DiskFull];
        return fail(OutboxErrc::DiskFull);
      }
      // The dropped row's pages are reused by the new one, so the file does not grow.
      GW_TRY(freed, drop_lowest());
      if (freed) {
        ++counters_.drops[DropReason::DiskFull];
        appended_since_check_ -= std::min(appended_since_check_, *freed);
      }
    }
  }

  if (options_.max_rows != 0) {
    while (rows_ + 1 > options_.max_rows) {
      if (drop_newest) {
        ++counters_.drops[DropReason::OverflowRows];
        return fail(OutboxErrc::Full);
      }
      GW_TRY(freed, drop_lowest());
      if (!freed) break;  // totals said full, the table is empty: nothing left to give up
      ++counters_.drops[DropReason::OverflowRows];
    }
  }
  if (options_.max_bytes != 0) {
    while (bytes_ + size > options_.max_bytes) {
      if (drop_newest) {
        ++counters_.drops[DropReason::OverflowBytes];
        return fail(OutboxErrc::Full);
      }
      GW_TRY(freed, drop_lowest());
      if (!freed) break;
      ++counters_.drops[DropReason::OverflowBytes];
    }
  }
  return {};
}

Result<std::optional<std::uint64_t>> Outbox::drop_lowest() {
  // The lowest priority may be a deferred row: all of them in the table first (rare: full).
  GW_TRY_VOID(write_deferred());
  GW_TRY_VOID(begin_if_needed());
  ResetGuard guard(drop_lowest_);
  auto row = drop_lowest_.step();
  if (!row) return fail(failed(row.error()));
  if (!*row) return std::optional<std::uint64_t>{};
  const auto id = static_cast<std::uint64_t>(drop_lowest_.column_int64(0));
  const auto size = static_cast<std::uint64_t>(drop_lowest_.column_int64(1));
  forget(id, size);
  return std::optional<std::uint64_t>{size};
}

Result<void> Outbox::purge_aged(std::int64_t now) {
  const auto cutoff = now - to_ms(options_.max_age);
  for (;;) {
    ResetGuard guard(purge_aged_);
    auto bound = purge_aged_.bind(1, cutoff);
    if (!bound) return fail(failed(bound.error()));
    auto row = purge_aged_.step();
    if (!row) return fail(failed(row.error()));
    if (!*row) break;
    forget(static_cast<std::uint64_t>(purge_aged_.column_int64(0)),
           static_cast<std::uint64_t>(purge_aged_.column_int64(1)));
    ++counters_.drops[DropReason::MaxAge];
  }
  ResetGuard guard(oldest_);
  auto row = oldest_.step();
  if (!row) return fail(failed(row.error()));
  oldest_hint_.reset();
  if (*row) {
    oldest_hint_ = oldest_.column_int64(0);
    return {};
  }
  // The table is empty: the deferred rows are the oldest, in append order.
  while (!deferred_.empty() && deferred_.begin()->second.row.stored_at <= cutoff) {
    give_up_deferred(deferred_.begin());
    ++counters_.drops[DropReason::MaxAge];
  }
  if (!deferred_.empty()) oldest_hint_ = deferred_.begin()->second.row.stored_at;
  return {};
}

Result<std::optional<std::uint64_t>> Outbox::free_disk() {
  const auto now = clock_.steady();
  if (!disk_free_ || now - disk_checked_at_ >= options_.disk_check_interval) {
    disk_checked_at_ = now;
    appended_since_check_ = 0;
    auto available = disk_.available(directory_);
    if (!available) {
      // Not knowing is no reason to refuse data: count it and skip this check.
      ++counters_.disk_probe_errors;
      disk_free_.reset();
      return std::optional<std::uint64_t>{};
    }
    disk_free_ = *available;
  }
  return std::optional<std::uint64_t>{*disk_free_ - std::min(*disk_free_, appended_since_check_)};
}

Result<std::vector<StoredMessage>> Outbox::next(std::size_t max) {
  std::vector<StoredMessage> out;
  if (max == 0) return out;
  GW_TRY_VOID(resync_if_stale());
  const auto now = clock_.wall_ms();
  std::vector<std::uint64_t> corrupt;

  Result<void> status;
  for (auto& [priority, cursor] : cursors_) {
    if (out.size() >= max) break;
    while (status && !cursor.redo.empty() && out.size() < max) {
      auto found = fetch_one(*cursor.redo.begin(), priority, now, out, corrupt);
      if (!found) {
        status = Failure{found.error()};
      } else {
        cursor.redo.erase(cursor.redo.begin());
      }
    }
    if (!status) break;
    status = fetch_after(priority, cursor, max, now, out, corrupt);
    if (!status) break;
  }
  // A corrupt row would otherwise sit below the cursor for ever: set it aside with a reason.
  if (status && !corrupt.empty()) {
    status = begin_if_needed();
    for (const auto id : corrupt) {
      if (!status) break;
      status = move_to_dead_letters(id, "corrupt row: cannot be decoded");
    }
  }
  if (!status) {
    // The caller gets nothing, so nothing may stay in flight. (If the failure released
    // everything, the cursors are back at 0 and the rows come again without help.)
    for (const auto& m : out) {
      inflight_.erase(m.id);
      held_.erase(m.id);  // a rollback (failed()) holds what is in flight, these too
      auto& cursor = cursors_[m.priority];
      if (m.id <= cursor.after) cursor.redo.insert(m.id);
    }
    return Failure{status.error()};
  }
  return out;
}

Result<void> Outbox::fetch_after(int priority, Cursor& cursor, std::size_t max, std::int64_t now,
                                 std::vector<StoredMessage>& out,
                                 std::vector<std::uint64_t>& corrupt) {
  while (out.size() < max) {
    const auto limit = max - out.size();
    ResetGuard guard(select_after_);
    auto bound = [&]() -> Result<void> {
      GW_TRY_VOID(select_after_.bind(1, priority));
      GW_TRY_VOID(select_after_.bind(2, static_cast<std::int64_t>(cursor.after)));
      GW_TRY_VOID(select_after_.bind(3, now));
      return select_after_.bind(4, static_cast<std::int64_t>(
                                       std::min<std::size_t>(limit, std::numeric_limits<int>::max())));
    }();
    if (!bound) return fail(failed(bound.error()));
    std::size_t seen = 0;
    for (;;) {
      auto row = select_after_.step();
      if (!row) return fail(failed(row.error()));
      if (!*row) break;
      ++seen;
      const auto id = static_cast<std::uint64_t>(select_after_.column_int64(0));
      cursor.after = id;
      if (!held_.empty() && held_.contains(id)) continue;  // resumed by the session, not sent anew
      auto stored = read_row(select_after_, now, false);
      if (!stored) {
        corrupt.push_back(id);
        continue;
      }
      inflight_.emplace(id, priority);
      out.push_back(std::move(*stored));
    }
    if (seen < limit) break;
  }
  // Then the deferred rows, which come after every row of the table.
  for (auto it = deferred_.upper_bound(cursor.after); it != deferred_.end() && out.size() < max; ++it) {
    const StoredMessage& r = it->second.row;
    if (r.priority != priority || (r.expires_at && *r.expires_at <= now)) continue;
    cursor.after = it->first;
    if (!held_.empty() && held_.contains(it->first)) continue;
    inflight_.emplace(it->first, priority);
    out.push_back(sendable(it->second, now));
  }
  return {};
}

Result<bool> Outbox::fetch_one(std::uint64_t id, int priority, std::int64_t now,
                               std::vector<StoredMessage>& out,
                               std::vector<std::uint64_t>& corrupt) {
  bool bad = false;
  GW_TRY(found, lookup(id, now, bad));
  if (bad) {
    corrupt.push_back(id);
    return true;
  }
  if (!found) return false;  // acked, dropped or expired meanwhile
  inflight_.emplace(id, priority);
  out.push_back(std::move(*found));
  return true;
}

Result<std::optional<StoredMessage>> Outbox::lookup(std::uint64_t id, std::int64_t now, bool& corrupt) {
  if (const auto it = deferred_.find(id); it != deferred_.end()) {
    const StoredMessage& r = it->second.row;
    if (r.expires_at && *r.expires_at <= now) return std::optional<StoredMessage>{};  // expire() drops it
    return std::optional<StoredMessage>{sendable(it->second, now)};
  }
  ResetGuard guard(select_one_);
  auto bound = select_one_.bind(1, static_cast<std::int64_t>(id));
  if (bound) bound = select_one_.bind(2, now);
  if (!bound) return fail(failed(bound.error()));
  auto row = select_one_.step();
  if (!row) return fail(failed(row.error()));
  if (!*row) return std::optional<StoredMessage>{};
  auto stored = read_row(select_one_, now, false);
  if (!stored) {
    corrupt = true;
    return std::optional<StoredMessage>{};
  }
  return std::optional<StoredMessage>{std::move(*stored)};
}

Result<std::optional<StoredMessage>> Outbox::read(std::uint64_t id, bool& corrupt) {
  GW_TRY_VOID(resync_if_stale());
  return lookup(id, clock_.wall_ms(), corrupt);
}

Result<void> Outbox::ack(std::uint64_t id) {
  GW_TRY_VOID(resync_if_stale());
  if (const auto it = deferred_.find(id); it != deferred_.end()) {
    // Acknowledged before its group commit: the row is never written.
    give_up_deferred(it);
    ++counters_.acked;
    return {};
  }
  GW_TRY_VOID(begin_if_needed());
  ResetGuard guard(delete_one_);
  auto bound = delete_one_.bind(1, static_cast<std::int64_t>(id));
  if (!bound) return fail(failed(bound.error()));
  auto row = delete_one_.step();
  if (!row) return fail(failed(row.error()));
  if (!*row) {
    inflight_.erase(id);
    held_.erase(id);
    return fail(OutboxErrc::NotFound);
  }
  forget(id, static_cast<std::uint64_t>(delete_one_.column_int64(0)));
  ++counters_.acked;
  return {};
}

Result<void> Outbox::nack(std::uint64_t id) {
  const auto it = inflight_.find(id);
  if (it == inflight_.end()) return fail(OutboxErrc::NotFound);
  // A held row above the cursor (release_inflight reset it) comes with the scan anyway.
  auto& cursor = cursors_[it->second];
  if (id <= cursor.after) cursor.redo.insert(id);
  inflight_.erase(it);
  held_.erase(id);
  return {};
}

void Outbox::release_inflight(const std::vector<std::uint64_t>& keep) {
  for (auto& [priority, cursor] : cursors_) {
    cursor.after = 0;
    cursor.redo.clear();
  }
  std::unordered_map<std::uint64_t, int> kept;
  std::unordered_set<std::uint64_t> held;
  for (const auto id : keep) {
    if (const auto it = inflight_.find(id); it != inflight_.end()) {
      kept.emplace(*it);
      held.insert(id);
    }
  }
  inflight_ = std::move(kept);
  held_ = std::move(held);
}

Result<std::size_t> Outbox::expire() {
  GW_TRY_VOID(resync_if_stale());
  // No begin_if_needed(): with no group transaction open, a DELETE that finds nothing writes
  // nothing, and one that does commits on its own.
  const auto now = clock_.wall_ms();
  std::size_t removed = 0;
  for (auto it = deferred_.begin(); it != deferred_.end();) {
    const StoredMessage& r = it->second.row;
    if (!r.expires_at || *r.expires_at > now) {
      ++it;
      continue;
    }
    it = give_up_deferred(it);
    ++counters_.drops[DropReason::Expired];
    ++removed;
  }
  {
    ResetGuard guard(expire_);
    auto bound = expire_.bind(1, now);
    if (!bound) return fail(failed(bound.error()));
    for (;;) {
      auto row = expire_.step();
      if (!row) return fail(failed(row.error()));
      if (!*row) break;
      forget(static_cast<std::uint64_t>(expire_.column_int64(0)),
             static_cast<std::uint64_t>(expire_.column_int64(1)));
      ++counters_.drops[DropReason::Expired];
      ++removed;
    }
  }
  if (options_.max_age.count() > 0) {
    const auto before = counters_.drops[DropReason::MaxAge];
    GW_TRY_VOID(purge_aged(now));
    removed += counters_.drops[DropReason::MaxAge] - before;
  }
  return removed;
}

Result<void> Outbox::dead_letter(std::uint64_t id, std::string_view reason) {
  GW_TRY_VOID(resync_if_stale());
  GW_TRY_VOID(write_deferred());  // the move copies the row from the table
  GW_TRY_VOID(begin_if_needed());
  return move_to_dead_letters(id, reason);
}

Result<void> Outbox::move_to_dead_letters(std::uint64_t id, std::string_view reason) {
  auto saved = savepoint_.run();
  if (!saved) return fail(failed(saved.error()));
  // Both statements or neither: the savepoint undoes a half move inside the group transaction.
  const auto moved = [&]() -> Result<std::uint64_t> {
    {
      ResetGuard guard(dead_insert_);
      GW_TRY_VOID(dead_insert_.bind(1, static_cast<std::int64_t>(id)));
      GW_TRY_VOID(dead_insert_.bind_text(2, reason));
      GW_TRY_VOID(dead_insert_.bind(3, clock_.wall_ms()));
      GW_TRY_VOID(dead_insert_.step());
    }
    if (sqlite3_changes(db_.get()) == 0) return fail(OutboxErrc::NotFound);
    ResetGuard guard(delete_one_);
    GW_TRY_VOID(delete_one_.bind(1, static_cast<std::int64_t>(id)));
    GW_TRY(row, delete_one_.step());
    if (!row) return fail(make_sqlite_error(SQLITE_CORRUPT));  // the row was just copied
    return static_cast<std::uint64_t>(delete_one_.column_int64(0));
  }();
  if (!moved) {
    (void)rollback_to_.run();
    (void)release_.run();
    if (moved.error() == OutboxErrc::NotFound) inflight_.erase(id);
    return fail(failed(moved.error()));
  }
  auto released = release_.run();
  if (!released) return fail(failed(released.error()));
  forget(id, *moved);
  ++dead_count_;
  ++counters_.dead_lettered;
  return trim_dead_letters();
}

Result<void> Outbox::trim_dead_letters() {
  while (dead_count_ > options_.max_dead_letters) {
    auto done = dead_trim_.run();
    if (!done) return fail(failed(done.error()));
    if (sqlite3_changes(db_.get()) == 0) break;
    --dead_count_;
    ++counters_.dead_letters_dropped;
    note_write();
  }
  return {};
}

Result<std::vector<DeadLetter>> Outbox::dead_letters(std::size_t limit) {
  GW_TRY_VOID(resync_if_stale());
  std::vector<DeadLetter> out;
  const auto now = clock_.wall_ms();
  ResetGuard guard(dead_list_);
  auto bound = dead_list_.bind(
      1, static_cast<std::int64_t>(std::min<std::size_t>(limit, std::numeric_limits<int>::max())));
  if (!bound) return fail(failed(bound.error()));
  for (;;) {
    auto row = dead_list_.step();
    if (!row) return fail(failed(row.error()));
    if (!*row) break;
    auto stored = read_row(dead_list_, now, true);
    DeadLetter d;
    d.stored = std::move(*stored);
    d.reason = dead_list_.column_text(11);
    d.dead_at = dead_list_.column_int64(12);
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::uint64_t> Outbox::replay_dead_letter(std::uint64_t id) {
  GW_TRY_VOID(resync_if_stale());
  std::uint64_t size = 0;
  int priority = 0;
  {
    ResetGuard guard(dead_get_);
    auto bound = dead_get_.bind(1, static_cast<std::int64_t>(id));
    if (!bound) return fail(failed(bound.error()));
    auto row = dead_get_.step();
    if (!row) return fail(failed(row.error()));
    if (!*row) return fail(OutboxErrc::NotFound);
    size = static_cast<std::uint64_t>(dead_get_.column_int64(0));
    priority = static_cast<int>(dead_get_.column_int64(1));
  }
  // The new id must stay above every deferred one: those go to the table first.
  GW_TRY_VOID(write_deferred());
  GW_TRY_VOID(begin_if_needed());
  GW_TRY_VOID(make_room(size));

  const auto new_id = next_id_;
  const auto now = clock_.wall_ms();
  auto saved = savepoint_.run();
  if (!saved) return fail(failed(saved.error()));
  const auto moved = [&]() -> Result<void> {
    {
      ResetGuard guard(replay_insert_);
      GW_TRY_VOID(replay_insert_.bind(1, static_cast<std::int64_t>(id)));
      GW_TRY_VOID(replay_insert_.bind(2, static_cast<std::int64_t>(new_id)));
      GW_TRY_VOID(replay_insert_.bind(3, now));
      GW_TRY_VOID(replay_insert_.step());
    }
    ResetGuard guard(dead_delete_);
    GW_TRY_VOID(dead_delete_.bind(1, static_cast<std::int64_t>(id)));
    GW_TRY_VOID(dead_delete_.step());
    return {};
  }();
  if (!moved) {
    (void)rollback_to_.run();
    (void)release_.run();
    return fail(failed(moved.error()));
  }
  auto released = release_.run();
  if (!released) return fail(failed(released.error()));

  ++next_id_;
  ++rows_;
  bytes_ += size;
  if (!oldest_hint_) oldest_hint_ = now;
  cursors_.try_emplace(priority);
  --dead_count_;
  ++counters_.replayed;
  note_write();
  return new_id;
}

Result<OutboxStats> Outbox::stats() {
  GW_TRY_VOID(resync_if_stale());
  OutboxStats s = counters_;
  s.rows = rows_;
  s.bytes = bytes_;
  s.dead_letters = dead_count_;
  s.inflight = inflight_.size();
  s.pending_writes = batch_open_ ? pending_writes_ : 0;
  s.deferred_rows = deferred_.size();
  s.deferred_bytes = deferred_bytes_;
  ResetGuard guard(oldest_);
  auto row = oldest_.step();
  if (!row) return fail(failed(row.error()));
  if (*row) {
    s.oldest_stored_at = oldest_.column_int64(0);
  } else if (!deferred_.empty()) {
    s.oldest_stored_at = deferred_.begin()->second.row.stored_at;
  }
  return s;
}

}  // namespace gw::bridge
