// A modbus-rtu link with `instruments:` (a mixed RS-485 bus): what loads, and what is refused
// with FILE:LINE:COL.
#include <gtest/gtest.h>

#include <string>

#include "config/links_section.hpp"
#include "load_helpers.hpp"

namespace gw::config {
namespace {

namespace mb = adapters::modbus;
namespace sr = adapters::serial;
using std::chrono::milliseconds;
using std::chrono::seconds;
using test::errors;
using test::load;

// A modbus-rtu link `bus` on /dev/ttyUSB0 with slave `meter` (lines 1..9) and then `instrument`,
// the lines of one entry of instruments: from line 11 on (each starting "        ").
std::string mixed(const std::string& instrument, const std::string& serial_extra = "") {
  return "links:\n"
         "  - name: bus\n"
         "    type: modbus-rtu\n"
         "    serial: {device: /dev/ttyUSB0, baud: 19200, parity: even" + serial_extra + "}\n"
         "    turnaround_delay: 5ms\n"
         "    devices:\n"
         "      - name: meter\n"
         "        unit_id: 3\n"
         "        points: [{name: v, table: holding, address: 0, type: uint16}]\n"
         "    instruments:\n"
         "      - name: scale\n" +
         instrument;
}

const std::string kScale =
    "        patterns: [{name: w, regex: '^(?<w>[0-9.]+) kg$', points: [{name: w}]}]\n"
    "        requests: [{send: \"W\\r\", interval: 2s}]\n";

TEST(MixedBusSection, LoadsAnInstrumentOnTheBusWithTheBusPortAndItsBackoff) {
  auto r = load(mixed(kScale + "        backoff: {initial: 3s, max: 90s}\n"
                               "        response_timeout: 150ms\n"));
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.report, "");
  ASSERT_EQ(r.config->links.size(), 1u);
  EXPECT_TRUE(r.config->instruments.empty());  // not a link of its own
  const mb::LinkOptions& l = r.config->links[0];
  ASSERT_EQ(l.instruments.size(), 1u);
  const mb::BusInstrumentOptions& bi = l.instruments[0];
  EXPECT_EQ(bi.backoff_initial, seconds(3));
  EXPECT_EQ(bi.backoff_max, seconds(90));
  const sr::InstrumentOptions& o = bi.instrument;
  EXPECT_EQ(o.name, "scale");
  EXPECT_EQ(o.link, "bus");
  EXPECT_EQ(o.port.device, "/dev/ttyUSB0");
  EXPECT_EQ(o.port.baud, 19200u);
  EXPECT_EQ(o.port.parity, sr::Parity::Even);
  EXPECT_EQ(o.response_timeout, milliseconds(150));
  EXPECT_EQ(o.turnaround_delay, milliseconds(5));
  ASSERT_EQ(o.requests.size(), 1u);
  EXPECT_EQ(o.requests[0].send, "W\r");
  EXPECT_EQ(o.requests[0].interval, seconds(2));
}

TEST(MixedBusSection, RefusesAStreamingInstrumentOnTheBus) {
  EXPECT_EQ(errors(mixed(kScale + "        streaming: true\n")),
            "t.yaml:14:20: error: links[0].instruments[0].streaming: a streaming instrument "
            "cannot share a half-duplex RS-485 bus (it would talk over the master's requests); "
            "give it a port of its own with type: serial\n");
}

TEST(MixedBusSection, RefusesPortKeysOnAnInstrumentOfTheBus) {
  EXPECT_EQ(errors(mixed(kScale + "        serial: {device: /dev/ttyUSB1}\n")),
            "t.yaml:14:9: error: links[0].instruments[0].serial: unknown key\n");
}

TEST(MixedBusSection, ReportsInstrumentProblemsWhereTheyAreWritten) {
  EXPECT_EQ(errors(mixed("        patterns: [{name: w, regex: '^(?<w>[0-9.]+$', points: [{name: "
                         "w}]}]\n        requests: [{send: \"W\\r\"}]\n")),
            "t.yaml:12:37: error: links[0].instruments[0].patterns[0].regex: does not compile: "
            "missing closing parenthesis at offset 14\n");
}

TEST(MixedBusSection, RefusesRtsSwitchingWithInstrumentsOnTheBus) {
  EXPECT_EQ(errors(mixed(kScale, ", rts: up")),
            "t.yaml:4:68: error: links[0].serial.rts: RTS switching by the gateway is for Modbus "
            "frames only; with instruments on the bus use rs485: true (the kernel drives the "
            "transceiver) or a transceiver with automatic direction control\n");
}

TEST(MixedBusSection, RefusesInstrumentsOnALinkWithoutASerialPort) {
  EXPECT_EQ(errors("links:\n"
                   "  - name: plc\n"
                   "    type: modbus-tcp\n"
                   "    host: 10.0.0.5\n"
                   "    devices: [{name: m, points: [{name: v, table: holding, address: 0, type: "
                   "uint16}]}]\n"
                   "    instruments:\n"
                   "      - name: scale\n" +
                   kScale),
            "t.yaml:7:7: error: links[0].instruments: only for type modbus-rtu: serial "
            "instruments share the port of an RS-485 bus; a modbus-tcp link has none\n");
}

TEST(MixedBusSection, RefusesAnInstrumentNamedLikeADevice) {
  std::string yaml = mixed(kScale);
  yaml.replace(yaml.find("name: scale"), 11, "name: meter");
  EXPECT_EQ(errors(yaml),
            "t.yaml:11:15: error: links[0].instruments[0].name: 'meter' is already the name of "
            "links[0].devices[0]; device names are topic levels and must be unique in the "
            "gateway\n");
}

TEST(MixedBusSection, PointsASerialLinkOnTheBusPortToTheMixedForm) {
  const std::string yaml = "links:\n"
                           "  - name: bus\n"
                           "    type: modbus-rtu\n"
                           "    serial: {device: /dev/ttyUSB0}\n"
                           "    devices: [{name: m, points: [{name: v, table: holding, address: "
                           "0, type: uint16}]}]\n"
                           "  - name: scale\n"
                           "    type: serial\n"
                           "    serial: {device: /dev/ttyUSB0}\n"
                           "    patterns: [{name: w, regex: '^(?<w>[0-9]+)$', points: [{name: "
                           "w}]}]\n"
                           "    requests: [{send: \"W\\r\"}]\n";
  EXPECT_EQ(errors(yaml),
            "t.yaml:8:22: error: links[1].serial.device: /dev/ttyUSB0 is already the port of "
            "links[0] ('bus'); one port carries one link; to share an RS-485 bus with Modbus "
            "slaves, list the instrument under 'instruments:' of the modbus-rtu link\n");
}

}  // namespace
}  // namespace gw::config
