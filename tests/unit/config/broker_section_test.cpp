#include "config/broker_section.hpp"

#include <gtest/gtest.h>

#include "load_helpers.hpp"

namespace gw::config {
namespace {

using namespace std::chrono_literals;
using test::errors;
using test::load;

TEST(BrokerSection, HasOneLoopbackListenerWhenThereIsNoBrokerSection) {
  auto r = load("gateway: {id: plant-1}\n");
  ASSERT_TRUE(r.config) << r.report;
  ASSERT_EQ(r.config->broker.listeners.size(), 1u);
  EXPECT_EQ(r.config->broker.listeners[0].address, "127.0.0.1");
  EXPECT_EQ(r.config->broker.listeners[0].port, 1883);
}

TEST(BrokerSection, ParsesRedirectAndResponseInformation) {
  auto r = load(R"(broker:
  response_information: "replies/"
  redirect:
    server: 10.0.0.7:1883
    permanent: true
)");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.config->broker.response_information, "replies/");
  ASSERT_TRUE(r.config->broker.redirect);
  EXPECT_EQ(r.config->broker.redirect->server_reference, "10.0.0.7:1883");
  EXPECT_TRUE(r.config->broker.redirect->permanent);
  auto none = load("broker: {}\n");
  ASSERT_TRUE(none.config) << none.report;
  EXPECT_FALSE(none.config->broker.redirect);
}

TEST(BrokerSection, RedirectNeedsAServer) {
  EXPECT_NE(errors("broker:\n  redirect:\n    permanent: true\n").find("server"), std::string::npos);
}

TEST(BrokerSection, ParsesEveryKey) {
  auto r = load(R"(broker:
  listeners:
    - bind: 0.0.0.0:1883
      name: plant-net
    - bind: "[::1]:0"
  max_packet_size: 1MiB
  receive_maximum: 100
  max_keep_alive: 10m
  max_session_expiry: 1d
  connect_timeout: 500ms
  max_connections: 50
  maximum_qos: 1
  retain_available: false
  wildcard_subscriptions: false
  shared_subscriptions: false
  subscription_identifiers: false
  topic_alias_maximum: 0
  max_queued_messages: 10
  max_queued_bytes: 2MiB
  max_inflight: 5
  allow_anonymous: false
)");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.report, "");
  const auto& b = r.config->broker;
  ASSERT_EQ(b.listeners.size(), 2u);
  EXPECT_EQ(b.listeners[0].address, "0.0.0.0");
  EXPECT_EQ(b.listeners[0].name, "plant-net");
  EXPECT_EQ(b.listeners[1].address, "::1");
  EXPECT_EQ(b.listeners[1].port, 0);
  EXPECT_EQ(b.max_packet_size, 1u << 20);
  EXPECT_EQ(b.receive_maximum, 100);
  EXPECT_EQ(b.max_keep_alive, 600s);
  EXPECT_EQ(b.max_session_expiry, 86400s);
  EXPECT_EQ(b.connect_timeout, 500ms);
  EXPECT_EQ(b.max_connections, 50u);
  EXPECT_EQ(b.maximum_qos, QoS::AtLeastOnce);
  EXPECT_FALSE(b.retain_available);
  EXPECT_FALSE(b.wildcard_subscriptions);
  EXPECT_FALSE(b.shared_subscriptions);
  EXPECT_FALSE(b.subscription_identifiers);
  EXPECT_EQ(b.topic_alias_maximum, 0);
  EXPECT_EQ(b.max_queued_messages, 10u);
  EXPECT_EQ(b.max_queued_bytes, 2u << 20);
  EXPECT_EQ(b.max_inflight, 5u);
  EXPECT_EQ(b.allow_anonymous, false);
}

TEST(BrokerSection, ReplacesTheDefaultListenerWithTheGivenList) {
  auto r = load("broker:\n  listeners:\n    - bind: 127.0.0.1:11883\n");
  ASSERT_TRUE(r.config) << r.report;
  ASSERT_EQ(r.config->broker.listeners.size(), 1u);
  EXPECT_EQ(r.config->broker.listeners[0].port, 11883);
}

TEST(BrokerSection, ReportsAPortOutOfRangeWithThePath) {
  EXPECT_EQ(errors("broker:\n  listeners:\n    - bind: 127.0.0.1:70000\n"),
            "t.yaml:3:13: error: broker.listeners[0].bind: port 70000 out of range 0..65535\n");
}

TEST(BrokerSection, ReportsMalformedBinds) {
  EXPECT_EQ(errors("broker:\n  listeners:\n    - bind: 127.0.0.1\n"),
            "t.yaml:3:13: error: broker.listeners[0].bind: expected address:port (127.0.0.1:1883, "
            "[::1]:1883), got '127.0.0.1' (the port is missing)\n");
  EXPECT_EQ(errors("broker:\n  listeners:\n    - bind: ::1:1883\n"),
            "t.yaml:3:13: error: broker.listeners[0].bind: IPv6 addresses need brackets: [::1]:1883\n");
  EXPECT_EQ(errors("broker:\n  listeners:\n    - bind: localhost:1883\n"),
            "t.yaml:3:13: error: broker.listeners[0].bind: 'localhost' is not an IP address; "
            "listeners bind to an IPv4 or [IPv6] address (0.0.0.0 or [::] for all)\n");
  EXPECT_EQ(errors("broker:\n  listeners:\n    - bind: 127.0.0.1:mqtt\n"),
            "t.yaml:3:13: error: broker.listeners[0].bind: port 'mqtt' is not a number\n");
}

TEST(BrokerSection, ReportsAMissingBind) {
  EXPECT_EQ(errors("broker:\n  listeners:\n    - name: x\n"),
            "t.yaml:3:7: error: broker.listeners[0]: missing required key 'bind'\n");
}

TEST(BrokerSection, RejectsAnEmptyListenerList) {
  EXPECT_EQ(errors("broker:\n  listeners: []\n"),
            "t.yaml:2:14: error: broker.listeners: the list is empty; at least 1 listener is "
            "required\n");
}

TEST(BrokerSection, RejectsTwoListenersOnTheSameAddress) {
  EXPECT_EQ(errors("broker:\n  listeners:\n    - bind: 127.0.0.1:1883\n    - bind: 127.0.0.1:1883\n"),
            "t.yaml:4:13: error: broker.listeners[1].bind: 127.0.0.1:1883 is already used by "
            "broker.listeners[0]\n");
}

TEST(BrokerSection, RejectsTwoListenersWithTheSameName) {
  EXPECT_EQ(errors("broker:\n  listeners:\n    - {bind: 127.0.0.1:1, name: a}\n"
                   "    - {bind: 127.0.0.1:2, name: a}\n"),
            "t.yaml:4:33: error: broker.listeners[1].name: 'a' is already the name of "
            "broker.listeners[0]\n");
}

TEST(BrokerSection, ParsesAWebSocketListenerWithItsPathOrTheDefault) {
  auto r = load(R"(broker:
  listeners:
    - bind: 127.0.0.1:1883
    - bind: 127.0.0.1:8080
      websocket: {}
    - bind: 127.0.0.1:8081
      websocket: {path: /dash/mqtt}
)");
  ASSERT_TRUE(r.config) << r.report;
  const auto& l = r.config->broker.listeners;
  ASSERT_EQ(l.size(), 3u);
  EXPECT_FALSE(l[0].websocket);
  ASSERT_TRUE(l[1].websocket);
  EXPECT_EQ(l[1].websocket->path, "/mqtt");
  ASSERT_TRUE(l[2].websocket);
  EXPECT_EQ(l[2].websocket->path, "/dash/mqtt");
}

TEST(BrokerSection, RejectsAWebSocketPathThatIsNotAPath) {
  EXPECT_EQ(errors("broker:\n  listeners:\n    - bind: 127.0.0.1:0\n      websocket: {path: mqtt}\n"),
            "t.yaml:4:25: error: broker.listeners[0].websocket.path: 'mqtt' is not a URL path: it "
            "starts with / and has no spaces, ? or #\n");
  EXPECT_NE(errors("broker:\n  listeners:\n    - bind: 127.0.0.1:0\n      websocket: {path: \"/a?b\"}\n")
                .find("is not a URL path"),
            std::string::npos);
  EXPECT_NE(errors("broker:\n  listeners:\n    - bind: 127.0.0.1:0\n      websocket: true\n").find("websocket"),
            std::string::npos);
  EXPECT_NE(errors("broker:\n  listeners:\n    - bind: 127.0.0.1:0\n      websocket: {paht: /x}\n").find("paht"),
            std::string::npos);
}

TEST(BrokerSection, ReportsAWrongType) {
  EXPECT_EQ(errors("broker:\n  receive_maximum: lots\n"),
            "t.yaml:2:20: error: broker.receive_maximum: expected an integer 1..65535, got 'lots'\n");
  EXPECT_EQ(errors("broker:\n  retain_available: yes\n"),
            "t.yaml:2:21: error: broker.retain_available: expected true or false, got 'yes'\n");
}

TEST(BrokerSection, ReportsOutOfRangeValuesWithoutClamping) {
  EXPECT_EQ(errors("broker:\n  receive_maximum: 0\n"),
            "t.yaml:2:20: error: broker.receive_maximum: 0 out of range 1..65535\n");
  EXPECT_EQ(errors("broker:\n  max_packet_size: 512MiB\n"),
            "t.yaml:2:20: error: broker.max_packet_size: 512MiB out of range 1KiB..256MiB\n");
  EXPECT_EQ(errors("broker:\n  max_keep_alive: 1d\n"),
            "t.yaml:2:19: error: broker.max_keep_alive: 1d out of range 0s..65535s\n");
  EXPECT_EQ(errors("broker:\n  maximum_qos: 3\n"),
            "t.yaml:2:16: error: broker.maximum_qos: 3 out of range 0..2\n");
  EXPECT_EQ(errors("broker:\n  topic_alias_maximum: -1\n"),
            "t.yaml:2:24: error: broker.topic_alias_maximum: -1 out of range 0..65535\n");
}

TEST(BrokerSection, ReportsABareDurationAskingForAUnit) {
  EXPECT_EQ(errors("broker:\n  max_keep_alive: 600\n"),
            "t.yaml:2:19: error: broker.max_keep_alive: '600' has no unit; add one, like 250ms, "
            "5s, 10m, 1h or 1d\n");
}

TEST(BrokerSection, ReportsABadUnit) {
  EXPECT_EQ(errors("broker:\n  max_keep_alive: 10mins\n"),
            "t.yaml:2:19: error: broker.max_keep_alive: '10mins': unknown unit 'mins'; did you "
            "mean 'm'? (units: ms, s, m, h or d)\n");
  EXPECT_EQ(errors("broker:\n  max_packet_size: 256\n"),
            "t.yaml:2:20: error: broker.max_packet_size: '256' has no unit; add one, like 512B, "
            "256KiB, 1MiB or 1GiB\n");
}

TEST(BrokerSection, RejectsSubSecondValuesForSecondFields) {
  EXPECT_EQ(errors("broker:\n  max_keep_alive: 1500ms\n"),
            "t.yaml:2:19: error: broker.max_keep_alive: '1500ms' is not a whole number of seconds\n");
}

TEST(BrokerSection, RequiresRoomForOneLargestMessageInTheQueue) {
  EXPECT_EQ(errors("broker:\n  max_packet_size: 1MiB\n  max_queued_bytes: 512KiB\n"),
            "t.yaml:3:21: error: broker.max_queued_bytes: 512KiB is smaller than max_packet_size "
            "(1MiB); one message of the largest size must fit\n");
}

// The upper bound is 4 GiB where size_t has 64 bits and 4 GiB - 1 on 32-bit targets (armhf),
// whose build once failed on `std::size_t{1} << 32`.
TEST(BrokerSection, BoundsTheQueueSizeByWhatA32BitSizeTHolds) {
  auto r = load("broker:\n  max_queued_bytes: 4095MiB\n");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.config->broker.max_queued_bytes, std::size_t{4095} << 20);
  // The same bound on every architecture, so config/schema.json is too.
  EXPECT_NE(errors("broker:\n  max_queued_bytes: 4GiB\n").find("max_queued_bytes"),
            std::string::npos);
  EXPECT_NE(errors("broker:\n  max_queued_bytes: 5GiB\n").find("max_queued_bytes"),
            std::string::npos);
}

TEST(BrokerSection, WarnsAboutAnonymousClientsOnANetworkListener) {
  auto r = load("broker:\n  listeners:\n    - bind: 0.0.0.0:1883\n");
  EXPECT_TRUE(r.config);
  EXPECT_EQ(r.report,
            "t.yaml:3:13: warning: broker.listeners[0].bind: 0.0.0.0:1883 accepts no client "
            "from the network: without a password_file every client is anonymous, and anonymous "
            "clients may connect from this machine only (set password_file, or "
            "allow_anonymous: true)\n");
  r = load("broker:\n  allow_anonymous: true\n  listeners:\n    - bind: 0.0.0.0:1883\n");
  EXPECT_TRUE(r.config);
  EXPECT_EQ(r.report,
            "t.yaml:4:13: warning: broker.listeners[0].bind: 0.0.0.0:1883 accepts anonymous "
            "clients from the network (allow_anonymous is true)\n");
  r = load("broker:\n  password_file: /etc/edge-gateway/passwd\n  listeners:\n"
           "    - bind: 0.0.0.0:1883\n");
  EXPECT_TRUE(r.config);
  EXPECT_EQ(r.report, "");
  EXPECT_EQ(r.config->broker.password_file, "/etc/edge-gateway/passwd");
  EXPECT_FALSE(r.config->broker.allow_anonymous.has_value());
}

}  // namespace
}  // namespace gw::config

namespace gw::config {
namespace {

using test::errors;
using test::load;

TEST(BrokerSectionAcl, ParsesRulesInOrder) {
  auto r = load(R"(broker:
  acl:
    - {user: guest, topic: "plant/secret/#", deny: [subscribe, receive]}
    - {topic: "plant/#", allow: [subscribe, receive]}
    - {client_id: pump-7, topic: "devices/%c/#", allow: publish}
)");
  ASSERT_TRUE(r.config) << r.report;
  const auto& acl = r.config->broker.acl;
  ASSERT_EQ(acl.size(), 3U);
  using broker::auth::Access;
  const auto bit = [](Access a) { return static_cast<std::uint8_t>(a); };
  EXPECT_EQ(acl[0].user, "guest");
  EXPECT_TRUE(acl[0].deny);
  EXPECT_EQ(acl[0].access, bit(Access::Subscribe) | bit(Access::Receive));
  EXPECT_FALSE(acl[1].user);
  EXPECT_FALSE(acl[1].deny);
  EXPECT_EQ(acl[1].topic, "plant/#");
  EXPECT_EQ(acl[2].client_id, "pump-7");
  EXPECT_EQ(acl[2].access, bit(Access::Publish));
  EXPECT_TRUE(load("broker: {}\n").config->broker.acl.empty());
}

TEST(BrokerSectionAcl, WarnsAboutUserRulesWithoutAPasswordFile) {
  auto r = load("broker:\n  acl:\n    - {user: hmi, topic: a/#, allow: publish}\n");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.report,
            "t.yaml:3:14: warning: broker.acl[0].user: there is no password_file, so no client "
            "has a verified user name and this rule never applies\n");
  r = load("broker:\n  password_file: /etc/edge-gateway/passwd\n  acl:\n"
           "    - {user: hmi, topic: a/#, allow: publish}\n");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.report, "");
}

TEST(BrokerSectionAcl, ReportsBadRulesWithTheirPosition) {
  EXPECT_EQ(errors("broker:\n  acl:\n    - {topic: a/#}\n"),
            "t.yaml:3:7: error: broker.acl[0]: a rule needs allow: or deny: (publish, subscribe, "
            "receive)\n");
  EXPECT_EQ(errors("broker:\n  acl:\n    - {topic: a/#, allow: publish, deny: receive}\n"),
            "t.yaml:3:7: error: broker.acl[0]: a rule either allows or denies: give allow or "
            "deny, not both\n");
  EXPECT_EQ(errors("broker:\n  acl:\n    - {topic: a/#, allow: [publish, write]}\n"),
            "t.yaml:3:37: error: broker.acl[0].allow: expected publish, subscribe or receive, got "
            "'write'\n");
  EXPECT_EQ(errors("broker:\n  acl:\n    - {topic: a/#/b, allow: publish}\n").substr(0, 40),
            "t.yaml:3:15: error: broker.acl[0].topic:");
  EXPECT_EQ(errors("broker:\n  acl:\n    - {allow: publish}\n"),
            "t.yaml:3:7: error: broker.acl[0]: missing required key 'topic'\n");
}

}  // namespace
}  // namespace gw::config

namespace gw::config {
namespace {

using namespace std::chrono_literals;
using test::errors;
using test::load;

TEST(BrokerSectionPersistence, IsOffByDefaultWithItsFileUnderTheDataDirectory) {
  auto r = load("gateway: {data_dir: /data/gw/}\n");
  ASSERT_TRUE(r.config) << r.report;
  const auto& p = r.config->broker.persistence;
  EXPECT_FALSE(p.enabled);
  EXPECT_EQ(p.path, "/data/gw/broker.db");
  EXPECT_EQ(p.commit_window, 1s);
  EXPECT_FALSE(p.synchronous_full);
}

TEST(BrokerSection, KeepsTheFakeSaltKeyUnderTheDataDirectory) {
  auto r = load("gateway: {data_dir: /data/gw/}\n");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.config->broker.scram_salt_key_file, "/data/gw/scram-salt.key");
  auto root = load("gateway: {data_dir: /}\n");
  ASSERT_TRUE(root.config) << root.report;
  EXPECT_EQ(root.config->broker.scram_salt_key_file, "/scram-salt.key");
}

TEST(BrokerSectionPersistence, ParsesEveryKey) {
  auto r = load(R"(broker:
  persistence:
    enabled: true
    path: /srv/state/b.db
    synchronous: full
    commit_window: 250ms
)");
  ASSERT_TRUE(r.config) << r.report;
  const auto& p = r.config->broker.persistence;
  EXPECT_TRUE(p.enabled);
  EXPECT_EQ(p.path, "/srv/state/b.db");
  EXPECT_TRUE(p.synchronous_full);
  EXPECT_EQ(p.commit_window, 250ms);
}

TEST(BrokerSectionPersistence, ReportsBadValuesWithTheirPosition) {
  EXPECT_NE(errors("broker:\n  persistence:\n    commit_window: 5ms\n")
                .find("t.yaml:3:20: error: broker.persistence.commit_window"),
            std::string::npos)
      << errors("broker:\n  persistence:\n    commit_window: 5ms\n");
  EXPECT_NE(errors("broker:\n  persistence:\n    synchronous: always\n")
                .find("t.yaml:3:18: error: broker.persistence.synchronous"),
            std::string::npos)
      << errors("broker:\n  persistence:\n    synchronous: always\n");
  EXPECT_NE(errors("broker:\n  persistence:\n    file: x.db\n").find("t.yaml:3:5: error"),
            std::string::npos)
      << errors("broker:\n  persistence:\n    file: x.db\n");
  EXPECT_NE(errors("broker:\n  persistence:\n    path: \"\"\n").find("broker.persistence.path"),
            std::string::npos);
}

TEST(BrokerSection, ParsesTheLimits) {
  const auto r = test::load(
      "broker:\n  listeners:\n    - bind: 127.0.0.1:1883\n      max_connections: 10\n"
      "    - bind: 127.0.0.1:1884\n"
      "  max_connect_rate: 0\n  max_connect_burst: 5\n  max_subscriptions_per_client: 7\n"
      "  max_topic_length: 100\n  max_topic_levels: 4\n");
  ASSERT_TRUE(r.config) << r.report;
  const auto& b = r.config->broker;
  EXPECT_EQ(b.listeners[0].max_connections, 10u);
  EXPECT_FALSE(b.listeners[1].max_connections);
  EXPECT_EQ(b.max_connect_rate, 0u);
  EXPECT_EQ(b.max_connect_burst, 5u);
  EXPECT_EQ(b.max_subscriptions_per_client, 7u);
  EXPECT_EQ(b.max_topic_length, 100u);
  EXPECT_EQ(b.max_topic_levels, 4u);
}

TEST(BrokerSection, LimitDefaultsAreFinite) {
  const auto r = test::load("broker: {}\n");
  ASSERT_TRUE(r.config) << r.report;
  const auto& b = r.config->broker;
  EXPECT_EQ(b.max_connect_rate, 20u);
  EXPECT_EQ(b.max_connect_burst, 40u);
  EXPECT_EQ(b.max_subscriptions_per_client, 1000u);
  EXPECT_EQ(b.max_topic_length, 1024u);
  EXPECT_EQ(b.max_topic_levels, 32u);
}

TEST(BrokerSection, RejectsOutOfRangeLimitsWithTheirPosition) {
  const std::string report = test::errors(
      "broker:\n  listeners:\n    - bind: 127.0.0.1:1883\n      max_connections: 0\n"
      "  max_connect_burst: 0\n  max_topic_levels: 0\n  max_topic_length: 70000\n"
      "  max_subscriptions_per_client: -1\n");
  EXPECT_EQ(report,
            "t.yaml:4:24: error: broker.listeners[0].max_connections: 0 out of range 1..1000000\n"
            "t.yaml:5:22: error: broker.max_connect_burst: 0 out of range 1..100000\n"
            "t.yaml:6:21: error: broker.max_topic_levels: 0 out of range 1..65535\n"
            "t.yaml:7:21: error: broker.max_topic_length: 70000 out of range 1..65535\n"
            "t.yaml:8:33: error: broker.max_subscriptions_per_client: -1 out of range 1..1000000\n");
}

}  // namespace
}  // namespace gw::config
