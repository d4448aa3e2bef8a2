// `edge-gateway modbus read|write|scan|guess`, the commissioning commands, run as a real process
// against libmodbus's own server (Modbus TCP on loopback, Modbus RTU through a pty pair, RTU over
// TCP through a serial device server) with known register contents.
#include <algorithm>
#include <bit>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/modbus_test_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/pty_pair.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using std::chrono::steady_clock;

// `f` as two registers, low word first (CDAB, "word swap").
std::vector<std::uint16_t> float_cdab(float f) {
  const auto bits = std::bit_cast<std::uint32_t>(f);
  return {static_cast<std::uint16_t>(bits & 0xFFFF), static_cast<std::uint16_t>(bits >> 16)};
}

std::vector<std::string> modbus(const std::string& command, std::vector<std::string> args) {
  std::vector<std::string> argv{gateway_binary(), "modbus", command};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::vector<std::string> tcp(const ModbusTestServer& server, std::vector<std::string> args) {
  std::vector<std::string> argv{"--host", "127.0.0.1", "--port", std::to_string(server.port())};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// The float32 row of `address` in a read's decoding table has `cdab` in its CDAB (third) column.
std::string float32_row_with_cdab(int address, const std::string& cdab) {
  return " " + std::to_string(address) + "  float32 +[^ ]+ +[^ ]+ +" + cdab + " +[^ ]+\n";
}

// The configuration line `guess` printed, from "- {name: " to the end of its line.
std::string yaml_line(const std::string& output) {
  const auto at = output.find("- {name: ");
  if (at == std::string::npos) return "";
  return output.substr(at, output.find('\n', at) - at);
}

std::string config_with_point(const std::string& line) {
  return "links:\n"
         "  - name: plc\n"
         "    type: modbus-tcp\n"
         "    host: 127.0.0.1\n"
         "    devices:\n"
         "      - name: boiler\n"
         "        points:\n"
         "          " + line + "\n";
}

class CliModbus : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.start_tcp();
    server_.set_registers(1, 100, float_cdab(12.5F));
    server_.set_registers(1, 300, {215});  // 21.5 as int16 x 0.1
  }
  ModbusTestServer server_{{1, 2}};
};

TEST_F(CliModbus, ReadPrintsTheRawRegistersAndTheFloatInItsByteOrder) {
  auto r = run(modbus("read", tcp(server_, {"--address", "100", "--count", "2"})));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("unit 1: holding 100..101 (400101..400102)"));
  EXPECT_THAT(r.output, HasSubstr("0x4148"));
  EXPECT_THAT(r.output, HasSubstr("16712"));
  EXPECT_THAT(r.output, ContainsRegex(float32_row_with_cdab(100, "12\\.5")));
  EXPECT_THAT(r.output, HasSubstr("64-bit values: need 4 registers"));
}

TEST_F(CliModbus, ReadTakesAModiconReferenceForTheTableAndAddress) {
  server_.set_input_registers(1, 7, {0xFFFE});
  auto r = run(modbus("read", tcp(server_, {"--address", "300008"})));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("unit 1: input 7 (300008)"));
  EXPECT_THAT(r.output, ContainsRegex("  7  int16 +-2 +"));
  EXPECT_THAT(r.output, ContainsRegex("  7  uint16 +65534 +"));

  auto clash = run(modbus("read", tcp(server_, {"--address", "300008", "--table", "holding"})));
  EXPECT_EQ(clash.code, 2);
  EXPECT_THAT(clash.output, HasSubstr("--address 300008 is in table input, but --table says holding"));
}

TEST_F(CliModbus, ReadsCoils) {
  server_.set_coil(1, 3, true);
  auto r = run(modbus("read", tcp(server_, {"--table", "coil", "--address", "2", "--count", "2"})));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, ContainsRegex("  2  000003  0\n +3  000004  1\n"));
}

TEST_F(CliModbus, WriteEncodesTheValueChangesTheRegistersAndPrintsTheReadBack) {
  auto r = run(modbus("write", tcp(server_, {"--address", "200", "--type", "float32", "--order",
                                             "CDAB", "21.75"})));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(server_.registers(1, 200, 2), float_cdab(21.75F));
  EXPECT_THAT(r.output, HasSubstr("written; read back:"));
  EXPECT_THAT(r.output, HasSubstr("value (float32 CDAB): 21.75"));

  auto neg = run(modbus("write", tcp(server_, {"--address", "210", "--type", "int16", "--", "-5"})));
  ASSERT_EQ(neg.code, 0) << neg.output;
  EXPECT_EQ(server_.registers(1, 210, 1), std::vector<std::uint16_t>{0xFFFB});
  EXPECT_THAT(neg.output, HasSubstr("value (int16 ABCD): -5"));

  auto coil = run(modbus("write", tcp(server_, {"--table", "coil", "--address", "5", "on"})));
  ASSERT_EQ(coil.code, 0) << coil.output;
  EXPECT_TRUE(server_.coil(1, 5));
  EXPECT_THAT(coil.output, ContainsRegex("  5  000006  1\n"));
}

TEST_F(CliModbus, WriteRefusesValuesTheTypeCannotHoldAndReadOnlyTables) {
  auto big = run(modbus("write", tcp(server_, {"--address", "200", "--type", "int16", "40000"})));
  EXPECT_EQ(big.code, 2);
  EXPECT_THAT(big.output, HasSubstr("cannot write '40000' as int16"));
  auto input = run(modbus("write", tcp(server_, {"--table", "input", "--address", "0", "1"})));
  EXPECT_EQ(input.code, 2);
  EXPECT_THAT(input.output, HasSubstr("table input is read-only"));
  EXPECT_EQ(server_.request_count(1), 0U);  // nothing reached the device
}

TEST_F(CliModbus, ScanReportsTheUnitsThatAnswerAndThoseThatDoNot) {
  server_.set_exception(2, 2);  // answers, but not with data
  auto r = run(modbus("scan", tcp(server_, {"--units", "1-3", "--timeout", "200ms"})));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("unit 1: answers, readable"));
  EXPECT_THAT(r.output, HasSubstr("unit 2: answers, exception 02"));
  EXPECT_THAT(r.output, HasSubstr("unit 3: no answer"));
  EXPECT_THAT(r.output, HasSubstr("2 of 3 unit(s) answer: 1, 2"));
}

TEST_F(CliModbus, ScanFindsWhereTheReadableAddressesEnd) {
  // The server maps 1024 registers: 0..1023 read, 1024 on is exception 02 (illegal address).
  auto r = run(modbus("scan", tcp(server_, {"--from", "1000", "--to", "1100", "--block", "8"})));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("holding 1000..1023 (401001..401024): readable"));
  EXPECT_THAT(r.output,
              HasSubstr("holding 1024..1100 (401025..401101): exception 02 (Illegal data address)"));
}

TEST_F(CliModbus, ScanFailsWhenNoUnitAnswers) {
  auto r = run(modbus("scan", tcp(server_, {"--units", "5,6", "--timeout", "100ms"})));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("0 of 2 unit(s) answer"));
  EXPECT_THAT(r.output, HasSubstr("edge-gateway modbus scan: no unit answered"));
}

TEST_F(CliModbus, ScanStopsOnCtrlCWithWhatItFoundSoFar) {
  // 247 units at 100 ms each would take 25 s; the scan is stopped after the first few.
  Process scan(modbus("scan", tcp(server_, {"--units", "1-247", "--timeout", "100ms"})));
  ASSERT_TRUE(wait_until([&] { return scan.output().find("unit 4: no answer") != std::string::npos; }))
      << scan.output();
  scan.signal(SIGINT);
  EXPECT_EQ(scan.wait(std::chrono::seconds(5)), 130) << scan.output();
  EXPECT_THAT(scan.output(), HasSubstr("unit 1: answers, readable"));
  EXPECT_THAT(scan.output(), ContainsRegex("2 of [0-9]+ unit\\(s\\) answer: 1, 2\ninterrupted\n"));
}

TEST_F(CliModbus, GuessRanksTheFloatInItsWordOrderFirstAndPrintsALineTheLoaderAccepts) {
  auto r = run(modbus("guess", tcp(server_, {"--address", "100", "--count", "2", "--expect", "12.5",
                                             "--name", "supply_temp"})));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, ContainsRegex(" 1 +100  400101  float32 +CDAB +1 +12\\.5 +0%  yes\n"));
  const std::string line = yaml_line(r.output);
  EXPECT_EQ(line, "- {name: supply_temp, table: holding, address: 100, type: float32, "
                  "byte_order: CDAB}");

  TempDir dir;
  auto check = run({gateway_binary(), "check-config", dir.write("c.yaml", config_with_point(line))});
  EXPECT_EQ(check.code, 0) << check.output;
  EXPECT_THAT(check.output, HasSubstr("config OK"));
}

TEST_F(CliModbus, GuessFindsAScaledIntegerOneRegisterOffTheRangeAskedFor) {
  // The manual counts from 1: the engineer asks for 301, the value is at 300.
  auto r = run(modbus("guess", tcp(server_, {"--address", "301", "--count", "1", "--expect", "21.5",
                                             "--name", "setpoint"})));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, ContainsRegex(" 1 +300 \\(-1\\)  400301  int16 "));
  const std::string line = yaml_line(r.output);
  EXPECT_EQ(line, "- {name: setpoint, table: holding, address: 300, type: int16, byte_order: ABCD, "
                  "scale: 0.1}");
  TempDir dir;
  auto check = run({gateway_binary(), "check-config", dir.write("c.yaml", config_with_point(line))});
  EXPECT_EQ(check.code, 0) << check.output;
}

TEST_F(CliModbus, GuessPrefersThePlausibleDecodingAmongThoseTheDisplayCannotTellApart) {
  // 1.2276654 as float32 CDAB at 502..503, next to a uint16 1456 at 504. The display shows
  // "1.2"; 0x3F9D05B0, a float straddling 503..504 in ABCD order, is 1.2267361: closer, but
  // both are within the display's ±0.05, and the one inside the range asked for is the answer.
  server_.set_registers(1, 501, {0x3237, 0x2424, 0x3F9D, 0x05B0});
  auto r = run(modbus("guess", tcp(server_, {"--address", "502", "--count", "2", "--expect", "1.2",
                                             "--name", "pressure"})));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("all within ±0.05 match the display"));
  EXPECT_EQ(yaml_line(r.output),
            "- {name: pressure, table: holding, address: 502, type: float32, byte_order: CDAB}");
}

TEST_F(CliModbus, BadArgumentsGiveOneLineAndExitCode2WithoutTouchingTheDevice) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {modbus("read", {"--address", "0"}), "give --host (Modbus TCP) or --device (Modbus RTU)"},
      {modbus("read", {"--host", "127.0.0.1", "--device", "/dev/null", "--address", "0"}),
       "--host and --device cannot be combined"},
      {modbus("read", tcp(server_, {"--address", "70000"})), "'70000' is not an address"},
      {modbus("read", tcp(server_, {"--address", "0", "--count", "126"})), "--count 126: 1..125"},
      {modbus("read", tcp(server_, {"--address", "0", "--baud", "19200"})),
       "--baud applies to Modbus RTU"},
      {modbus("read", tcp(server_, {"--address", "0", "--timeout", "5"})), "--timeout '5'"},
      {modbus("scan", tcp(server_, {"--units", "9-3"})), "'9-3' is not a unit id or range"},
      {modbus("scan", tcp(server_, {})), "nothing to scan"},
      {modbus("guess", tcp(server_, {"--address", "0", "--expect", "1", "--name", "a b"})),
       "--name 'a b' is not a valid point name"},
      {modbus("guess", tcp(server_, {"--table", "coil", "--address", "0", "--expect", "1"})),
       "guess decodes registers"},
  };
  for (const auto& [argv, message] : cases) {
    auto r = run(argv);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_THAT(r.output, HasSubstr(message));
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  }
  EXPECT_EQ(server_.request_count(1), 0U);
}

TEST_F(CliModbus, DeviceErrorsGiveOneLineAndExitCode1WithinTheTimeout) {
  server_.set_silent(1, true);
  auto start = steady_clock::now();
  auto silent = run(modbus("read", tcp(server_, {"--address", "0", "--timeout", "200ms"})),
                    std::chrono::seconds(10));
  EXPECT_EQ(silent.code, 1) << silent.output;
  EXPECT_THAT(silent.output,
              HasSubstr("edge-gateway modbus read: unit 1 read holding 0 (400001): no answer"));
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(5));

  server_.set_exception(2, 2);
  auto refused = run(modbus("read", tcp(server_, {"--unit", "2", "--address", "0"})));
  EXPECT_EQ(refused.code, 1) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("exception 02 (Illegal data address)"));

  const std::uint16_t port = server_.port();
  server_.stop();
  start = steady_clock::now();
  auto closed = run(modbus("read", {"--host", "127.0.0.1", "--port", std::to_string(port),
                                    "--address", "0", "--timeout", "500ms"}),
                    std::chrono::seconds(10));
  EXPECT_EQ(closed.code, 1) << closed.output;
  EXPECT_THAT(closed.output, HasSubstr("edge-gateway modbus read: cannot open modbus-tcp 127.0.0.1:" +
                                       std::to_string(port) + ": "));
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(CliModbusRtu, ReadsAndWritesThroughAPtyPair) {
  PtyPair line;
  ModbusTestServer server({7});
  server.start_rtu(line.device_b(), 115200);
  server.set_registers(7, 100, float_cdab(12.5F));
  const std::vector<std::string> link{"--device", line.device_a(), "--baud", "115200",
                                      "--unit",   "7"};
  auto args = link;
  args.insert(args.end(), {"--address", "100", "--count", "2"});
  auto r = run(modbus("read", args));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("modbus-rtu " + line.device_a() + " 115200 8N1, unit 7"));
  EXPECT_THAT(r.output, ContainsRegex(float32_row_with_cdab(100, "12\\.5")));

  args = link;
  args.insert(args.end(), {"--address", "20", "1234"});
  auto w = run(modbus("write", args));
  ASSERT_EQ(w.code, 0) << w.output;
  EXPECT_EQ(server.registers(7, 20, 1), std::vector<std::uint16_t>{1234});
}

TEST(CliModbusRtu, GuessesThroughASerialDeviceServerAsRtuOverTcp) {
  SerialDeviceServer nport;
  ModbusTestServer server({3});
  server.start_rtu(nport.device(), 115200);
  server.set_registers(3, 10, float_cdab(-7.25F));
  auto r = run(modbus("guess", {"--host", "127.0.0.1", "--port", std::to_string(nport.port()),
                                "--kind", "rtu-over-tcp", "--unit", "3", "--address", "10",
                                "--count", "2", "--expect", "-7.25"}));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("modbus-rtu-over-tcp 127.0.0.1:"));
  EXPECT_THAT(yaml_line(r.output), HasSubstr("address: 10, type: float32, byte_order: CDAB}"));
}

}  // namespace
}  // namespace gw::test
