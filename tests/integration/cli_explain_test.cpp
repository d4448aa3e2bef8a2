// `edge-gateway explain` and the plan warnings of check-config, run as a real process.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kTcp = R"(gateway: {id: plant}
links:
  - name: plc
    type: modbus-tcp
    host: 127.0.0.1
    devices:
      - name: boiler
        byte_order: CDAB
        max_gap: 4
        points:
          - {name: temp, ref: 400001, type: float32}
          - {name: flow, table: holding, address: 4, type: uint16}
          - {name: far, table: holding, address: 20, type: uint16}
          - {name: energy, table: holding, address: 30, type: uint64}
          - {name: word, table: input, address: 7, type: int16, byte_order: BADC}
          - {name: fast, table: coil, address: 3, type: bool, poll_interval: 100ms, writable: true}
)";

TEST(CliExplain, PrintsPointsWithRefsOrdersAndTheCoalescedReadPlan) {
  TempDir dir;
  auto r = run({gateway_binary(), "explain", dir.write("c.yaml", kTcp)});
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("link 'plc': modbus-tcp 127.0.0.1:502"));
  // The Modicon reference and the 0-based address side by side; 64-bit order spelled in 8 letters.
  EXPECT_THAT(r.output, HasSubstr("temp                 holding               0  400001 float32     2 CDAB"));
  EXPECT_THAT(r.output, HasSubstr("energy               holding              30  400031 uint64      4 GHEFCDAB"));
  EXPECT_THAT(r.output, HasSubstr("word                 input                 7  300008 int16       1 BA"));
  EXPECT_THAT(r.output, HasSubstr("plant/boiler/fast (writable)"));
  // temp (0-1) and flow (4) are within max_gap 4 and merge; far (20) and energy (30-33) do not.
  EXPECT_THAT(r.output, HasSubstr("read plan every 1s: 4 request(s) per cycle (minimum possible 2)"));
  EXPECT_THAT(r.output, HasSubstr("FC3 holding 0..4 (5 registers): temp flow"));
  EXPECT_THAT(r.output, HasSubstr("FC3 holding 20..20 (1 register): far"));
  EXPECT_THAT(r.output, HasSubstr("FC3 holding 30..33 (4 registers): energy"));
  EXPECT_THAT(r.output, HasSubstr("FC4 input 7..7 (1 register): word"));
  EXPECT_THAT(r.output, HasSubstr("read plan every 100ms: 1 request(s) per cycle (minimum possible 1)"));
  EXPECT_THAT(r.output, HasSubstr("FC1 coil 3..3 (1 bit): fast"));
}

TEST(CliExplain, RefusesAnInvalidFileLikeCheckConfig) {
  TempDir dir;
  auto r = run({gateway_binary(), "explain", dir.write("bad.yaml", "links: [{name: x}]\n")});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("bad.yaml:1:"));
  EXPECT_THAT(r.output, HasSubstr("error:"));
}

// 40 registers every 100 ms at 1200 baud: each transaction is ~90 bytes ≈ 0.8 s of wire time.
constexpr const char* kSlowBus = R"(links:
  - name: bus
    type: modbus-rtu
    serial: {device: /dev/ttyUSB0, baud: 1200}
    devices:
      - name: meter
        poll_interval: 100ms
        points:
          - {name: block, table: holding, address: 0, type: string, length: 40}
)";

TEST(CliExplain, WarnsWhenASerialBusCannotMeetThePollIntervals) {
  TempDir dir;
  const auto file = dir.write("slow.yaml", kSlowBus);
  auto check = run({gateway_binary(), "check-config", file});
  EXPECT_EQ(check.code, 0) << check.output;  // a warning, not an error
  EXPECT_THAT(check.output, HasSubstr("slow.yaml: warning: link 'bus': the poll intervals need"));
  EXPECT_THAT(check.output, HasSubstr("at 1200 baud"));
  auto explain = run({gateway_binary(), "explain", file});
  EXPECT_THAT(explain.output, HasSubstr("estimated bus load:"));

  // The same plan at 115200 baud fits: no warning.
  std::string fast = kSlowBus;
  fast.replace(fast.find("1200"), 4, "115200");
  auto ok = run({gateway_binary(), "check-config", dir.write("fast.yaml", fast)});
  EXPECT_EQ(ok.code, 0);
  EXPECT_THAT(ok.output, Not(HasSubstr("warning")));
}

TEST(CliExplain, SaysAsFastAsPossibleForPollInterval0AndLeavesItOutOfTheBusLoad) {
  TempDir dir;
  // The slow bus's meter at 115200 baud, where it fits, plus a device polled as fast as
  // possible: that device needs no bus time of its own, so no load warning either.
  std::string yaml = kSlowBus;
  yaml.replace(yaml.find("1200"), 4, "115200");
  yaml +=
      "      - name: drive\n"
      "        unit_id: 2\n"
      "        poll_interval: 0\n"
      "        points:\n"
      "          - {name: speed, table: holding, address: 0, type: uint16}\n"
      "          - {name: torque, table: holding, address: 1, type: int16, poll_interval: 1s}\n";
  const auto file = dir.write("asap.yaml", yaml);
  auto check = run({gateway_binary(), "check-config", file});
  EXPECT_EQ(check.code, 0) << check.output;
  EXPECT_THAT(check.output, Not(HasSubstr("warning")));
  auto explain = run({gateway_binary(), "explain", file});
  ASSERT_EQ(explain.code, 0) << explain.output;
  EXPECT_THAT(explain.output, HasSubstr("device 'drive': unit 2, byte order ABCD, poll as fast as "
                                        "possible, heartbeat 1m"));
  EXPECT_THAT(explain.output, HasSubstr("read plan as fast as possible: 1 request(s) per cycle"));
  EXPECT_THAT(explain.output, HasSubstr("read plan every 1s: 1 request(s) per cycle"));
  EXPECT_THAT(explain.output, HasSubstr("; the points polled as fast as possible take the rest"));
}

TEST(CliExplain, ShowsInstrumentRequestsOfAMixedBusInTheBusPlan) {
  const auto file = (std::filesystem::path(source_dir()) / "config" / "examples" / "mixed-bus.yaml")
                        .string();
  auto r = run({gateway_binary(), "explain", file});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("instrument 'scale': serial on this bus"));
  // 19200 8E1: 11 bits a character (0.573 ms); "W\r" and a 32-byte answer, two gaps of 3.5
  // characters, 10 ms turnaround: 34 * 0.573 + 2 * 2.005 + 10 = 33.5 ms.
  EXPECT_THAT(r.output, HasSubstr("bus plan every 2s: request \"W\\r\" expects weight; ~33.5 ms "
                                  "on the bus (2 + 32 bytes assumed for the answer), up to 200ms "
                                  "when unanswered"));
  EXPECT_THAT(r.output, HasSubstr("plant-1/scale/weight"));
  EXPECT_THAT(r.output, HasSubstr("command 'tare'"));
}

}  // namespace
}  // namespace gw::test
