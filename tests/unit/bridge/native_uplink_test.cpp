// NativeUplink against a real Mosquitto on loopback: CONNECT and the CONNACK limits, PUBLISH at
// QoS 0/1/2 with their acknowledgements, SUBSCRIBE and remote messages, refused and failed
// connects, the fallback server list, a lost connection (kill -9 and a frozen broker), DISCONNECT.
#include "gateway/bridge/native_uplink.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <mutex>
#include <vector>

#include "tests/support/mosquitto_process.hpp"
#include "tests/support/process.hpp"

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

TEST(NativeUplink, CreateRefusesATlsServer) {
  const auto options = options_for({"mqtts://127.0.0.1:8883"});
  auto link = NativeUplink::create(options, "x", 1, std::make_shared<RecordingSink>());
  ASSERT_FALSE(link);
  EXPECT_EQ(link.error(), std::errc::protocol_not_supported);
}

}  // namespace
}  // namespace gw::bridge
