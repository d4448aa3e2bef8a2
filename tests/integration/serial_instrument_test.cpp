// adapters::serial::InstrumentLink against scripted devices on pseudo-terminals: a weigh scale
// polled with "W\r", a sensor streaming at 10 Hz, a GPS with good and broken NMEA checksums,
// garbage, silence, an over-long line, a device unplugged and plugged back in, and set-point
// commands confirmed (or not) by the device. The link opens one end of a PtyPair (a null-modem
// cable); the device opens the other. Timeouts are short so each test takes well under 2 s; waits
// are on conditions with deadlines, never sleeps.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "adapters/serial/checksum.hpp"
#include "adapters/serial/instrument_link.hpp"
#include "adapters/serial/options_validation.hpp"
#include "adapters/serial/serial_error.hpp"
#include "tests/integration/modbus_link_harness.hpp"
#include "tests/support/pty_pair.hpp"
#include "tests/support/scripted_serial_device.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

namespace serial = gw::adapters::serial;
using serial::InstrumentLink;
using serial::InstrumentOptions;
using serial::SerialErrc;
using serial::ValueType;

// A base instrument on `device`: CRLF lines, short timeouts, fast reopen; validated by each test.
InstrumentOptions instrument(const std::string& device) {
  InstrumentOptions o;
  o.link = "bench";
  o.name = "scale";
  o.port.device = device;
  o.port.baud = 9600;
  o.response_timeout = 200ms;
  o.stream_timeout = 300ms;
  o.reconnect_initial = 50ms;
  o.reconnect_max = 100ms;
  o.heartbeat = 1h;
  return o;
}

serial::PatternOptions weight_pattern() {
  serial::PatternOptions p;
  p.name = "weight";
  p.regex = R"(^\s*(?<weight>[-+]?\d+\.\d+)\s+(?<unit>\w+)$)";
  p.points.push_back(serial::PointOptions{.name = "weight", .unit = "kg"});
  p.points.push_back(serial::PointOptions{.name = "weight_unit", .capture = "unit",
                                          .type = ValueType::String});
  return p;
}

void expect_valid(const InstrumentOptions& o) {
  const auto problems = serial::validate(o);
  for (const auto& p : problems) ADD_FAILURE() << p.path << ": " << p.message;
}

Result<Value> write_and_wait(InstrumentLink& link, std::string point, Value value) {
  auto done = std::make_shared<std::promise<Result<Value>>>();
  auto outcome = done->get_future();
  auto queued = link.write(
      serial::WriteCommand{.device = link.options().name, .point = std::move(point), .value = value},
      [done](Result<Value> r) { done->set_value(std::move(r)); });
  if (!queued) return Failure{queued.error()};
  if (outcome.wait_for(kWait) != std::future_status::ready) {
    ADD_FAILURE() << "command not answered";
    return Failure{std::make_error_code(std::errc::timed_out)};
  }
  return outcome.get();
}

// Waits for a condition on the link's counters, which change without a sink call (a reopen after
// failures already reported, a port opened). Checked every millisecond until the deadline.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = kWait) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Bytes a device sends before the link has opened (and flushed) the port are lost, as on a real
// line: tests that send single lines wait for this first.
bool port_open(const InstrumentLink& link) {
  return eventually([&] { return link.stats().opens >= 1; });
}

bool good_value(const Reading& r, const Value& v) { return r.quality == Quality::Good && r.value == v; }

// ---- request/response ------------------------------------------------------------------------

TEST(SerialInstrument, WeighScaleAnswersWeightRequests) {
  PtyPair cable;
  ScriptedSerialDevice scale(cable.device_b(), "\r");
  std::atomic<int> grams{12345};
  scale.respond([&](const std::string& req) -> std::optional<std::string> {
    if (req != "W") return std::nullopt;
    return fmt::format("  {:.3f} kg\r\n", grams.load() / 1000.0);
  });
  auto o = instrument(cable.device_a());
  o.patterns.push_back(weight_pattern());
  o.requests.push_back(serial::RequestOptions{.send = "W\r", .interval = 50ms, .expect = {"weight"}});
  expect_valid(o);

  RecordingSink sink;
  const auto before = std::chrono::system_clock::now();
  InstrumentLink link(o, sink);
  link.start();
  const auto w = sink.wait_reading("scale", "weight",
                                   [](const Reading& r) { return good_value(r, Value{12.345}); });
  ASSERT_TRUE(w) << "no good weight";
  EXPECT_EQ(w->link, "bench");
  EXPECT_EQ(w->unit, "kg");
  EXPECT_GE(w->ts, before);
  EXPECT_TRUE(sink.wait_reading("scale", "weight_unit",
                                [](const Reading& r) { return good_value(r, Value{std::string("kg")}); }));
  ASSERT_TRUE(sink.wait_status("scale", true));
  EXPECT_EQ(scale.requests().front(), "W");

  grams = 13000;  // the next answers carry the new weight
  EXPECT_TRUE(sink.wait_reading("scale", "weight",
                                [](const Reading& r) { return good_value(r, Value{13.0}); }));
  // More answers with the same weight are filtered (no deadband, 1 h heartbeat): still 2 readings.
  ASSERT_TRUE(scale.wait_requests(scale.requests().size() + 3, kWait));
  link.stop();
  const auto s = link.stats();
  EXPECT_GE(s.requests, 4U);
  EXPECT_EQ(s.timeouts, 0U);
  EXPECT_EQ(s.unmatched, 0U);
  EXPECT_EQ(sink.readings_of("scale", "weight").size(), 2U);
}

TEST(SerialInstrument, GarbageAnswerMakesPointsBadDecodeUntilTheDeviceRecovers) {
  PtyPair cable;
  ScriptedSerialDevice scale(cable.device_b(), "\r");
  std::atomic<bool> garbage{true};
  scale.respond([&](const std::string&) -> std::optional<std::string> {
    return garbage ? std::string("\x7f#%&!?\r\n") : std::string("  1.500 kg\r\n");
  });
  auto o = instrument(cable.device_a());
  o.patterns.push_back(weight_pattern());
  o.requests.push_back(serial::RequestOptions{.send = "W\r", .interval = 50ms});
  o.reopen_after_failures = 0;  // garbage alone does not reopen here
  expect_valid(o);

  RecordingSink sink;
  InstrumentLink link(o, sink);
  link.start();
  const auto bad = sink.wait_quality("scale", "weight", Quality::BadDecode);
  ASSERT_TRUE(bad);
  EXPECT_FALSE(bad->error.empty());
  EXPECT_TRUE(std::holds_alternative<std::monostate>(bad->value));
  const auto offline = sink.wait_status("scale", false);
  ASSERT_TRUE(offline);
  garbage = false;
  EXPECT_TRUE(sink.wait_reading("scale", "weight",
                                [](const Reading& r) { return good_value(r, Value{1.5}); }));
  EXPECT_TRUE(sink.wait_status("scale", true));
  link.stop();
  EXPECT_GE(link.stats().unmatched, 1U);
  EXPECT_EQ(link.stats().reopens, 0U);
}

TEST(SerialInstrument, SilentDeviceTimesOutAndPortIsReopenedAfterRepeatedFailures) {
  PtyPair cable;
  ScriptedSerialDevice scale(cable.device_b(), "\r");
  std::atomic<bool> answer{false};
  scale.respond([&](const std::string&) -> std::optional<std::string> {
    if (!answer) return std::nullopt;
    return std::string("  2.000 kg\r\n");
  });
  auto o = instrument(cable.device_a());
  o.patterns.push_back(weight_pattern());
  o.requests.push_back(serial::RequestOptions{.send = "W\r", .interval = 20ms, .timeout = 60ms});
  o.reopen_after_failures = 2;
  expect_valid(o);

  RecordingSink sink;
  InstrumentLink link(o, sink);
  link.start();
  const auto timeout = sink.wait_quality("scale", "weight", Quality::BadTimeout);
  ASSERT_TRUE(timeout);
  EXPECT_EQ(timeout->error, make_error_code(SerialErrc::Timeout).message());
  ASSERT_TRUE(eventually([&] { return link.stats().reopens >= 1; }))
      << "two failed requests did not reopen the port";
  answer = true;
  EXPECT_TRUE(sink.wait_reading("scale", "weight",
                                [](const Reading& r) { return good_value(r, Value{2.0}); }));
  link.stop();
  EXPECT_GE(link.stats().timeouts, 2U);
  EXPECT_GE(link.stats().opens, 2U);
}

// ---- streaming -------------------------------------------------------------------------------

TEST(SerialInstrument, StreamingSensorAt10HzDeliversEveryLine) {
  PtyPair cable;
  ScriptedSerialDevice sensor(cable.device_b(), "\n");
  std::atomic<int> n{0};
  sensor.stream([&] { return fmt::format("CO2={} ppm\r\n", 400 + n++); }, 100ms);
  auto o = instrument(cable.device_a());
  o.name = "analyser";
  o.streaming = true;
  o.patterns.push_back(serial::PatternOptions{
      .name = "co2",
      .regex = R"(^CO2=(?<co2>\d+) ppm$)",
      .points = {serial::PointOptions{.name = "co2", .type = ValueType::Integer, .unit = "ppm"}}});
  expect_valid(o);

  RecordingSink sink;
  InstrumentLink link(o, sink);
  link.start();
  ASSERT_TRUE(sink.wait_for([](const std::vector<Reading>& rs, const auto&) {
    return std::count_if(rs.begin(), rs.end(), [](const Reading& r) {
             return r.point == "co2" && r.quality == Quality::Good;
           }) >= 5;
  })) << "fewer than 5 lines in the deadline";
  link.stop();
  const auto rs = sink.readings_of("analyser", "co2");
  // Every line is a new value (no deadband): consecutive integers, in order, timestamps rising.
  for (std::size_t i = 1; i < rs.size(); ++i) {
    ASSERT_EQ(rs[i].quality, Quality::Good);
    EXPECT_EQ(std::get<std::int64_t>(rs[i].value), std::get<std::int64_t>(rs[i - 1].value) + 1);
    EXPECT_GE(rs[i].ts, rs[i - 1].ts);
  }
  EXPECT_EQ(link.stats().requests, 0U);
  EXPECT_EQ(link.stats().unmatched, 0U);
}

TEST(SerialInstrument, NmeaBrokenChecksumIsBadCrcAndValidSentencesAreGood) {
  PtyPair cable;
  ScriptedSerialDevice gps(cable.device_b(), "\n");
  auto o = instrument(cable.device_a());
  o.name = "gps";
  o.streaming = true;
  o.stream_timeout = 2s;  // this test is about checksums, not silence
  o.checksum.kind = serial::ChecksumKind::Nmea;
  o.patterns.push_back(serial::PatternOptions{
      .name = "gga",
      .regex = R"(^\$GPGGA,[^,]*,(?<lat>[\d.]*),[NS],[^,]*,[EW],\d,(?<sats>\d+),[^,]*,(?<alt>[-\d.]*),M)",
      .points = {serial::PointOptions{.name = "lat"},
                 serial::PointOptions{.name = "sats", .type = ValueType::Integer},
                 serial::PointOptions{.name = "alt", .unit = "m"}}});
  o.patterns.push_back(serial::PatternOptions{
      .name = "rmc",
      .regex = R"(^\$GPRMC,[^,]*,[AV],(?:[^,]*,){4}(?<speed>[\d.]*),)",
      .points = {serial::PointOptions{.name = "speed", .unit = "kn"}}});
  expect_valid(o);

  const std::string gga = "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n";
  const std::string rmc =
      "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n";
  std::string broken = gga;
  // One altitude digit changed in transit, still "*47". (An XOR checksum misses some changes:
  // "545.4" -> "999.9" keeps it, which is why one digit is changed here.)
  broken.replace(broken.find("545.4"), 5, "545.5");

  RecordingSink sink;
  InstrumentLink link(o, sink);
  link.start();
  ASSERT_TRUE(port_open(link));
  gps.send(gga);
  ASSERT_TRUE(sink.wait_reading("gps", "alt", [](const Reading& r) { return good_value(r, Value{545.4}); }));
  const auto from = sink.reading_count();
  gps.send(broken);
  const auto crc = sink.wait_quality("gps", "alt", Quality::BadCrc, from);
  ASSERT_TRUE(crc) << "a broken GGA did not make its points BadCrc";
  EXPECT_TRUE(sink.wait_quality("gps", "sats", Quality::BadCrc, from));
  gps.send(rmc);
  EXPECT_TRUE(sink.wait_reading("gps", "speed", [](const Reading& r) { return good_value(r, Value{22.4}); }));
  gps.send(gga);
  EXPECT_TRUE(sink.wait_reading("gps", "alt", [](const Reading& r) { return good_value(r, Value{545.4}); },
                                from));
  link.stop();
  EXPECT_EQ(link.stats().bad_checksums, 1U);
  EXPECT_EQ(link.stats().frames, 4U);
  // The corrupted altitude never reached the sink.
  for (const Reading& r : sink.readings_of("gps", "alt")) EXPECT_NE(r.value, Value{545.5});
}

TEST(SerialInstrument, OverlongLineIsDiscardedCountedAndTheNextLineParsed) {
  PtyPair cable;
  ScriptedSerialDevice sensor(cable.device_b(), "\n");
  auto o = instrument(cable.device_a());
  o.name = "analyser";
  o.streaming = true;
  o.stream_timeout = 2s;
  o.framing.max_frame = 64;
  o.patterns.push_back(serial::PatternOptions{
      .name = "t", .regex = R"(^T=(?<t>-?\d+\.\d)$)", .points = {serial::PointOptions{.name = "t"}}});
  expect_valid(o);

  RecordingSink sink;
  InstrumentLink link(o, sink);
  link.start();
  ASSERT_TRUE(port_open(link));
  sensor.send("T=20.5\r\n");
  ASSERT_TRUE(sink.wait_reading("analyser", "t", [](const Reading& r) { return good_value(r, Value{20.5}); }));
  // A runaway line, in pieces the pty delivers as it likes, then a good line.
  std::string runaway = "T=";
  runaway.append(3000, '9');
  sensor.send(runaway);
  sensor.send(".0\r\nT=21.5\r\n");
  ASSERT_TRUE(sink.wait_reading("analyser", "t", [](const Reading& r) { return good_value(r, Value{21.5}); }));
  link.stop();
  const auto s = link.stats();
  EXPECT_EQ(s.oversize, 1U);
  EXPECT_GE(s.discarded_bytes, 3000U);
  EXPECT_EQ(s.frames, 2U);  // the runaway line was never a frame
  EXPECT_EQ(s.unmatched, 0U);
}

TEST(SerialInstrument, SilentStreamingDeviceGivesBadTimeoutThenRecovers) {
  PtyPair cable;
  ScriptedSerialDevice sensor(cable.device_b(), "\n");
  auto o = instrument(cable.device_a());
  o.name = "analyser";
  o.streaming = true;
  o.stream_timeout = 150ms;
  o.patterns.push_back(serial::PatternOptions{
      .name = "t", .regex = R"(^T=(?<t>-?\d+\.\d)$)", .points = {serial::PointOptions{.name = "t"}}});
  expect_valid(o);

  RecordingSink sink;
  InstrumentLink link(o, sink);
  link.start();
  ASSERT_TRUE(port_open(link));
  sensor.send("T=20.5\r\n");
  ASSERT_TRUE(sink.wait_reading("analyser", "t", [](const Reading& r) { return good_value(r, Value{20.5}); }));
  const auto online_at = sink.status_count();
  // Nothing more: the device has gone quiet.
  const auto silent = sink.wait_quality("analyser", "t", Quality::BadTimeout);
  ASSERT_TRUE(silent);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(silent->value));
  const auto offline = sink.wait_status("analyser", false, online_at);
  ASSERT_TRUE(offline);
  EXPECT_EQ(offline->error, make_error_code(SerialErrc::Silent).message());
  ASSERT_TRUE(eventually([&] { return link.stats().opens >= 2; }))
      << "a silent device was not reopened";
  sensor.stream([] { return std::string("T=22.0\r\n"); }, 50ms);
  EXPECT_TRUE(sink.wait_reading("analyser", "t", [](const Reading& r) { return good_value(r, Value{22.0}); }));
  EXPECT_TRUE(sink.wait_status("analyser", true, online_at + 1));
  link.stop();
}

// ---- unplugged -------------------------------------------------------------------------------

// A USB serial adapter behind a stable udev name (/dev/serial/by-id/...): unplugging it hangs up
// the open port and removes the name; plugging it back in makes the name point at a new device.
// Here: a symlink to one end of a pty; the test holds the other (master) end as the device.
class PluggableDevice {
 public:
  explicit PluggableDevice(std::filesystem::path link) : link_(std::move(link)) { plug(); }

  void plug() {
    Pty pty = open_raw_pty();
    std::filesystem::remove(link_);
    std::filesystem::create_symlink(pty.path, link_);
    slave_ = std::move(pty.slave);  // keeps the pty alive while the link reopens
    device_ = std::make_unique<ScriptedSerialDevice>(std::move(pty.master), "\n");
  }
  void unplug() {
    std::filesystem::remove(link_);
    device_.reset();  // closes the master: the link's end hangs up
    slave_.reset();
  }
  ScriptedSerialDevice& device() { return *device_; }

 private:
  std::filesystem::path link_;
  UniqueFd slave_;
  std::unique_ptr<ScriptedSerialDevice> device_;
};

TEST(SerialInstrument, UnpluggedDeviceIsBadConnectionAndComesBackWhenPluggedIn) {
  TempDir dir;
  PluggableDevice usb(dir.path() / "ttyUSB-scale");
  usb.device().stream([] { return std::string("  5.000 kg\r\n"); }, 30ms);
  auto o = instrument((dir.path() / "ttyUSB-scale").string());
  o.streaming = true;
  o.stream_timeout = 1s;
  o.patterns.push_back(weight_pattern());
  expect_valid(o);

  RecordingSink sink;
  InstrumentLink link(o, sink);
  link.start();
  ASSERT_TRUE(sink.wait_reading("scale", "weight", [](const Reading& r) { return good_value(r, Value{5.0}); }));
  const auto statuses = sink.status_count();
  usb.unplug();
  const auto lost = sink.wait_quality("scale", "weight", Quality::BadConnection);
  ASSERT_TRUE(lost) << "the hang-up was not noticed";
  ASSERT_TRUE(sink.wait_status("scale", false, statuses));
  const auto from = sink.reading_count();

  usb.plug();
  usb.device().stream([] { return std::string("  6.000 kg\r\n"); }, 30ms);
  EXPECT_TRUE(sink.wait_reading("scale", "weight", [](const Reading& r) { return good_value(r, Value{6.0}); },
                                from));
  EXPECT_TRUE(sink.wait_status("scale", true, statuses));
  link.stop();
  EXPECT_GE(link.stats().opens, 2U);
  EXPECT_GE(link.stats().reopens, 1U);
}

// ---- commands --------------------------------------------------------------------------------

TEST(SerialInstrument, SetpointCommandIsConfirmedByTheReplyPattern) {
  PtyPair cable;
  ScriptedSerialDevice controller(cable.device_b(), "\r");
  std::atomic<bool> mute{false};
  controller.respond([&](const std::string& req) -> std::optional<std::string> {
    if (mute) return std::nullopt;
    if (req.rfind("SETP ", 0) != 0) return std::nullopt;
    if (req == "SETP 99.00") return std::string("ERR 3 locked\r\n");
    return "OK " + req.substr(5) + "\r\n";
  });
  auto o = instrument(cable.device_a());
  o.name = "oven";
  o.patterns.push_back(serial::PatternOptions{
      .name = "sp", .regex = R"(^SP=(?<setpoint>-?\d+\.\d+)$)",
      .points = {serial::PointOptions{.name = "setpoint", .unit = "°C"}}});
  o.commands.push_back(serial::CommandOptions{.point = "setpoint",
                                              .send = "SETP {value:.2f}\r",
                                              .reply = R"(^OK (?<value>-?\d+\.\d+)$)",
                                              .reply_error = "^ERR",
                                              .timeout = 150ms,
                                              .min = 0.0,
                                              .max = 100.0});
  expect_valid(o);

  RecordingSink sink;
  InstrumentLink link(o, sink);
  link.start();
  auto ok = write_and_wait(link, "setpoint", Value{21.456});
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(*ok, Value{21.46});  // what the device confirmed, not what was asked
  EXPECT_EQ(controller.requests().back(), "SETP 21.46");
  // The confirmed value is the point's newest reading.
  EXPECT_TRUE(sink.wait_reading("oven", "setpoint", [](const Reading& r) { return good_value(r, Value{21.46}); }));

  const auto sent = controller.requests().size();
  auto range = write_and_wait(link, "setpoint", Value{150.0});
  ASSERT_FALSE(range);
  EXPECT_EQ(range.error(), SerialErrc::OutOfRange);
  EXPECT_EQ(controller.requests().size(), sent);  // refused before anything was sent

  auto refused = write_and_wait(link, "setpoint", Value{std::int64_t{99}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), SerialErrc::CommandRejected);

  mute = true;
  auto silent = write_and_wait(link, "setpoint", Value{20.0});
  ASSERT_FALSE(silent);
  EXPECT_EQ(silent.error(), SerialErrc::Timeout);

  auto unknown = write_and_wait(link, "power", Value{1.0});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error(), SerialErrc::UnknownPoint);
  link.stop();
  EXPECT_EQ(link.stats().writes, 5U);
  EXPECT_EQ(link.stats().write_errors, 4U);
}

TEST(SerialInstrument, NmeaCommandCarriesItsChecksumFromTheTemplate) {
  PtyPair cable;
  ScriptedSerialDevice gps(cable.device_b(), "\r\n");
  // Answers a PMTK command whose checksum is right with PMTK001 (acknowledged, flag 3), sealed.
  gps.respond([](const std::string& req) -> std::optional<std::string> {
    const serial::ChecksumOptions nmea{.kind = serial::ChecksumKind::Nmea};
    if (!serial::verify_checksum(nmea, req)) return std::nullopt;
    const auto cmd = req.substr(5, req.find(',') - 5);  // "$PMTK220,1000*1F" → "220"
    return *serial::seal_checksum(nmea, "$PMTK001," + cmd + ",3") + "\r\n";
  });
  auto o = instrument(cable.device_a());
  o.name = "gps";
  o.checksum.kind = serial::ChecksumKind::Nmea;
  o.commands.push_back(serial::CommandOptions{.point = "fix_interval",
                                              .type = ValueType::Integer,
                                              .send = "$PMTK220,{value:d}*{checksum}\r\n",
                                              .reply = R"(^\$PMTK001,220,3\*)",
                                              .reply_error = R"(^\$PMTK001,220,[012]\*)",
                                              .timeout = 300ms});
  expect_valid(o);

  RecordingSink sink;
  InstrumentLink link(o, sink);
  link.start();
  auto ok = write_and_wait(link, "fix_interval", Value{std::int64_t{1000}});
  ASSERT_TRUE(ok) << ok.error().message();
  ASSERT_FALSE(gps.requests().empty());
  EXPECT_EQ(gps.requests().back(), "$PMTK220,1000*1F");
}

}  // namespace
}  // namespace gw::test
