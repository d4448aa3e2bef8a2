// BrokerStateStore on a real SQLite file: every kind of state written and read back, incremental
// changes, corrupt and foreign files; and the broker itself restarted on the store with a
// FakeClock whose wall time jumps over the downtime (Session Expiry, Message Expiry and Will
// Delay keep counting while the broker is down).
#include "gateway/broker_store/broker_state_store.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "gateway/bridge/outbox_errc.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/broker/broker_fixture.hpp"

namespace gw::gateway {
namespace {

using namespace std::chrono_literals;
using namespace broker::persistence;
using namespace broker;
using broker::Broker;
using broker::BrokerOptions;

std::shared_ptr<const Message> make_message(std::string topic, std::string payload, QoS qos,
                                            bool retain = false) {
  auto m = std::make_shared<Message>();
  m->topic = std::move(topic);
  m->payload = std::move(payload);
  m->qos = qos;
  m->retain = retain;
  return m;
}

class StoreTest : public ::testing::Test {
 protected:
  broker::PersistenceOptions options() const {
    broker::PersistenceOptions o;
    o.enabled = true;
    o.path = (dir_.path() / "broker.db").string();
    return o;
  }
  std::unique_ptr<BrokerStateStore> open(PersistedState& state) {
    auto store = BrokerStateStore::open(options(), clock_, state);
    EXPECT_TRUE(store) << store.error().message();
    return store ? std::move(*store) : nullptr;
  }
  void write(JournalBatch batch) {
    PersistedState ignored;
    auto store = open(ignored);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->idle());
    store->submit(std::move(batch));
    store->wait_idle();
    EXPECT_FALSE(store->take_failed());
    EXPECT_EQ(store->commits(), 1U);
  }
  PersistedState reload() {
    PersistedState state;
    auto store = open(state);
    return state;
  }

  test::TempDir dir_;
  core::FakeClock clock_;
};

PersistedSession full_session() {
  PersistedSession s;
  s.client_id = "dev-1";
  s.user = "alice";
  s.version = broker::protocol::ProtocolVersion::V5;
  s.expiry_interval = 3600;
  s.connect_expiry_zero = false;
  s.connected = false;
  s.expires_at_ms = 1'764'100'000'000;
  broker::protocol::Will will;
  will.topic = *broker::protocol::TopicName::make("will/dev-1");
  will.payload = std::string("gone\0bin", 8);
  will.qos = QoS::ExactlyOnce;
  will.retain = true;
  will.props.content_type = "text/plain";
  will.props.message_expiry = 30;
  will.props.user = {{"k", "v"}, {"k", "w"}};
  will.delay_interval = 20;
  s.will = will;
  s.will_at_ms = 1'764'097'300'000;
  s.last_packet_id = 65535;
  s.next_seq = 42;
  s.awaiting_pubrel = {3, 700};
  broker::SubscriptionOptions plain{.max_qos = QoS::AtLeastOnce,
                                    .no_local = true,
                                    .retain_as_published = true,
                                    .retain_handling = broker::RetainHandling::DoNotSend,
                                    .subscription_id = 268'435'455};
  broker::SubscriptionOptions shared{.max_qos = QoS::ExactlyOnce};
  s.subscriptions = {{"$share/g1/plant/#", shared}, {"plant/+/temp", plain}};
  auto rich = std::make_shared<Message>();
  rich->topic = "plant/a/temp";
  rich->payload = std::string("\x00\x01\x02", 3);
  rich->qos = QoS::ExactlyOnce;
  rich->props.payload_format = PayloadFormat::Utf8;
  rich->props.message_expiry = 120;
  rich->props.response_topic = "reply/here";
  rich->props.correlation_data = std::string("\x00\xff", 2);
  rich->props.user = {{"a", "1"}};
  s.messages = {
      PersistedMessage{.key = 10, .message = rich, .qos = QoS::ExactlyOnce, .retain = true,
                       .subscription_ids = {7, 268'435'455}, .since_ms = 1'764'097'100'000,
                       .state = DeliveryState::AwaitPubcomp, .packet_id = 65535, .seq = 40,
                       .was_sent = true},
      PersistedMessage{.key = 11, .message = make_message("plant/b/temp", "21.5", QoS::AtLeastOnce),
                       .qos = QoS::AtLeastOnce, .since_ms = 1'764'097'150'000,
                       .state = DeliveryState::AwaitPuback, .packet_id = 1, .seq = 41},
      PersistedMessage{.key = 12, .message = make_message("plant/c/temp", "", QoS::AtLeastOnce),
                       .qos = QoS::AtLeastOnce, .since_ms = 1'764'097'160'000},
  };
  return s;
}

TEST_F(StoreTest, EveryKindOfStateRoundTrips) {
  JournalBatch batch;
  batch.replace_all = true;
  batch.sessions.push_back(full_session());
  PersistedSession v311;
  v311.client_id = "old-plc";
  v311.version = broker::protocol::ProtocolVersion::V311;
  v311.expiry_interval = 0xFFFF'FFFF;
  v311.connected = true;
  batch.sessions.push_back(v311);
  auto retained =
      std::make_shared<Message>(*make_message("site/status", "up", QoS::AtLeastOnce, true));
  retained->props.message_expiry = 600;
  retained->props.content_type = "application/json";
  batch.retained_set.push_back({retained, 1'764'097'000'000});
  write(std::move(batch));

  auto state = reload();
  ASSERT_EQ(state.sessions.size(), 2U);
  const auto& got = state.sessions[0].client_id == "dev-1" ? state.sessions[0] : state.sessions[1];
  const auto& plc = state.sessions[0].client_id == "dev-1" ? state.sessions[1] : state.sessions[0];
  auto want = full_session();
  std::sort(want.subscriptions.begin(), want.subscriptions.end(),
            [](const auto& a, const auto& b) { return a.filter < b.filter; });
  auto subs = got.subscriptions;
  std::sort(subs.begin(), subs.end(),
            [](const auto& a, const auto& b) { return a.filter < b.filter; });
  EXPECT_EQ(subs, want.subscriptions);
  EXPECT_EQ(got.messages, want.messages);
  auto row = got;
  row.subscriptions = want.subscriptions;
  EXPECT_EQ(row, want);
  EXPECT_EQ(plc, v311);
  ASSERT_EQ(state.retained.size(), 1U);
  EXPECT_EQ(*state.retained[0].message, *retained);
  EXPECT_EQ(state.retained[0].stored_at_ms, 1'764'097'000'000);
  EXPECT_EQ(state.next_message_key, 13U);
}

TEST_F(StoreTest, IncrementalChangesApplyInOrderAndAnEndedSessionTakesItsRowsWithIt) {
  JournalBatch first;
  first.sessions.push_back(full_session());
  PersistedSession other;
  other.client_id = "other";
  other.expiry_interval = 60;
  other.subscriptions = {{"x", {}}};
  other.messages = {
      PersistedMessage{.key = 20, .message = make_message("x", "1", QoS::AtLeastOnce)}};
  first.sessions.push_back(other);
  first.retained_set.push_back({make_message("r/1", "a", QoS::AtMostOnce, true), 1});
  first.retained_set.push_back({make_message("r/2", "b", QoS::AtMostOnce, true), 2});
  write(std::move(first));

  JournalBatch second;
  second.ended_sessions = {"dev-1"};
  second.subscriptions_removed = {{"other", "x"}};
  second.subscriptions_set = {{"other", {"y/#", {.max_qos = QoS::ExactlyOnce}}}};
  second.messages_removed = {20};
  second.messages_put = {{"other",
                          PersistedMessage{.key = 21,
                                           .message = make_message("y/1", "2", QoS::ExactlyOnce),
                                           .qos = QoS::ExactlyOnce,
                                           .state = DeliveryState::AwaitPubrec,
                                           .packet_id = 9}}};
  second.retained_removed = {"r/1"};
  write(std::move(second));

  auto state = reload();
  ASSERT_EQ(state.sessions.size(), 1U);
  const auto& s = state.sessions[0];
  EXPECT_EQ(s.client_id, "other");
  ASSERT_EQ(s.subscriptions.size(), 1U);
  EXPECT_EQ(s.subscriptions[0].filter, "y/#");
  ASSERT_EQ(s.messages.size(), 1U);
  EXPECT_EQ(s.messages[0].key, 21U);
  EXPECT_EQ(s.messages[0].state, DeliveryState::AwaitPubrec);
  ASSERT_EQ(state.retained.size(), 1U);
  EXPECT_EQ(state.retained[0].message->topic, "r/2");
  // Above every key stored (21), whatever was deleted.
  EXPECT_EQ(state.next_message_key, 22U);
}

bool has_file_starting(const std::filesystem::path& dir, const std::string& prefix) {
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename().string().starts_with(prefix)) return true;
  }
  return false;
}

TEST_F(StoreTest, GarbageFileIsMovedAsideAndTheStoreStartsEmpty) {
  std::ofstream(options().path) << std::string(8192, 'z');
  PersistedState state;
  state.sessions.push_back(full_session());  // must be replaced, not appended to
  auto store = open(state);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->moved_aside());
  EXPECT_TRUE(std::filesystem::exists(*store->moved_aside()));
  EXPECT_TRUE(state.sessions.empty());
  EXPECT_TRUE(has_file_starting(dir_.path(), "broker.db.corrupt-"));
  // The fresh file works.
  store->submit(JournalBatch{.retained_set = {{make_message("a", "b", QoS::AtMostOnce, true), 5}}});
  store->wait_idle();
  store.reset();
  EXPECT_EQ(reload().retained.size(), 1U);
}

TEST_F(StoreTest, ForeignDatabaseIsMovedAsideNotWrittenInto) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(options().path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE mine (x); INSERT INTO mine VALUES (1);", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  PersistedState state;
  auto store = open(state);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->moved_aside());
  // The other program's data is intact in the file set aside.
  ASSERT_EQ(sqlite3_open(store->moved_aside()->c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT x FROM mine", -1, &stmt, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 1);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(StoreTest, UndecodableRowMovesTheFileAside) {
  write(JournalBatch{.sessions = {full_session()}});
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(options().path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE sessions SET will = x'07'", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  PersistedState state;
  auto store = open(state);
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->moved_aside());
  EXPECT_TRUE(state.sessions.empty());
}

TEST_F(StoreTest, NewerSchemaIsRefusedAndLeftAlone) {
  write(JournalBatch{});
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(options().path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  PersistedState state;
  auto store = BrokerStateStore::open(options(), clock_, state);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().message(), "written by a newer version of edge-gateway");
  EXPECT_FALSE(has_file_starting(dir_.path(), "broker.db.corrupt-"));
}

TEST_F(StoreTest, MissingDirectoryIsAnError) {
  auto o = options();
  o.path = (dir_.path() / "no" / "such" / "broker.db").string();
  PersistedState state;
  auto store = BrokerStateStore::open(o, clock_, state);
  ASSERT_FALSE(store);
}

// --- the broker restarted on the store -------------------------------------------------------

class BrokerRestart : public StoreTest {
 protected:
  static constexpr std::int64_t kStart = 1'764'097'200'000;

  // A broker on the store, with its own clock (a new process: its steady clock starts afresh).
  void boot(std::int64_t wall_ms) {
    broker_.reset();
    store_.reset();
    clock2_ = std::make_unique<core::FakeClock>(wall_ms);
    io_ = std::make_unique<asio::io_context>();
    broker_ = std::make_unique<Broker>(*io_, BrokerOptions{}, *clock2_);
    PersistedState state;
    auto store = BrokerStateStore::open(options(), *clock2_, state);
    ASSERT_TRUE(store) << store.error().message();
    store_ = std::move(*store);
    broker_->enable_persistence(*store_, std::move(state), 1s);
  }
  // One commit window passes: the journal goes to the store, which writes it.
  void commit() {
    clock2_->advance(1s);
    broker_->tick();
    store_->wait_idle();
  }
  // kill -9: whatever was not committed is lost; nothing is flushed on the way out.
  void crash() {
    broker_.reset();
    store_.reset();
  }

  std::unique_ptr<core::FakeClock> clock2_;
  std::unique_ptr<asio::io_context> io_;
  std::unique_ptr<BrokerStateStore> store_;
  std::unique_ptr<Broker> broker_;
};

// What a new subscriber to `filter` receives with its SUBACK (retained messages).
std::vector<Publish> retained_for(Broker& broker, const std::string& filter) {
  Conn watcher(broker);
  watcher.connect(connect_packet("watcher"));
  watcher.send(subscribe_packet(filter));
  return only<Publish>(watcher.received());
}

Connect kept(const std::string& id, std::uint32_t expiry, bool clean = false) {
  auto c = connect_packet(id);
  c.clean_start = clean;
  c.props.session_expiry = expiry;
  return c;
}

TEST_F(BrokerRestart, SessionResumesWithQueueAndInFlightStateAfterACrash) {
  boot(kStart);
  {
    Conn dev(*broker_);
    dev.connect(kept("dev", 3600, true));
    Subscribe s = subscribe_packet("plant/#", QoS::ExactlyOnce);
    s.props.subscription_id = 77;
    dev.send(s);
    dev.received();
    Conn pub(*broker_);
    pub.connect(connect_packet("pub"));
    pub.send(publish_packet("plant/q2", "two", QoS::ExactlyOnce));
    pub.send(publish_packet("plant/q1", "one", QoS::AtLeastOnce));
    auto got = only<Publish>(dev.received());
    ASSERT_EQ(got.size(), 2U);
    // QoS 2 reaches PUBREC/PUBREL; the QoS 1 one is never acknowledged.
    dev.send(Pubrec{.packet_id = got[0].packet_id});
    ASSERT_EQ(only<Pubrel>(dev.received()).size(), 1U);
    dev.drop();
    pub.send(publish_packet("plant/later", "queued", QoS::AtLeastOnce));
  }
  commit();
  crash();

  boot(kStart + 5'000);
  EXPECT_EQ(broker_->session_count(), 1U);
  Conn dev(*broker_);
  EXPECT_TRUE(dev.connect(kept("dev", 3600)).session_present);
  const auto packets = dev.received();
  const auto rels = only<Pubrel>(packets);
  ASSERT_EQ(rels.size(), 1U);  // the QoS 2 exchange continues where it was
  const auto pubs = only<Publish>(packets);
  ASSERT_EQ(pubs.size(), 2U);
  EXPECT_EQ(pubs[0].payload, "one");
  EXPECT_TRUE(pubs[0].dup);  // resent
  EXPECT_EQ(pubs[0].props.subscription_ids, std::vector<std::uint32_t>{77});
  EXPECT_EQ(pubs[1].payload, "queued");
  EXPECT_FALSE(pubs[1].dup);
  dev.send(Pubcomp{.packet_id = rels[0].packet_id});
  dev.send(Puback{.packet_id = pubs[0].packet_id});
  dev.send(Puback{.packet_id = pubs[1].packet_id});
  // The restored subscription delivers new messages.
  Conn pub(*broker_);
  pub.connect(connect_packet("pub"));
  pub.send(publish_packet("plant/new", "fresh", QoS::AtLeastOnce));
  const auto fresh = only<Publish>(dev.received());
  ASSERT_EQ(fresh.size(), 1U);
  EXPECT_EQ(fresh[0].payload, "fresh");
  // Everything completed: after the next commit the file holds no message for it.
  dev.send(Puback{.packet_id = fresh[0].packet_id});
  commit();
  crash();
  boot(kStart + 10'000);
  Conn again(*broker_);
  EXPECT_TRUE(again.connect(kept("dev", 3600)).session_present);
  EXPECT_TRUE(only<Publish>(again.received()).empty());
}

TEST_F(BrokerRestart, OnlyTheOwnerMayResumeARestoredSession) {
  PersistedSession owned;
  owned.client_id = "dev";
  owned.user = "alice";  // verified against the password file when it was made
  owned.expiry_interval = 3600;
  owned.expires_at_ms = kStart + 3'000'000;
  write(JournalBatch{.sessions = {owned}});
  boot(kStart);
  // An anonymous client may neither resume alice's session nor end it with Clean Start.
  Conn other(*broker_);
  EXPECT_EQ(other.connect(kept("dev", 3600)).reason, ConnackReason::NotAuthorized);
  Conn cleaner(*broker_);
  EXPECT_EQ(cleaner.connect(kept("dev", 3600, true)).reason, ConnackReason::NotAuthorized);
  EXPECT_EQ(broker_->session_count(), 1U);
}

TEST_F(BrokerRestart, SessionExpiryKeepsCountingWhileTheBrokerIsDown) {
  boot(kStart);
  {
    Conn dev(*broker_);
    dev.connect(kept("dev", 60, true));
    dev.drop();
  }
  commit();  // 1 s of its 60 s have passed
  crash();
  boot(kStart + 1'000 + 30'000);  // down for 30 s
  EXPECT_EQ(broker_->session_count(), 1U);
  clock2_->advance(28s);
  broker_->tick();
  EXPECT_EQ(broker_->session_count(), 1U);
  clock2_->advance(1s);
  broker_->tick();
  EXPECT_EQ(broker_->session_count(), 0U);
  commit();
  crash();
  boot(kStart + 100'000);
  EXPECT_EQ(broker_->session_count(), 0U);  // its end was written too
}

TEST_F(BrokerRestart, SessionThatExpiredWhileDownIsGoneAndItsDelayedWillIsPublished) {
  boot(kStart);
  {
    Conn dev(*broker_);
    auto c = kept("dev", 60, true);
    c.will = Will{.topic = *broker::protocol::TopicName::make("will/dev"), .payload = "gone",
                  .retain = true, .delay_interval = 30};
    dev.connect(c);
    dev.drop();
  }
  commit();
  crash();
  boot(kStart + 3'600'000);
  broker_->tick();
  EXPECT_EQ(broker_->session_count(), 0U);
  // The will went out (retained, so a late subscriber sees it).
  const auto got = retained_for(*broker_, "will/#");
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].payload, "gone");
}

TEST_F(BrokerRestart, RetainedMessageExpiryKeepsCountingWhileTheBrokerIsDown) {
  boot(kStart);
  {
    Conn pub(*broker_);
    pub.connect(connect_packet("pub"));
    auto p = publish_packet("site/short", "s", QoS::AtLeastOnce);
    p.retain = true;
    p.props.message.message_expiry = 5;
    pub.send(p);
    p = publish_packet("site/long", "l", QoS::AtLeastOnce);
    p.retain = true;
    p.props.message.message_expiry = 100;
    pub.send(p);
  }
  commit();
  crash();
  boot(kStart + 10'000);  // 10 s later: site/short has expired, site/long has 90 s left
  const auto got = retained_for(*broker_, "site/#");
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].topic.str(), "site/long");
  EXPECT_EQ(got[0].props.message.message_expiry, 90U);
}

TEST_F(BrokerRestart, ChangesAfterTheLastCommitAreLostOnACrash) {
  boot(kStart);
  {
    Conn dev(*broker_);
    dev.connect(kept("dev", 3600, true));
    dev.drop();
  }
  commit();
  Conn pub(*broker_);
  pub.connect(connect_packet("pub"));
  auto p = publish_packet("x", "late", QoS::AtLeastOnce);
  p.retain = true;
  pub.send(p);
  crash();  // within the window: not written
  boot(kStart + 2'000);
  EXPECT_EQ(broker_->session_count(), 1U);  // committed before
  EXPECT_TRUE(retained_for(*broker_, "x").empty());
}

TEST_F(BrokerRestart, CleanShutdownWritesWhatIsPending) {
  boot(kStart);
  Conn pub(*broker_);
  pub.connect(connect_packet("pub"));
  auto p = publish_packet("x", "kept", QoS::AtLeastOnce);
  p.retain = true;
  pub.send(p);
  broker_->flush_persistence();
  crash();
  boot(kStart + 2'000);
  EXPECT_EQ(retained_for(*broker_, "x").size(), 1U);
}

TEST_F(BrokerRestart, SessionWithoutExpiryIsNeverWritten) {
  boot(kStart);
  Conn dev(*broker_);
  dev.connect(kept("dev", 0, true));
  dev.send(subscribe_packet("a"));
  dev.received();
  commit();
  EXPECT_EQ(store_->commits(), 0U);  // nothing to write: no batch at all
}

}  // namespace
}  // namespace gw::gateway
