// NativeUplink against a real Mosquitto on loopback: CONNECT and the CONNACK limits, PUBLISH at
// QoS 0/1/2 with their acknowledgements, SUBSCRIBE and remote messages, refused and failed
// connects, the fallback server list, a lost connection (kill -9 and a frozen broker), DISCONNECT;
// and the same over mqtts:// against Mosquitto's TLS listener: every TlsOptions switch, failing
// servers skipped for the next one, mixed mqtt:// / mqtts:// lists, stalled and dead TLS peers.
#include "gateway/bridge/native_uplink.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <mutex>
#include <thread>
#include <vector>

#include "gateway/bridge/bridge_inbox.hpp"
#include "tests/support/mosquitto_process.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_pki.hpp"

namespace gw::bridge {
namespace {

using namespace std::chrono_literals;
using Kind = LinkEvent::Kind;
using Attempt = UplinkClient::Attempt;

// Records what the uplink reports, from its I/O thread.
class RecordingSink final : public LinkSink {
 public:
  void on_link_event(LinkEvent&& event) override {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(event));
  }
  void on_remote_message(std::uint64_t, Message&& message) override {
    std::lock_guard lock(mu_);
    messages_.push_back(std::move(message));
  }
  std::vector<LinkEvent> events() {
    std::lock_guard lock(mu_);
    return events_;
  }
  std::vector<Message> messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }
  std::size_t count(Kind kind) {
    std::lock_guard lock(mu_);
    return static_cast<std::size_t>(
        std::count_if(events_.begin(), events_.end(), [&](const LinkEvent& e) { return e.kind == kind; }));
  }
  // The first event of `kind`, waiting up to `timeout`.
  std::optional<LinkEvent> wait_for(Kind kind, std::chrono::milliseconds timeout = 10s) {
    std::optional<LinkEvent> found;
    test::wait_until(
        [&] {
          std::lock_guard lock(mu_);
          for (const auto& e : events_) {
            if (e.kind == kind) {
              found = e;
              return true;
            }
          }
          return false;
        },
        timeout);
    return found;
  }

 private:
  std::mutex mu_;  // guards: events_, messages_
  std::vector<LinkEvent> events_;
  std::vector<Message> messages_;
};

BridgeOptions options_for(std::vector<std::string> servers, std::string status_topic = "") {
  BridgeOptions o;
  o.client = ClientKind::Native;
  o.servers = std::move(servers);
  o.keep_alive = 30s;
  o.connect_timeout = 3s;
  o.status_topic = std::move(status_topic);
  return o;
}

// A port nothing listens on: one the kernel just handed out and took back.
std::string closed_server() {
  test::MosquittoProcess gone;
  const auto uri = gone.uri();
  gone.stop();
  return uri;
}

struct Connection {
  std::shared_ptr<RecordingSink> sink = std::make_shared<RecordingSink>();
  std::unique_ptr<NativeUplink> link;
};

Connection connect_to(const BridgeOptions& options, const std::string& client_id, std::uint64_t generation = 1) {
  Connection c;
  auto link = NativeUplink::create(options, client_id, generation, c.sink);
  EXPECT_TRUE(link) << link.error().message();
  c.link = std::move(*link);
  EXPECT_TRUE(c.link->connect(QoS::AtLeastOnce, true));
  return c;
}

TEST(NativeUplink, ReportsTheServerLimitsFromConnack) {
  test::MosquittoProcess cloud({.max_packet_size = 4096, .max_inflight_messages = 7, .max_qos = 1,
                                .retain_available = std::nullopt, .tls = std::nullopt});
  const auto options = options_for({cloud.uri()});
  auto c = connect_to(options, "native-limits", 42);
  auto connected = c.sink->wait_for(Kind::Connected);
  ASSERT_TRUE(connected) << cloud.output();
  EXPECT_EQ(connected->generation, 42u);
  EXPECT_EQ(connected->limits.receive_maximum, 7);
  EXPECT_EQ(connected->limits.max_packet_size, std::optional<std::uint32_t>(4096));
  EXPECT_EQ(connected->limits.maximum_qos, QoS::AtLeastOnce);
  EXPECT_TRUE(connected->limits.retain_available);
  EXPECT_FALSE(connected->limits.session_present);
  EXPECT_EQ(connected->limits.server_uri, cloud.uri());
}

TEST(NativeUplink, ResumesTheSessionItAskedToKeep) {
  test::MosquittoProcess cloud;
  const auto options = options_for({cloud.uri()});
  {
    auto first = connect_to(options, "native-session");
    ASSERT_TRUE(first.sink->wait_for(Kind::Connected));
    ASSERT_TRUE(first.link->disconnect(1s));
    ASSERT_TRUE(first.sink->wait_for(Kind::Disconnected));
  }
  auto second = connect_to(options, "native-session", 2);
  auto connected = second.sink->wait_for(Kind::Connected);
  ASSERT_TRUE(connected);
  // Clean Start false with a Session Expiry: Mosquitto kept the session.
  EXPECT_TRUE(connected->limits.session_present);
}

TEST(NativeUplink, GetsAServerAssignedClientIdWhenItSendsNone) {
  test::MosquittoProcess cloud;
  const auto options = options_for({cloud.uri()});
  auto c = connect_to(options, "");
  auto connected = c.sink->wait_for(Kind::Connected);
  ASSERT_TRUE(connected);
  ASSERT_TRUE(connected->limits.assigned_client_id);
  EXPECT_FALSE(connected->limits.assigned_client_id->empty());
}

TEST(NativeUplink, PublishesAtEveryQosAndReportsEachAcknowledgement) {
  test::MosquittoProcess cloud;
  const auto options = options_for({cloud.uri()});
  auto sub = connect_to(options, "native-sub");
  ASSERT_TRUE(sub.sink->wait_for(Kind::Connected));
  ASSERT_TRUE(sub.link->subscribe("t/#", QoS::ExactlyOnce));
  auto pub = connect_to(options, "native-pub");
  ASSERT_TRUE(pub.sink->wait_for(Kind::Connected));
  // The SUBACK has no success event: wait until a probe arrives.
  ASSERT_TRUE(test::wait_until([&] {
    (void)pub.link->publish(Message{.topic = "t/probe", .payload = "p", .qos = QoS::AtMostOnce, .retain = false, .props = {}});
    return !sub.sink->messages().empty();
  }, 10s));

  std::vector<int> tokens;
  for (int i = 0; i < 30; ++i) {
    const auto qos = static_cast<QoS>(i % 3);
    Message m{.topic = "t/" + std::to_string(i), .payload = "payload-" + std::to_string(i), .qos = qos,
              .retain = false, .props = {}};
    m.props.user.push_back({"seq", std::to_string(i)});
    auto token = pub.link->publish(m);
    ASSERT_TRUE(token) << token.error().message();
    if (qos == QoS::AtMostOnce) {
      EXPECT_EQ(*token, 0);
    } else {
      EXPECT_NE(*token, 0);
      tokens.push_back(*token);
    }
  }
  // Every QoS 1/2 token acknowledged (the probes above add a varying number of QoS 0 SendDones,
  // so the total is no measure).
  const auto acknowledged = [&] {
    std::size_t n = 0;
    for (const auto& e : pub.sink->events()) n += e.kind == Kind::SendDone && e.token != 0 ? 1 : 0;
    return n;
  };
  ASSERT_TRUE(test::wait_until([&] { return acknowledged() >= tokens.size(); }, 10s))
      << acknowledged() << " of " << tokens.size();
  std::vector<int> acked;
  for (const auto& e : pub.sink->events()) {
    if (e.kind == Kind::SendDone && e.token != 0) {
      acked.push_back(e.token);
      EXPECT_LT(e.reason, 0x80);
    }
  }
  std::sort(tokens.begin(), tokens.end());
  std::sort(acked.begin(), acked.end());
  EXPECT_EQ(acked, tokens);
  EXPECT_EQ(pub.sink->count(Kind::SendFailed), 0u);

  // Every message arrived once, with its QoS (the subscription granted 2), payload and property.
  ASSERT_TRUE(test::wait_until([&] {
    std::size_t n = 0;
    for (const auto& m : sub.sink->messages()) n += m.topic != "t/probe";
    return n >= 30;
  }, 10s));
  std::vector<Message> got;
  for (auto& m : sub.sink->messages()) {
    if (m.topic != "t/probe") got.push_back(m);
  }
  ASSERT_EQ(got.size(), 30u);
  // Mosquitto forwards a QoS 2 message when its PUBREL arrives, so order only holds per QoS.
  std::sort(got.begin(), got.end(), [](const Message& a, const Message& b) {
    return std::stoi(a.topic.substr(2)) < std::stoi(b.topic.substr(2));
  });
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(got[static_cast<std::size_t>(i)].topic, "t/" + std::to_string(i));
    EXPECT_EQ(got[static_cast<std::size_t>(i)].payload, "payload-" + std::to_string(i));
    EXPECT_EQ(got[static_cast<std::size_t>(i)].qos, static_cast<QoS>(i % 3));
    ASSERT_EQ(got[static_cast<std::size_t>(i)].props.user.size(), 1u);
    EXPECT_EQ(got[static_cast<std::size_t>(i)].props.user[0].value, std::to_string(i));
  }
}

// Forwards to a BridgeInbox and records the threads the events were reported on.
class ThreadRecordingSink final : public LinkSink {
 public:
  explicit ThreadRecordingSink(std::shared_ptr<BridgeInbox> inbox) : inbox_(std::move(inbox)) {}
  void on_link_event(LinkEvent&& event) override {
    note();
    inbox_->on_link_event(std::move(event));
  }
  void on_link_events(std::vector<LinkEvent>& events) override {
    note();
    inbox_->on_link_events(events);
  }
  void on_remote_message(std::uint64_t generation, Message&& message) override {
    note();
    inbox_->on_remote_message(generation, std::move(message));
  }
  std::set<std::thread::id> threads() {
    std::lock_guard lock(mu_);
    return threads_;
  }

 private:
  void note() {
    std::lock_guard lock(mu_);
    threads_.insert(std::this_thread::get_id());
  }
  std::shared_ptr<BridgeInbox> inbox_;
  std::mutex mu_;  // guards: threads_
  std::set<std::thread::id> threads_;
};

TEST(NativeUplink, OnTheOwnersThreadTheConnectionRunsWhileTheInboxWaits) {
  test::MosquittoProcess cloud;
  const auto options = options_for({cloud.uri()});
  auto sub = connect_to(options, "native-owner-sub");
  ASSERT_TRUE(sub.sink->wait_for(Kind::Connected));
  ASSERT_TRUE(sub.link->subscribe("o/#", QoS::AtLeastOnce));

  auto inbox = std::make_shared<BridgeInbox>(64, nullptr);
  auto sink = std::make_shared<ThreadRecordingSink>(inbox);
  auto created = NativeUplink::create(options, "native-owner", 7, sink, NativeUplink::Threading::Owner);
  ASSERT_TRUE(created) << created.error().message();
  auto link = std::move(*created);
  ASSERT_EQ(link->driver(), link.get());
  inbox->set_driver(link->driver());
  ASSERT_TRUE(link->connect(QoS::AtLeastOnce, true));

  std::vector<LinkEvent> events;
  auto run_until = [&](const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    BridgeInbox::Batch batch;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      inbox->wait_and_take(100ms, batch);
      for (auto& e : batch.events) events.push_back(std::move(e));
      batch.events.clear();
    }
    return done();
  };
  auto count = [&](Kind kind, bool with_token) {
    return static_cast<std::size_t>(std::count_if(events.begin(), events.end(), [&](const LinkEvent& e) {
      return e.kind == kind && (e.token != 0) == with_token;
    }));
  };
  ASSERT_TRUE(run_until([&] { return count(Kind::Connected, false) == 1; })) << cloud.output();
  // The SUBACK has no success event: wait until a probe arrives. The probes go at QoS 1, so that
  // every QoS 0 SendDone below is the round's, and the identifiers of probes still in flight
  // differ from the round's.
  ASSERT_TRUE(run_until([&] {
    if (!sub.sink->messages().empty()) return true;
    (void)link->publish(Message{.topic = "o/probe", .payload = "p", .qos = QoS::AtLeastOnce, .retain = false, .props = {}});
    return false;
  }));
  events.clear();

  // One round, as the bridge sends it: held, then released together.
  constexpr int kMessages = 40;
  std::set<int> tokens;
  link->hold_sends();
  for (int i = 0; i < kMessages; ++i) {
    auto token = link->publish(Message{.topic = "o/" + std::to_string(i), .payload = std::to_string(i),
                                       .qos = i % 4 == 0 ? QoS::AtMostOnce : QoS::AtLeastOnce,
                                       .retain = false, .props = {}});
    ASSERT_TRUE(token) << token.error().message();
    if (*token != 0) tokens.insert(*token);
  }
  // Held: nothing of the round leaves while the owner runs the connection for 200 ms.
  const auto held_until = std::chrono::steady_clock::now() + 200ms;
  for (auto now = std::chrono::steady_clock::now(); now < held_until; now = std::chrono::steady_clock::now()) {
    BridgeInbox::Batch idle;
    inbox->wait_and_take(std::chrono::duration_cast<std::chrono::nanoseconds>(held_until - now), idle);
    for (auto& e : idle.events) events.push_back(std::move(e));
  }
  for (const auto& m : sub.sink->messages()) EXPECT_EQ(m.topic, "o/probe") << "the held round was sent";
  link->release_sends();
  auto acked = [&] {
    std::set<int> done;
    for (const auto& e : events) {
      if (e.kind == Kind::SendDone && tokens.count(e.token) > 0) done.insert(e.token);
    }
    return done;
  };
  ASSERT_TRUE(run_until([&] { return acked() == tokens && count(Kind::SendDone, false) >= kMessages / 4; }))
      << acked().size() << " of " << tokens.size() << " acknowledged, " << count(Kind::SendDone, false)
      << " QoS 0 written";
  EXPECT_EQ(count(Kind::SendDone, false), static_cast<std::size_t>(kMessages / 4));

  std::vector<std::string> got;
  ASSERT_TRUE(test::wait_until([&] {
    got.clear();
    for (const auto& m : sub.sink->messages()) {
      if (m.topic != "o/probe") got.push_back(m.payload);
    }
    return got.size() >= static_cast<std::size_t>(kMessages);
  }, 10s)) << got.size();
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)], std::to_string(i));

  ASSERT_TRUE(link->disconnect(2s));
  ASSERT_TRUE(run_until([&] { return count(Kind::Disconnected, false) == 1; }));
  EXPECT_EQ(sink->threads(), std::set<std::thread::id>{std::this_thread::get_id()})
      << "every event was reported on the owner's thread";
  inbox->set_driver(nullptr);
}

TEST(NativeUplink, ResumeContinuesExchangesWithTheirOwnIdentifiers) {
  test::MosquittoProcess cloud;
  const auto options = options_for({cloud.uri()});
  auto sub = connect_to(options, "native-resume-sub");
  ASSERT_TRUE(sub.sink->wait_for(Kind::Connected));
  ASSERT_TRUE(sub.link->subscribe("r/#", QoS::ExactlyOnce));
  auto pub = connect_to(options, "native-resume-pub");
  ASSERT_TRUE(pub.sink->wait_for(Kind::Connected));
  ASSERT_TRUE(test::wait_until([&] {
    (void)pub.link->publish(Message{.topic = "r/probe", .payload = "p", .qos = QoS::AtMostOnce, .retain = false, .props = {}});
    return !sub.sink->messages().empty();
  }, 10s));

  const auto token_of = [](const Result<int>& r) { return r ? *r : -1; };
  const auto message = [](std::string topic, QoS qos) {
    return Message{.topic = std::move(topic), .payload = "x", .qos = qos, .retain = false, .props = {}};
  };
  // Frozen, the server acknowledges nothing until the checks below are done: identifiers 1 to 3
  // are surely still in use.
  cloud.pause();
  // A PUBLISH again with its identifier (DUP), at QoS 1 and 2; a PUBREL again for identifier 3.
  EXPECT_EQ(token_of(pub.link->publish_with_id(message("r/one", QoS::AtLeastOnce), 1, Attempt::Again)), 1);
  EXPECT_EQ(token_of(pub.link->publish_with_id(message("r/two", QoS::ExactlyOnce), 2, Attempt::Again)), 2);
  EXPECT_EQ(token_of(pub.link->publish_with_id(message("r/released", QoS::ExactlyOnce), 3, Attempt::Release)), 3);
  // Identifiers in use, 0 and QoS 0 cannot be resumed; publish() takes the next free identifier.
  const auto refused = [](const Result<int>& r) { return !r && r.error() == std::errc::invalid_argument; };
  EXPECT_TRUE(refused(pub.link->publish_with_id(message("r/again", QoS::AtLeastOnce), 1, Attempt::Again)));
  EXPECT_TRUE(refused(pub.link->publish_with_id(message("r/zero", QoS::AtLeastOnce), 0, Attempt::First)));
  EXPECT_TRUE(refused(pub.link->publish_with_id(message("r/q0", QoS::AtMostOnce), 9, Attempt::First)));
  EXPECT_EQ(token_of(pub.link->publish(message("r/new", QoS::AtLeastOnce))), 4);
  // A new exchange with the caller's identifier (recorded before it leaves).
  EXPECT_EQ(token_of(pub.link->publish_with_id(message("r/chosen", QoS::ExactlyOnce), 65535, Attempt::First)), 65535);
  cloud.resume();

  const auto done = [&](int token) {
    for (const auto& e : pub.sink->events()) {
      if (e.kind == Kind::SendDone && e.token == token) return true;
    }
    return false;
  };
  ASSERT_TRUE(test::wait_until([&] { return done(1) && done(2) && done(3) && done(4) && done(65535); }, 10s));
  // PUBREC for the QoS 2 PUBLISH is reported before its PUBCOMP; a resumed PUBREL has none.
  std::vector<int> received;
  for (const auto& e : pub.sink->events()) {
    if (e.kind == Kind::Received) received.push_back(e.token);
  }
  EXPECT_EQ(received, (std::vector<int>{2, 65535}));
  // The messages arrive; the PUBREL alone delivers nothing.
  ASSERT_TRUE(test::wait_until([&] {
    std::set<std::string> topics;
    for (const auto& m : sub.sink->messages()) topics.insert(m.topic);
    return topics.count("r/one") + topics.count("r/two") + topics.count("r/new") + topics.count("r/chosen") == 4;
  }, 10s));
  for (const auto& m : sub.sink->messages()) EXPECT_NE(m.topic, "r/released");
}

TEST(NativeUplink, NoLocalKeepsItsOwnPublicationsFromComingBack) {
  test::MosquittoProcess cloud;
  const auto options = options_for({cloud.uri()});
  auto c = connect_to(options, "native-nolocal");
  ASSERT_TRUE(c.sink->wait_for(Kind::Connected));
  ASSERT_TRUE(c.link->subscribe("loop/#", QoS::AtLeastOnce));
  auto other = connect_to(options, "native-other");
  ASSERT_TRUE(other.sink->wait_for(Kind::Connected));
  // Our own message, then another client's: only the other one may come back.
  ASSERT_TRUE(test::wait_until([&] {
    (void)c.link->publish(Message{.topic = "loop/own", .payload = "x", .qos = QoS::AtLeastOnce, .retain = false, .props = {}});
    (void)other.link->publish(Message{.topic = "loop/other", .payload = "y", .qos = QoS::AtLeastOnce, .retain = false, .props = {}});
    return !c.sink->messages().empty();
  }, 10s));
  for (const auto& m : c.sink->messages()) EXPECT_EQ(m.topic, "loop/other");
}

TEST(NativeUplink, RefusesToPublishBeforeConnack) {
  test::MosquittoProcess cloud;
  const auto options = options_for({cloud.uri()});
  auto sink = std::make_shared<RecordingSink>();
  auto link = NativeUplink::create(options, "native-early", 1, sink);
  ASSERT_TRUE(link);
  auto token = (*link)->publish(Message{.topic = "t", .payload = "x", .qos = QoS::AtLeastOnce, .retain = false, .props = {}});
  ASSERT_FALSE(token);
  EXPECT_EQ(token.error(), std::errc::not_connected);
}

TEST(NativeUplink, ReportsConnectFailedWhenNoServerAnswers) {
  const auto options = options_for({closed_server(), closed_server()});
  auto c = connect_to(options, "native-nobody");
  auto failed = c.sink->wait_for(Kind::ConnectFailed);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->reason, 0);
  EXPECT_NE(failed->text.find(options.servers[1]), std::string::npos) << failed->text;
  EXPECT_NE(failed->text.find("TCP connect"), std::string::npos) << failed->text;
  EXPECT_EQ(c.sink->count(Kind::Connected), 0u);
}

TEST(NativeUplink, FallsBackToTheNextServerInTheList) {
  test::MosquittoProcess cloud;
  const auto options = options_for({closed_server(), cloud.uri()});
  auto c = connect_to(options, "native-fallback");
  auto connected = c.sink->wait_for(Kind::Connected);
  ASSERT_TRUE(connected);
  EXPECT_EQ(connected->limits.server_uri, cloud.uri());
}

TEST(NativeUplink, ReportsTheReasonOfARefusingConnack) {
  // A retained will where the server has no Retain Available: CONNACK 0x9A (MQTT 5 §3.2.2.2).
  test::MosquittoProcess cloud({.max_packet_size = std::nullopt, .max_inflight_messages = std::nullopt,
                                .max_qos = std::nullopt, .retain_available = false, .tls = std::nullopt});
  const auto options = options_for({cloud.uri()}, "status/native");
  auto c = connect_to(options, "native-refused");
  auto failed = c.sink->wait_for(Kind::ConnectFailed);
  ASSERT_TRUE(failed) << cloud.output();
  EXPECT_EQ(failed->reason, 0x9A);
  EXPECT_EQ(c.sink->count(Kind::Connected), 0u);

  // Without Retain on the will, the same server accepts it.
  auto sink = std::make_shared<RecordingSink>();
  auto again = NativeUplink::create(options, "native-refused", 2, sink);
  ASSERT_TRUE(again);
  ASSERT_TRUE((*again)->connect(QoS::AtLeastOnce, false));
  auto connected = sink->wait_for(Kind::Connected);
  ASSERT_TRUE(connected);
  EXPECT_FALSE(connected->limits.retain_available);
}

TEST(NativeUplink, ReportsConnectionLostWhenTheServerIsKilled) {
  test::MosquittoProcess cloud;
  const auto options = options_for({cloud.uri()});
  auto c = connect_to(options, "native-lost");
  ASSERT_TRUE(c.sink->wait_for(Kind::Connected));
  cloud.kill();
  auto lost = c.sink->wait_for(Kind::ConnectionLost);
  ASSERT_TRUE(lost);
  EXPECT_FALSE(lost->text.empty());
  auto token = c.link->publish(Message{.topic = "t", .payload = "x", .qos = QoS::AtLeastOnce, .retain = false, .props = {}});
  ASSERT_FALSE(token);
  EXPECT_EQ(token.error(), std::errc::not_connected);
}

TEST(NativeUplink, ReportsConnectionLostWhenNoPingrespComes) {
  test::MosquittoProcess cloud;
  auto options = options_for({cloud.uri()});
  options.keep_alive = 1s;
  auto c = connect_to(options, "native-frozen");
  ASSERT_TRUE(c.sink->wait_for(Kind::Connected));
  // A frozen broker keeps the socket open but answers nothing: PINGREQ after 1 s, lost after 2 s.
  cloud.pause();
  auto lost = c.sink->wait_for(Kind::ConnectionLost, 10s);
  cloud.resume();
  ASSERT_TRUE(lost);
  EXPECT_NE(lost->text.find("PINGRESP"), std::string::npos) << lost->text;
}

TEST(NativeUplink, KeepsALiveConnectionWithPings) {
  test::MosquittoProcess cloud;
  auto options = options_for({cloud.uri()});
  options.keep_alive = 1s;
  auto c = connect_to(options, "native-alive");
  ASSERT_TRUE(c.sink->wait_for(Kind::Connected));
  // Mosquitto drops a client silent for 1.5 keep alives; three keep alives without a loss.
  EXPECT_FALSE(c.sink->wait_for(Kind::ConnectionLost, 3500ms));
}

TEST(NativeUplink, DisconnectIsCleanAndDiscardsTheWill) {
  test::MosquittoProcess cloud;
  auto watch_options = options_for({cloud.uri()});
  auto watcher = connect_to(watch_options, "native-watcher");
  ASSERT_TRUE(watcher.sink->wait_for(Kind::Connected));
  ASSERT_TRUE(watcher.link->subscribe("status/#", QoS::AtLeastOnce));

  const auto options = options_for({cloud.uri()}, "status/native-will");
  {
    auto c = connect_to(options, "native-will");
    ASSERT_TRUE(c.sink->wait_for(Kind::Connected));
    ASSERT_TRUE(c.link->disconnect(1s));
    ASSERT_TRUE(c.sink->wait_for(Kind::Disconnected));
    EXPECT_EQ(c.sink->count(Kind::ConnectionLost), 0u);
    auto after = c.link->publish(Message{.topic = "t", .payload = "x", .qos = QoS::AtMostOnce, .retain = false, .props = {}});
    EXPECT_FALSE(after);
  }
  // The will goes out when a connection dies without DISCONNECT: shown by a second client.
  {
    auto c = connect_to(options, "native-will-2", 2);
    ASSERT_TRUE(c.sink->wait_for(Kind::Connected));
  }  // destroyed without DISCONNECT: the socket closes
  ASSERT_TRUE(test::wait_until([&] { return !watcher.sink->messages().empty(); }, 10s));
  const auto got = watcher.sink->messages();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].topic, "status/native-will");
  EXPECT_EQ(got[0].payload, R"({"status":"offline"})");
}

TEST(NativeUplink, CreateRefusesAServerThatIsNeitherMqttNorMqtts) {
  const auto options = options_for({"ws://127.0.0.1:8080"});
  auto link = NativeUplink::create(options, "x", 1, std::make_shared<RecordingSink>());
  ASSERT_FALSE(link);
  EXPECT_EQ(link.error(), std::errc::protocol_not_supported);
}

// --- mqtts:// against Mosquitto's TLS listener, with a throwaway PKI per test ------------------------

class NativeUplinkTls : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = pki_.ca("test-ca");
    server_ = pki_.issue(ca_, "server", test::kLoopbackSan);
    client_ = pki_.issue(ca_, "client", "");
  }

  test::MosquittoProcess tls_cloud(const test::CertFiles& server, bool require_certificate = false) {
    return test::MosquittoProcess({.max_packet_size = std::nullopt, .max_inflight_messages = std::nullopt,
                                   .max_qos = std::nullopt, .retain_available = std::nullopt,
                                   .tls = test::MosquittoTls{.ca_file = ca_.cert, .cert_file = server.cert,
                                                             .key_file = server.key,
                                                             .require_certificate = require_certificate}});
  }

  // Options trusting our CA only.
  BridgeOptions tls_options(std::vector<std::string> servers) const {
    auto o = options_for(std::move(servers));
    o.tls.ca_file = ca_.cert;
    return o;
  }

  // The text of the ConnectFailed that ends an attempt on `options`, or why there was none.
  static std::string failure_of(const BridgeOptions& options, const std::string& client_id) {
    auto c = connect_to(options, client_id);
    auto failed = c.sink->wait_for(Kind::ConnectFailed);
    if (!failed) return "no ConnectFailed";
    if (c.sink->count(Kind::Connected) != 0) return "Connected as well";
    return failed->text;
  }

  // The server an attempt on `options` connects to, or why it did not.
  static std::string connected_to(const BridgeOptions& options, const std::string& client_id) {
    auto c = connect_to(options, client_id);
    auto connected = c.sink->wait_for(Kind::Connected);
    if (!connected) {
      auto failed = c.sink->wait_for(Kind::ConnectFailed, 0ms);
      return "not connected: " + (failed ? failed->text : std::string("no event"));
    }
    return connected->limits.server_uri;
  }

  test::TestPki pki_;
  test::CertFiles ca_;
  test::CertFiles server_;
  test::CertFiles client_;
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST_F(NativeUplinkTls, PublishesAtQos1OverTlsAndEachIsAcknowledged) {
  auto cloud = tls_cloud(server_);
  // The subscriber on the plain listener of the same broker.
  // (An uplink borrows its options: they outlive it.)
  const auto sub_options = options_for({cloud.plain_uri()});
  auto sub = connect_to(sub_options, "tls-sub");
  ASSERT_TRUE(sub.sink->wait_for(Kind::Connected)) << cloud.output();
  ASSERT_TRUE(sub.link->subscribe("t/#", QoS::AtLeastOnce));

  const auto pub_options = tls_options({cloud.uri()});
  auto pub = connect_to(pub_options, "tls-pub");
  auto connected = pub.sink->wait_for(Kind::Connected);
  ASSERT_TRUE(connected) << cloud.output();
  EXPECT_EQ(connected->limits.server_uri, cloud.uri());
  ASSERT_TRUE(cloud.uri().starts_with("mqtts://"));
  // The SUBACK has no success event: wait until a probe arrives.
  ASSERT_TRUE(test::wait_until([&] {
    (void)pub.link->publish(Message{.topic = "t/probe", .payload = "p", .qos = QoS::AtMostOnce, .retain = false, .props = {}});
    return !sub.sink->messages().empty();
  }, 10s));

  // Bigger than one TLS record (16 KiB), so that a message spans records.
  constexpr int kN = 200;
  const std::string big(40 * 1024, 'x');
  std::vector<int> tokens;
  for (int i = 0; i < kN; ++i) {
    auto token = pub.link->publish(Message{.topic = "t/" + std::to_string(i),
                                           .payload = i % 50 == 0 ? big + std::to_string(i) : "m" + std::to_string(i),
                                           .qos = QoS::AtLeastOnce, .retain = false, .props = {}});
    ASSERT_TRUE(token) << token.error().message();
    tokens.push_back(*token);
  }
  const auto acked = [&] {
    std::vector<int> out;
    for (const auto& e : pub.sink->events()) {
      if (e.kind == Kind::SendDone && e.token != 0) out.push_back(e.token);
    }
    return out;
  };
  ASSERT_TRUE(test::wait_until([&] { return acked().size() >= tokens.size(); }, 10s)) << acked().size();
  auto got_tokens = acked();
  std::sort(got_tokens.begin(), got_tokens.end());
  std::sort(tokens.begin(), tokens.end());
  EXPECT_EQ(got_tokens, tokens);

  const auto delivered = [&] {
    std::vector<Message> out;
    for (auto& m : sub.sink->messages()) {
      if (m.topic != "t/probe") out.push_back(std::move(m));
    }
    return out;
  };
  ASSERT_TRUE(test::wait_until([&] { return delivered().size() >= kN; }, 10s)) << delivered().size();
  const auto got = delivered();
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kN));
  for (int i = 0; i < kN; ++i) {  // QoS 1 from one publisher: in order
    EXPECT_EQ(got[static_cast<std::size_t>(i)].topic, "t/" + std::to_string(i));
    EXPECT_EQ(got[static_cast<std::size_t>(i)].payload, i % 50 == 0 ? big + std::to_string(i) : "m" + std::to_string(i));
  }
  ASSERT_TRUE(pub.link->disconnect(2s));
  EXPECT_TRUE(pub.sink->wait_for(Kind::Disconnected));
  EXPECT_EQ(pub.sink->count(Kind::ConnectionLost), 0u);
}

TEST_F(NativeUplinkTls, SkipsAServerWhoseChainIsNotTrustedForTheNextOne) {
  const auto rogue_ca = pki_.ca("rogue-ca");
  auto rogue = tls_cloud(pki_.issue(rogue_ca, "rogue-server", test::kLoopbackSan));
  auto good = tls_cloud(server_);

  const auto text = failure_of(tls_options({rogue.uri()}), "tls-rogue");
  EXPECT_TRUE(contains(text, rogue.uri() + ": TLS handshake failed: certificate verify failed")) << text;
  // Its server sends its own certificate only: no chain to anything we trust.
  EXPECT_TRUE(contains(text, "(unable to get local issuer certificate)")) << text;

  EXPECT_EQ(connected_to(tls_options({rogue.uri(), good.uri()}), "tls-next"), good.uri());

  // Control: the rogue server is refused for its chain only; trusting its CA, it is used.
  auto trusting = tls_options({rogue.uri(), good.uri()});
  trusting.tls.ca_file = rogue_ca.cert;
  EXPECT_EQ(connected_to(trusting, "tls-trusting"), rogue.uri());
  // And so it is with verify_peer off (the host name it names is right).
  auto unverified = tls_options({rogue.uri(), good.uri()});
  unverified.tls.verify_peer = false;
  EXPECT_EQ(connected_to(unverified, "tls-unverified"), rogue.uri());
}

TEST_F(NativeUplinkTls, MixesMqttAndMqttsServersInOneList) {
  const auto rogue_ca = pki_.ca("rogue-ca");
  auto rogue = tls_cloud(pki_.issue(rogue_ca, "rogue-server", test::kLoopbackSan));
  auto good = tls_cloud(server_);
  // TLS refused, then plain TCP; plain TCP refused, then TLS.
  EXPECT_EQ(connected_to(tls_options({rogue.uri(), good.plain_uri()}), "mixed-1"), good.plain_uri());
  EXPECT_EQ(connected_to(tls_options({closed_server(), good.uri()}), "mixed-2"), good.uri());
  // A plain server, given a TLS listener, fails (no CONNACK comes) and the next one is used.
  auto plain_at_tls = tls_options({"mqtt://127.0.0.1:" + std::to_string(good.port()), good.uri()});
  plain_at_tls.connect_timeout = 1s;
  EXPECT_EQ(connected_to(plain_at_tls, "mixed-3"), good.uri());
}

TEST_F(NativeUplinkTls, ChecksTheHostNameOnlyWhenVerifyHostnameIsOn) {
  auto other = tls_cloud(pki_.issue(ca_, "other-host", "DNS:cloud.example.invalid"));
  auto verifying = tls_options({other.uri()});  // a trusted chain, the wrong name
  ASSERT_TRUE(verifying.tls.verify_hostname);
  const auto text = failure_of(verifying, "tls-name");
  EXPECT_TRUE(contains(text, other.uri() + ": TLS: the server certificate does not name '127.0.0.1'")) << text;

  auto lenient = verifying;
  lenient.tls.verify_hostname = false;
  EXPECT_EQ(connected_to(lenient, "tls-lenient"), other.uri());

  // As Paho: the name is checked even when the chain is not.
  auto unverified = verifying;
  unverified.tls.verify_peer = false;
  EXPECT_TRUE(contains(failure_of(unverified, "tls-name-2"), "does not name")) << failure_of(unverified, "tls-name-3");
}

TEST_F(NativeUplinkTls, MatchesAHostNameAsWellAsAnAddress) {
  auto cloud = tls_cloud(server_);  // names IP:127.0.0.1 and DNS:localhost
  const auto by_name = "mqtts://localhost:" + std::to_string(cloud.port());
  EXPECT_EQ(connected_to(tls_options({by_name}), "tls-localhost"), by_name);
}

TEST_F(NativeUplinkTls, SendsTheClientCertificateAServerRequires) {
  auto cloud = tls_cloud(server_, /*require_certificate=*/true);
  const auto without = failure_of(tls_options({cloud.uri()}), "tls-nocert");
  // TLS 1.3: the server refuses after our side of the handshake, with an alert.
  EXPECT_TRUE(contains(without, cloud.uri() + ": TLS: tlsv13 alert certificate required")) << without;

  auto with_cert = tls_options({cloud.uri()});
  with_cert.tls.cert_file = client_.cert;
  with_cert.tls.key_file = client_.key;
  EXPECT_EQ(connected_to(with_cert, "tls-cert"), cloud.uri());

  // The key in cert_file when key_file is empty.
  auto combined = tls_options({cloud.uri()});
  combined.tls.cert_file = pki_.combined(client_);
  EXPECT_EQ(connected_to(combined, "tls-combined"), cloud.uri());

  // An encrypted key: the right password loads it, a wrong one fails the server with the reason.
  auto encrypted = tls_options({cloud.uri()});
  encrypted.tls.cert_file = client_.cert;
  encrypted.tls.key_file = pki_.encrypt(client_.key, "s3cret");
  encrypted.tls.key_password = "s3cret";
  EXPECT_EQ(connected_to(encrypted, "tls-encrypted"), cloud.uri());
  encrypted.tls.key_password = "wrong";
  const auto wrong = failure_of(encrypted, "tls-wrong-password");
  EXPECT_TRUE(contains(wrong, "TLS: cannot load the private key from '" + encrypted.tls.key_file + "'")) << wrong;

  // A client certificate from another CA is refused by the server.
  const auto rogue_ca = pki_.ca("rogue-ca");
  const auto rogue_client = pki_.issue(rogue_ca, "rogue-client", "");
  auto rogue = tls_options({cloud.uri()});
  rogue.tls.cert_file = rogue_client.cert;
  rogue.tls.key_file = rogue_client.key;
  const auto refused = failure_of(rogue, "tls-rogue-cert");
  EXPECT_TRUE(contains(refused, cloud.uri() + ": TLS: tlsv1 alert unknown ca")) << refused;
}

TEST_F(NativeUplinkTls, AMissingCaFileFailsEachTlsServerButNotAPlainOne) {
  auto cloud = tls_cloud(server_);
  auto options = tls_options({cloud.uri(), cloud.plain_uri()});
  options.tls.ca_file = pki_.dir().path().string() + "/missing.pem";
  EXPECT_EQ(connected_to(options, "tls-missing-ca"), cloud.plain_uri());
  options.servers = {cloud.uri()};
  const auto text = failure_of(options, "tls-missing-ca-2");
  EXPECT_TRUE(contains(text, "TLS: cannot read '" + options.tls.ca_file + "'")) << text;
}

TEST_F(NativeUplinkTls, BoundsAStalledHandshakeByTheConnectTimeout) {
  auto frozen = tls_cloud(server_);
  auto good = tls_cloud(server_);
  auto options = tls_options({frozen.uri(), good.uri()});
  options.connect_timeout = 1s;
  frozen.pause();  // the kernel accepts the TCP connection; no ServerHello comes
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(connected_to(options, "tls-stalled"), good.uri());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  options.servers = {frozen.uri()};
  const auto text = failure_of(options, "tls-stalled-2");
  EXPECT_TRUE(contains(text, "TLS handshake not finished within the connect timeout")) << text;
  // Destroyed in the middle of a handshake: returns.
  {
    auto c = connect_to(options, "tls-destroyed");
  }
  frozen.resume();
}

TEST_F(NativeUplinkTls, ReportsConnectionLostAndDisconnectsWithinItsTimeoutFromADeadServer) {
  auto cloud = tls_cloud(server_);
  const auto options = tls_options({cloud.uri()});
  {
    auto c = connect_to(options, "tls-killed");
    ASSERT_TRUE(c.sink->wait_for(Kind::Connected));
    cloud.kill();
    auto lost = c.sink->wait_for(Kind::ConnectionLost);
    ASSERT_TRUE(lost);
    EXPECT_EQ(lost->text, "closed by the server");
  }
  cloud.start();
  auto c = connect_to(options, "tls-frozen");
  ASSERT_TRUE(c.sink->wait_for(Kind::Connected)) << cloud.output();
  cloud.pause();  // never answers the DISCONNECT, never closes
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.link->disconnect(500ms));
  EXPECT_TRUE(c.sink->wait_for(Kind::Disconnected, 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  cloud.resume();
}

}  // namespace
}  // namespace gw::bridge
