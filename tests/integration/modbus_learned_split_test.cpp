// The read split a Modbus link learns when a device refuses a merged read ("illegal data
// address") is kept in the data directory: the real edge-gateway binary, killed with SIGKILL and
// started again, reads with the split from its first cycle; `explain` prints it; a changed
// configuration discards it; a corrupt file is reported and replaced. The device is libmodbus's
// own server (tests/support/modbus_test_server.hpp) with a hole in its register map.
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <modbus/modbus.h>

#include "tests/support/modbus_test_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using Request = ModbusTestServer::Request;

constexpr std::uint8_t kFc3 = MODBUS_FC_READ_HOLDING_REGISTERS;

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct LearnedSplit : ::testing::Test {
  LearnedSplit() {
    server.start_tcp();
    server.set_registers(1, 0, {10, 11, 0, 0, 0, 15, 16});
    server.refuse_reads_at(1, 3);  // a hole in the device's map, inside the merged read 0..6
  }

  // Points a (0), b (1), c (5), d (6) merge into one read of 0..6 (max_gap 10); `extra` adds
  // point lines.
  std::string config(const std::string& extra = "") const {
    return "gateway:\n  id: ls\n  data_dir: " + dir.path().string() +
           "\nbroker:\n  listeners:\n    - bind: 127.0.0.1:0\n"
           "links:\n"
           "  - name: plc\n"
           "    type: modbus-tcp\n"
           "    host: 127.0.0.1\n"
           "    port: " + std::to_string(server.port()) + "\n"
           "    response_timeout: 500ms\n"
           "    devices:\n"
           "      - name: meter\n"
           "        unit_id: 1\n"
           "        poll_interval: 200ms\n"
           "        points:\n"
           "          - {name: a, table: holding, address: 0, type: uint16}\n"
           "          - {name: b, table: holding, address: 1, type: uint16}\n"
           "          - {name: c, table: holding, address: 5, type: uint16}\n"
           "          - {name: d, table: holding, address: 6, type: uint16}\n" +
           extra;
  }

  std::filesystem::path splits_file() const { return dir.path() / "modbus-plc.splits"; }

  // Starts the gateway on `file` and returns it once the server has seen `n` more requests.
  std::unique_ptr<Process> run_until_requests(const std::string& file, std::size_t n) {
    const std::size_t before = server.request_count(1);
    auto gw = std::make_unique<Process>(
        std::vector<std::string>{gateway_binary(), "run", "--config", file});
    EXPECT_TRUE(server.wait_for_requests(1, before + n, 10s)) << gw->output();
    return gw;
  }

  // The requests the server got from index `from` on.
  std::vector<Request> since(std::size_t from) const {
    const auto log = server.requests(1);
    return {log.begin() + static_cast<std::ptrdiff_t>(std::min(from, log.size())), log.end()};
  }

  static bool is(const Request& r, std::uint16_t address, std::uint16_t count) {
    return r.function == kFc3 && r.address == address && r.count == count;
  }

  TempDir dir;
  ModbusTestServer server{{1}};
};

TEST_F(LearnedSplit, KeepsTheSplitAcrossAKillAndUsesItFromTheFirstCycle) {
  const std::string file = dir.write("gw.yaml", config());
  // First run: the merged read is refused, split, and the split kept.
  auto gw = run_until_requests(file, 3);
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(splits_file()); })) << gw->output();
  auto first = since(0);
  ASSERT_GE(first.size(), 3U);
  EXPECT_TRUE(is(first[0], 0, 7)) << first[0].address << " +" << first[0].count;
  EXPECT_TRUE(is(first[1], 0, 2));
  EXPECT_TRUE(is(first[2], 5, 2));
  EXPECT_THAT(read_text(splits_file()), HasSubstr("meter "));
  gw->signal(SIGKILL);
  gw->wait(5s);

  // Second run: the very first request is the first half; the merged read is never sent again.
  const std::size_t mark = server.request_count(1);
  gw = run_until_requests(file, 4);
  const auto second = since(mark);
  ASSERT_GE(second.size(), 4U);
  for (std::size_t i = 0; i < second.size(); ++i) {
    EXPECT_TRUE(is(second[i], i % 2 == 0 ? 0 : 5, 2))
        << "request " << i << " after the restart: " << second[i].address << " +" << second[i].count;
  }
  EXPECT_THAT(gw->output(), HasSubstr("using the learned split read plan of device 'meter'"));
  EXPECT_THAT(gw->output(), Not(HasSubstr("refused a merged read")));

  // explain prints the plan the link starts with, and says it was learned.
  const auto explained = run({gateway_binary(), "explain", file});
  ASSERT_EQ(explained.code, 0) << explained.output;
  EXPECT_THAT(explained.output,
              HasSubstr("read plan every 200ms: 2 request(s) per cycle (minimum possible 1), "
                        "learned: the device refused a merged read"));
  EXPECT_THAT(explained.output, HasSubstr("FC3 holding 0..1 (2 registers): a b"));
  EXPECT_THAT(explained.output, HasSubstr("FC3 holding 5..6 (2 registers): c d"));
}

TEST_F(LearnedSplit, DiscardsTheSplitWhenTheDevicesPointsChange) {
  auto gw = run_until_requests(dir.write("gw.yaml", config()), 3);
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(splits_file()); })) << gw->output();
  gw->signal(SIGKILL);
  gw->wait(5s);

  // A new point at 8: the plan the split was learned for no longer exists.
  const std::string changed =
      dir.write("gw2.yaml", config("          - {name: e, table: holding, address: 8, type: uint16}\n"));
  const auto explained = run({gateway_binary(), "explain", changed});
  EXPECT_THAT(explained.output, HasSubstr("its points or read limits changed"));
  EXPECT_THAT(explained.output, HasSubstr("FC3 holding 0..8 (9 registers): a b c d e"));

  const std::size_t mark = server.request_count(1);
  gw = run_until_requests(changed, 3);
  const auto after = since(mark);
  ASSERT_GE(after.size(), 3U);
  EXPECT_TRUE(is(after[0], 0, 9)) << "the old split was applied: " << after[0].address << " +"
                                  << after[0].count;
  EXPECT_THAT(gw->output(), HasSubstr("discarding the learned split read plan of device 'meter': "
                                      "its points or read limits changed"));
  // Learned again for the new configuration: 0..1 and 5..8.
  EXPECT_TRUE(is(after[1], 0, 2));
  EXPECT_TRUE(is(after[2], 5, 4));
}

TEST_F(LearnedSplit, ReportsACorruptFileStartsWithoutItAndReplacesIt) {
  std::ofstream(splits_file()) << "edge-gateway learned-splits 1\nmeter zz 200 holding 0\n";
  const std::string file = dir.write("gw.yaml", config());
  auto gw = run_until_requests(file, 3);
  EXPECT_TRUE(is(since(0)[0], 0, 7));
  ASSERT_TRUE(wait_until([&] {
    return read_text(splits_file()).find("meter ") != std::string::npos &&
           read_text(splits_file()).find(" zz ") == std::string::npos;
  })) << read_text(splits_file());
  EXPECT_THAT(gw->output(), HasSubstr("ignoring the learned splits in " + splits_file().string() +
                                      ": line 2: expected 6 fields"));
  EXPECT_TRUE(gw->running()) << gw->output();
  gw->signal(SIGTERM);
  EXPECT_EQ(gw->wait(5s), 0) << gw->output();
}

}  // namespace
}  // namespace gw::test
