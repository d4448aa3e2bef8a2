// poll_interval 0 ("as fast as possible") end to end: the real edge-gateway binary polls
// libmodbus's own Modbus TCP server (in this process, on loopback), with a device at 0 beside a
// device polled every second. The server's request log, stamped when each request arrived, is
// the evidence: the fast device is polled back to back, the 1 s device keeps its interval, and
// a command sent with mosquitto_pub is still written and verified while the device is polled
// flat out.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/gateway_process.hpp"
#include "tests/support/modbus_test_server.hpp"
#include "tests/support/process.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::uint8_t kFast = 1;
constexpr std::uint8_t kSlow = 2;

std::string links_yaml(std::uint16_t port) {
  return "links:\n"
         "  - name: plc\n"
         "    type: modbus-tcp\n"
         "    host: 127.0.0.1\n"
         "    port: " + std::to_string(port) + "\n"
         "    response_timeout: 500ms\n"
         "    devices:\n"
         "      - name: fast\n"
         "        unit_id: 1\n"
         "        poll_interval: 0\n"
         "        points:\n"
         "          - {name: level, table: holding, address: 0, type: uint16}\n"
         "          - {name: setpoint, table: holding, address: 10, type: uint16, writable: true}\n"
         "      - name: slow\n"
         "        unit_id: 2\n"
         "        poll_interval: 1s\n"
         "        points:\n"
         "          - {name: temperature, table: holding, address: 0, type: uint16}\n";
}

// Requests of `log` that arrived in [from, to).
std::size_t count_between(const std::vector<ModbusTestServer::Request>& log,
                          Clock::time_point from, Clock::time_point to) {
  return static_cast<std::size_t>(std::count_if(log.begin(), log.end(), [&](const auto& r) {
    return r.at >= from && r.at < to;
  }));
}

TEST(GatewayModbusFastPoll, AnIntervalZeroDeviceIsPolledBackToBackBesideA1sDevice) {
  ModbusTestServer server({kFast, kSlow});
  server.start_tcp();
  GatewayProcess gw("", links_yaml(server.port()));
  ASSERT_TRUE(gw.ready()) << gw.process().output();

  // Four polls of the 1 s device: three intervals of wall time.
  ASSERT_TRUE(server.wait_for_requests(kSlow, 4, 10s)) << gw.process().output();
  const auto slow = server.requests(kSlow);
  const auto fast = server.requests(kFast);

  // The 1 s device keeps its interval: three intervals take about three seconds, and no cycle is
  // lost to the fast device. (A poll may wait for the fast device's job in progress, and a
  // loaded or sanitized build may stall a thread for a while; the schedule then keeps the phase,
  // so one short gap follows one long gap: the bounds are on the span and on a whole lost cycle.)
  const auto span = slow[3].at - slow[0].at;
  EXPECT_GT(span, 2700ms);
  EXPECT_LT(span, 4500ms);
  for (std::size_t k = 1; k < 4; ++k) {
    EXPECT_LT(slow[k].at - slow[k - 1].at, 2000ms) << "poll " << k << ": a whole cycle was lost";
  }
  // Meanwhile the fast device was polled back to back, one request per round trip: tens of
  // thousands in 3 s on an idle machine. The bound is far below that, for a loaded one, and
  // still more than any interval of 3 ms or longer could give (and 300 times the 1 s device).
  const std::size_t fast_polls = count_between(fast, slow[0].at, slow[3].at);
  RecordProperty("fast_polls_in_3s", static_cast<int>(fast_polls));
  EXPECT_GT(fast_polls, 1000U) << "fast polls in 3 s";
  // Every fast request is one read of the device's one coalesced plan (0..10), no writes.
  for (const auto& r : fast) {
    ASSERT_EQ(r.function, 3);
    ASSERT_EQ(r.address, 0);
    ASSERT_EQ(r.count, 11);
  }
}

TEST(GatewayModbusFastPoll, ACommandIsWrittenWhileAnIntervalZeroDeviceIsPolledFlatOut) {
  ModbusTestServer server({kFast, kSlow});
  server.start_tcp();
  GatewayProcess gw("", links_yaml(server.port()));
  ASSERT_TRUE(gw.ready()) << gw.process().output();
  ASSERT_TRUE(server.wait_for_requests(kFast, 100, 10s)) << gw.process().output();

  const auto sent = Clock::now();
  const auto pub = run({"mosquitto_pub", "-h", "127.0.0.1", "-p", gw.port_str(), "-q", "1", "-t",
                        "test/fast/setpoint/set", "-m", "1234"},
                       10s);
  ASSERT_EQ(pub.code, 0) << pub.output;
  // Written (FC 6) and read back, while the device is still polled flat out.
  ASSERT_TRUE(wait_until(
      [&] { return server.registers(kFast, 10, 1) == std::vector<std::uint16_t>{1234}; }, 10s))
      << gw.process().output();
  const auto log = server.requests(kFast);
  const auto write =
      std::find_if(log.begin(), log.end(), [](const auto& r) { return r.function == 6; });
  ASSERT_NE(write, log.end());
  EXPECT_GE(write->at, sent);
  // Polling goes on after the write.
  const std::size_t before = server.request_count(kFast);
  EXPECT_TRUE(server.wait_for_requests(kFast, before + 100, 10s));
}

}  // namespace
}  // namespace gw::test
