// `type: serial` links: a valid file loads into the expected InstrumentOptions, and bad ones give
// the exact report, validate()'s problems included, each at the key it concerns.
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config/serial_section.hpp"
#include "load_helpers.hpp"

namespace gw::config {
namespace {

namespace sr = adapters::serial;
using namespace std::chrono_literals;

TEST(SerialSection, LoadsAScaleAndAGpsWithEveryKindOfKey) {
  const auto r = test::load(
      "links:\n"
      "  - name: scale-port\n"
      "    type: serial\n"
      "    device: scale\n"
      "    serial: {device: /dev/ttyUSB0, baud: 19200, parity: even, flow_control: rtscts}\n"
      "    framing: {kind: start_end, start: 2, end: 3, trailer: 1, max_frame: 64}\n"
      "    checksum: {kind: xor, encoding: binary, skip_leading: 1}\n"
      "    response_timeout: 300ms\n"
      "    reconnect: {initial: 100ms, max: 2s}\n"
      "    reopen_after_failures: 5\n"
      "    patterns:\n"
      "      - name: weight\n"
      "        regex: '^\\x02 *(?<w>-?[0-9.]+)(?<s>[SD])\\x03'\n"
      "        points:\n"
      "          - {name: weight, capture: w, decimals: 2, unit: kg, min_interval: 1s}\n"
      "          - {name: stable, capture: s, type: bool, true_values: [S], false_values: [D]}\n"
      "    requests:\n"
      "      - {send: \"\\x05W\\r\", interval: 500ms, timeout: 200ms, expect: [weight]}\n"
      "    commands:\n"
      "      - {point: tare, send: \"T{value:.2f}\\r\", reply: '^OK', min: 0, max: 5}\n"
      "  - name: gps\n"
      "    type: serial\n"
      "    serial: {device: /dev/ttyS1, baud: 4800}\n"
      "    checksum: {kind: nmea}\n"
      "    streaming: true\n"
      "    stream_timeout: 3s\n"
      "    patterns:\n"
      "      - {name: gga, regex: '^\\$GPGGA,[^,]*,(?<lat>[0-9.]*)', points: [{name: lat}]}\n");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.report, "");
  const Config& c = *r.config;
  EXPECT_TRUE(c.links.empty());
  ASSERT_EQ(c.instruments.size(), 2U);

  sr::InstrumentOptions want;
  want.link = "scale-port";
  want.name = "scale";
  want.port = {.device = "/dev/ttyUSB0", .baud = 19200, .parity = sr::Parity::Even,
               .flow_control = sr::FlowControl::RtsCts};
  want.framing.kind = sr::FramingKind::StartEnd;
  want.framing.start = 2;
  want.framing.end = 3;
  want.framing.trailer = 1;
  want.framing.max_frame = 64;
  want.checksum = {.kind = sr::ChecksumKind::Xor, .encoding = sr::ChecksumEncoding::Binary,
                   .skip_leading = 1};
  want.response_timeout = 300ms;
  want.reconnect_initial = 100ms;
  want.reconnect_max = 2s;
  want.reopen_after_failures = 5;
  sr::PatternOptions weight{.name = "weight", .regex = "^\\x02 *(?<w>-?[0-9.]+)(?<s>[SD])\\x03"};
  sr::PointOptions w{.name = "weight", .capture = "w", .decimals = 2, .unit = "kg"};
  w.min_interval = 1s;
  sr::PointOptions s{.name = "stable", .capture = "s", .type = sr::ValueType::Bool};
  s.true_values = {"S"};
  s.false_values = {"D"};
  weight.points = {w, s};
  want.patterns = {weight};
  want.requests = {{.send = std::string("\x05W\r"), .interval = 500ms, .timeout = 200ms,
                    .expect = {"weight"}}};
  want.commands = {{.point = "tare", .send = "T{value:.2f}\r", .reply = "^OK", .min = 0.0,
                    .max = 5.0}};
  EXPECT_EQ(c.instruments[0], want);

  const sr::InstrumentOptions& gps = c.instruments[1];
  EXPECT_EQ(gps.link, "gps");
  EXPECT_EQ(gps.name, "gps");  // named after its link
  EXPECT_TRUE(gps.streaming);
  EXPECT_EQ(gps.stream_timeout, 3s);
  EXPECT_EQ(gps.checksum.kind, sr::ChecksumKind::Nmea);
  EXPECT_EQ(gps.framing.delimiter, "\r\n");  // the default
  EXPECT_EQ(summary(c),
            "config OK: gateway 'edge-gateway', 1 listener (127.0.0.1:1883), 2 links, 2 devices, "
            "3 points");
}

TEST(SerialSection, ByteStringsTakeEachCharacterAsOneByte) {
  const auto r = test::load(
      "links:\n"
      "  - name: a\n"
      "    type: serial\n"
      "    serial: {device: /dev/ttyUSB0}\n"
      "    framing: {delimiter: \"\\xFF\\0\"}\n"
      "    streaming: true\n"
      "    patterns: [{name: p, regex: 'x(?<v>[0-9])', points: [{name: v}]}]\n");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.config->instruments[0].framing.delimiter, std::string("\xFF\0", 2));
}

TEST(SerialSection, MapsValidatePathsToTheFileKeys) {
  EXPECT_EQ(yaml_path("port.baud"), "serial.baud");
  EXPECT_EQ(yaml_path("patterns[1].points[0].capture"), "patterns[1].points[0].capture");
  EXPECT_EQ(yaml_path("reconnect_max"), "reconnect.max");
  EXPECT_EQ(yaml_path("name"), "device");
  EXPECT_EQ(yaml_path("mode"), "");
}

struct BadFile {
  const char* name;
  const char* yaml;
  const char* report;  // Diagnostics::format() for a file named t.yaml
};

void PrintTo(const BadFile& f, std::ostream* os) { *os << f.name; }

// One instrument that loads, to break one key at a time: "links:\n  - name: s\n    type: serial\n"
#define GW_SERIAL_HEAD "links:\n  - name: s\n    type: serial\n"
#define GW_SERIAL_PORT "    serial: {device: /dev/ttyUSB0}\n"

// clang-format off
const BadFile kBadFiles[] = {
    {"UnknownKeyWithSuggestion",
     GW_SERIAL_HEAD GW_SERIAL_PORT "    streming: true\n",
     "t.yaml:5:5: error: links[0].streming: unknown key; did you mean 'streaming'?\n"},
    {"TypeMisspelled",
     "links:\n  - name: s\n    type: serail\n" GW_SERIAL_PORT,
     "t.yaml:2:5: error: links[0]: missing required key 'devices'\n"
     "t.yaml:3:11: error: links[0].type: 'serail' is not one of modbus-tcp, modbus-rtu, modbus-rtu-over-tcp, serial; did you mean 'serial'?\n"},
    {"RegexDoesNotCompile",
     GW_SERIAL_HEAD GW_SERIAL_PORT "    streaming: true\n    patterns:\n      - {name: p, regex: '^(?<v>[0-9]+$', points: [{name: v}]}\n",
     "t.yaml:7:26: error: links[0].patterns[0].regex: does not compile: missing closing parenthesis at offset 13\n"},
    {"CaptureIsNotAGroup",
     GW_SERIAL_HEAD GW_SERIAL_PORT "    streaming: true\n    patterns:\n      - name: p\n        regex: '^(?<v>[0-9]+)$'\n        points:\n          - {name: w, capture: weight}\n",
     "t.yaml:10:32: error: links[0].patterns[0].points[0].capture: the pattern has no (single) named group 'weight'\n"},
    {"ExpectNamesNoPattern",
     GW_SERIAL_HEAD GW_SERIAL_PORT "    patterns: [{name: p, regex: '^(?<v>[0-9]+)$', points: [{name: v}]}]\n    requests: [{send: \"W\\r\", expect: [q]}]\n",
     "t.yaml:6:39: error: links[0].requests[0].expect[0]: no pattern is named 'q'\n"},
    {"NoModeAtAll",
     GW_SERIAL_HEAD GW_SERIAL_PORT "    patterns: [{name: p, regex: '^(?<v>[0-9]+)$', points: [{name: v}]}]\n",
     "t.yaml:2:5: error: links[0]: an instrument needs streaming, requests or commands\n"},
    {"BaudNotStandard",
     GW_SERIAL_HEAD "    serial: {device: /dev/ttyUSB0, baud: 12345}\n    streaming: true\n    patterns: [{name: p, regex: '^(?<v>[0-9]+)$', points: [{name: v}]}]\n",
     "t.yaml:4:42: error: links[0].serial.baud: 12345 is not a standard rate (1200, 9600, 19200, 115200, ...)\n"},
    {"TemplateWithUnknownPlaceholder",
     GW_SERIAL_HEAD GW_SERIAL_PORT "    commands: [{point: sp, send: \"S{val}\\r\", reply: '^OK'}]\n",
     "t.yaml:5:34: error: links[0].commands[0].send: unknown placeholder (only {value} and {checksum} are known) at offset 1\n"},
    {"DelimiterAboveLatin1",
     GW_SERIAL_HEAD GW_SERIAL_PORT "    framing: {delimiter: \"\\u20AC\"}\n    streaming: true\n    patterns: [{name: p, regex: '^(?<v>[0-9]+)$', points: [{name: v}]}]\n",
     "t.yaml:5:26: error: links[0].framing.delimiter: holds a character above U+00FF; a byte string takes bytes 0..255, written as \"\\xNN\" in a double-quoted string\n"},
    {"FramingKindMisspelled",
     GW_SERIAL_HEAD GW_SERIAL_PORT "    framing: {kind: delimeter}\n    streaming: true\n    patterns: [{name: p, regex: '^(?<v>[0-9]+)$', points: [{name: v}]}]\n",
     "t.yaml:5:21: error: links[0].framing.kind: 'delimeter' is not one of delimiter, start_end, fixed_length, length_byte, silence; did you mean 'delimiter'?\n"},
    {"DeviceNameOfAModbusDevice",
     "links:\n  - name: plc\n    type: modbus-tcp\n    host: 10.0.0.1\n    devices:\n      - name: scale\n        points: [{name: a, table: holding, address: 0, type: int16}]\n  - name: s\n    type: serial\n    device: scale\n" GW_SERIAL_PORT "    streaming: true\n    patterns: [{name: p, regex: '^(?<v>[0-9]+)$', points: [{name: v}]}]\n",
     "t.yaml:10:13: error: links[1].device: 'scale' is already the name of links[0].devices[0]; device names are topic levels and must be unique in the gateway\n"},
    {"PortOfAModbusRtuLinkAndLinkNameTwice",
     "links:\n  - name: s\n    type: modbus-rtu\n    serial: {device: /dev/ttyUSB0}\n    devices:\n      - name: meter\n        points: [{name: a, table: holding, address: 0, type: int16}]\n  - name: s\n    type: serial\n" GW_SERIAL_PORT "    streaming: true\n    patterns: [{name: p, regex: '^(?<v>[0-9]+)$', points: [{name: v}]}]\n",
     "t.yaml:8:11: error: links[1].name: 's' is already the name of links[0]\n"
     "t.yaml:10:22: error: links[1].serial.device: /dev/ttyUSB0 is already the port of links[0] ('s'); one port carries one link, and a streaming instrument cannot share an RS-485 bus: it needs a port of its own\n"},
    {"ModbusKeyOnASerialLink",
     GW_SERIAL_HEAD GW_SERIAL_PORT "    host: 10.0.0.1\n    streaming: true\n    patterns: [{name: p, regex: '^(?<v>[0-9]+)$', points: [{name: v}]}]\n",
     "t.yaml:5:5: error: links[0].host: unknown key\n"},
};
// clang-format on

class SerialBadFiles : public ::testing::TestWithParam<BadFile> {};

TEST_P(SerialBadFiles, ReportExactly) {
  const BadFile& f = GetParam();
  Diagnostics diag("t.yaml");
  EXPECT_FALSE(load_string(f.yaml, diag));
  EXPECT_EQ(diag.format(), f.report) << f.yaml;
}

INSTANTIATE_TEST_SUITE_P(Config, SerialBadFiles, ::testing::ValuesIn(kBadFiles),
                         [](const auto& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace gw::config
