// Broker state across restarts (broker.persistence): the real edge-gateway binary, killed with
// SIGKILL or stopped with SIGTERM and started again on the same data directory. A kept session
// made by Eclipse Paho Python gets messages published by mosquitto_pub while it is away; after
// the restart it resumes without subscribing again (tests/integration/python/persist_*.py).
// "Written" is observed in the SQLite file itself, never guessed with a delay.
#include <sqlite3.h>

#include <csignal>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr const char* kPython = "/usr/bin/python3";

// `SQL` on the broker's file, 0 when the file or table is not there (yet).
std::int64_t query(const std::filesystem::path& db_path, const char* sql) {
  sqlite3* raw = nullptr;
  std::int64_t value = 0;
  if (sqlite3_open_v2(db_path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(raw, sql, -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      value = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(raw);
  return value;
}

class BrokerPersistence : public ::testing::Test {
 protected:
  void SetUp() override {
    auto probe = run({kPython, "-c", "import paho.mqtt.client"}, 10s);
    ASSERT_EQ(probe.code, 0) << probe.output;
  }

  // Starts the gateway on dir_ with `persistence` as the body of broker.persistence.
  void start(const std::string& persistence) {
    const std::string yaml = "gateway:\n  id: test\n  data_dir: " + dir_.path().string() +
                             "\n  log_level: debug\n  status_topic: \"\"\n"
                             "broker:\n  listeners:\n    - bind: 127.0.0.1:0\n"
                             "  persistence:\n" + persistence;
    const auto file = dir_.write("gateway.yaml", yaml);
    gw_ = std::make_unique<Process>(
        std::vector<std::string>{gateway_binary(), "run", "--config", file});
    port_ = 0;
    wait_until([&] {
      port_ = port_after(gw_->output(), "listening on 127.0.0.1:");
      return port_ != 0 || !gw_->running();
    });
    ASSERT_NE(port_, 0) << gw_->output();
  }

  void kill9() {
    gw_->signal(SIGKILL);
    ASSERT_EQ(gw_->wait(10s), 128 + SIGKILL);
  }

  void script(const std::string& name) {
    auto r = run({kPython, "-B", source_dir() + "/tests/integration/python/" + name,
                  std::to_string(port_)},
                 30s);
    EXPECT_EQ(r.code, 0) << name << " printed:\n" << r.output << "\ngateway:\n" << gw_->output();
    EXPECT_THAT(r.output, HasSubstr("OK")) << name;
  }

  void pub(const std::string& topic, const std::string& payload, const std::string& qos,
           bool retain = false) {
    std::vector<std::string> argv{"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(port_),
                                  "-V", "5", "-q", qos, "-t", topic, "-m", payload};
    if (retain) argv.emplace_back("-r");
    auto r = run(argv, 10s);
    ASSERT_EQ(r.code, 0) << r.output;
  }

  // The kept session subscribes and goes away; then five QoS 1 messages, one QoS 2 message and
  // a retained one are published for it.
  void make_state() {
    script("persist_subscribe.py");
    for (int i = 0; i < 5; ++i) {
      const std::string t = "plant/q" + std::to_string(i);
      pub(t, t, "1");
    }
    pub("plant2/q", "plant2/q", "2");
    pub("plant/ret", "kept", "1", /*retain=*/true);
  }

  [[nodiscard]] std::filesystem::path db() const { return dir_.path() / "broker.db"; }
  [[nodiscard]] bool all_written() const {
    // Retained plant/ret is also queued for keeper: 7 messages in all.
    return query(db(), "SELECT count(*) FROM messages WHERE client_id = 'keeper'") == 7 &&
           query(db(), "SELECT count(*) FROM retained WHERE topic = 'plant/ret'") == 1 &&
           query(db(), "SELECT count(*) FROM subscriptions WHERE client_id = 'keeper'") == 2;
  }

  TempDir dir_;
  std::unique_ptr<Process> gw_;
  std::uint16_t port_ = 0;
};

TEST_F(BrokerPersistence, KeptSessionAndRetainedMessagesSurviveKill9) {
  start("    enabled: true\n    commit_window: 100ms\n");
  make_state();
  // Written within the commit window: seen in the file, then the process dies without warning.
  ASSERT_TRUE(wait_until([&] { return all_written(); }, 10s)) << gw_->output();
  kill9();
  start("    enabled: true\n    commit_window: 100ms\n");
  EXPECT_THAT(gw_->output(), HasSubstr("restored 1 session(s) with 7 message(s)"));
  script("persist_resume.py");
  // Delivered and acknowledged: gone from the file within a window.
  EXPECT_TRUE(wait_until([&] {
    return query(db(), "SELECT count(*) FROM messages WHERE client_id = 'keeper'") == 0;
  }));
}

TEST_F(BrokerPersistence, CleanStopWritesEverythingEvenWithinALongWindow) {
  start("    enabled: true\n    commit_window: 60s\n");
  make_state();
  gw_->signal(SIGTERM);
  ASSERT_EQ(gw_->wait(10s), 0) << gw_->output();
  EXPECT_TRUE(all_written());
  start("    enabled: true\n    commit_window: 60s\n");
  script("persist_resume.py");
}

TEST_F(BrokerPersistence, ChangesAfterTheLastCommitAreLostOnKill9) {
  // The loss bound: nothing is committed before the 60 s window ends, so a crash loses it all.
  start("    enabled: true\n    commit_window: 60s\n");
  make_state();
  EXPECT_FALSE(all_written());
  kill9();
  start("    enabled: true\n    commit_window: 60s\n");
  script("persist_absent.py");
}

TEST_F(BrokerPersistence, DisabledNothingSurvives) {
  start("    enabled: false\n");
  make_state();
  kill9();
  EXPECT_FALSE(std::filesystem::exists(db()));
  start("    enabled: false\n");
  script("persist_absent.py");
}

TEST_F(BrokerPersistence, CorruptFileIsMovedAsideAndTheBrokerStartsEmpty) {
  dir_.write("broker.db", std::string(4096, 'x'));
  start("    enabled: true\n    commit_window: 100ms\n");
  EXPECT_THAT(gw_->output(), HasSubstr("not a usable broker state file"));
  bool aside = false;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
    aside = aside || e.path().filename().string().starts_with("broker.db.corrupt-");
  }
  EXPECT_TRUE(aside);
  // The new file works: state made now survives a kill.
  make_state();
  ASSERT_TRUE(wait_until([&] { return all_written(); }, 10s)) << gw_->output();
  kill9();
  start("    enabled: true\n    commit_window: 100ms\n");
  script("persist_resume.py");
}

TEST_F(BrokerPersistence, UnwritableDirectoryIsAClearStartUpError) {
  const std::string yaml = "gateway:\n  data_dir: " + dir_.path().string() +
                           "/missing\nbroker:\n  listeners:\n    - bind: 127.0.0.1:0\n"
                           "  persistence:\n    enabled: true\n";
  const auto file = dir_.write("gateway.yaml", yaml);
  Process gw({gateway_binary(), "run", "--config", file});
  EXPECT_EQ(gw.wait(10s), 1);
  EXPECT_THAT(gw.output(), HasSubstr("start-up failed: broker persistence"));
}

}  // namespace
}  // namespace gw::test
