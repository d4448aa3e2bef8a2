#include "config/config.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "load_helpers.hpp"

namespace gw::config {
namespace {

using test::errors;
using test::load;
using test::ScopedEnv;

TEST(Config, YieldsDefaultsWithAWarningWhenTheFileIsEmpty) {
  for (const char* yaml : {"", "# nothing yet\n", "---\n"}) {
    auto r = load(yaml);
    ASSERT_TRUE(r.config) << r.report;
    EXPECT_EQ(r.report, "t.yaml: warning: the file is empty; every option has its default\n");
    EXPECT_EQ(r.config->gateway.id, "edge-gateway");
    ASSERT_EQ(r.config->broker.listeners.size(), 1u);
    EXPECT_EQ(r.config->broker.listeners[0].address, "127.0.0.1");
    EXPECT_EQ(r.config->broker.listeners[0].port, 1883);
  }
}

TEST(Config, ReportsAnUnknownTopLevelKeyWithASuggestion) {
  EXPECT_EQ(errors("gateway: {id: a}\nbrokr:\n  max_inflight: 1\n"),
            "t.yaml:2:1: error: brokr: unknown key; did you mean 'broker'?\n");
}

TEST(Config, ReportsAnUnknownTopLevelKeyFarFromAnyWithoutASuggestion) {
  EXPECT_EQ(errors("telemetry: []\n"), "t.yaml:1:1: error: telemetry: unknown key\n");
}

TEST(Config, MetricsEndpointIsOffByDefaultAndOnLoopbackWhenEnabled) {
  auto r = load("gateway: {id: a}\n");
  ASSERT_TRUE(r.config);
  EXPECT_FALSE(r.config->metrics.enabled);
  r = load("metrics:\n  enabled: true\n");
  ASSERT_TRUE(r.config);
  EXPECT_TRUE(r.config->metrics.enabled);
  EXPECT_EQ(r.config->metrics.address, "127.0.0.1");
  EXPECT_EQ(r.config->metrics.port, 9464);
  r = load("metrics:\n  enabled: true\n  listen: '[::1]:9100'\n");
  ASSERT_TRUE(r.config);
  EXPECT_EQ(r.config->metrics.address, "::1");
  EXPECT_EQ(r.config->metrics.port, 9100);
  EXPECT_EQ(errors("metrics:\n  enabled: yes please\n"),
            "t.yaml:2:12: error: metrics.enabled: expected true or false, got 'yes please'\n");
}

TEST(Config, ReportsAnUnknownNestedKeyWithASuggestion) {
  EXPECT_EQ(errors("broker:\n  max_packet_sise: 1MiB\n"),
            "t.yaml:2:3: error: broker.max_packet_sise: unknown key; did you mean "
            "'max_packet_size'?\n");
}

TEST(Config, ReportsADuplicateKey) {
  EXPECT_EQ(errors("gateway:\n  id: a\n  id: b\n"),
            "t.yaml:3:3: error: gateway.id: duplicate key; first defined at 2:3\n");
  EXPECT_EQ(errors("broker: {}\nbroker: {}\n"),
            "t.yaml:2:1: error: broker: duplicate key; first defined at 1:1\n");
}

TEST(Config, ReportsAYamlSyntaxErrorWithItsPosition) {
  EXPECT_EQ(errors("gateway:\n  id: a\n   b: c\n"),
            "t.yaml:3:5: error: YAML syntax error: illegal map value (check the indentation; a "
            "value containing ': ' needs quotes)\n");
  EXPECT_EQ(errors("gateway:\n  id: [a, b\n  log_level: info\n"),
            "t.yaml:3:12: error: YAML syntax error: end of sequence flow not found (a '[' is "
            "not closed)\n");
}

TEST(Config, ReportsEveryErrorAtOnceInFileOrder) {
  auto r = load(R"(gateway:
  id: plant/1
  log_level: loud
broker:
  listeners:
    - bind: 127.0.0.1:99999
    - name: no-bind
  max_keep_alive: 30
  receive_maximum: 0
  colour: blue
)");
  EXPECT_FALSE(r.config);
  EXPECT_EQ(r.diag.error_count(), 7u);
  EXPECT_EQ(r.report,
            "t.yaml:2:7: error: gateway.id: 'plant/1' is not a valid identifier: use 1..64 of A-Z "
            "a-z 0-9 . _ -\n"
            "t.yaml:3:14: error: gateway.log_level: 'loud' is not one of trace, debug, info, warn, "
            "error, critical, off\n"
            "t.yaml:6:13: error: broker.listeners[0].bind: port 99999 out of range 0..65535\n"
            "t.yaml:7:7: error: broker.listeners[1]: missing required key 'bind'\n"
            "t.yaml:8:19: error: broker.max_keep_alive: '30' has no unit; add one, like 250ms, 5s, "
            "10m, 1h or 1d\n"
            "t.yaml:9:20: error: broker.receive_maximum: 0 out of range 1..65535\n"
            "t.yaml:10:3: error: broker.colour: unknown key\n");
}

TEST(Config, SubstitutesASetEnvironmentVariable) {
  ScopedEnv env("GW_CONFIG_TEST_PORT", "2883");
  auto r = load("broker:\n  listeners:\n    - bind: 127.0.0.1:${GW_CONFIG_TEST_PORT}\n");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.config->broker.listeners[0].port, 2883);
}

TEST(Config, ReportsAnUnsetEnvironmentVariableByName) {
  ScopedEnv env("GW_CONFIG_TEST_UNSET", nullptr);
  EXPECT_EQ(errors("gateway:\n  id: ${GW_CONFIG_TEST_UNSET}\n"),
            "t.yaml:2:7: error: gateway.id: environment variable 'GW_CONFIG_TEST_UNSET' is not set "
            "(use ${GW_CONFIG_TEST_UNSET:-default} for a fallback)\n");
}

TEST(Config, UsesTheEnvironmentFallbackWhenTheVariableIsUnset) {
  ScopedEnv env("GW_CONFIG_TEST_DIR", nullptr);
  auto r = load("gateway:\n  data_dir: ${GW_CONFIG_TEST_DIR:-/tmp/gw}\n");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.config->gateway.data_dir, "/tmp/gw");
}

TEST(Config, TypeChecksTheSubstitutedValue) {
  ScopedEnv env("GW_CONFIG_TEST_QOS", "high");
  EXPECT_EQ(errors("broker:\n  maximum_qos: ${GW_CONFIG_TEST_QOS}\n"),
            "t.yaml:2:16: error: broker.maximum_qos: expected an integer 0..2, got 'high'\n");
}

TEST(Config, RejectsATopLevelThatIsNotAMapping) {
  EXPECT_EQ(errors("- gateway\n"),
            "t.yaml:1:1: error: the top level must be a mapping of sections (gateway:, broker:), "
            "got a list\n");
}

TEST(Config, RejectsASecondYamlDocument) {
  EXPECT_EQ(errors("gateway: {id: a}\n---\nbroker: {}\n"),
            "t.yaml:2:1: error: a second YAML document starts here; put everything in one\n");
}

TEST(Config, ConvertsYamlCppExceptionsIntoDiagnostics) {
  // Deep nesting makes yaml-cpp throw DeepRecursion; nothing may escape load_string.
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  Diagnostics diag("t.yaml");
  std::optional<Config> cfg;
  EXPECT_NO_THROW(cfg = load_string(deep, diag));
  EXPECT_FALSE(cfg);
  EXPECT_TRUE(diag.has_errors());
}

TEST(Config, ReportsAMissingFileWithoutAPosition) {
  Diagnostics diag("/nonexistent/gw.yaml");
  EXPECT_FALSE(load_file("/nonexistent/gw.yaml", diag));
  EXPECT_EQ(diag.format(),
            "/nonexistent/gw.yaml: error: cannot read the configuration file: No such file or "
            "directory\n");
}

TEST(Config, ReportsADirectoryGivenAsTheFile) {
  const std::string dir = std::filesystem::temp_directory_path().string();
  Diagnostics diag(dir);
  EXPECT_FALSE(load_file(dir, diag));
  EXPECT_EQ(diag.format(), dir + ": error: cannot read the configuration file: it is a directory\n");
}

TEST(Config, LoadsAFileFromDisk) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("gw-config-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << "gateway:\n  id: from-disk\n  bogus: 1\n";
  Diagnostics diag(path.string());
  EXPECT_FALSE(load_file(path.string(), diag));
  EXPECT_EQ(diag.format(), path.string() + ":3:3: error: gateway.bogus: unknown key\n");
  std::filesystem::remove(path);
}

TEST(Config, SummarisesTheGatewayAndItsListeners) {
  Config c;
  c.gateway.id = "plant-1";
  EXPECT_EQ(summary(c), "config OK: gateway 'plant-1', 1 listener (127.0.0.1:1883)");
  c.broker.listeners.push_back({"::1", 8883, "v6"});
  EXPECT_EQ(summary(c), "config OK: gateway 'plant-1', 2 listeners (127.0.0.1:1883, [::1]:8883)");
}

TEST(Config, LoadsEveryExampleCleanly) {
  ScopedEnv env("EG_DATA_DIR", nullptr);
  const auto dir = test::source_dir() / "config" / "examples";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    ++seen;
    Diagnostics diag(entry.path().string());
    EXPECT_TRUE(load_file(entry.path().string(), diag)) << diag.format();
    EXPECT_EQ(diag.format(), "") << entry.path();
  }
  EXPECT_GE(seen, 3);
}

TEST(Config, DemoExampleUsesAWritableDataDir) {
  ScopedEnv env("EG_DATA_DIR", nullptr);
  const auto path = (test::source_dir() / "config" / "examples" / "demo.yaml").string();
  Diagnostics diag(path);
  auto cfg = load_file(path, diag);
  ASSERT_TRUE(cfg) << diag.format();
  EXPECT_EQ(cfg->gateway.id, "demo");
  EXPECT_EQ(cfg->gateway.data_dir, "/tmp/edge-gateway-demo");
  EXPECT_EQ(summary(*cfg),
            "config OK: gateway 'demo', 1 listener (127.0.0.1:1883), 1 link, 1 device, 9 points, "
            "bridge to 1 server, 1 upstream / 0 downstream route(s), metrics on 127.0.0.1:9464");
  // The demo's outbox lives in its data directory, not in the system's.
  ASSERT_TRUE(cfg->bridge);
  EXPECT_EQ(cfg->bridge->outbox.path, "/tmp/edge-gateway-demo/outbox.db");
}

TEST(Config, DocumentsEveryKeyInTheReference) {
  std::ifstream in(test::source_dir() / "docs" / "configuration.md");
  ASSERT_TRUE(in);
  std::stringstream doc;
  doc << in.rdbuf();
  for (const auto& row : reference()) {
    EXPECT_NE(doc.str().find("`" + row.path + "`"), std::string::npos)
        << "docs/configuration.md does not mention `" << row.path << "`";
  }
}

}  // namespace
}  // namespace gw::config

namespace gw::config {
namespace {

TEST(GatewayTopics, TemplateAndPayloadAreParsedAndChecked) {
  auto r = test::load("gateway:\n  id: p1\n  topic: \"site/{gateway}/{link}/{device}/{point}\"\n"
                      "  payload: per_device\n  status_topic: \"\"\n");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.config->gateway.topic, "site/{gateway}/{link}/{device}/{point}");
  EXPECT_EQ(r.config->gateway.payload, gateway::GatewayOptions::Payload::PerDevice);
  EXPECT_EQ(r.config->gateway.effective_status_topic(), "");
  EXPECT_EQ(test::load("gateway: {id: p1}\n").config->gateway.effective_status_topic(), "p1/status");
  EXPECT_EQ(test::errors("gateway:\n  topic: \"{gateway}/{point}/{device}\"\n"),
            "t.yaml:2:10: error: gateway.topic: {point} must be the last level\n");
  EXPECT_EQ(test::errors("gateway:\n  topic: \"{gateway}/x{device}/{point}\"\n"),
            "t.yaml:2:10: error: gateway.topic: 'x{device}': placeholders are whole levels: "
            "{gateway}, {link}, {device}, {point}\n");
  EXPECT_EQ(test::errors("gateway:\n  topic: \"{gateway}/{point}\"\n"),
            "t.yaml:2:10: error: gateway.topic: needs {device} exactly once\n");
  EXPECT_EQ(test::errors("gateway:\n  topic: \"{gateway}/+/{device}/{point}\"\n"),
            "t.yaml:2:10: error: gateway.topic: wildcards (+, #) are not allowed in a topic\n");
}

TEST(GatewayTopics, APointCalledStatusCollidesWithItsDeviceStatus) {
  const std::string yaml = R"(gateway: {id: p1}
links:
  - name: l
    type: modbus-tcp
    host: 127.0.0.1
    devices:
      - name: d
        unit_id: 1
        points:
          - {name: status, table: holding, address: 0, type: uint16}
)";
  EXPECT_EQ(test::errors(yaml),
            "t.yaml: error: gateway.topic: point 'd/status' and the status of device 'd' would "
            "both be published on 'p1/d/status'; rename one\n");
}

}  // namespace
}  // namespace gw::config
