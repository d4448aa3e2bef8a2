#include "config/bridge_section.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "load_helpers.hpp"

namespace gw::config {
namespace {

namespace br = bridge;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using test::errors;
using test::load;
using test::ScopedEnv;

// A bridge with one server and one upstream route; `keys` follow from line 5 on, indented as
// keys of the bridge.
std::string bridge(const std::string& keys = "") {
  return "bridge:\n"
         "  servers: [mqtts://cloud.example.com]\n"
         "  upstream:\n"
         "    - {name: telemetry, local: plant-1/#}\n" +
         keys;
}

// The bridge of a config that must load without a warning.
br::BridgeOptions loaded(const std::string& yaml) {
  auto r = load(yaml);
  EXPECT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.report, "");
  if (!r.config || !r.config->bridge) {
    ADD_FAILURE() << "no bridge";
    return {};
  }
  return *r.config->bridge;
}

// A temporary file with `content`, removed at the end of the scope.
class TempFile {
 public:
  explicit TempFile(const std::string& content)
      : path_(std::filesystem::temp_directory_path() /
              ("gw-bridge-" + std::to_string(::getpid()) + "-" + std::to_string(++count_))) {
    std::ofstream(path_) << content;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  [[nodiscard]] std::string path() const { return path_.string(); }

 private:
  static inline int count_ = 0;
  std::filesystem::path path_;
};

// --- the minimal bridge, and every key -----------------------------------------------------------

TEST(BridgeSection, IsAbsentByDefault) {
  auto r = load("gateway: {id: plant-1}\n");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_FALSE(r.config->bridge);
}

TEST(BridgeSection, CompletesTheMinimalBridgeWithDefaults) {
  const br::BridgeOptions b = loaded("gateway: {id: plant-1, data_dir: /data/gw/}\n" + bridge());
  EXPECT_EQ(b.servers, std::vector<std::string>{"mqtts://cloud.example.com:8883"});
  EXPECT_EQ(b.client_id, "plant-1");
  EXPECT_EQ(b.username, std::nullopt);
  EXPECT_EQ(b.password, std::nullopt);
  EXPECT_EQ(b.tls.ca_file, "");
  EXPECT_EQ(b.tls.cert_file, "");
  EXPECT_EQ(b.tls.key_file, "");
  EXPECT_EQ(b.tls.key_password, "");
  EXPECT_TRUE(b.tls.verify_peer);
  EXPECT_TRUE(b.tls.verify_hostname);
  EXPECT_EQ(b.keep_alive, seconds(30));
  EXPECT_EQ(b.session_expiry, hours(1));
  EXPECT_EQ(b.connect_timeout, seconds(10));
  EXPECT_EQ(b.max_packet_size, 256u * 1024);
  EXPECT_EQ(b.receive_maximum, 64);
  EXPECT_EQ(b.max_inflight, 64);
  EXPECT_EQ(b.status_topic, "plant-1/status");
  EXPECT_EQ(b.reconnect_initial, milliseconds(500));
  EXPECT_EQ(b.reconnect_max, minutes(1));
  EXPECT_EQ(b.stall_timeout, minutes(1));
  EXPECT_EQ(b.rate.messages_per_second, 0u);
  EXPECT_EQ(b.rate.bytes_per_second, 0u);
  EXPECT_EQ(b.replay, br::ReplayOrder::Fifo);
  EXPECT_EQ(b.sequence_property, "");
  EXPECT_EQ(b.queue_capacity, 100000u);
  EXPECT_EQ(b.downstream_capacity, 10000u);
  EXPECT_EQ(b.stop_timeout, seconds(5));
  ASSERT_EQ(b.upstream.size(), 1u);
  const br::UpstreamRoute& u = b.upstream[0];
  EXPECT_EQ(u.name, "telemetry");
  EXPECT_EQ(u.local_filter, "plant-1/#");
  EXPECT_EQ(u.remote.target, "");
  EXPECT_EQ(u.remote.strip_prefix, "");
  EXPECT_EQ(u.qos, std::nullopt);
  EXPECT_EQ(u.retain, br::RetainMode::Keep);
  EXPECT_EQ(u.priority, 0);
  EXPECT_TRUE(b.downstream.empty());
  const br::OutboxOptions& o = b.outbox;
  EXPECT_EQ(o.path, "/data/gw/outbox.db");
  EXPECT_FALSE(o.synchronous_full);
  EXPECT_EQ(o.commit_window, milliseconds(50));
  EXPECT_EQ(o.commit_max_messages, 500u);
  EXPECT_EQ(o.max_bytes, 256u * 1024 * 1024);
  EXPECT_EQ(o.max_rows, 0u);
  EXPECT_EQ(o.max_age, seconds(0));
  EXPECT_EQ(o.min_free_disk, 64u * 1024 * 1024);
  EXPECT_EQ(o.disk_check_interval, seconds(1));
  EXPECT_EQ(o.overflow, br::OverflowPolicy::DropOldest);
  EXPECT_EQ(o.max_dead_letters, 10000u);
}

TEST(BridgeSection, TakesItsDefaultsFromTheGatewayWhereverItIsInTheFile) {
  const br::BridgeOptions b = loaded(bridge() + "gateway: {id: line-2}\n");
  EXPECT_EQ(b.client_id, "line-2");
  EXPECT_EQ(b.status_topic, "line-2/status");
  EXPECT_EQ(b.outbox.path, "/var/lib/edge-gateway/outbox.db");
}

TEST(BridgeSection, TurnsTheStatusTopicOffAndLetsTheServerAssignTheClientIdWhenEmpty) {
  const br::BridgeOptions b = loaded(bridge("  status_topic: \"\"\n  client_id: \"\"\n"));
  EXPECT_EQ(b.status_topic, "");
  EXPECT_EQ(b.client_id, "");
}

TEST(BridgeSection, ParsesEveryKey) {
  const br::BridgeOptions b = loaded(R"(bridge:
  servers: [mqtts://cloud.example.com:8884, "mqtts://[2001:db8::1]", mqtts://10.1.2.3]
  client_id: plant-1-uplink
  username: plant-1
  password: s3cret
  tls: {ca_file: /etc/gw/ca.pem, cert_file: /etc/gw/c.pem, key_file: /etc/gw/k.pem, key_password: kp, verify_peer: false, verify_hostname: false}
  keep_alive: 0s
  session_expiry: 1d
  connect_timeout: 2500ms
  max_packet_size: 1MiB
  receive_maximum: 10
  max_inflight: 20
  status_topic: plant-1/bridge/state
  reconnect: {initial: 100ms, max: 10m}
  stall_timeout: 30s
  rate: {messages_per_second: 100, bytes_per_second: 64KiB}
  replay: live_first
  sequence_property: seq
  queue_capacity: 16
  downstream_capacity: 1000000
  stop_timeout: 100ms
  upstream:
    - {name: telemetry, local: "plant-1/#", remote: "site-7/{topic}", strip_prefix: "plant-1/", qos: 1, retain: clear, priority: -1000}
    - {name: alarms, local: "plant-1/+/alarm", remote: "alarms/", qos: 2, priority: 1000}
  downstream:
    - {name: commands, remote: "site-7/cmd/#", local: "cmd/{topic}/set", strip_prefix: "site-7/cmd/", qos: 2}
    - {name: shared, remote: "$share/gw/fleet/config"}
  outbox:
    path: /var/lib/gw/out.db
    synchronous: full
    commit_window: 0s
    commit_max_messages: 1
    max_bytes: 1GiB
    max_rows: 4294967295
    max_age: 7d
    min_free_disk: 0B
    disk_check_interval: 0s
    overflow: drop_newest
    max_dead_letters: 10000000
)");
  EXPECT_EQ(b.servers, (std::vector<std::string>{"mqtts://cloud.example.com:8884",
                                                 "mqtts://[2001:db8::1]:8883",
                                                 "mqtts://10.1.2.3:8883"}));
  EXPECT_EQ(b.client_id, "plant-1-uplink");
  EXPECT_EQ(b.username, "plant-1");
  EXPECT_EQ(b.password, "s3cret");
  EXPECT_EQ(b.tls.ca_file, "/etc/gw/ca.pem");
  EXPECT_EQ(b.tls.cert_file, "/etc/gw/c.pem");
  EXPECT_EQ(b.tls.key_file, "/etc/gw/k.pem");
  EXPECT_EQ(b.tls.key_password, "kp");
  EXPECT_FALSE(b.tls.verify_peer);
  EXPECT_FALSE(b.tls.verify_hostname);
  EXPECT_EQ(b.keep_alive, seconds(0));
  EXPECT_EQ(b.session_expiry, hours(24));
  EXPECT_EQ(b.connect_timeout, milliseconds(2500));
  EXPECT_EQ(b.max_packet_size, 1024u * 1024);
  EXPECT_EQ(b.receive_maximum, 10);
  EXPECT_EQ(b.max_inflight, 20);
  EXPECT_EQ(b.status_topic, "plant-1/bridge/state");
  EXPECT_EQ(b.reconnect_initial, milliseconds(100));
  EXPECT_EQ(b.reconnect_max, minutes(10));
  EXPECT_EQ(b.stall_timeout, seconds(30));
  EXPECT_EQ(b.rate.messages_per_second, 100u);
  EXPECT_EQ(b.rate.bytes_per_second, 64u * 1024);
  EXPECT_EQ(b.replay, br::ReplayOrder::LiveFirst);
  EXPECT_EQ(b.sequence_property, "seq");
  EXPECT_EQ(b.queue_capacity, 16u);
  EXPECT_EQ(b.downstream_capacity, 1000000u);
  EXPECT_EQ(b.stop_timeout, milliseconds(100));
  ASSERT_EQ(b.upstream.size(), 2u);
  EXPECT_EQ(b.upstream[0].remote.target, "site-7/{topic}");
  EXPECT_EQ(b.upstream[0].remote.strip_prefix, "plant-1/");
  EXPECT_EQ(b.upstream[0].qos, QoS::AtLeastOnce);
  EXPECT_EQ(b.upstream[0].retain, br::RetainMode::Clear);
  EXPECT_EQ(b.upstream[0].priority, -1000);
  EXPECT_EQ(b.upstream[1].local_filter, "plant-1/+/alarm");
  EXPECT_EQ(b.upstream[1].remote.target, "alarms/");
  EXPECT_EQ(b.upstream[1].qos, QoS::ExactlyOnce);
  EXPECT_EQ(b.upstream[1].priority, 1000);
  ASSERT_EQ(b.downstream.size(), 2u);
  EXPECT_EQ(b.downstream[0].name, "commands");
  EXPECT_EQ(b.downstream[0].remote_filter, "site-7/cmd/#");
  EXPECT_EQ(b.downstream[0].local.target, "cmd/{topic}/set");
  EXPECT_EQ(b.downstream[0].local.strip_prefix, "site-7/cmd/");
  EXPECT_EQ(b.downstream[0].qos, QoS::ExactlyOnce);
  EXPECT_EQ(b.downstream[1].remote_filter, "$share/gw/fleet/config");
  EXPECT_EQ(b.downstream[1].qos, QoS::AtLeastOnce);
  const br::OutboxOptions& o = b.outbox;
  EXPECT_EQ(o.path, "/var/lib/gw/out.db");
  EXPECT_TRUE(o.synchronous_full);
  EXPECT_EQ(o.commit_window, milliseconds(0));
  EXPECT_EQ(o.commit_max_messages, 1u);
  EXPECT_EQ(o.max_bytes, 1024u * 1024 * 1024);
  EXPECT_EQ(o.max_rows, 4294967295u);
  EXPECT_EQ(o.max_age, hours(24 * 7));
  EXPECT_EQ(o.min_free_disk, 0u);
  EXPECT_EQ(o.disk_check_interval, milliseconds(0));
  EXPECT_EQ(o.overflow, br::OverflowPolicy::DropNewest);
  EXPECT_EQ(o.max_dead_letters, 10000000u);
}

TEST(BridgeSection, FillsInTheDefaultPortOfEachScheme) {
  const br::BridgeOptions b = loaded(
      "bridge:\n  servers: [mqtt://a.example.com, mqtts://b.example.com, mqtt://c:1884]\n"
      "  upstream: [{name: u, local: x}]\n");
  EXPECT_EQ(b.servers, (std::vector<std::string>{"mqtt://a.example.com:1883",
                                                 "mqtts://b.example.com:8883", "mqtt://c:1884"}));
}

TEST(BridgeSection, SummaryCountsServersAndRoutes) {
  auto r = load("gateway: {id: plant-1}\n" + bridge());
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(summary(*r.config),
            "config OK: gateway 'plant-1', 1 listener (127.0.0.1:1883), bridge to 1 server, 1 "
            "upstream / 0 downstream route(s)");
  r.config->bridge->servers.push_back("mqtt://b:1883");
  r.config->bridge->downstream.push_back({});
  EXPECT_EQ(summary(*r.config),
            "config OK: gateway 'plant-1', 1 listener (127.0.0.1:1883), bridge to 2 servers, 1 "
            "upstream / 1 downstream route(s)");
}

// --- secrets -------------------------------------------------------------------------------------

TEST(BridgeSection, ReadsSecretsFromFiles) {
  TempFile password("pw-from-file\n");
  TempFile key_password("kp-from-file\r\n");
  const br::BridgeOptions b = loaded(bridge("  password_file: " + password.path() +
                                            "\n  tls: {key_password_file: " + key_password.path() +
                                            "}\n"));
  EXPECT_EQ(b.password, "pw-from-file");
  EXPECT_EQ(b.tls.key_password, "kp-from-file");
}

TEST(BridgeSection, ReadsSecretsFromTheEnvironment) {
  ScopedEnv pw("GW_BRIDGE_TEST_PASSWORD", "pw-from-env");
  ScopedEnv kp("GW_BRIDGE_TEST_KEY_PASSWORD", "kp-from-env");
  const br::BridgeOptions b =
      loaded(bridge("  password: ${GW_BRIDGE_TEST_PASSWORD}\n"
                    "  tls: {key_password: \"${GW_BRIDGE_TEST_KEY_PASSWORD}\"}\n"));
  EXPECT_EQ(b.password, "pw-from-env");
  EXPECT_EQ(b.tls.key_password, "kp-from-env");
}

TEST(BridgeSection, RefusesASecretInlineAndFromAFile) {
  EXPECT_EQ(errors(bridge("  password: x\n  password_file: /x\n")),
            "t.yaml:6:3: error: bridge.password_file: cannot be combined with 'password' at 5:3; "
            "use one of them\n");
  EXPECT_EQ(errors(bridge("  tls:\n    key_password_file: /dev/null\n    key_password: y\n")),
            "t.yaml:7:5: error: bridge.tls.key_password: cannot be combined with "
            "'key_password_file' at 6:5; use one of them\n");
}

TEST(BridgeSection, ReportsAnUnreadableSecretFileAtItsValue) {
  EXPECT_EQ(errors(bridge("  password_file: /nonexistent/pw\n")),
            "t.yaml:5:18: error: bridge.password_file: cannot read secret file '/nonexistent/pw': "
            "No such file or directory\n");
}

TEST(BridgeSection, DoesNotShowSecretsInTheReference) {
  for (const auto& row : reference()) {
    if (row.path == "bridge.password" || row.path == "bridge.tls.key_password") {
      EXPECT_EQ(row.type, "secret");
      EXPECT_EQ(row.default_value, "");
    }
  }
}

// --- servers -------------------------------------------------------------------------------------

TEST(BridgeSection, NeedsAtLeastOneServer) {
  EXPECT_EQ(errors("bridge:\n  upstream: [{name: u, local: x}]\n"),
            "t.yaml:2:3: error: bridge: missing required key 'servers'\n");
  EXPECT_EQ(errors("bridge:\n  servers: []\n  upstream: [{name: u, local: x}]\n"),
            "t.yaml:2:12: error: bridge.servers: the list is empty; at least 1 server is required\n");
  EXPECT_EQ(errors("bridge:\n  servers: mqtt://a\n"),
            "t.yaml:2:12: error: bridge.servers: expected a list of server URIs (mqtts://host:port), "
            "got 'mqtt://a'\n");
}

TEST(BridgeSection, ReportsABadServerUriAtIt) {
  const auto server = [](const std::string& uri) {
    return errors("bridge:\n  servers: [mqtt://ok, " + uri + "]\n  upstream: [{name: u, local: x}]\n");
  };
  EXPECT_EQ(server("cloud.example.com:8883"),
            "t.yaml:2:24: error: bridge.servers[1]: 'cloud.example.com:8883': not a server URI; "
            "write mqtt://host:port or mqtts://host:port\n");
  EXPECT_EQ(server("ssl://cloud:8883"),
            "t.yaml:2:24: error: bridge.servers[1]: 'ssl://cloud:8883': scheme 'ssl' is not "
            "supported; use mqtt:// or mqtts:// (TLS)\n");
  EXPECT_EQ(server("mqtt://:1883"),
            "t.yaml:2:24: error: bridge.servers[1]: 'mqtt://:1883': the host is missing\n");
  EXPECT_EQ(server("mqtt://bad_host"),
            "t.yaml:2:24: error: bridge.servers[1]: 'mqtt://bad_host': 'bad_host' is not a valid "
            "host name or address\n");
  EXPECT_EQ(server("mqtt://h:0"),
            "t.yaml:2:24: error: bridge.servers[1]: 'mqtt://h:0': port 0 out of range 1..65535\n");
  EXPECT_EQ(server("mqtt://h:65536"),
            "t.yaml:2:24: error: bridge.servers[1]: 'mqtt://h:65536': port 65536 out of range "
            "1..65535\n");
  EXPECT_EQ(server("mqtt://h:x"),
            "t.yaml:2:24: error: bridge.servers[1]: 'mqtt://h:x': port 'x' is not a number "
            "1..65535\n");
  EXPECT_EQ(server("mqtt://h:1883/path"),
            "t.yaml:2:24: error: bridge.servers[1]: 'mqtt://h:1883/path': nothing may follow "
            "host:port (no path or query)\n");
  EXPECT_EQ(server("mqtt://u:p@h"),
            "t.yaml:2:24: error: bridge.servers[1]: 'mqtt://u:p@h': credentials in the URI are "
            "not supported; use username and password\n");
  EXPECT_EQ(server("\"mqtt://::1\""),
            "t.yaml:2:24: error: bridge.servers[1]: 'mqtt://::1': IPv6 addresses need brackets: "
            "mqtt://[:]:1\n");
  EXPECT_EQ(server("\"mqtt://[::g]:1\""),
            "t.yaml:2:24: error: bridge.servers[1]: 'mqtt://[::g]:1': '::g' is not an IPv6 "
            "address\n");
  EXPECT_EQ(server("mqtt://ok:1883"),
            "t.yaml:2:24: error: bridge.servers[1]: 'mqtt://ok:1883' is already servers[0]\n");
}

TEST(BridgeSection, WarnsAboutTlsWithoutAnMqttsServer) {
  auto r = load("bridge:\n  servers: [mqtt://a]\n  upstream: [{name: u, local: x}]\n"
                "  tls: {ca_file: /etc/ca.pem}\n");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.report, "t.yaml:4:8: warning: bridge.tls: ignored: no server is mqtts://\n");
}

TEST(BridgeSection, WarnsAboutAPasswordSentInClearText) {
  auto r = load("bridge:\n  servers: [mqtts://a, mqtt://b]\n  upstream: [{name: u, local: x}]\n"
                "  password: p\n");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.report,
            "t.yaml:4:13: warning: bridge.password: the password is sent in clear text to the "
            "mqtt:// servers; use mqtts://\n");
}

TEST(BridgeSection, RefusesAKeyFileWithoutACertFile) {
  EXPECT_EQ(errors(bridge("  tls: {key_file: /etc/k.pem}\n")),
            "t.yaml:5:19: error: bridge.tls.key_file: needs cert_file, the client certificate it "
            "belongs to\n");
}

// --- ranges --------------------------------------------------------------------------------------

TEST(BridgeSection, ReportsValuesOutOfTheirRanges) {
  const std::pair<std::string, std::string> cases[] = {
      {"keep_alive: 3s", "t.yaml:5:15: error: bridge.keep_alive: 3s out of range 0s (off) or 5s..65535s\n"},
      {"keep_alive: 65536s", "t.yaml:5:15: error: bridge.keep_alive: 65536s out of range 0s..65535s\n"},
      {"keep_alive: 5500ms", "t.yaml:5:15: error: bridge.keep_alive: '5500ms' is not a whole number of seconds\n"},
      {"connect_timeout: 500ms", "t.yaml:5:20: error: bridge.connect_timeout: 500ms out of range 1s..5m\n"},
      {"max_packet_size: 512B", "t.yaml:5:20: error: bridge.max_packet_size: 512B out of range 1KiB..256MiB\n"},
      {"receive_maximum: 0", "t.yaml:5:20: error: bridge.receive_maximum: 0 out of range 1..65535\n"},
      {"max_inflight: 65536", "t.yaml:5:17: error: bridge.max_inflight: 65536 out of range 1..65535\n"},
      {"stall_timeout: 2h", "t.yaml:5:18: error: bridge.stall_timeout: 2h out of range 1s..1h\n"},
      {"queue_capacity: 15", "t.yaml:5:19: error: bridge.queue_capacity: 15 out of range 16..10000000\n"},
      {"downstream_capacity: 1000001", "t.yaml:5:24: error: bridge.downstream_capacity: 1000001 out of range 16..1000000\n"},
      {"stop_timeout: 61s", "t.yaml:5:17: error: bridge.stop_timeout: 61s out of range 100ms..1m\n"},
      {"reconnect: {initial: 5ms}", "t.yaml:5:24: error: bridge.reconnect.initial: 5ms out of range 10ms..10m\n"},
      {"rate: {messages_per_second: 1000001}", "t.yaml:5:31: error: bridge.rate.messages_per_second: 1000001 out of range 0..1000000\n"},
      {"rate: {bytes_per_second: 2GiB}", "t.yaml:5:28: error: bridge.rate.bytes_per_second: 2GiB out of range 0B..1GiB\n"},
      {"replay: lifo", "t.yaml:5:11: error: bridge.replay: 'lifo' is not one of fifo, live_first; did you mean 'fifo'?\n"},
      {"outbox: {commit_window: 11s}", "t.yaml:5:27: error: bridge.outbox.commit_window: 11s out of range 0s..10s\n"},
      {"outbox: {commit_max_messages: 0}", "t.yaml:5:33: error: bridge.outbox.commit_max_messages: 0 out of range 1..100000\n"},
      {"outbox: {max_dead_letters: 0}", "t.yaml:5:30: error: bridge.outbox.max_dead_letters: 0 out of range 1..10000000\n"},
      {"outbox: {disk_check_interval: 2m}", "t.yaml:5:33: error: bridge.outbox.disk_check_interval: 2m out of range 0s..1m\n"},
      {"outbox: {synchronous: off}", "t.yaml:5:25: error: bridge.outbox.synchronous: 'off' is not one of normal, full\n"},
      {"outbox: {overflow: drop}", "t.yaml:5:22: error: bridge.outbox.overflow: 'drop' is not one of drop_oldest, drop_newest; did you mean 'drop_oldest'?\n"},
      {"outbox: {path: \"\"}", "t.yaml:5:18: error: bridge.outbox.path: must not be empty\n"},
  };
  for (const auto& [line, report] : cases) {
    SCOPED_TRACE(line);
    EXPECT_EQ(errors(bridge("  " + line + "\n")), report);
  }
}

TEST(BridgeSection, ChoosesTheNativeClientUnlessPahoIsAsked) {
  EXPECT_EQ(loaded(bridge()).client, br::ClientKind::Native);
  const std::string route = "  upstream:\n    - {name: t, local: a/#}\n";
  EXPECT_EQ(loaded("bridge:\n  servers: [mqtt://127.0.0.1:1883]\n  client: native\n" + route).client,
            br::ClientKind::Native);
  EXPECT_EQ(loaded("bridge:\n  servers: [mqtt://127.0.0.1:1883]\n  client: paho\n" + route).client,
            br::ClientKind::Paho);
}

TEST(BridgeSection, RefusesAnUnknownClient) {
  EXPECT_EQ(errors(bridge("  client: mosquitto\n")),
            "t.yaml:5:11: error: bridge.client: 'mosquitto' is not one of paho, native\n");
  EXPECT_EQ(errors(bridge("  client: 1\n")),
            "t.yaml:5:11: error: bridge.client: '1' is not one of paho, native\n");
}

TEST(BridgeSection, AcceptsTheNativeClientWithTlsServers) {
  // Mixed lists too: the native client speaks both mqtt:// and mqtts://.
  const std::string yaml =
      "bridge:\n  servers: [mqtt://a:1883, mqtts://b]\n  client: native\n"
      "  tls: {ca_file: /etc/gw/ca.pem, verify_hostname: false}\n"
      "  upstream:\n    - {name: t, local: a/#}\n";
  EXPECT_EQ(errors(yaml), "");
  const br::BridgeOptions b = loaded(yaml);
  EXPECT_EQ(b.client, br::ClientKind::Native);
  EXPECT_EQ(b.servers, (std::vector<std::string>{"mqtt://a:1883", "mqtts://b:8883"}));
  EXPECT_EQ(b.tls.ca_file, "/etc/gw/ca.pem");
  EXPECT_FALSE(b.tls.verify_hostname);
  EXPECT_TRUE(b.tls.verify_peer);
}

TEST(BridgeSection, ReportsAnUnknownKeyWithASuggestionAtEveryLevel) {
  EXPECT_EQ(errors(bridge("  keepalive: 30s\n")),
            "t.yaml:5:3: error: bridge.keepalive: unknown key; did you mean 'keep_alive'?\n");
  EXPECT_EQ(errors(bridge("  outbox: {max_byte: 1MiB}\n")),
            "t.yaml:5:12: error: bridge.outbox.max_byte: unknown key; did you mean 'max_bytes'?\n");
  EXPECT_EQ(errors(bridge("  tls: {ca: /x}\n")),
            "t.yaml:5:9: error: bridge.tls.ca: unknown key\n");
  EXPECT_EQ(errors(bridge("  downstream: [{name: d, remote: x, locl: y}]\n")),
            "t.yaml:5:37: error: bridge.downstream[0].locl: unknown key; did you mean 'local'?\n");
}

TEST(BridgeSection, RefusesReconnectMaxShorterThanInitial) {
  EXPECT_EQ(errors(bridge("  reconnect: {initial: 2s, max: 1s}\n")),
            "t.yaml:5:33: error: bridge.reconnect.max: 1s is shorter than initial (2s)\n");
  EXPECT_EQ(errors(bridge("  reconnect: {initial: 2m}\n")),
            "t.yaml:5:24: error: bridge.reconnect.initial: 2m is longer than max (1m)\n");
}

// --- routes --------------------------------------------------------------------------------------

TEST(BridgeSection, RefusesDuplicateRouteNames) {
  EXPECT_EQ(errors(bridge("    - {name: telemetry, local: b/#}\n")),
            "t.yaml:5:14: error: bridge.upstream[1].name: 'telemetry' is already the name of "
            "upstream[0]\n");
  EXPECT_EQ(errors(bridge("  downstream:\n    - {name: d, remote: a}\n    - {name: d, remote: b}\n")),
            "t.yaml:7:14: error: bridge.downstream[1].name: 'd' is already the name of "
            "downstream[0]\n");
}

TEST(BridgeSection, RefusesInvalidTopicFilters) {
  const auto upstream = [](const std::string& filter) {
    return errors("bridge:\n  servers: [mqtt://a]\n  upstream:\n    - {name: u, local: " + filter + "}\n");
  };
  EXPECT_EQ(upstream("\"a/#/b\""),
            "t.yaml:4:24: error: bridge.upstream[0].local: 'a/#/b' is not a valid topic filter: "
            "'#' must be the whole last level (a/#)\n");
  EXPECT_EQ(upstream("a/b+"),
            "t.yaml:4:24: error: bridge.upstream[0].local: 'a/b+' is not a valid topic filter: "
            "'+' must be a whole level (a/+/b)\n");
  EXPECT_EQ(upstream("\"\""),
            "t.yaml:4:24: error: bridge.upstream[0].local: '' is not a valid topic filter: must "
            "not be empty\n");
  EXPECT_EQ(upstream("$share/g/a/#"),
            "t.yaml:4:24: error: bridge.upstream[0].local: '$share/g/a/#' is not a valid topic "
            "filter: a shared subscription ($share/...) is not allowed here\n");
  EXPECT_EQ(errors(bridge("  downstream: [{name: d, remote: $share/g}]\n")),
            "t.yaml:5:34: error: bridge.downstream[0].remote: '$share/g' is not a valid topic "
            "filter: '$share/g' must be followed by '/' and a filter\n");
  EXPECT_EQ(errors(bridge("  downstream: [{name: d, remote: \"$share/#/x\"}]\n")),
            "t.yaml:5:34: error: bridge.downstream[0].remote: '$share/#/x' is not a valid topic "
            "filter: '$share/' must be followed by a group name without '+' or '#', then '/' and a "
            "filter\n");
}

TEST(BridgeSection, RefusesWildcardsInMappings) {
  EXPECT_EQ(errors(bridge("    - {name: u2, local: x, remote: \"cloud/+/{topic}\"}\n")),
            "t.yaml:5:36: error: bridge.upstream[1].remote: 'cloud/+/{topic}' cannot contain '+' "
            "or '#': the mapped topic is a topic name, where wildcards are not allowed\n");
  EXPECT_EQ(errors(bridge("  downstream: [{name: d, remote: a/#, strip_prefix: \"a/#\"}]\n")),
            "t.yaml:5:53: error: bridge.downstream[0].strip_prefix: 'a/#' cannot contain '+' or "
            "'#': it is compared with the start of topic names, which hold no wildcards\n");
}

TEST(BridgeSection, RefusesADownstreamRouteThatMapsIntoSys) {
  // The local topic given outright, as a template, or the remote topic kept as it is.
  EXPECT_EQ(errors(bridge("  downstream: [{name: d, remote: site/#, local: $SYS/}]\n")),
            "t.yaml:5:49: error: bridge.downstream[0].local: its local topics ('$SYS/site/#') are "
            "in $SYS/, which only the broker publishes to; map them elsewhere\n");
  EXPECT_EQ(errors(bridge("  downstream: [{name: d, remote: \"a/+\", local: \"$SYS/broker/{topic}\"}]\n")),
            "t.yaml:5:48: error: bridge.downstream[0].local: its local topics ('$SYS/broker/a/+') "
            "are in $SYS/, which only the broker publishes to; map them elsewhere\n");
  EXPECT_EQ(errors(bridge("  downstream: [{name: d, remote: \"$SYS/#\"}]\n")),
            "t.yaml:5:34: error: bridge.downstream[0].remote: its local topics ('$SYS/#') are in "
            "$SYS/, which only the broker publishes to; map them elsewhere\n");
  EXPECT_EQ(errors(bridge("  downstream: [{name: d, remote: \"#\", local: \"$S{topic}\"}]\n")),
            "t.yaml:5:46: error: bridge.downstream[0].local: its local topics ('$S#') are in "
            "$SYS/, which only the broker publishes to; map them elsewhere\n");
  // Next to the tree, or the remote $SYS/ moved out of it: fine.
  EXPECT_EQ(load(bridge("  downstream: [{name: d, remote: \"$SYS/#\", local: \"cloud/{topic}\"}]\n")).report, "");
  EXPECT_EQ(load(bridge("  downstream: [{name: d, remote: \"$SYS/#\", strip_prefix: $SYS/, local: cloud-sys/}]\n")).report, "");
  EXPECT_EQ(load(bridge("  downstream: [{name: d, remote: \"a/#\", local: $SYSTEM/}]\n")).report, "");
  EXPECT_EQ(load(bridge("  downstream: [{name: d, remote: \"x/#\", local: \"$S{topic}\"}]\n")).report, "");
}

TEST(BridgeSection, RefusesAnInvalidStatusTopic) {
  EXPECT_EQ(errors(bridge("  status_topic: plant/#\n")),
            "t.yaml:5:17: error: bridge.status_topic: 'plant/#' is not a valid topic: a topic name "
            "cannot contain the wildcards '+' or '#'\n");
}

TEST(BridgeSection, WarnsAboutAPrefixWithoutASlashAndAStripPrefixThatNeverApplies) {
  auto r = load(bridge("    - {name: u2, local: \"plant-1/+/alarm\", remote: site-7, strip_prefix: plant-2/}\n"));
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.report,
            "t.yaml:5:52: warning: bridge.upstream[1].remote: 'site-7' is put in front of each "
            "topic without a '/' in between; write 'site-7/' or 'site-7/{topic}'\n"
            "t.yaml:5:74: warning: bridge.upstream[1].strip_prefix: never applies: no topic "
            "matching 'plant-1/+/alarm' starts with 'plant-2/'\n");
  // A prefix that ends inside a level, or under a wildcard, can apply.
  EXPECT_EQ(load(bridge("    - {name: u2, local: \"+/x/#\", remote: a/, strip_prefix: pla}\n")).report, "");
  EXPECT_EQ(load(bridge("    - {name: u2, local: \"plant/+/x\", remote: a/, strip_prefix: plant/7/x}\n")).report, "");
}

TEST(BridgeSection, WarnsAboutAnUpstreamRouteThatDuplicatesAnEarlierOne) {
  auto r = load(bridge("    - {name: again, local: \"plant-1/#\"}\n"
                       "    - {name: elsewhere, local: \"plant-1/#\", remote: archive/}\n"));
  ASSERT_TRUE(r.config) << r.report;
  // Every matching upstream route sends its own copy: the same filter to another remote topic is
  // a fan-out, and fine.
  EXPECT_EQ(r.report,
            "t.yaml:5:28: warning: bridge.upstream[1].local: same filter and remote topic as "
            "upstream[0] ('telemetry'): every message is stored and sent twice\n");
}

TEST(BridgeSection, WarnsAboutADownstreamRouteThatAnEarlierOneShadows) {
  auto r = load(bridge("  downstream:\n"
                       "    - {name: all, remote: \"site-7/#\", local: cloud/}\n"
                       "    - {name: cmd, remote: \"site-7/+/set\", local: cloud/}\n"
                       "    - {name: other, remote: \"site-8/#\", local: cloud/}\n"));
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.report,
            "t.yaml:7:27: warning: bridge.downstream[1].remote: never used: every topic it "
            "matches also matches downstream[0] ('all', 'site-7/#'), and a message takes the "
            "first route that matches\n");
}

TEST(BridgeSection, WarnsAboutADownstreamRouteWhoseLocalTopicsAnUpstreamRouteSendsBack) {
  auto r = load(bridge("  downstream:\n"
                       "    - {name: cmd, remote: \"site-7/cmd/#\", strip_prefix: site-7/cmd/, local: \"plant-1/{topic}/set\"}\n"
                       "    - {name: safe, remote: \"site-7/cfg/#\", local: \"config/\"}\n"
                       "    - {name: same, remote: \"plant-1/x\"}\n"));
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.report,
            "t.yaml:6:77: warning: bridge.downstream[0].local: its local topics ('plant-1/#') "
            "match upstream route 'telemetry' ('plant-1/#'): the bridge does not send its own "
            "copies back (No Local), but a local client that republishes them sends them up "
            "again\n"
            "t.yaml:8:28: warning: bridge.downstream[2].remote: its local topics ('plant-1/x') "
            "match upstream route 'telemetry' ('plant-1/#'): the bridge does not send its own "
            "copies back (No Local), but a local client that republishes them sends them up "
            "again\n");
}

TEST(BridgeSection, WarnsAboutABridgeWithoutRoutes) {
  auto r = load("bridge:\n  servers: [mqtts://a]\n");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.report,
            "t.yaml:2:3: warning: bridge: no upstream or downstream routes: the bridge carries no "
            "messages\n");
}

TEST(BridgeSection, RefusesAnEmptySection) {
  EXPECT_EQ(errors("bridge:\n"), "t.yaml:1:1: error: bridge: missing required key 'servers'\n");
}

// --- all at once ---------------------------------------------------------------------------------

TEST(BridgeSection, ReportsEveryErrorAtOnceInFileOrder) {
  auto r = load(R"(bridge:
  servers: [tcp://cloud:1883, mqtts://ok]
  keep_alive: 2s
  password: a
  password_file: /b
  upstream:
    - {name: t, local: "a/#/b", qos: 3}
    - {name: u, local: x, remote: "+/y", priority: 1001}
  downstream:
    - {name: d, remote: cmd, colour: red}
  outbox: {overflow: drop_oldest, max_rows: -1}
)");
  EXPECT_FALSE(r.config);
  EXPECT_EQ(r.diag.error_count(), 9u);
  EXPECT_EQ(r.report,
            "t.yaml:2:13: error: bridge.servers[0]: 'tcp://cloud:1883': scheme 'tcp' is not "
            "supported; use mqtt:// or mqtts:// (TLS)\n"
            "t.yaml:3:15: error: bridge.keep_alive: 2s out of range 0s (off) or 5s..65535s\n"
            "t.yaml:5:3: error: bridge.password_file: cannot be combined with 'password' at 4:3; "
            "use one of them\n"
            "t.yaml:7:24: error: bridge.upstream[0].local: 'a/#/b' is not a valid topic filter: "
            "'#' must be the whole last level (a/#)\n"
            "t.yaml:7:38: error: bridge.upstream[0].qos: 3 out of range 0..2\n"
            "t.yaml:8:35: error: bridge.upstream[1].remote: '+/y' cannot contain '+' or '#': the "
            "mapped topic is a topic name, where wildcards are not allowed\n"
            "t.yaml:8:52: error: bridge.upstream[1].priority: 1001 out of range -1000..1000\n"
            "t.yaml:10:30: error: bridge.downstream[0].colour: unknown key\n"
            "t.yaml:11:45: error: bridge.outbox.max_rows: -1 out of range 0..4294967295\n");
}

}  // namespace
}  // namespace gw::config
