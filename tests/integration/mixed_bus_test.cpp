// One RS-485 bus shared by a Modbus RTU slave and an ASCII weigh scale, under one scheduler
// (docs/serial.md, "Mixed buses"): adapters::modbus::Link with `instruments`, in-process and
// through the real binary, against a scripted device on the far end of a pty that plays both the
// slave (unit 3, FC 3 with a correct CRC) and the scale ("W\r" → "S   12.345 kg\r\n"). The device
// logs when each request's first byte arrived and when its answer left, so the tests can check
// that transactions never overlap and keep the gap, whatever their protocol.
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "adapters/serial/checksum.hpp"
#include "adapters/serial/serial_error.hpp"
#include "tests/integration/modbus_link_harness.hpp"
#include "tests/support/gateway_process.hpp"
#include "tests/support/process.hpp"
#include "tests/support/pty_pair.hpp"

namespace gw::test {
namespace {

namespace sr = gw::adapters::serial;
using Clock = std::chrono::steady_clock;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::uint8_t kUnit = 3;

// The far end of the bus: the master side of a pty whose slave path the link opens.
class MixedBusDevice {
 public:
  enum class Scale { Answers, Silent, Garbage, Late };

  struct Transaction {
    char kind = '?';  // 'M' Modbus, 'A' ASCII, '?' bytes that were neither
    Clock::time_point first_byte{};
    Clock::time_point complete{};
    std::optional<Clock::time_point> answered;
    bool overlapped = false;  // its first byte came before the previous answer had left
  };

  MixedBusDevice() : pty_(open_raw_pty()), thread_([this] { run(); }) {}
  ~MixedBusDevice() {
    stop_ = true;
    thread_.join();
  }
  MixedBusDevice(const MixedBusDevice&) = delete;
  MixedBusDevice& operator=(const MixedBusDevice&) = delete;

  [[nodiscard]] const std::string& path() const { return pty_.path; }
  void set_scale(Scale s) { scale_ = s; }
  void set_register(std::uint16_t address, std::uint16_t value) {
    std::lock_guard lock(mutex_);
    registers_[address] = value;
  }
  // A late answer is sent this long after its request.
  void set_late_by(std::chrono::milliseconds d) { late_by_ = d; }

  [[nodiscard]] std::vector<Transaction> log() const {
    std::lock_guard lock(mutex_);
    return log_;
  }
  [[nodiscard]] std::size_t count(char kind) const {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(std::count_if(
        log_.begin(), log_.end(), [&](const Transaction& t) { return t.kind == kind; }));
  }
  bool wait_count(char kind, std::size_t n, std::chrono::milliseconds timeout = kWait) {
    return wait_until([&] { return count(kind) >= n; }, timeout);
  }

 private:
  void run() {
    std::string buf;
    std::optional<std::pair<Clock::time_point, std::string>> late;  // due, bytes
    while (!stop_) {
      int wait_ms = 20;
      if (late) {
        wait_ms = static_cast<int>(std::clamp<std::int64_t>(
            std::chrono::ceil<std::chrono::milliseconds>(late->first - Clock::now()).count(), 0,
            20));
      }
      pollfd p{pty_.master.get(), POLLIN, 0};
      const int rc = ::poll(&p, 1, wait_ms);
      if (late && Clock::now() >= late->first) {
        write_all(late->second);
        late.reset();
      }
      if (rc <= 0 || (p.revents & POLLIN) == 0) continue;
      char chunk[256];
      const ssize_t n = ::read(pty_.master.get(), chunk, sizeof chunk);
      if (n <= 0) continue;
      const auto now = Clock::now();
      // A request while a late answer is still to come: the master did not wait for it.
      if (buf.empty()) begin(now, late.has_value());
      buf.append(chunk, static_cast<std::size_t>(n));
      while (!buf.empty()) {
        if (buf[0] == 'W' || buf[0] == 'T') {
          const auto cr = buf.find('\r');
          if (cr == std::string::npos) break;
          const std::string request = buf.substr(0, cr);
          buf.erase(0, cr + 1);
          const auto answer = ascii(request);
          finish('A', answer, late);
        } else if (static_cast<std::uint8_t>(buf[0]) == kUnit) {
          if (buf.size() < 8) break;
          const std::string request = buf.substr(0, 8);
          buf.erase(0, 8);
          finish('M', modbus(request), late);
        } else {
          buf.erase(0, 1);
          finish('?', std::nullopt, late);
        }
        // More bytes behind a whole request: the next one came before this one was answered.
        if (!buf.empty()) begin(Clock::now(), true);
      }
    }
  }

  void begin(Clock::time_point now, bool overlapped) {
    std::lock_guard lock(mutex_);
    Transaction t;
    t.first_byte = now;
    t.overlapped = overlapped;
    log_.push_back(t);
  }

  void finish(char kind, std::optional<std::string> answer,
              std::optional<std::pair<Clock::time_point, std::string>>& late) {
    const auto now = Clock::now();
    {
      std::lock_guard lock(mutex_);
      log_.back().kind = kind;
      log_.back().complete = now;
    }
    if (!answer) return;
    if (kind == 'A' && scale_ == Scale::Late) {
      late.emplace(now + late_by_.load(), *answer);
      return;
    }
    write_all(*answer);
    std::lock_guard lock(mutex_);
    log_.back().answered = Clock::now();
  }

  std::optional<std::string> ascii(const std::string& request) {
    if (request[0] == 'T') return "T " + request.substr(1) + " kg\r\n";
    switch (scale_.load()) {
      case Scale::Silent: return std::nullopt;
      // Bytes that would pass for the start of a Modbus answer from unit 3.
      case Scale::Garbage: return std::string("\x03\x03\x02\xFF#garbage!\r\n", 15);
      case Scale::Answers:
      case Scale::Late: break;
    }
    return std::string("S   12.345 kg\r\n");
  }

  // FC 3 only: `request` is unit, 3, address, count, CRC.
  std::optional<std::string> modbus(const std::string& request) {
    const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(request[i]); };
    const std::uint16_t crc = sr::crc16_modbus(std::string_view(request).substr(0, 6));
    if (byte(6) != (crc & 0xFF) || byte(7) != (crc >> 8) || byte(1) != 3) return std::nullopt;
    const std::uint16_t address = static_cast<std::uint16_t>(byte(2) << 8 | byte(3));
    const std::uint16_t n = static_cast<std::uint16_t>(byte(4) << 8 | byte(5));
    std::string out{static_cast<char>(kUnit), 3, static_cast<char>(2 * n)};
    std::lock_guard lock(mutex_);
    for (std::uint16_t i = 0; i < n; ++i) {
      const std::uint16_t v = registers_[static_cast<std::uint16_t>(address + i)];
      out += static_cast<char>(v >> 8);
      out += static_cast<char>(v & 0xFF);
    }
    const std::uint16_t out_crc = sr::crc16_modbus(out);
    out += static_cast<char>(out_crc & 0xFF);
    out += static_cast<char>(out_crc >> 8);
    return out;
  }

  void write_all(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(pty_.master.get(), bytes.data() + done, bytes.size() - done);
      if (n <= 0) return;
      done += static_cast<std::size_t>(n);
    }
  }

  Pty pty_;
  std::atomic<Scale> scale_{Scale::Answers};
  std::atomic<std::chrono::milliseconds> late_by_{std::chrono::milliseconds(0)};
  mutable std::mutex mutex_;  // guards: registers_, log_
  std::map<std::uint16_t, std::uint16_t> registers_;
  std::vector<Transaction> log_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Slave `meter` (unit 3, register 0 every 100 ms) and `scale` ("W\r" every 100 ms, 60 ms timeout,
// backoff 300 ms..1 s) on one bus with a 20 ms turnaround.
mb::LinkOptions mixed_link(const std::string& path) {
  mb::LinkOptions l = tcp_link(0, {make_device("meter", kUnit, {holding("v", 0)})});
  l.name = "bus";
  l.kind = mb::LinkKind::Rtu;
  l.host.clear();
  l.serial.device = path;
  l.serial.baud = 115200;
  l.turnaround_delay = 20ms;
  l.devices[0].poll_interval = 100ms;
  sr::InstrumentOptions scale;
  scale.link = "bus";
  scale.name = "scale";
  scale.response_timeout = 60ms;
  scale.patterns.push_back(sr::PatternOptions{
      .name = "weight", .regex = "^S +(?<weight>-?[0-9.]+) kg$", .points = {}});
  scale.patterns[0].points.emplace_back();
  scale.patterns[0].points[0].name = "weight";
  scale.requests.push_back(sr::RequestOptions{.send = "W\r", .interval = 100ms, .timeout = {},
                                              .expect = {"weight"}});
  sr::CommandOptions tare;
  tare.point = "tare";
  tare.send = "T{value:.3f}\r";
  tare.reply = "^T (?<value>-?[0-9.]+) kg$";
  scale.commands.push_back(tare);
  l.instruments.push_back(mb::BusInstrumentOptions{
      .instrument = std::move(scale), .backoff_initial = 300ms, .backoff_max = 1000ms});
  return l;
}

std::size_t count_quality(const RecordingSink& sink, const std::string& device,
                          const std::string& point, Quality q) {
  const auto rs = sink.readings_of(device, point);
  return static_cast<std::size_t>(
      std::count_if(rs.begin(), rs.end(), [&](const Reading& r) { return r.quality == q; }));
}

TEST(MixedBus, SlaveAndScaleOnOnePortBothPublishGoodReadingsWithoutOverlap) {
  MixedBusDevice bus;
  bus.set_register(0, 1234);
  RecordingSink sink;
  mb::Link link(mixed_link(bus.path()), sink);
  link.start();

  const auto v = sink.wait_quality("meter", "v", Quality::Good);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->value, Value{std::uint64_t{1234}});
  const auto w = sink.wait_quality("scale", "weight", Quality::Good);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->value, Value{12.345});
  EXPECT_EQ(w->link, "bus");
  EXPECT_TRUE(sink.wait_status("meter", true));
  EXPECT_TRUE(sink.wait_status("scale", true));

  ASSERT_TRUE(bus.wait_count('M', 8));
  ASSERT_TRUE(bus.wait_count('A', 8));
  link.stop();

  const auto log = bus.log();
  for (std::size_t k = 0; k < log.size(); ++k) {
    EXPECT_NE(log[k].kind, '?') << "stray bytes at transaction " << k;
    EXPECT_FALSE(log[k].overlapped) << "transaction " << k;
    if (k == 0) continue;
    ASSERT_TRUE(log[k - 1].answered) << "transaction " << k - 1 << " was not answered";
    // The 3.5-character gap and the 20 ms turnaround between any two, whatever the protocols.
    EXPECT_GE(log[k].first_byte - *log[k - 1].answered, 20ms)
        << "transaction " << k << " (" << log[k].kind << ") after " << log[k - 1].kind;
  }
  const auto stats = link.stats();
  ASSERT_EQ(stats.devices.size(), 2u);
  EXPECT_EQ(stats.devices[1].name, "scale");
  EXPECT_GE(stats.devices[1].requests, 8u);
  EXPECT_EQ(stats.devices[0].errors, 0u);
  EXPECT_EQ(stats.devices[1].errors, 0u);
}

TEST(MixedBus, SilentScaleBacksOffWhileTheSlaveKeepsItsPollInterval) {
  MixedBusDevice bus;
  bus.set_register(0, 7);
  bus.set_scale(MixedBusDevice::Scale::Silent);
  RecordingSink sink;
  mb::Link link(mixed_link(bus.path()), sink);
  link.start();

  const auto w = sink.wait_quality("scale", "weight", Quality::BadTimeout);
  ASSERT_TRUE(w);
  EXPECT_TRUE(sink.wait_status("scale", false));
  ASSERT_TRUE(sink.wait_quality("meter", "v", Quality::Good));
  // Two seconds of the slave's polls: at its 100 ms interval that is about 20.
  const std::size_t m0 = bus.count('M');
  const std::size_t a0 = bus.count('A');
  const auto t0 = Clock::now();
  ASSERT_TRUE(bus.wait_count('M', m0 + 20));
  const auto took = Clock::now() - t0;
  const std::size_t asked = bus.count('A') - a0;
  link.stop();

  // The slave kept its interval (2 s for 20 polls), give or take a loaded machine.
  EXPECT_LT(took, 3s);
  // Unanswered, the scale is asked after 300 ms, 600 ms, then every 1 s: at most 4 times in the
  // two seconds, not 20 times at its interval.
  EXPECT_LE(asked, 4u);
  EXPECT_GE(asked, 1u);
  const auto log = bus.log();
  for (std::size_t k = 1; k < log.size(); ++k) {
    if (log[k - 1].kind != 'A') continue;
    // The bus stays the scale's for its whole response timeout.
    EXPECT_GE(log[k].first_byte - log[k - 1].complete, 60ms) << "transaction " << k;
  }
  const auto stats = link.stats();
  EXPECT_EQ(stats.devices[0].errors, 0u);
  EXPECT_GE(stats.devices[1].errors_by_quality[static_cast<std::size_t>(Quality::BadTimeout)], 1u);
  EXPECT_EQ(count_quality(sink, "meter", "v", Quality::Good), sink.readings_of("meter", "v").size());
}

TEST(MixedBus, GarbageFromTheScaleIsItsBadDecodeAndLeavesTheSlaveGood) {
  MixedBusDevice bus;
  bus.set_register(0, 42);
  bus.set_scale(MixedBusDevice::Scale::Garbage);
  RecordingSink sink;
  mb::Link link(mixed_link(bus.path()), sink);
  link.start();

  const auto w = sink.wait_quality("scale", "weight", Quality::BadDecode);
  ASSERT_TRUE(w);
  ASSERT_TRUE(bus.wait_count('A', 3));
  ASSERT_TRUE(bus.wait_count('M', 10));
  link.stop();

  const auto stats = link.stats();
  EXPECT_EQ(stats.devices[0].errors, 0u);
  EXPECT_GE(stats.devices[1].errors, 1u);
  const auto readings = sink.readings_of("meter", "v");
  ASSERT_FALSE(readings.empty());
  for (const auto& r : readings) EXPECT_EQ(r.quality, Quality::Good) << r.error;
}

TEST(MixedBus, LateScaleAnswerIsDrainedNotReadAsTheSlavesAnswer) {
  MixedBusDevice bus;
  bus.set_register(0, 99);
  // After the scale's 60 ms timeout, inside the 60 ms turnaround before the next transaction.
  bus.set_late_by(90ms);
  bus.set_scale(MixedBusDevice::Scale::Late);
  RecordingSink sink;
  mb::LinkOptions options = mixed_link(bus.path());
  options.turnaround_delay = 60ms;
  mb::Link link(options, sink);
  link.start();

  ASSERT_TRUE(sink.wait_quality("scale", "weight", Quality::BadTimeout));
  ASSERT_TRUE(bus.wait_count('A', 3));
  ASSERT_TRUE(bus.wait_count('M', 10));
  link.stop();

  const auto stats = link.stats();
  EXPECT_EQ(stats.devices[0].errors, 0u) << "a late ASCII answer was read as a Modbus frame";
  for (const auto& r : sink.readings_of("meter", "v")) EXPECT_EQ(r.quality, Quality::Good);
}

TEST(MixedBus, TareCommandGoesToTheScaleBetweenPolls) {
  MixedBusDevice bus;
  RecordingSink sink;
  mb::Link link(mixed_link(bus.path()), sink);
  link.start();
  ASSERT_TRUE(sink.wait_quality("scale", "weight", Quality::Good));

  const auto r = write_and_wait(link, "scale", "tare", 1.5);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, Value{1.5});
  const auto refused = write_and_wait(link, "scale", "zero", 1.0);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), sr::SerialErrc::UnknownPoint);
  link.stop();
  for (const auto& t : bus.log()) EXPECT_FALSE(t.overlapped);
}

// --- the real binary ---------------------------------------------------------------------------

std::string retained(std::uint16_t port, const std::string& topic) {
  auto r = run({"mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(port), "-t", topic, "-C",
                "1", "-W", "2"},
               5s);
  return r.code == 0 ? r.output : std::string();
}

TEST(MixedBusGateway, PublishesTheSlaveAndTheScaleOfOneBusFromYaml) {
  MixedBusDevice bus;
  bus.set_register(0, 321);
  const std::string links =
      "links:\n"
      "  - name: line\n"
      "    type: modbus-rtu\n"
      "    serial: {device: " + bus.path() + ", baud: 115200}\n"
      "    response_timeout: 200ms\n"
      "    turnaround_delay: 5ms\n"
      "    devices:\n"
      "      - name: meter\n"
      "        unit_id: 3\n"
      "        poll_interval: 100ms\n"
      "        points: [{name: v, table: holding, address: 0, type: uint16}]\n"
      "    instruments:\n"
      "      - name: scale\n"
      "        response_timeout: 100ms\n"
      "        patterns:\n"
      "          - name: weight\n"
      "            regex: '^S +(?<weight>-?[0-9.]+) kg$'\n"
      "            points: [{name: weight, unit: kg}]\n"
      "          - name: tare_reply\n"
      "            regex: '^T (?<tare>[0-9.]+) kg$'\n"
      "            points: [{name: tare}]\n"
      "        requests: [{send: \"W\\r\", interval: 100ms}]\n"
      "        commands:\n"
      "          - {point: tare, send: \"T{value:.3f}\\r\", reply: '^T (?<value>[0-9.]+) kg$'}\n";
  GatewayProcess gw("", links);
  ASSERT_TRUE(gw.ready()) << gw.process().output();
  ASSERT_TRUE(wait_until([&] {
    return retained(gw.port(), "test/meter/v").find("\"value\":321") != std::string::npos;
  })) << gw.process().output();
  ASSERT_TRUE(wait_until([&] {
    return retained(gw.port(), "test/scale/weight").find("\"value\":12.345") != std::string::npos;
  })) << gw.process().output();
  EXPECT_THAT(retained(gw.port(), "test/scale/weight"), HasSubstr("\"quality\":\"good\""));
  EXPECT_THAT(retained(gw.port(), "test/scale/status"), HasSubstr("\"online\""));
  EXPECT_THAT(retained(gw.port(), "test/scale/status"), HasSubstr("\"link\":\"line\""));
  // Without `expect` the weight line alone answers "W\r": the scale never timed out.
  EXPECT_THAT(gw.process().output(), Not(HasSubstr("scale (serial instrument) offline")));

  auto r = run({"mosquitto_rr", "-V", "mqttv5", "-h", "127.0.0.1", "-p", gw.port_str(), "-t",
                "test/scale/tare/set", "-e", "test/replies/tare", "-m", "2.5", "-W", "5"},
               10s);
  EXPECT_EQ(r.code, 0) << r.output << "\n--- gateway:\n" << gw.process().output();
  EXPECT_THAT(r.output, HasSubstr("\"ok\":true"));
  EXPECT_THAT(r.output, HasSubstr("\"value\":2.5"));
  for (const auto& t : bus.log()) EXPECT_FALSE(t.overlapped);
}

}  // namespace
}  // namespace gw::test
