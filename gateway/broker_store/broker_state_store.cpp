#include "gateway/broker_store/broker_state_store.hpp"

#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <unordered_map>

#include "core/log.hpp"
#include "gateway/bridge/outbox_errc.hpp"  // decode_props reports OutboxErrc::CorruptRow
#include "gateway/bridge/props_codec.hpp"
#include "gateway/bridge/sqlite_errc.hpp"

namespace gw::gateway {

using bridge::DbPtr;
using bridge::ResetGuard;
using bridge::Statement;
using broker::persistence::DeliveryState;
using broker::persistence::JournalBatch;
using broker::persistence::PersistedMessage;
using broker::persistence::PersistedRetained;
using broker::persistence::PersistedSession;
using broker::persistence::PersistedState;
using broker::persistence::PersistedSubscription;

namespace {

// Why a file is not usable as broker state (it is then moved aside, see open()).
// SchemaTooNew is not one of them: that file is left alone and open() fails.
enum class Unusable { CorruptRow = 1, ForeignFile, SchemaTooNew };

class UnusableCategory final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "broker-store"; }
  [[nodiscard]] std::string message(int c) const override {
    switch (static_cast<Unusable>(c)) {
      case Unusable::CorruptRow: return "a stored row cannot be decoded";
      case Unusable::ForeignFile: return "a SQLite database of another program";
      case Unusable::SchemaTooNew: return "written by a newer version of edge-gateway";
    }
    return "unknown";
  }
};

std::error_code make_error(Unusable e) {
  static const UnusableCategory category;
  return {static_cast<int>(e), category};
}

// "GWBS": tells a broker state file from an outbox or anyone else's database.
constexpr std::int64_t kApplicationId = 0x47574253;

// Schema history (PRAGMA user_version):
//   1: sessions, subscriptions, messages, retained.
// Message Expiry is kept in its own column (the props blob of bridge/props_codec.hpp leaves it
// out); times are Unix milliseconds.
constexpr const char* kCreateSchema = R"sql(
BEGIN;
CREATE TABLE sessions (
  client_id TEXT PRIMARY KEY,
  user TEXT,
  version INTEGER NOT NULL,
  expiry_interval INTEGER NOT NULL,
  connect_expiry_zero INTEGER NOT NULL,
  connected INTEGER NOT NULL,
  expires_at INTEGER,
  will BLOB,
  will_at INTEGER,
  last_packet_id INTEGER NOT NULL,
  next_seq INTEGER NOT NULL,
  awaiting_pubrel BLOB
);
CREATE TABLE subscriptions (
  client_id TEXT NOT NULL,
  filter TEXT NOT NULL,
  qos INTEGER NOT NULL,
  no_local INTEGER NOT NULL,
  retain_as_published INTEGER NOT NULL,
  retain_handling INTEGER NOT NULL,
  subscription_id INTEGER,
  PRIMARY KEY (client_id, filter)
);
CREATE TABLE messages (
  key INTEGER PRIMARY KEY,
  client_id TEXT NOT NULL,
  topic TEXT NOT NULL,
  payload BLOB NOT NULL,
  message_qos INTEGER NOT NULL,
  message_retain INTEGER NOT NULL,
  props BLOB,
  message_expiry INTEGER,
  qos INTEGER NOT NULL,
  retain INTEGER NOT NULL,
  subscription_ids BLOB,
  since INTEGER NOT NULL,
  state INTEGER NOT NULL,
  packet_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  was_sent INTEGER NOT NULL
);
CREATE INDEX messages_client ON messages(client_id);
CREATE TABLE retained (
  topic TEXT PRIMARY KEY,
  payload BLOB NOT NULL,
  qos INTEGER NOT NULL,
  props BLOB,
  message_expiry INTEGER,
  stored_at INTEGER NOT NULL
);
PRAGMA user_version = 1;
PRAGMA application_id = 1196900947;
COMMIT;
)sql";
static_assert(kApplicationId == 1196900947);

// --- blobs: big-endian, length-prefixed ---
void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xFF));
  }
}
void put_bytes(std::string& out, std::string_view b) {
  put_u32(out, static_cast<std::uint32_t>(b.size()));
  out.append(b);
}

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool u8(std::uint8_t& v) {
    if (b_.empty()) return false;
    v = static_cast<std::uint8_t>(b_[0]);
    b_.remove_prefix(1);
    return true;
  }
  bool u16(std::uint16_t& v) {
    std::uint8_t hi = 0;
    std::uint8_t lo = 0;
    if (!u8(hi) || !u8(lo)) return false;
    v = static_cast<std::uint16_t>((hi << 8) | lo);
    return true;
  }
  bool u32(std::uint32_t& v) {
    v = 0;
    for (int i = 0; i < 4; ++i) {
      std::uint8_t x = 0;
      if (!u8(x)) return false;
      v = (v << 8) | x;
    }
    return true;
  }
  bool bytes(std::string& out) {
    std::uint32_t n = 0;
    if (!u32(n) || n > b_.size()) return false;
    out.assign(b_.substr(0, n));
    b_.remove_prefix(n);
    return true;
  }
  [[nodiscard]] bool done() const { return b_.empty(); }

 private:
  std::string_view b_;
};

// Will blob, version 1: u8 1, topic, payload, u8 qos, u8 retain, u8 has delay [u32 delay],
// u8 has expiry [u32 expiry], props (bridge props blob, length-prefixed).
std::string encode_will(const broker::protocol::Will& w) {
  std::string out(1, '\x01');
  put_bytes(out, w.topic.str());
  put_bytes(out, w.payload);
  out.push_back(static_cast<char>(w.qos));
  out.push_back(w.retain ? '\x01' : '\x00');
  out.push_back(w.delay_interval ? '\x01' : '\x00');
  if (w.delay_interval) put_u32(out, *w.delay_interval);
  out.push_back(w.props.message_expiry ? '\x01' : '\x00');
  if (w.props.message_expiry) put_u32(out, *w.props.message_expiry);
  std::string props;
  bridge::encode_props(w.props, props);
  put_bytes(out, props);
  return out;
}

Result<broker::protocol::Will> decode_will(std::string_view blob) {
  Reader r(blob);
  broker::protocol::Will w;
  std::uint8_t version = 0;
  std::string topic;
  std::uint8_t qos = 0;
  std::uint8_t retain = 0;
  std::uint8_t flag = 0;
  std::string props;
  if (!r.u8(version) || version != 1 || !r.bytes(topic) || !r.bytes(w.payload) || !r.u8(qos) ||
      qos > 2 || !r.u8(retain) || retain > 1 || !r.u8(flag)) {
    return Failure{make_error(Unusable::CorruptRow)};
  }
  if (flag != 0) {
    std::uint32_t d = 0;
    if (!r.u32(d)) return Failure{make_error(Unusable::CorruptRow)};
    w.delay_interval = d;
  }
  std::optional<std::uint32_t> expiry;
  if (!r.u8(flag)) return Failure{make_error(Unusable::CorruptRow)};
  if (flag != 0) {
    std::uint32_t e = 0;
    if (!r.u32(e)) return Failure{make_error(Unusable::CorruptRow)};
    expiry = e;
  }
  if (!r.bytes(props) || !r.done()) return Failure{make_error(Unusable::CorruptRow)};
  GW_TRY(decoded, bridge::decode_props(props));
  auto name = broker::protocol::TopicName::make(std::move(topic));
  if (!name) return Failure{make_error(Unusable::CorruptRow)};
  w.topic = std::move(*name);
  w.qos = static_cast<QoS>(qos);
  w.retain = retain == 1;
  w.props = std::move(decoded);
  w.props.message_expiry = expiry;
  return w;
}

Result<std::int64_t> query_int(sqlite3* db, const char* sql) {
  GW_TRY(stmt, Statement::prepare(db, sql));
  ResetGuard guard(stmt);
  GW_TRY(row, stmt.step());
  return row ? stmt.column_int64(0) : 0;
}

Result<void> prepare_schema(sqlite3* db) {
  GW_TRY(version, query_int(db, "PRAGMA user_version"));
  GW_TRY(app_id, query_int(db, "PRAGMA application_id"));
  if (version == 0) {
    GW_TRY(objects, query_int(db, "SELECT count(*) FROM sqlite_schema"));
    if (objects != 0 || (app_id != 0 && app_id != kApplicationId)) {
      return Failure{make_error(Unusable::ForeignFile)};  // someone else's database
    }
    auto created = bridge::exec_sql(db, kCreateSchema);
    if (!created) (void)bridge::exec_sql(db, "ROLLBACK");
    return created;
  }
  if (app_id != kApplicationId) return Failure{make_error(Unusable::ForeignFile)};
  if (version > BrokerStateStore::kSchemaVersion) {
    return Failure{make_error(Unusable::SchemaTooNew)};
  }
  return {};
}

// A message's own fields from columns topic, payload, qos, retain, props, message_expiry.
Result<std::shared_ptr<const Message>> read_message(const Statement& s, int col) {
  auto m = std::make_shared<Message>();
  m->topic = s.column_text(col);
  if (!broker::protocol::TopicName::make(m->topic)) return Failure{make_error(Unusable::CorruptRow)};
  m->payload = s.column_blob(col + 1);
  const auto qos = s.column_int64(col + 2);
  const auto retain = s.column_int64(col + 3);
  if (qos < 0 || qos > 2 || retain < 0 || retain > 1) {
    return Failure{make_error(Unusable::CorruptRow)};
  }
  m->qos = static_cast<QoS>(qos);
  m->retain = retain == 1;
  GW_TRY(props, bridge::decode_props(s.column_blob(col + 4)));
  m->props = std::move(props);
  if (!s.column_is_null(col + 5)) {
    const auto e = s.column_int64(col + 5);
    if (e < 0 || e > 0xFFFF'FFFF) return Failure{make_error(Unusable::CorruptRow)};
    m->props.message_expiry = static_cast<std::uint32_t>(e);
  }
  return std::shared_ptr<const Message>(std::move(m));
}

Result<PersistedState> load(sqlite3* db) {
  PersistedState state;
  std::unordered_map<std::string, std::size_t> index;
  {
    GW_TRY(s, Statement::prepare(db,
                                 "SELECT client_id, user, version, expiry_interval, "
                                 "connect_expiry_zero, connected, expires_at, will, will_at, "
                                 "last_packet_id, next_seq, awaiting_pubrel FROM sessions"));
    ResetGuard guard(s);
    for (;;) {
      GW_TRY(row, s.step());
      if (!row) break;
      PersistedSession p;
      p.client_id = s.column_text(0);
      if (!s.column_is_null(1)) p.user = std::string(s.column_text(1));
      const auto version = s.column_int64(2);
      const auto expiry = s.column_int64(3);
      if ((version != 4 && version != 5) || expiry <= 0 || expiry > 0xFFFF'FFFF) {
        return Failure{make_error(Unusable::CorruptRow)};
      }
      p.version = static_cast<broker::protocol::ProtocolVersion>(version);
      p.expiry_interval = static_cast<std::uint32_t>(expiry);
      p.connect_expiry_zero = s.column_int64(4) != 0;
      p.connected = s.column_int64(5) != 0;
      if (!s.column_is_null(6)) p.expires_at_ms = s.column_int64(6);
      if (!s.column_is_null(7)) {
        GW_TRY(will, decode_will(s.column_blob(7)));
        p.will = std::move(will);
      }
      if (!s.column_is_null(8)) p.will_at_ms = s.column_int64(8);
      p.last_packet_id = static_cast<std::uint16_t>(s.column_int64(9));
      p.next_seq = static_cast<std::uint64_t>(s.column_int64(10));
      Reader ids(s.column_blob(11));
      while (!ids.done()) {
        std::uint16_t id = 0;
        if (!ids.u16(id)) return Failure{make_error(Unusable::CorruptRow)};
        p.awaiting_pubrel.push_back(id);
      }
      index.emplace(p.client_id, state.sessions.size());
      state.sessions.push_back(std::move(p));
    }
  }
  {
    GW_TRY(s, Statement::prepare(db,
                                 "SELECT client_id, filter, qos, no_local, retain_as_published, "
                                 "retain_handling, subscription_id FROM subscriptions"));
    ResetGuard guard(s);
    for (;;) {
      GW_TRY(row, s.step());
      if (!row) break;
      const auto it = index.find(std::string(s.column_text(0)));
      if (it == index.end()) continue;  // cannot happen: deleted with their session
      const auto qos = s.column_int64(2);
      const auto rh = s.column_int64(5);
      if (qos < 0 || qos > 2 || rh < 0 || rh > 2) return Failure{make_error(Unusable::CorruptRow)};
      PersistedSubscription sub;
      sub.filter = s.column_text(1);
      sub.options.max_qos = static_cast<QoS>(qos);
      sub.options.no_local = s.column_int64(3) != 0;
      sub.options.retain_as_published = s.column_int64(4) != 0;
      sub.options.retain_handling = static_cast<broker::RetainHandling>(rh);
      if (!s.column_is_null(6)) {
        sub.options.subscription_id = static_cast<std::uint32_t>(s.column_int64(6));
      }
      state.sessions[it->second].subscriptions.push_back(std::move(sub));
    }
  }
  {
    GW_TRY(s, Statement::prepare(db,
                                 "SELECT key, client_id, topic, payload, message_qos, "
                                 "message_retain, props, message_expiry, qos, retain, "
                                 "subscription_ids, since, state, packet_id, seq, was_sent "
                                 "FROM messages ORDER BY key"));
    ResetGuard guard(s);
    for (;;) {
      GW_TRY(row, s.step());
      if (!row) break;
      PersistedMessage m;
      m.key = static_cast<std::uint64_t>(s.column_int64(0));
      state.next_message_key = std::max(state.next_message_key, m.key + 1);
      const auto it = index.find(std::string(s.column_text(1)));
      if (it == index.end()) continue;
      GW_TRY(message, read_message(s, 2));
      m.message = std::move(message);
      const auto qos = s.column_int64(8);
      const auto st = s.column_int64(12);
      const auto id = s.column_int64(13);
      if (qos < 1 || qos > 2 || st < 0 || st > 3 || id < 0 || id > 0xFFFF ||
          ((st == 0) != (id == 0))) {
        return Failure{make_error(Unusable::CorruptRow)};
      }
      m.qos = static_cast<QoS>(qos);
      m.retain = s.column_int64(9) != 0;
      Reader ids(s.column_blob(10));
      while (!ids.done()) {
        std::uint32_t sid = 0;
        if (!ids.u32(sid)) return Failure{make_error(Unusable::CorruptRow)};
        m.subscription_ids.push_back(sid);
      }
      m.since_ms = s.column_int64(11);
      m.state = static_cast<DeliveryState>(st);
      m.packet_id = static_cast<std::uint16_t>(id);
      m.seq = static_cast<std::uint64_t>(s.column_int64(14));
      m.was_sent = s.column_int64(15) != 0;
      state.sessions[it->second].messages.push_back(std::move(m));
    }
  }
  {
    GW_TRY(s, Statement::prepare(db,
                                 "SELECT topic, payload, qos, 1, props, message_expiry, stored_at "
                                 "FROM retained"));
    ResetGuard guard(s);
    for (;;) {
      GW_TRY(row, s.step());
      if (!row) break;
      GW_TRY(message, read_message(s, 0));
      state.retained.push_back(PersistedRetained{std::move(message), s.column_int64(6)});
    }
  }
  return state;
}

Result<DbPtr> open_db(const broker::PersistenceOptions& options) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(
      options.path.c_str(), &raw,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) return fail(bridge::make_sqlite_error(rc));
  // Another process may hold a lock for a moment: wait for it rather than fail the start.
  sqlite3_busy_timeout(db.get(), bridge::kBusyTimeoutMs);
  if (sqlite3_db_readonly(db.get(), "main") == 1) {
    return fail(bridge::make_sqlite_error(SQLITE_READONLY));
  }
  GW_TRY_VOID(bridge::exec_sql(db.get(), "PRAGMA journal_mode=WAL"));
  GW_TRY_VOID(bridge::exec_sql(db.get(), options.synchronous_full ? "PRAGMA synchronous=FULL"
                                                                  : "PRAGMA synchronous=NORMAL"));
  GW_TRY_VOID(bridge::exec_sql(db.get(), "PRAGMA journal_size_limit=16777216"));
  GW_TRY_VOID(prepare_schema(db.get()));
  return db;
}

// Errors that mean "this file is not a usable broker state": it is set aside, not fatal.
bool unusable(std::error_code ec) {
  const int primary = bridge::sqlite_primary_code(ec);
  return primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT ||
         ec == make_error(Unusable::CorruptRow) || ec == make_error(Unusable::ForeignFile) ||
         ec == bridge::OutboxErrc::CorruptRow;  // from bridge::decode_props
}

}  // namespace

Result<std::unique_ptr<BrokerStateStore>> BrokerStateStore::open(
    const broker::PersistenceOptions& options, const core::Clock& clock, PersistedState& state) {
  // An empty name would give SQLite's private temporary database: nothing would survive.
  if (options.path.empty()) return fail(std::errc::invalid_argument);
  auto log = core::make_logger("broker-store");
  std::optional<std::string> moved;
  for (int attempt = 0;; ++attempt) {
    auto db = open_db(options);
    Result<PersistedState> loaded =
        db ? load(db->get()) : Result<PersistedState>(Failure{db.error()});
    if (loaded) {
      auto store = std::make_unique<BrokerStateStore>(Key{}, std::move(*db), std::move(log));
      store->moved_aside_ = std::move(moved);
      state = std::move(*loaded);
      return store;
    }
    const auto ec = loaded.error();
    if (attempt > 0 || !unusable(ec)) return Failure{ec};
    if (db) db->reset();  // closed before it is renamed
    const std::string aside = options.path + ".corrupt-" + std::to_string(clock.wall_ms());
    std::error_code fs_ec;
    std::filesystem::rename(options.path, aside, fs_ec);
    if (fs_ec) return fail(fs_ec);
    for (const char* suffix : {"-wal", "-shm"}) {
      std::error_code ignored;
      if (std::filesystem::exists(options.path + suffix, ignored)) {
        std::filesystem::rename(options.path + suffix, aside + suffix, ignored);
      }
    }
    log->error("{}: not a usable broker state file ({}); moved aside to {}, starting with empty "
               "broker state",
               options.path, ec.message(), aside);
    moved = aside;
  }
}

BrokerStateStore::BrokerStateStore(Key, DbPtr db, std::shared_ptr<spdlog::logger> log)
    : db_(std::move(db)),
      log_(std::move(log)),
      thread_([this](const std::stop_token& stop) { run(stop); }) {}

BrokerStateStore::~BrokerStateStore() {
  // The writer's wait takes the stop token, so the request cannot slip past it; a batch already
  // submitted is written first.
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

bool BrokerStateStore::idle() {
  std::lock_guard lock(mutex_);
  return !pending_ && !writing_;
}

void BrokerStateStore::submit(JournalBatch&& batch) {
  {
    std::lock_guard lock(mutex_);
    pending_ = std::move(batch);
  }
  changed_.notify_all();
}

bool BrokerStateStore::take_failed() {
  std::lock_guard lock(mutex_);
  return std::exchange(failed_, false);
}

void BrokerStateStore::wait_idle() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return !pending_ && !writing_; });
}

std::uint64_t BrokerStateStore::commits() {
  std::lock_guard lock(mutex_);
  return commits_;
}

std::uint64_t BrokerStateStore::failures() {
  std::lock_guard lock(mutex_);
  return failures_;
}

void BrokerStateStore::run(const std::stop_token& stop) {
  for (;;) {
    JournalBatch batch;
    {
      std::unique_lock lock(mutex_);
      // Stops only with nothing pending: the destructor's caller gets its last batch written.
      changed_.wait(lock, stop, [&] { return pending_.has_value(); });
      if (!pending_) return;
      batch = std::move(*pending_);
      pending_.reset();
      writing_ = true;
    }
    auto ok = write(batch);
    if (!ok) {
      (void)bridge::exec_sql(db_.get(), "ROLLBACK");  // harmless if SQLite already rolled back
      log_->error("writing {} change(s) failed: {}; a full snapshot follows", batch.changes(),
                  ok.error().message());
    }
    {
      std::lock_guard lock(mutex_);
      writing_ = false;
      if (ok) {
        ++commits_;
      } else {
        ++failures_;
        failed_ = true;
      }
    }
    changed_.notify_all();
  }
}

Result<void> BrokerStateStore::write(const JournalBatch& batch) {
  sqlite3* db = db_.get();
  // Prepared per batch: a batch per commit window is rare enough, and this keeps the statements
  // on the writer thread with the connection.
  GW_TRY(del_session, Statement::prepare(db, "DELETE FROM sessions WHERE client_id = ?1"));
  GW_TRY(del_subs, Statement::prepare(db, "DELETE FROM subscriptions WHERE client_id = ?1"));
  GW_TRY(del_msgs, Statement::prepare(db, "DELETE FROM messages WHERE client_id = ?1"));
  GW_TRY(put_session,
         Statement::prepare(db,
                            "INSERT OR REPLACE INTO sessions VALUES "
                            "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"));
  GW_TRY(put_sub,
         Statement::prepare(
             db, "INSERT OR REPLACE INTO subscriptions VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  GW_TRY(del_sub, Statement::prepare(
                      db, "DELETE FROM subscriptions WHERE client_id = ?1 AND filter = ?2"));
  GW_TRY(put_msg, Statement::prepare(db,
                                     "INSERT OR REPLACE INTO messages VALUES (?1, ?2, ?3, ?4, ?5, "
                                     "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"));
  GW_TRY(del_msg, Statement::prepare(db, "DELETE FROM messages WHERE key = ?1"));
  GW_TRY(put_retained,
         Statement::prepare(db, "INSERT OR REPLACE INTO retained VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  GW_TRY(del_retained, Statement::prepare(db, "DELETE FROM retained WHERE topic = ?1"));

  auto opt_int = [](Statement& s, int i, const auto& v) -> Result<void> {
    if (v) return s.bind(i, static_cast<std::int64_t>(*v));
    return s.bind_null(i);
  };
  std::string blob;
  std::string blob2;
  auto put_message = [&](const std::string& client_id, const PersistedMessage& m) -> Result<void> {
    auto& s = put_msg;
    const Message& msg = *m.message;
    blob.clear();
    bridge::encode_props(msg.props, blob);
    blob2.clear();
    for (auto id : m.subscription_ids) put_u32(blob2, id);
    GW_TRY_VOID(s.bind(1, static_cast<std::int64_t>(m.key)));
    GW_TRY_VOID(s.bind_text(2, client_id));
    GW_TRY_VOID(s.bind_text(3, msg.topic));
    GW_TRY_VOID(s.bind_blob(4, msg.payload));
    GW_TRY_VOID(s.bind(5, static_cast<std::int64_t>(msg.qos)));
    GW_TRY_VOID(s.bind(6, msg.retain ? 1 : 0));
    GW_TRY_VOID(blob.empty() ? s.bind_null(7) : s.bind_blob(7, blob));
    GW_TRY_VOID(opt_int(s, 8, msg.props.message_expiry));
    GW_TRY_VOID(s.bind(9, static_cast<std::int64_t>(m.qos)));
    GW_TRY_VOID(s.bind(10, m.retain ? 1 : 0));
    GW_TRY_VOID(blob2.empty() ? s.bind_null(11) : s.bind_blob(11, blob2));
    GW_TRY_VOID(s.bind(12, m.since_ms));
    GW_TRY_VOID(s.bind(13, static_cast<std::int64_t>(m.state)));
    GW_TRY_VOID(s.bind(14, m.packet_id));
    GW_TRY_VOID(s.bind(15, static_cast<std::int64_t>(m.seq)));
    GW_TRY_VOID(s.bind(16, m.was_sent ? 1 : 0));
    return s.run();
  };
  auto put_subscription = [&](const std::string& client_id,
                              const PersistedSubscription& sub) -> Result<void> {
    auto& s = put_sub;
    GW_TRY_VOID(s.bind_text(1, client_id));
    GW_TRY_VOID(s.bind_text(2, sub.filter));
    GW_TRY_VOID(s.bind(3, static_cast<std::int64_t>(sub.options.max_qos)));
    GW_TRY_VOID(s.bind(4, sub.options.no_local ? 1 : 0));
    GW_TRY_VOID(s.bind(5, sub.options.retain_as_published ? 1 : 0));
    GW_TRY_VOID(s.bind(6, static_cast<std::int64_t>(sub.options.retain_handling)));
    GW_TRY_VOID(opt_int(s, 7, sub.options.subscription_id));
    return s.run();
  };

  GW_TRY_VOID(bridge::exec_sql(db, "BEGIN IMMEDIATE"));
  if (batch.replace_all) {
    GW_TRY_VOID(bridge::exec_sql(
        db, "DELETE FROM sessions; DELETE FROM subscriptions; DELETE FROM messages; "
            "DELETE FROM retained;"));
  }
  for (const auto& id : batch.ended_sessions) {
    for (Statement* s : {&del_session, &del_subs, &del_msgs}) {
      GW_TRY_VOID(s->bind_text(1, id));
      GW_TRY_VOID(s->run());
    }
  }
  for (const auto& p : batch.sessions) {
    auto& s = put_session;
    std::string will = p.will ? encode_will(*p.will) : std::string();
    blob.clear();
    for (auto id : p.awaiting_pubrel) {
      blob.push_back(static_cast<char>(id >> 8));
      blob.push_back(static_cast<char>(id & 0xFF));
    }
    GW_TRY_VOID(s.bind_text(1, p.client_id));
    GW_TRY_VOID(p.user ? s.bind_text(2, *p.user) : s.bind_null(2));
    GW_TRY_VOID(s.bind(3, static_cast<std::int64_t>(p.version)));
    GW_TRY_VOID(s.bind(4, p.expiry_interval));
    GW_TRY_VOID(s.bind(5, p.connect_expiry_zero ? 1 : 0));
    GW_TRY_VOID(s.bind(6, p.connected ? 1 : 0));
    GW_TRY_VOID(opt_int(s, 7, p.expires_at_ms));
    GW_TRY_VOID(p.will ? s.bind_blob(8, will) : s.bind_null(8));
    GW_TRY_VOID(opt_int(s, 9, p.will_at_ms));
    GW_TRY_VOID(s.bind(10, p.last_packet_id));
    GW_TRY_VOID(s.bind(11, static_cast<std::int64_t>(p.next_seq)));
    GW_TRY_VOID(blob.empty() ? s.bind_null(12) : s.bind_blob(12, blob));
    GW_TRY_VOID(s.run());
    for (const auto& sub : p.subscriptions) GW_TRY_VOID(put_subscription(p.client_id, sub));
    for (const auto& m : p.messages) GW_TRY_VOID(put_message(p.client_id, m));
  }
  for (const auto& [client_id, filter] : batch.subscriptions_removed) {
    GW_TRY_VOID(del_sub.bind_text(1, client_id));
    GW_TRY_VOID(del_sub.bind_text(2, filter));
    GW_TRY_VOID(del_sub.run());
  }
  for (const auto& [client_id, sub] : batch.subscriptions_set) {
    GW_TRY_VOID(put_subscription(client_id, sub));
  }
  for (const auto key : batch.messages_removed) {
    GW_TRY_VOID(del_msg.bind(1, static_cast<std::int64_t>(key)));
    GW_TRY_VOID(del_msg.run());
  }
  for (const auto& [client_id, m] : batch.messages_put) GW_TRY_VOID(put_message(client_id, m));
  for (const auto& topic : batch.retained_removed) {
    GW_TRY_VOID(del_retained.bind_text(1, topic));
    GW_TRY_VOID(del_retained.run());
  }
  for (const auto& r : batch.retained_set) {
    auto& s = put_retained;
    const Message& msg = *r.message;
    blob.clear();
    bridge::encode_props(msg.props, blob);
    GW_TRY_VOID(s.bind_text(1, msg.topic));
    GW_TRY_VOID(s.bind_blob(2, msg.payload));
    GW_TRY_VOID(s.bind(3, static_cast<std::int64_t>(msg.qos)));
    GW_TRY_VOID(blob.empty() ? s.bind_null(4) : s.bind_blob(4, blob));
    GW_TRY_VOID(opt_int(s, 5, msg.props.message_expiry));
    GW_TRY_VOID(s.bind(6, r.stored_at_ms));
    GW_TRY_VOID(s.run());
  }
  return bridge::exec_sql(db, "COMMIT");
}

}  // namespace gw::gateway
