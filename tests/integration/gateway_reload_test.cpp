// SIGHUP reload with the real binary: unchanged links keep their connection, changed and new links
// restart, listeners are reconciled, and an invalid file changes nothing but says why.
#include <chrono>
#include <csignal>
#include <cctype>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/gateway_process.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

std::unique_ptr<Process> simulator(std::uint16_t& port) {
  auto sim = std::make_unique<Process>(
      std::vector<std::string>{gateway_binary(), "simulate", "--port", "0"});
  port = simulator_port(*sim);
  return sim;
}

std::string link(const std::string& name, const std::string& device, std::uint16_t port,
                 const std::string& poll = "200ms") {
  return "  - name: " + name + "\n    type: modbus-tcp\n    host: 127.0.0.1\n    port: " +
         std::to_string(port) + "\n    response_timeout: 300ms\n    devices:\n      - name: " +
         device + "\n        poll_interval: " + poll +
         "\n        points:\n          - {name: speed, table: holding, address: 4, type: uint16}\n";
}

std::string config(const TempDir& dir, const std::string& listeners, const std::string& links) {
  return "gateway: {id: rl, data_dir: " + dir.path().string() + "}\nbroker:\n  listeners:\n" +
         listeners + "links:\n" + links;
}

std::string retained(std::uint16_t port, const std::string& topic) {
  auto r = run({"mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(port), "-t", topic, "-C",
                "1", "-W", "2"},
               5s);
  return r.code == 0 ? r.output : std::string();
}

class GatewayReload : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_a_ = simulator(port_a_);
    sim_b_ = simulator(port_b_);
    ASSERT_NE(port_a_, 0);
    ASSERT_NE(port_b_, 0);
    file_ = dir_.write("gw.yaml", config(dir_, "    - bind: 127.0.0.1:0\n",
                                         link("la", "da", port_a_) + link("lb", "db", port_b_)));
    gw_ = std::make_unique<Process>(
        std::vector<std::string>{gateway_binary(), "run", "--config", file_});
    ASSERT_TRUE(wait_until([&] {
      port_ = port_after(gw_->output(), "listening on 127.0.0.1:");
      return port_ != 0 || !gw_->running();
    }));
    ASSERT_NE(port_, 0) << gw_->output();
    ASSERT_TRUE(wait_until([&] {
      return gw_->output().find("device da (unit 1) online") != std::string::npos &&
             gw_->output().find("device db (unit 1) online") != std::string::npos;
    })) << gw_->output();
  }

  void hup_and_wait(const std::string& marker, std::size_t times = 1) {
    gw_->signal(SIGHUP);
    ASSERT_TRUE(wait_until([&] { return count(gw_->output(), marker) >= times; }))
        << gw_->output();
  }

  TempDir dir_;
  std::string file_;
  std::uint16_t port_a_ = 0, port_b_ = 0, port_ = 0;
  std::unique_ptr<Process> sim_a_, sim_b_, gw_;
};

TEST_F(GatewayReload, RestartsOnlyChangedLinksAndStartsNewOnes) {
  // la unchanged; lb's poll interval changes; lc is new (a second connection to simulator b).
  dir_.write("gw.yaml", config(dir_, "    - bind: 127.0.0.1:0\n",
                               link("la", "da", port_a_) + link("lb", "db", port_b_, "300ms") +
                                   link("lc", "dc", port_b_)));
  hup_and_wait("reload done: 1 link(s) kept, 2 started, 1 stopped");
  EXPECT_TRUE(wait_until([&] {
    return retained(port_, "rl/dc/status").find("\"online\"") != std::string::npos;
  })) << gw_->output();
  // la kept its connection: connected once only; lb reconnected.
  EXPECT_EQ(count(gw_->output(), "la: connected"), 1U) << gw_->output();
  EXPECT_TRUE(wait_until([&] { return count(gw_->output(), "lb: connected") == 2; }))
      << gw_->output();
  EXPECT_TRUE(gw_->running());
}

TEST_F(GatewayReload, KeepsRunningTheOldConfigurationWhenTheNewOneIsInvalid) {
  dir_.write("gw.yaml", "gateway: {id: rl}\nlinks:\n  - name: la\n    tpye: modbus-tcp\n");
  hup_and_wait("the running configuration stays");
  EXPECT_THAT(gw_->output(), HasSubstr("gw.yaml:4:5: error:"));
  EXPECT_THAT(gw_->output(), HasSubstr("did you mean 'type'"));
  // Still polling with the old links, still serving.
  EXPECT_THAT(retained(port_, "rl/da/status"), HasSubstr("\"online\""));
  EXPECT_TRUE(gw_->running());
}

TEST_F(GatewayReload, OpensNewListenersAndKeepsExistingOnes) {
  dir_.write("gw.yaml", config(dir_, "    - bind: 127.0.0.1:0\n    - bind: 127.0.0.1:0\n      name: second\n",
                               link("la", "da", port_a_) + link("lb", "db", port_b_)));
  hup_and_wait("reload done: 2 link(s) kept, 0 started, 0 stopped");
  const std::uint16_t second = port_after(gw_->output(), "listening on 127.0.0.1:", 1);
  ASSERT_NE(second, 0) << gw_->output();
  EXPECT_NE(second, port_);
  // The first listener was kept (not reopened on a new port) and both serve.
  EXPECT_EQ(count(gw_->output(), "listening on 127.0.0.1:" + std::to_string(port_)), 1U);
  EXPECT_THAT(retained(port_, "rl/da/status"), HasSubstr("\"online\""));
  EXPECT_THAT(retained(second, "rl/db/status"), HasSubstr("\"online\""));
}

}  // namespace
}  // namespace gw::test
