// adapters::modbus::Link writes (with read-back) and the publish filter, end to end against a
// real Modbus TCP server (libmodbus, in a thread) on loopback.
#include <bit>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <modbus/modbus.h>

#include "adapters/modbus/modbus_error.hpp"
#include "adapters/modbus/value_codec.hpp"
#include "tests/integration/modbus_link_harness.hpp"
#include "tests/support/modbus_test_server.hpp"

namespace gw::test {
namespace {

using mb::DataType;
using mb::Table;
using Request = ModbusTestServer::Request;

bool wrote(const std::vector<Request>& log, std::uint8_t fc, std::uint16_t address,
           std::uint16_t count) {
  return std::any_of(log.begin(), log.end(), [&](const Request& r) {
    return r.function == fc && r.address == address && r.count == count;
  });
}

std::vector<std::uint16_t> float_regs(float f) {
  const auto bits = std::bit_cast<std::uint32_t>(f);
  return {static_cast<std::uint16_t>(bits >> 16), static_cast<std::uint16_t>(bits & 0xFFFF)};
}

mb::PointOptions writable(mb::PointOptions p) {
  p.writable = true;
  return p;
}

struct ModbusWrite : ::testing::Test {
  ModbusWrite() {
    server.start_tcp();
    server.set_registers(1, 30, {0xA5A1});  // bit 3 clear, neighbours set and clear
    auto setpoint = writable(holding("setpoint", 10, DataType::Float32));
    setpoint.scale = 0.1;
    setpoint.min = 0.0;
    setpoint.max = 100.0;
    auto flag = writable(holding("flag", 30, DataType::Bit));
    flag.bit = 3;
    auto dev = make_device("boiler", 1,
                           {setpoint, writable(holding("level", 20, DataType::Int16)),
                            writable(holding("limited", 21, DataType::Int16)),
                            writable(make_point("pump", Table::Coil, 3, DataType::Bool)), flag,
                            holding("ro", 40)});
    dev.poll_interval = 100ms;
    auto fc23 = make_device("drive", 2, {writable(holding("speed", 0, DataType::Uint32))});
    fc23.supports_fc23 = true;
    fc23.poll_interval = 100ms;
    link = std::make_unique<mb::Link>(tcp_link(server.port(), {dev, fc23}), sink);
    link->start();
    EXPECT_TRUE(sink.wait_status("boiler", true));
  }

  ModbusTestServer server{{1, 2}};
  RecordingSink sink;
  std::unique_ptr<mb::Link> link;
};

TEST_F(ModbusWrite, WritesAScaledFloatAndReadsItBackWhenWritingAHoldingRegister) {
  const auto r = write_and_wait(*link, "boiler", "setpoint", 21.5);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_TRUE(std::holds_alternative<double>(*r));
  EXPECT_NEAR(std::get<double>(*r), 21.5, 1e-9);
  EXPECT_EQ(server.registers(1, 10, 2), float_regs(215.0F));  // raw = 21.5 / 0.1
  EXPECT_TRUE(wrote(server.requests(1), MODBUS_FC_WRITE_MULTIPLE_REGISTERS, 10, 2));
  // The verified value is the point's newest reading.
  const auto reading = sink.wait_reading("boiler", "setpoint", [](const Reading& x) {
    return x.quality == Quality::Good && std::holds_alternative<double>(x.value) &&
           std::abs(std::get<double>(x.value) - 21.5) < 1e-9;
  });
  EXPECT_TRUE(reading);
}

TEST_F(ModbusWrite, WritesASingleRegisterWithFc6WhenWritingAnInt16) {
  const auto r = write_and_wait(*link, "boiler", "level", std::int64_t{-42});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, Value{std::int64_t{-42}});
  EXPECT_EQ(server.registers(1, 20, 1), std::vector<std::uint16_t>{0xFFD6});
  EXPECT_TRUE(wrote(server.requests(1), MODBUS_FC_WRITE_SINGLE_REGISTER, 20, 1));
}

TEST_F(ModbusWrite, WritesACoilWithFc5AndReadsItBackWhenWritingABool) {
  auto r = write_and_wait(*link, "boiler", "pump", true);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, Value{true});
  EXPECT_TRUE(server.coil(1, 3));
  EXPECT_TRUE(wrote(server.requests(1), MODBUS_FC_WRITE_SINGLE_COIL, 3, 1));
  // 0/1 integers are accepted for a bool (JSON commands).
  wait_out_write_rate_limit();
  r = write_and_wait(*link, "boiler", "pump", std::int64_t{0});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, Value{false});
  EXPECT_FALSE(server.coil(1, 3));
}

TEST_F(ModbusWrite, SetsOnlyItsBitWithFc22WhenWritingABitInARegister) {
  auto r = write_and_wait(*link, "boiler", "flag", true);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, Value{true});
  EXPECT_EQ(server.registers(1, 30, 1), std::vector<std::uint16_t>{0xA5A9});
  EXPECT_TRUE(wrote(server.requests(1), MODBUS_FC_MASK_WRITE_REGISTER, 30, 1));
  server.set_registers(1, 30, {0xFFFF});
  wait_out_write_rate_limit();
  r = write_and_wait(*link, "boiler", "flag", false);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, Value{false});
  EXPECT_EQ(server.registers(1, 30, 1), std::vector<std::uint16_t>{0xFFF7});
}

TEST_F(ModbusWrite, WritesAndReadsBackInOneTransactionWhenTheDeviceSupportsFc23) {
  const auto r = write_and_wait(*link, "drive", "speed", std::uint64_t{123456});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, Value{std::uint64_t{123456}});
  EXPECT_EQ(server.registers(2, 0, 2), (std::vector<std::uint16_t>{0x0001, 0xE240}));
  const auto log = server.requests(2);
  EXPECT_TRUE(wrote(log, MODBUS_FC_WRITE_AND_READ_REGISTERS, 0, 2));
  EXPECT_FALSE(wrote(log, MODBUS_FC_WRITE_MULTIPLE_REGISTERS, 0, 2));
}

TEST_F(ModbusWrite, RefusesWhenThePointIsNotWritableOrUnknown) {
  auto r = write_and_wait(*link, "boiler", "ro", std::int64_t{1});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), mb::LinkErrc::NotWritable);
  r = write_and_wait(*link, "boiler", "nope", std::int64_t{1});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), mb::LinkErrc::UnknownPoint);
  r = write_and_wait(*link, "nobody", "level", std::int64_t{1});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), mb::LinkErrc::UnknownPoint);
  EXPECT_EQ(server.registers(1, 40, 1), std::vector<std::uint16_t>{0});
}

TEST_F(ModbusWrite, RefusesASecondWriteToThePointWhenItComesWithinTheRateLimit) {
  std::promise<gw::Result<Value>> first_done;
  std::promise<gw::Result<Value>> second_done;
  auto first = first_done.get_future();
  auto second = second_done.get_future();
  // Queued back to back: writes go before polls, so the second runs right after the first.
  ASSERT_TRUE(link->write({.device = "boiler", .point = "limited", .value = std::int64_t{1}},
                          [&](gw::Result<Value> r) { first_done.set_value(std::move(r)); }));
  ASSERT_TRUE(link->write({.device = "boiler", .point = "limited", .value = std::int64_t{2}},
                          [&](gw::Result<Value> r) { second_done.set_value(std::move(r)); }));
  ASSERT_EQ(first.wait_for(kWait), std::future_status::ready);
  ASSERT_EQ(second.wait_for(kWait), std::future_status::ready);
  const auto r1 = first.get();
  const auto r2 = second.get();
  ASSERT_TRUE(r1) << r1.error().message();
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error(), mb::LinkErrc::RateLimited);
  EXPECT_EQ(server.registers(1, 21, 1), std::vector<std::uint16_t>{1});
}

TEST_F(ModbusWrite, RefusesAValueOutsideMinMaxWithoutWriting) {
  for (const double v : {150.0, -1.0}) {
    const auto r = write_and_wait(*link, "boiler", "setpoint", v);
    ASSERT_FALSE(r) << v;
    EXPECT_EQ(r.error(), mb::CodecErrc::OutOfRange) << v << ": " << r.error().message();
  }
  EXPECT_EQ(server.registers(1, 10, 2), (std::vector<std::uint16_t>{0, 0}));
  EXPECT_FALSE(wrote(server.requests(1), MODBUS_FC_WRITE_MULTIPLE_REGISTERS, 10, 2));
  // Refused values never reached the device, so they do not use up the point's write slot: the
  // corrected command goes through at once (no RateLimited).
  const auto ok = write_and_wait(*link, "boiler", "setpoint", 42.5);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_TRUE(wrote(server.requests(1), MODBUS_FC_WRITE_MULTIPLE_REGISTERS, 10, 2));
}

TEST_F(ModbusWrite, FailsPromptlyWhenWritingWhileTheLinkIsDown) {
  const std::size_t statuses = sink.status_count();
  server.stop();
  ASSERT_TRUE(sink.wait_status("boiler", false, statuses));
  const auto start = std::chrono::steady_clock::now();
  const auto r = write_and_wait(*link, "boiler", "level", std::int64_t{3});
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), mb::LinkErrc::NotConnected) << r.error().message();
  EXPECT_LT(took, 1s);
}

// ---- publish filter ----------------------------------------------------------------------------

TEST(ModbusPublish, SuppressesChangesWithinTheDeadbandAndPublishesLargerOnes) {
  ModbusTestServer server({1});
  server.start_tcp();
  server.set_registers(1, 0, {100});
  auto temp = holding("temp", 0, DataType::Int16);
  temp.deadband = 5.0;
  RecordingSink sink;
  mb::Link link(tcp_link(server.port(), {make_device("dev", 1, {temp})}), sink);
  link.start();
  const auto first = sink.wait_quality("dev", "temp", Quality::Good);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->value, Value{std::int64_t{100}});

  server.set_registers(1, 0, {104});
  // Two more requests received: the first of them read 104 and the link finished with it.
  std::size_t seen = server.request_count(1);
  ASSERT_TRUE(server.wait_for_requests(1, seen + 2, kWait));
  EXPECT_EQ(sink.readings_of("dev", "temp").size(), 1U) << "a change of 4 passed a deadband of 5";

  server.set_registers(1, 0, {110});
  const auto changed = sink.wait_reading(
      "dev", "temp", [](const Reading& r) { return r.value == Value{std::int64_t{110}}; });
  ASSERT_TRUE(changed);
  seen = server.request_count(1);
  ASSERT_TRUE(server.wait_for_requests(1, seen + 2, kWait));
  EXPECT_EQ(sink.readings_of("dev", "temp").size(), 2U);
}

// A device that implements only the "write multiple" function codes: FC 5 and FC 6 get
// "illegal function", FC 15 and FC 16 work.
struct ModbusWriteMultiple : ::testing::Test {
  ModbusWriteMultiple() {
    server.start_tcp();
    server.refuse_function(1, MODBUS_FC_WRITE_SINGLE_COIL);
    server.refuse_function(1, MODBUS_FC_WRITE_SINGLE_REGISTER);
  }
  std::unique_ptr<mb::Link> start(bool write_multiple) {
    auto dev = make_device("valve", 1,
                           {writable(make_point("open", Table::Coil, 7, DataType::Bool)),
                            writable(holding("position", 12, DataType::Int16))});
    dev.write_multiple = write_multiple;
    dev.poll_interval = 100ms;
    auto link = std::make_unique<mb::Link>(tcp_link(server.port(), {dev}), sink);
    link->start();
    EXPECT_TRUE(sink.wait_status("valve", true));
    return link;
  }
  ModbusTestServer server{{1}};
  RecordingSink sink;
};

TEST_F(ModbusWriteMultiple, WritesOneCoilWithFc15AndOneRegisterWithFc16WhenWriteMultipleIsSet) {
  const auto link = start(/*write_multiple=*/true);
  auto r = write_and_wait(*link, "valve", "open", true);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, Value{true});  // the read-back value
  EXPECT_TRUE(server.coil(1, 7));
  r = write_and_wait(*link, "valve", "position", std::int64_t{-300});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, Value{std::int64_t{-300}});
  EXPECT_EQ(server.registers(1, 12, 1), std::vector<std::uint16_t>{0xFED4});

  const auto log = server.requests(1);
  EXPECT_TRUE(wrote(log, MODBUS_FC_WRITE_MULTIPLE_COILS, 7, 1));
  EXPECT_TRUE(wrote(log, MODBUS_FC_WRITE_MULTIPLE_REGISTERS, 12, 1));
  EXPECT_EQ(server.request_count(1, MODBUS_FC_WRITE_SINGLE_COIL), 0U);
  EXPECT_EQ(server.request_count(1, MODBUS_FC_WRITE_SINGLE_REGISTER), 0U);
  EXPECT_EQ(link->stats().write_errors, 0U);
}

TEST_F(ModbusWriteMultiple, FailsWithIllegalFunctionWhenWriteMultipleIsNotSet) {
  const auto link = start(/*write_multiple=*/false);
  auto r = write_and_wait(*link, "valve", "open", true);
  ASSERT_FALSE(r);
  EXPECT_EQ(mb::exception_code(r.error()), MODBUS_EXCEPTION_ILLEGAL_FUNCTION) << r.error().message();
  r = write_and_wait(*link, "valve", "position", std::int64_t{5});
  ASSERT_FALSE(r);
  EXPECT_EQ(mb::exception_code(r.error()), MODBUS_EXCEPTION_ILLEGAL_FUNCTION) << r.error().message();
  EXPECT_EQ(server.request_count(1, MODBUS_FC_WRITE_SINGLE_COIL), 1U);
  EXPECT_EQ(server.request_count(1, MODBUS_FC_WRITE_SINGLE_REGISTER), 1U);
  EXPECT_FALSE(server.coil(1, 7));
  EXPECT_EQ(link->stats().write_errors, 2U);
}

TEST(ModbusPublish, RepublishesAnUnchangedValueWhenTheHeartbeatPasses) {
  ModbusTestServer server({1});
  server.start_tcp();
  server.set_registers(1, 0, {9});
  auto v = holding("v", 0);
  v.heartbeat = 300ms;
  RecordingSink sink;
  mb::Link link(tcp_link(server.port(), {make_device("dev", 1, {v})}), sink);
  link.start();
  ASSERT_TRUE(sink.wait_for([](const std::vector<Reading>& rs, const auto&) { return rs.size() >= 3; }));
  link.stop();
  const auto rs = sink.readings_of("dev", "v");
  ASSERT_GE(rs.size(), 3U);
  for (std::size_t i = 0; i < rs.size(); ++i) {
    EXPECT_EQ(rs[i].quality, Quality::Good);
    EXPECT_EQ(rs[i].value, Value{std::uint64_t{9}});
    // Not every 50 ms poll: only when the heartbeat has passed (timestamps are taken at the
    // response, a few ms around the filter's clock).
    if (i > 0) {
      EXPECT_GE(rs[i].ts - rs[i - 1].ts, 250ms) << i;
    }
  }
  EXPECT_GT(server.request_count(1), rs.size()) << "every poll was published";
}

}  // namespace
}  // namespace gw::test
