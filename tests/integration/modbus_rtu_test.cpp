// adapters::modbus::Link on serial lines: Modbus RTU through a pty pair (libmodbus on both
// ends), and Modbus RTU over TCP (our framing) through a serial device server relaying to a pty,
// including answers that are garbage.
#include <bit>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <modbus/modbus.h>

#include "tests/integration/modbus_link_harness.hpp"
#include "tests/support/modbus_test_server.hpp"
#include "tests/support/pty_pair.hpp"

namespace gw::test {
namespace {

using mb::DataType;
using mb::Table;

mb::LinkOptions rtu_link(const std::string& device, std::vector<mb::DeviceOptions> devices) {
  mb::LinkOptions l = tcp_link(0, std::move(devices));
  l.name = "bus";
  l.kind = mb::LinkKind::Rtu;
  l.host.clear();
  l.serial.device = device;
  l.serial.baud = 115200;
  return l;
}

mb::LinkOptions rtu_over_tcp_link(std::uint16_t port, std::vector<mb::DeviceOptions> devices) {
  mb::LinkOptions l = tcp_link(port, std::move(devices));
  l.name = "nport";
  l.kind = mb::LinkKind::RtuOverTcp;
  return l;
}

std::vector<std::uint16_t> float_regs(float f) {
  const auto bits = std::bit_cast<std::uint32_t>(f);
  return {static_cast<std::uint16_t>(bits >> 16), static_cast<std::uint16_t>(bits & 0xFFFF)};
}

mb::PointOptions writable(mb::PointOptions p) {
  p.writable = true;
  return p;
}

TEST(ModbusRtu, PollsAndWritesTwoSlavesWhenTheyShareOnePtyBus) {
  PtyPair line;
  ModbusTestServer server({3, 7});
  server.start_rtu(line.device_b(), 115200);
  server.set_registers(3, 0, {1234});
  server.set_registers(7, 10, float_regs(-2.5F));
  server.set_coil(7, 4, true);
  RecordingSink sink;
  mb::Link link(
      rtu_link(line.device_a(),
               {make_device("meter", 3, {writable(holding("v", 0)), holding("w", 1)}),
                make_device("valve", 7, {holding("f", 10, DataType::Float32),
                                         make_point("open", Table::Coil, 4, DataType::Bool)})}),
      sink);
  link.start();

  const auto v = sink.wait_quality("meter", "v", Quality::Good);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->value, Value{std::uint64_t{1234}});
  const auto f = sink.wait_quality("valve", "f", Quality::Good);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->value, Value{-2.5});
  const auto open = sink.wait_quality("valve", "open", Quality::Good);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->value, Value{true});
  EXPECT_TRUE(sink.wait_status("meter", true));
  EXPECT_TRUE(sink.wait_status("valve", true));

  const auto r = write_and_wait(link, "meter", "v", std::uint64_t{4321});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, Value{std::uint64_t{4321}});
  EXPECT_EQ(server.registers(3, 0, 1), std::vector<std::uint16_t>{4321});

  // Both slaves keep being polled, each at its interval, on the one bus.
  const std::size_t s3 = server.request_count(3);
  const std::size_t s7 = server.request_count(7);
  EXPECT_TRUE(server.wait_for_requests(3, s3 + 3, kWait));
  EXPECT_TRUE(server.wait_for_requests(7, s7 + 3, kWait));
  EXPECT_EQ(link.stats().errors, 0U);
}

TEST(ModbusRtu, MarksASilentSlaveOfflineWhileTheOtherAnswersWhenSharingThePtyBus) {
  PtyPair line;
  ModbusTestServer server({1, 2});
  server.start_rtu(line.device_b(), 115200);
  server.set_registers(2, 0, {22});
  server.set_silent(1, true);
  RecordingSink sink;
  mb::Link link(rtu_link(line.device_a(), {make_device("dead", 1, {holding("v", 0)}),
                                           make_device("alive", 2, {holding("v", 0)})}),
                sink);
  link.start();
  ASSERT_TRUE(sink.wait_quality("dead", "v", Quality::BadTimeout));
  const auto offline = sink.wait_status("dead", false);
  ASSERT_TRUE(offline);
  const auto alive = sink.wait_quality("alive", "v", Quality::Good);
  ASSERT_TRUE(alive);
  EXPECT_EQ(alive->value, Value{std::uint64_t{22}});
}

// A serial device server in front of the RTU slaves; the link speaks RTU frames over TCP.
struct ModbusRtuOverTcp : ::testing::Test {
  ModbusRtuOverTcp() { server.start_rtu(relay.device(), 115200); }

  SerialDeviceServer relay;
  ModbusTestServer server{{1, 4}};
  RecordingSink sink;
};

TEST_F(ModbusRtuOverTcp, ReadsAndWritesEveryFunctionWhenFramingRtuOverTcp) {
  server.set_registers(1, 0, {0x1234, 0x5678});
  server.set_input_registers(1, 5, {77});
  server.set_coil(1, 2, true);
  server.set_discrete_input(1, 3, true);
  server.set_registers(1, 30, {0x8001});
  auto flag = writable(holding("flag", 30, DataType::Bit));
  flag.bit = 4;
  auto drive = make_device("drive", 4, {writable(holding("speed", 0, DataType::Float32))});
  drive.supports_fc23 = true;
  mb::Link link(
      rtu_over_tcp_link(relay.port(),
                        {make_device("plc", 1, {holding("u32", 0, DataType::Uint32),
                                                make_point("in", Table::InputRegister, 5,
                                                           DataType::Int16),
                                                writable(make_point("coil", Table::Coil, 2,
                                                                    DataType::Bool)),
                                                make_point("di", Table::DiscreteInput, 3,
                                                           DataType::Bool),
                                                writable(holding("level", 20, DataType::Int32)),
                                                flag}),
                         drive}),
      sink);
  link.start();
  const std::pair<const char*, Value> want[] = {{"u32", std::uint64_t{0x12345678}},
                                                {"in", std::int64_t{77}},
                                                {"coil", true},
                                                {"di", true},
                                                {"flag", false}};
  for (const auto& [point, value] : want) {
    const auto r = sink.wait_quality("plc", point, Quality::Good);
    ASSERT_TRUE(r) << point;
    EXPECT_EQ(r->value, value) << point;
  }

  auto w = write_and_wait(link, "plc", "coil", false);  // FC 5
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_FALSE(server.coil(1, 2));
  w = write_and_wait(link, "plc", "level", std::int64_t{-100000});  // FC 16
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_EQ(*w, Value{std::int64_t{-100000}});
  EXPECT_EQ(server.registers(1, 20, 2), (std::vector<std::uint16_t>{0xFFFE, 0x7960}));
  w = write_and_wait(link, "plc", "flag", true);  // FC 22
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_EQ(server.registers(1, 30, 1), std::vector<std::uint16_t>{0x8011});
  w = write_and_wait(link, "drive", "speed", 1500.0);  // FC 23
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_EQ(*w, Value{1500.0});
  EXPECT_EQ(server.registers(4, 0, 2), float_regs(1500.0F));
  EXPECT_EQ(server.request_count(4, MODBUS_FC_WRITE_AND_READ_REGISTERS), 1U);
  EXPECT_EQ(link.stats().write_errors, 0U);
}

TEST_F(ModbusRtuOverTcp, ReportsBadQualityAndKeepsWorkingWhenTheAnswersAreGarbage) {
  server.set_registers(1, 0, {7});
  auto dev = make_device("plc", 1, {holding("v", 0)});
  dev.backoff_initial = 50ms;
  dev.backoff_max = 100ms;
  mb::Link link(rtu_over_tcp_link(relay.port(), {dev}), sink);
  link.start();
  ASSERT_TRUE(sink.wait_quality("plc", "v", Quality::Good));

  // The right length and shape, a wrong CRC.
  auto bad_crc = with_crc({0x01, 0x03, 0x02, 0x00, 0x07});
  bad_crc.back() ^= 0xFF;
  std::size_t from = sink.reading_count();
  relay.answer_next_with({bad_crc});
  const auto crc = sink.wait_quality("plc", "v", Quality::BadCrc, from);
  ASSERT_TRUE(crc);
  EXPECT_FALSE(crc->error.empty());
  ASSERT_TRUE(sink.wait_quality("plc", "v", Quality::Good, from));

  // A well-formed answer from another slave.
  from = sink.reading_count();
  relay.answer_next_with({with_crc({0x09, 0x03, 0x02, 0x00, 0x07})});
  ASSERT_TRUE(sink.wait_quality("plc", "v", Quality::BadDecode, from));
  ASSERT_TRUE(sink.wait_quality("plc", "v", Quality::Good, from));

  // Noise: an exception-shaped answer cut short, then line noise that is no frame at all.
  from = sink.reading_count();
  relay.answer_next_with({{0xDE, 0xAD}, {'g', 'a', 'r', 'b', 'a', 'g', 'e', '!', '!', '!'}});
  ASSERT_TRUE(sink.wait_quality("plc", "v", Quality::BadTimeout, from));
  const auto back = sink.wait_quality("plc", "v", Quality::Good, from);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->value, Value{std::uint64_t{7}});
  EXPECT_EQ(relay.canned_left(), 0U);
  EXPECT_TRUE(sink.wait_for([](const auto&, const std::vector<mb::DeviceStatus>& ss) {
    return !ss.empty() && ss.back().device == "plc" && ss.back().online;
  })) << "the device did not come back online";

  // And the values that follow are right, not shifted by leftovers.
  server.set_registers(1, 0, {8});
  const auto next = sink.wait_reading("plc", "v", [](const Reading& r) {
    return r.quality == Quality::Good && r.value == Value{std::uint64_t{8}};
  });
  ASSERT_TRUE(next);
  EXPECT_TRUE(sink.readings_of("plc", "v").back().quality == Quality::Good);
}

// RS-485 mode is a request to the serial driver (TIOCGRS485 / TIOCSRS485). A pseudo-terminal has
// no RS-485 support and answers ENOTTY, as a port whose driver lacks it does: the link must say
// so, in words that name the setting, and keep the device offline instead of polling a bus
// whose transceiver never switches.
TEST(ModbusRtu, ReportsAClearErrorWhenThePortRefusesRs485Mode) {
  PtyPair line;
  auto options = rtu_link(line.device_a(), {make_device("meter", 3, {holding("v", 0)})});
  options.serial.rs485 = true;
  options.reconnect_initial = 50ms;
  options.reconnect_max = 100ms;
  RecordingSink sink;
  mb::Link link(options, sink);
  link.start();
  const auto bad = sink.wait_quality("meter", "v", Quality::BadConnection);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->error,
            "the serial port refused RS-485 mode (TIOCGRS485/TIOCSRS485 ioctl: Inappropriate "
            "ioctl for device); its driver cannot switch the transceiver: set serial.rs485: "
            "false, and serial.rts if the transceiver needs RTS driven");
  ASSERT_TRUE(sink.wait_for([](const auto&, const std::vector<mb::DeviceStatus>& ss) {
    return !ss.empty() && !ss.back().online;
  }));
  EXPECT_EQ(sink.statuses_of("meter").back().error, bad->error);
  // No read goes out on a bus whose transceiver would never switch.
  const auto tried = link.stats().requests;
  EXPECT_EQ(tried, 0U);
  link.stop();
  EXPECT_EQ(link.stats().requests, 0U);
}

}  // namespace
}  // namespace gw::test
