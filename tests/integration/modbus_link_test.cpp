// adapters::modbus::Link polling a real Modbus TCP server (libmodbus, in a thread) on loopback:
// decoding of every type and byte order, coalescing and its splitting, several slaves with faults
// (silence, exceptions, slowness), and a connection that drops and a server that restarts.
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <modbus/modbus.h>

#include "tests/integration/modbus_link_harness.hpp"
#include "tests/support/modbus_test_server.hpp"
#include "tests/support/process.hpp"

namespace gw::test {
namespace {

using mb::ByteOrder;
using mb::DataType;
using mb::Table;
using Request = ModbusTestServer::Request;

// The registers holding the big-endian `bytes` of a value laid out in `order` (options.hpp):
// BADC swaps the bytes of each register, CDAB reverses the registers, DCBA does both.
std::vector<std::uint16_t> layout(std::uint64_t bits, std::size_t nregs, ByteOrder order) {
  std::vector<std::uint8_t> be(2 * nregs);
  for (std::size_t i = 0; i < be.size(); ++i) {
    be[i] = static_cast<std::uint8_t>(bits >> (8 * (be.size() - 1 - i)));
  }
  const bool swap = order == ByteOrder::BADC || order == ByteOrder::DCBA;
  const bool reverse = order == ByteOrder::CDAB || order == ByteOrder::DCBA;
  std::vector<std::uint16_t> regs(nregs);
  for (std::size_t i = 0; i < nregs; ++i) {
    const std::size_t src = reverse ? nregs - 1 - i : i;
    const std::uint8_t hi = be[2 * src];
    const std::uint8_t lo = be[2 * src + 1];
    regs[i] = swap ? static_cast<std::uint16_t>(lo << 8 | hi) : static_cast<std::uint16_t>(hi << 8 | lo);
  }
  return regs;
}

const char* order_name(ByteOrder o) {
  switch (o) {
    case ByteOrder::ABCD: return "abcd";
    case ByteOrder::BADC: return "badc";
    case ByteOrder::CDAB: return "cdab";
    case ByteOrder::DCBA: return "dcba";
  }
  return "?";
}

bool same(const Request& r, std::uint8_t fc, std::uint16_t address, std::uint16_t count) {
  return r.function == fc && r.address == address && r.count == count;
}

std::size_t count_of(const std::vector<Request>& log, std::uint8_t fc, std::uint16_t address,
                     std::uint16_t count) {
  return static_cast<std::size_t>(std::count_if(
      log.begin(), log.end(), [&](const Request& r) { return same(r, fc, address, count); }));
}

bool good(const Reading& r) { return r.quality == Quality::Good; }

// ---- decoding ----------------------------------------------------------------------------------

TEST(ModbusLink, DecodesEveryTypeAndByteOrderWhenReadingOverTcp) {
  ModbusTestServer server({1});
  server.start_tcp();

  struct Expect {
    std::string point;
    Value value;
  };
  std::vector<mb::PointOptions> points;
  std::vector<Expect> expect;
  const ByteOrder orders[] = {ByteOrder::ABCD, ByteOrder::BADC, ByteOrder::CDAB, ByteOrder::DCBA};
  for (const ByteOrder o : orders) {
    const auto base = static_cast<std::uint16_t>(100 * (1 + static_cast<int>(o)));
    const std::string sfx = std::string("_") + order_name(o);
    auto add = [&](const std::string& name, std::uint16_t offset, DataType type,
                   std::uint64_t bits, std::size_t nregs, Value value) {
      points.push_back(make_point(name + sfx, Table::HoldingRegister,
                                  static_cast<std::uint16_t>(base + offset), type, o));
      server.set_registers(1, static_cast<std::uint16_t>(base + offset), layout(bits, nregs, o));
      expect.push_back({name + sfx, std::move(value)});
    };
    add("int16", 0, DataType::Int16, static_cast<std::uint16_t>(std::int16_t{-12345}), 1,
        std::int64_t{-12345});
    add("uint16", 1, DataType::Uint16, 54321, 1, std::uint64_t{54321});
    add("int32", 2, DataType::Int32, static_cast<std::uint32_t>(std::int32_t{-123456789}), 2,
        std::int64_t{-123456789});
    add("uint32", 4, DataType::Uint32, 3000000000U, 2, std::uint64_t{3000000000U});
    add("int64", 6, DataType::Int64, static_cast<std::uint64_t>(std::int64_t{-1234567890123456789}),
        4, std::int64_t{-1234567890123456789});
    add("uint64", 10, DataType::Uint64, 12345678901234567890ULL, 4,
        std::uint64_t{12345678901234567890ULL});
    add("float32", 14, DataType::Float32, std::bit_cast<std::uint32_t>(-1234.5F), 2, -1234.5);
    add("float64", 16, DataType::Float64, std::bit_cast<std::uint64_t>(3.141592653589793), 4,
        3.141592653589793);
    add("bcd32", 20, DataType::Bcd32, 0x12345678, 2, std::uint64_t{12345678});
  }
  // Strings: characters in address order; BADC swaps the two in each register.
  points.push_back(make_point("text_abcd", Table::HoldingRegister, 500, DataType::String));
  points.back().length = 5;
  server.set_registers(1, 500, {0x4865, 0x6C6C, 0x6F20, 0x4757, 0x0000});  // "Hello GW"
  expect.push_back({"text_abcd", std::string("Hello GW")});
  points.push_back(
      make_point("text_badc", Table::HoldingRegister, 510, DataType::String, ByteOrder::BADC));
  points.back().length = 3;
  server.set_registers(1, 510, {0x6548, 0x6C6C, 0x206F});  // "Hello" + a trailing space
  expect.push_back({"text_badc", std::string("Hello")});
  points.push_back(make_point("bcd16", Table::HoldingRegister, 520, DataType::Bcd16));
  server.set_registers(1, 520, {0x9042});
  expect.push_back({"bcd16", std::uint64_t{9042}});
  // Bits: a coil, a discrete input, and bits 5 and 4 of a holding register (FC 1, 2, 3).
  points.push_back(make_point("coil", Table::Coil, 5, DataType::Bool));
  server.set_coil(1, 5, true);
  expect.push_back({"coil", true});
  points.push_back(make_point("input", Table::DiscreteInput, 7, DataType::Bool));
  server.set_discrete_input(1, 7, true);
  expect.push_back({"input", true});
  for (const std::uint8_t bit : {5, 4}) {
    points.push_back(make_point("bit" + std::to_string(bit), Table::HoldingRegister, 600,
                                DataType::Bit));
    points.back().bit = bit;
    expect.push_back({"bit" + std::to_string(bit), bit == 5});
  }
  server.set_registers(1, 600, {0x0020});
  // Input registers (FC 4) decode the same way.
  points.push_back(make_point("in_float", Table::InputRegister, 10, DataType::Float32,
                              ByteOrder::CDAB));
  server.set_input_registers(1, 10, layout(std::bit_cast<std::uint32_t>(0.25F), 2, ByteOrder::CDAB));
  expect.push_back({"in_float", 0.25});

  RecordingSink sink;
  const auto before = std::chrono::system_clock::now();
  mb::Link link(tcp_link(server.port(), {make_device("meter", 1, points)}), sink);
  link.start();
  ASSERT_TRUE(sink.wait_for([&](const std::vector<Reading>& rs, const auto&) {
    return std::all_of(expect.begin(), expect.end(), [&](const Expect& e) {
      return std::any_of(rs.begin(), rs.end(), [&](const Reading& r) { return r.point == e.point; });
    });
  })) << "not every point was read";
  const auto after = std::chrono::system_clock::now();

  for (const Expect& e : expect) {
    SCOPED_TRACE(e.point);
    const auto rs = sink.readings_of("meter", e.point);
    ASSERT_FALSE(rs.empty());
    const Reading& r = rs.front();
    EXPECT_EQ(r.quality, Quality::Good) << r.error;
    EXPECT_EQ(r.value, e.value);
    EXPECT_EQ(r.link, "plc");
    EXPECT_GE(r.ts, before);
    EXPECT_LE(r.ts, after);
  }
  const auto status = sink.statuses_of("meter");
  ASSERT_FALSE(status.empty());
  EXPECT_TRUE(status.front().online);
}

// ---- coalescing --------------------------------------------------------------------------------

TEST(ModbusLink, ReadsAdjacentPointsInThePlannedRequestsWhenCoalescing) {
  ModbusTestServer server({1, 2});
  server.start_tcp();
  // Unit 1: ten adjacent registers and a float two registers further (gap 2 <= max_gap 10) in one
  // request; two registers 20 further (gap > max_gap) in another; three coils in a third.
  std::vector<mb::PointOptions> p1;
  for (std::uint16_t a = 0; a < 10; ++a) p1.push_back(holding("r" + std::to_string(a), a));
  p1.push_back(holding("f", 12, DataType::Float32));
  p1.push_back(holding("far0", 34));
  p1.push_back(holding("far1", 35));
  for (std::uint16_t a = 0; a < 3; ++a) {
    p1.push_back(make_point("c" + std::to_string(a), Table::Coil, a, DataType::Bool));
  }
  // Unit 2: ten adjacent registers, at most 4 per request.
  std::vector<mb::PointOptions> p2;
  for (std::uint16_t a = 0; a < 10; ++a) p2.push_back(holding("r" + std::to_string(a), a));
  auto d2 = make_device("small", 2, p2);
  d2.max_registers_per_read = 4;

  RecordingSink sink;
  mb::Link link(tcp_link(server.port(), {make_device("big", 1, p1), d2}), sink);
  link.start();
  constexpr std::size_t kCycles = 4;
  ASSERT_TRUE(server.wait_for_requests(1, 3 * kCycles, kWait));
  ASSERT_TRUE(server.wait_for_requests(2, 3 * kCycles, kWait));
  link.stop();

  const std::vector<Request> planned1{{MODBUS_FC_READ_COILS, 0, 3, {}},
                                      {MODBUS_FC_READ_HOLDING_REGISTERS, 0, 14, {}},
                                      {MODBUS_FC_READ_HOLDING_REGISTERS, 34, 2, {}}};
  const std::vector<Request> planned2{{MODBUS_FC_READ_HOLDING_REGISTERS, 0, 4, {}},
                                      {MODBUS_FC_READ_HOLDING_REGISTERS, 4, 4, {}},
                                      {MODBUS_FC_READ_HOLDING_REGISTERS, 8, 2, {}}};
  for (const auto& [unit, planned] : {std::pair{1, planned1}, std::pair{2, planned2}}) {
    const auto log = server.requests(static_cast<std::uint8_t>(unit));
    // Whole cycles only: the link may have stopped in the middle of one.
    const std::size_t whole = log.size() - log.size() % planned.size();
    ASSERT_GE(whole, 3 * kCycles);
    for (std::size_t i = 0; i < whole; ++i) {
      const Request& want = planned[i % planned.size()];
      EXPECT_TRUE(same(log[i], want.function, want.address, want.count))
          << "unit " << unit << " request " << i << ": fc " << int{log[i].function} << " at "
          << log[i].address << " +" << log[i].count;
    }
  }
  for (const Reading& r : sink.readings()) EXPECT_EQ(r.quality, Quality::Good) << r.point;
}

TEST(ModbusLink, SplitsAMergedReadAndKeepsTheSplitWhenTheDeviceRefusesIt) {
  ModbusTestServer server({1});
  server.start_tcp();
  server.set_registers(1, 0, {10, 11, 0, 0, 0, 15, 16});
  server.refuse_reads_at(1, 3);  // a hole in the device's map, inside the merged read 0..6
  RecordingSink sink;
  mb::Link link(tcp_link(server.port(), {make_device("dev", 1, {holding("a", 0), holding("b", 1),
                                                                  holding("c", 5), holding("d", 6)})}),
                sink);
  link.start();
  ASSERT_TRUE(server.wait_for_requests(1, 1 + 2 * 4, kWait));
  ASSERT_TRUE(sink.wait_for([](const std::vector<Reading>& rs, const auto&) { return rs.size() >= 4; }));
  link.stop();

  const auto log = server.requests(1);
  ASSERT_GE(log.size(), 9U);
  EXPECT_TRUE(same(log[0], MODBUS_FC_READ_HOLDING_REGISTERS, 0, 7));
  EXPECT_EQ(count_of(log, MODBUS_FC_READ_HOLDING_REGISTERS, 0, 7), 1U) << "the split was not kept";
  for (std::size_t i = 1; i < log.size(); ++i) {
    const bool first_half = i % 2 == 1;
    EXPECT_TRUE(same(log[i], MODBUS_FC_READ_HOLDING_REGISTERS, first_half ? 0 : 5, 2))
        << "request " << i << " at " << log[i].address << " +" << log[i].count;
  }
  const std::pair<const char*, std::uint64_t> want[] = {{"a", 10}, {"b", 11}, {"c", 15}, {"d", 16}};
  for (const auto& [point, value] : want) {
    const auto rs = sink.readings_of("dev", point);
    ASSERT_EQ(rs.size(), 1U) << point;
    EXPECT_EQ(rs[0].quality, Quality::Good) << point << ": " << rs[0].error;
    EXPECT_EQ(rs[0].value, Value{value}) << point;
  }
  const auto status = sink.statuses_of("dev");
  ASSERT_EQ(status.size(), 1U);
  EXPECT_TRUE(status[0].online);
}

TEST(ModbusLink, MarksOnlyTheRefusedPointBadConfigWhenASinglePointIsRefused) {
  ModbusTestServer server({1});
  server.start_tcp();
  server.set_registers(1, 0, {1, 2, 3});
  server.refuse_reads_at(1, 2);
  RecordingSink sink;
  mb::Link link(tcp_link(server.port(), {make_device("dev", 1, {holding("a", 0), holding("b", 1),
                                                                  holding("c", 2)})}),
                sink);
  link.start();
  const auto bad = sink.wait_quality("dev", "c", Quality::BadConfig);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->exception, MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS);
  EXPECT_FALSE(bad->error.empty());
  EXPECT_TRUE(std::holds_alternative<std::monostate>(bad->value));
  // Several more cycles: the refused point is read alone each time, the others stay good.
  const std::size_t seen = server.request_count(1);
  ASSERT_TRUE(server.wait_for_requests(1, seen + 3 * 3, kWait));
  link.stop();

  const auto log = server.requests(1);
  EXPECT_EQ(count_of(log, MODBUS_FC_READ_HOLDING_REGISTERS, 0, 3), 1U);
  EXPECT_EQ(count_of(log, MODBUS_FC_READ_HOLDING_REGISTERS, 1, 2), 1U);
  EXPECT_GE(count_of(log, MODBUS_FC_READ_HOLDING_REGISTERS, 2, 1), 4U);
  for (const auto& [point, value] : {std::pair{"a", 1}, std::pair{"b", 2}}) {
    const auto rs = sink.readings_of("dev", point);
    ASSERT_EQ(rs.size(), 1U) << point;
    EXPECT_EQ(rs[0].quality, Quality::Good) << point;
    EXPECT_EQ(rs[0].value, Value{std::uint64_t(value)}) << point;
  }
  EXPECT_EQ(sink.readings_of("dev", "c").size(), 1U) << "a repeated bad quality is published once";
  for (const auto& s : sink.statuses_of("dev")) EXPECT_TRUE(s.online) << s.error;
}

// ---- several slaves, faults --------------------------------------------------------------------

TEST(ModbusLink, BacksOffASilentSlaveWhileTheOtherSlaveKeepsItsIntervalWhenSharingTheLink) {
  ModbusTestServer server({1, 2});
  server.start_tcp();
  server.set_registers(1, 0, {41});
  server.set_registers(2, 0, {42});
  server.set_silent(1, true);
  auto dead = make_device("dead", 1, {holding("v", 0), holding("w", 1)});
  dead.backoff_initial = 100ms;
  dead.backoff_max = 400ms;
  auto alive = make_device("alive", 2, {holding("v", 0)});
  alive.poll_interval = 100ms;
  RecordingSink sink;
  mb::Link link(tcp_link(server.port(), {dead, alive}), sink);  // response timeout 200 ms
  link.start();

  const auto offline = sink.wait_status("dead", false);
  ASSERT_TRUE(offline);
  EXPECT_FALSE(offline->error.empty());
  // Requests 1..5 of the silent unit: each costs a timeout, then 100, 200, 400, 400 ms of backoff.
  ASSERT_TRUE(server.wait_for_requests(1, 5, kWait));
  const auto dead_log = server.requests(1);
  const auto gap = [&](std::size_t i) { return dead_log[i + 1].at - dead_log[i].at; };
  // Lower bounds only (a loaded machine only makes gaps longer), each above the previous
  // backoff's: the retries slow down instead of following the 50 ms poll interval.
  EXPECT_GE(gap(0), 270ms);  // 200 + 100
  EXPECT_GE(gap(1), 360ms);  // 200 + 200
  EXPECT_GE(gap(2), 540ms);  // 200 + 400
  EXPECT_GE(gap(3), 540ms);  // capped
  // Meanwhile the other slave was polled: over ~1.9 s at 100 ms, minus ~1 s spent in timeouts.
  const auto alive_log = server.requests(2);
  const auto polled = std::count_if(alive_log.begin(), alive_log.end(), [&](const Request& r) {
    return r.at > dead_log[0].at && r.at < dead_log[4].at;
  });
  EXPECT_GE(polled, 5) << "the silent slave starved the other one";

  // One bad_timeout per point of the silent slave, one offline status, whatever the retries.
  for (const char* point : {"v", "w"}) {
    const auto rs = sink.readings_of("dead", point);
    ASSERT_EQ(rs.size(), 1U) << point;
    EXPECT_EQ(rs[0].quality, Quality::BadTimeout);
    EXPECT_TRUE(std::holds_alternative<std::monostate>(rs[0].value));
  }
  EXPECT_EQ(sink.statuses_of("dead").size(), 1U);
  for (const Reading& r : sink.readings_of("alive", "v")) EXPECT_TRUE(good(r));
  for (const auto& s : sink.statuses_of("alive")) EXPECT_TRUE(s.online);
  EXPECT_GE(link.stats().timeouts, 4U);
  // Per device: the silent one's reads are all timeouts, each waited out the 200 ms response
  // timeout (histogram bucket above 100 ms); the other one has no errors.
  // The server saw the fifth request; the link counts it when its timeout has passed.
  ASSERT_TRUE(wait_until([&] { return link.stats().devices.at(0).requests >= 5; }));
  const mb::LinkStats st = link.stats();
  ASSERT_EQ(st.devices.size(), 2U);
  const mb::DeviceStats& d = st.devices[0];
  EXPECT_EQ(d.name, "dead");
  EXPECT_GE(d.requests, 5U);
  EXPECT_EQ(d.errors, d.requests);
  EXPECT_EQ(d.errors_by_quality[static_cast<std::size_t>(Quality::BadTimeout)], d.errors);
  std::uint64_t slow = 0;
  std::uint64_t all = 0;
  for (std::size_t b = 0; b < d.latency.size(); ++b) {
    all += d.latency[b];
    if (b >= 7) slow += d.latency[b];  // above kLatencyBuckets[6] = 100 ms
  }
  EXPECT_EQ(all, d.requests);
  EXPECT_EQ(slow, d.requests);
  EXPECT_GE(d.latency_sum_us, d.requests * 190'000);
  EXPECT_EQ(st.devices[1].name, "alive");
  EXPECT_GT(st.devices[1].requests, 0U);
  EXPECT_EQ(st.devices[1].errors, 0U);
  EXPECT_GE(st.busy_us, d.latency_sum_us);

  // It answers again: online, and good readings arrive.
  const std::size_t statuses = sink.status_count();
  const std::size_t readings = sink.reading_count();
  server.set_silent(1, false);
  ASSERT_TRUE(sink.wait_status("dead", true, statuses));
  const auto back = sink.wait_quality("dead", "v", Quality::Good, readings);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->value, Value{std::uint64_t{41}});
}

TEST(ModbusLink, ReportsBadExceptionWithTheCodeWhenTheSlaveAnswersAnException) {
  ModbusTestServer server({1});
  server.start_tcp();
  server.set_registers(1, 0, {7});
  server.set_exception(1, MODBUS_EXCEPTION_SLAVE_OR_SERVER_FAILURE);
  RecordingSink sink;
  mb::Link link(tcp_link(server.port(), {make_device("dev", 1, {holding("v", 0)})}), sink);
  link.start();

  const auto bad = sink.wait_quality("dev", "v", Quality::BadException);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->exception, MODBUS_EXCEPTION_SLAVE_OR_SERVER_FAILURE);
  EXPECT_FALSE(bad->error.empty());
  const auto offline = sink.wait_status("dev", false);
  ASSERT_TRUE(offline);
  EXPECT_FALSE(offline->error.empty());
  EXPECT_GE(link.stats().exceptions, 1U);

  const std::size_t from = sink.reading_count();
  server.set_exception(1, 0);
  const auto good_again = sink.wait_quality("dev", "v", Quality::Good, from);
  ASSERT_TRUE(good_again);
  EXPECT_EQ(good_again->value, Value{std::uint64_t{7}});
  EXPECT_TRUE(sink.wait_status("dev", true));
}

TEST(ModbusLink, TimesOutAndThenReadsTheRightValuesWhenASlowSlaveSpeedsUp) {
  ModbusTestServer server({1});
  server.start_tcp();
  server.set_registers(1, 0, {100, 200});
  server.set_delay(1, 300ms);  // longer than the 200 ms response timeout
  RecordingSink sink;
  mb::Link link(
      tcp_link(server.port(), {make_device("dev", 1, {holding("a", 0), holding("b", 1, DataType::Int16)})}),
      sink);
  link.start();
  ASSERT_TRUE(sink.wait_quality("dev", "a", Quality::BadTimeout));
  // Late answers to timed-out requests are still on their way; none may be taken for the answer
  // to a later request.
  server.set_delay(1, 0ms);
  const auto a = sink.wait_quality("dev", "a", Quality::Good);
  const auto b = sink.wait_quality("dev", "b", Quality::Good);
  ASSERT_TRUE(a && b);
  const std::size_t seen = server.request_count(1);
  ASSERT_TRUE(server.wait_for_requests(1, seen + 5, kWait));
  link.stop();
  for (const Reading& r : sink.readings_of("dev", "a")) {
    if (good(r)) {
      EXPECT_EQ(r.value, Value{std::uint64_t{100}});
    }
  }
  for (const Reading& r : sink.readings_of("dev", "b")) {
    if (good(r)) {
      EXPECT_EQ(r.value, Value{std::int64_t{200}});
    }
  }
  // After recovery every answer is good: one good reading each (values do not change).
  EXPECT_EQ(sink.readings_of("dev", "a").back().quality, Quality::Good);
}

// ---- connection --------------------------------------------------------------------------------

TEST(ModbusLink, ReconnectsAndReadsAgainWhenTheConnectionDropsOrTheServerRestarts) {
  ModbusTestServer server({1, 2});
  server.start_tcp();
  server.set_registers(1, 0, {5});
  server.set_registers(2, 0, {6});
  RecordingSink sink;
  mb::Link link(tcp_link(server.port(), {make_device("one", 1, {holding("v", 0)}),
                                         make_device("two", 2, {holding("v", 0)})}),
                sink);
  link.start();
  ASSERT_TRUE(sink.wait_quality("one", "v", Quality::Good));
  ASSERT_TRUE(sink.wait_quality("two", "v", Quality::Good));

  // The server closes the connection: every device goes bad_connection and offline, then the
  // link reconnects by itself and both come back.
  std::size_t readings = sink.reading_count();
  std::size_t statuses = sink.status_count();
  server.drop_connections();
  for (const char* dev : {"one", "two"}) {
    const auto bad = sink.wait_quality(dev, "v", Quality::BadConnection, readings);
    ASSERT_TRUE(bad) << dev;
    EXPECT_TRUE(std::holds_alternative<std::monostate>(bad->value));
    const auto offline = sink.wait_status(dev, false, statuses);
    ASSERT_TRUE(offline) << dev;
    EXPECT_FALSE(offline->error.empty());
  }
  readings = sink.reading_count();
  statuses = sink.status_count();
  for (const char* dev : {"one", "two"}) {
    ASSERT_TRUE(sink.wait_quality(dev, "v", Quality::Good, readings)) << dev;
    ASSERT_TRUE(sink.wait_status(dev, true, statuses)) << dev;
  }
  EXPECT_GE(server.connections(), 2U);

  // The server goes away altogether (connections refused), then comes back on the same port.
  readings = sink.reading_count();
  statuses = sink.status_count();
  const auto port = server.port();
  server.stop();
  ASSERT_TRUE(sink.wait_quality("one", "v", Quality::BadConnection, readings));
  ASSERT_TRUE(sink.wait_status("one", false, statuses));
  const auto reconnects_before = link.stats().reconnects;
  readings = sink.reading_count();
  statuses = sink.status_count();
  server.restart();
  ASSERT_EQ(server.port(), port);
  const auto back = sink.wait_quality("one", "v", Quality::Good, readings);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->value, Value{std::uint64_t{5}});
  ASSERT_TRUE(sink.wait_quality("two", "v", Quality::Good, readings));
  ASSERT_TRUE(sink.wait_status("one", true, statuses));
  EXPECT_GT(link.stats().reconnects, reconnects_before);
}

}  // namespace
}  // namespace gw::test
