#include "config/links_section.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "load_helpers.hpp"
#include "schema_validator.hpp"

namespace gw::config {
namespace {

namespace mb = adapters::modbus;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using test::errors;
using test::load;

// One modbus-tcp link `line1` with one device `boiler`. `points` are the lines of its points,
// from line 8 on; `device` adds keys to the device and `link` to the link, after the points.
std::string tcp(const std::string& points, const std::string& device = "",
                const std::string& link = "") {
  return "links:\n"
         "  - name: line1\n"
         "    type: modbus-tcp\n"
         "    host: 10.0.0.5\n"
         "    devices:\n"
         "      - name: boiler\n"
         "        points:\n" +
         points + device + link;
}

// A point line for tcp(): `- {<keys>}`, the mapping starting at column 13.
std::string point(const std::string& keys) { return "          - {" + keys + "}\n"; }

const std::string kPoint = point("name: t, table: holding, address: 0, type: uint16");

// The only point of the only device of a config that must load.
mb::PointOptions only_point(const std::string& keys, const std::string& device = "") {
  auto r = load(tcp(point(keys), device));
  EXPECT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.report, "");
  if (!r.config) return {};
  return r.config->links.at(0).devices.at(0).points.at(0);
}

// --- the minimal link, and every key ------------------------------------------------------------

TEST(LinksSection, CompletesTheMinimalLinkWithDefaults) {
  auto r = load(tcp(kPoint));
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.report, "");
  ASSERT_EQ(r.config->links.size(), 1u);
  const mb::LinkOptions& l = r.config->links[0];
  EXPECT_EQ(l.name, "line1");
  EXPECT_EQ(l.kind, mb::LinkKind::Tcp);
  EXPECT_EQ(l.host, "10.0.0.5");
  EXPECT_EQ(l.port, 502);
  EXPECT_EQ(l.response_timeout, seconds(1));
  EXPECT_EQ(l.turnaround_delay, milliseconds(0));
  EXPECT_EQ(l.reconnect_initial, milliseconds(500));
  EXPECT_EQ(l.reconnect_max, seconds(30));
  EXPECT_EQ(l.serial.device, "");
  ASSERT_EQ(l.devices.size(), 1u);
  const mb::DeviceOptions& d = l.devices[0];
  EXPECT_EQ(d.name, "boiler");
  EXPECT_EQ(d.unit_id, 1);
  EXPECT_EQ(d.byte_order, mb::ByteOrder::ABCD);
  EXPECT_EQ(d.poll_interval, seconds(1));
  EXPECT_EQ(d.heartbeat, minutes(1));
  EXPECT_EQ(d.max_registers_per_read, 125);
  EXPECT_EQ(d.max_bits_per_read, 2000);
  EXPECT_EQ(d.max_gap, 10);
  EXPECT_FALSE(d.supports_fc23);
  EXPECT_FALSE(d.write_multiple);
  EXPECT_EQ(d.backoff_initial, seconds(1));
  EXPECT_EQ(d.backoff_max, minutes(1));
  ASSERT_EQ(d.points.size(), 1u);
  const mb::PointOptions& p = d.points[0];
  EXPECT_EQ(p.name, "t");
  EXPECT_EQ(p.table, mb::Table::HoldingRegister);
  EXPECT_EQ(p.address, 0);
  EXPECT_EQ(p.type, mb::DataType::Uint16);
  EXPECT_EQ(p.byte_order, std::nullopt);
  EXPECT_EQ(p.scale, 1.0);
  EXPECT_EQ(p.offset, 0.0);
  EXPECT_EQ(p.decimals, std::nullopt);
  EXPECT_EQ(p.unit, "");
  EXPECT_EQ(p.deadband, 0.0);
  EXPECT_FALSE(p.deadband_percent);
  EXPECT_EQ(p.heartbeat, std::nullopt);
  EXPECT_EQ(p.min_interval, milliseconds(0));
  EXPECT_EQ(p.poll_interval, std::nullopt);
  EXPECT_FALSE(p.writable);
  EXPECT_EQ(p.min, std::nullopt);
  EXPECT_EQ(p.max, std::nullopt);
}

TEST(LinksSection, HasNoLinksByDefault) {
  auto r = load("gateway: {id: a}\n");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_TRUE(r.config->links.empty());
  auto empty = load("links: []\n");
  ASSERT_TRUE(empty.config) << empty.report;
  EXPECT_TRUE(empty.config->links.empty());
}

TEST(LinksSection, ParsesEveryKey) {
  auto r = load(R"(links:
  - name: line1
    type: modbus-tcp
    host: plc-1.plant.local
    port: 1502
    response_timeout: 2s
    turnaround_delay: 20ms
    reconnect: {initial: 1s, max: 1m}
    devices:
      - name: boiler
        unit_id: 17
        byte_order: CDAB
        address_base: 0
        poll_interval: 250ms
        heartbeat: 10m
        max_registers_per_read: 60
        max_bits_per_read: 800
        max_gap: 0
        supports_fc23: true
        write_multiple: true
        backoff: {initial: 2s, max: 5m}
        points:
          - {name: temperature, table: holding, address: 4, type: float32, unit: "°C", scale: 0.5, offset: -40, decimals: 1, deadband: 0.1, deadband_percent: true, heartbeat: 30s, min_interval: 100ms, poll_interval: 500ms, byte_order: DCBA}
          - {name: setpoint, table: holding, address: 10, type: int16, writable: true, min: -20.5, max: 1e2}
  - name: bus1
    type: modbus-rtu
    serial: {device: /dev/ttyUSB0, baud: 19200, parity: even, data_bits: 7, stop_bits: 2, rs485: true, rts: up, rts_delay: 2ms}
    devices:
      - name: drive
        points:
          - {name: speed, table: input, address: 0, type: uint16}
)");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.report, "");
  ASSERT_EQ(r.config->links.size(), 2u);
  const mb::LinkOptions& l = r.config->links[0];
  EXPECT_EQ(l.host, "plc-1.plant.local");
  EXPECT_EQ(l.port, 1502);
  EXPECT_EQ(l.response_timeout, seconds(2));
  EXPECT_EQ(l.turnaround_delay, milliseconds(20));
  EXPECT_EQ(l.reconnect_initial, seconds(1));
  EXPECT_EQ(l.reconnect_max, minutes(1));
  // Not a key: where the link keeps the read splits it learns, in gateway.data_dir.
  EXPECT_EQ(l.learned_splits, "/var/lib/edge-gateway/modbus-line1.splits");
  EXPECT_EQ(r.config->links[1].learned_splits, "/var/lib/edge-gateway/modbus-bus1.splits");
  const mb::DeviceOptions& d = l.devices.at(0);
  EXPECT_EQ(d.unit_id, 17);
  EXPECT_EQ(d.byte_order, mb::ByteOrder::CDAB);
  EXPECT_EQ(d.poll_interval, milliseconds(250));
  EXPECT_EQ(d.heartbeat, minutes(10));
  EXPECT_EQ(d.max_registers_per_read, 60);
  EXPECT_EQ(d.max_bits_per_read, 800);
  EXPECT_EQ(d.max_gap, 0);
  EXPECT_TRUE(d.supports_fc23);
  EXPECT_TRUE(d.write_multiple);
  EXPECT_EQ(d.backoff_initial, seconds(2));
  EXPECT_EQ(d.backoff_max, minutes(5));
  const mb::PointOptions& p = d.points.at(0);
  EXPECT_EQ(p.address, 4);
  EXPECT_EQ(p.type, mb::DataType::Float32);
  EXPECT_EQ(p.unit, "°C");
  EXPECT_EQ(p.scale, 0.5);
  EXPECT_EQ(p.offset, -40.0);
  EXPECT_EQ(p.decimals, 1);
  EXPECT_EQ(p.deadband, 0.1);
  EXPECT_TRUE(p.deadband_percent);
  EXPECT_EQ(p.heartbeat, seconds(30));
  EXPECT_EQ(p.min_interval, milliseconds(100));
  EXPECT_EQ(p.poll_interval, milliseconds(500));
  EXPECT_EQ(p.byte_order, mb::ByteOrder::DCBA);
  const mb::PointOptions& w = d.points.at(1);
  EXPECT_TRUE(w.writable);
  EXPECT_EQ(w.min, -20.5);
  EXPECT_EQ(w.max, 100.0);
  const mb::LinkOptions& rtu = r.config->links[1];
  EXPECT_EQ(rtu.kind, mb::LinkKind::Rtu);
  EXPECT_EQ(rtu.serial.device, "/dev/ttyUSB0");
  EXPECT_EQ(rtu.serial.baud, 19200u);
  EXPECT_EQ(rtu.serial.parity, mb::Parity::Even);
  EXPECT_EQ(rtu.serial.data_bits, 7);
  EXPECT_EQ(rtu.serial.stop_bits, 2);
  EXPECT_TRUE(rtu.serial.rs485);
  EXPECT_EQ(rtu.serial.rts, mb::SerialOptions::Rts::Up);
  EXPECT_EQ(rtu.serial.rts_delay, std::chrono::microseconds(2000));
}

TEST(LinksSection, AcceptsRtuOverTcpWithAHost) {
  auto r = load(
      "links:\n  - {name: gw, type: modbus-rtu-over-tcp, host: 10.0.0.9, port: 4001, "
      "devices: [{name: d, points: [{name: p, table: coil, address: 0, type: bool}]}]}\n");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.config->links[0].kind, mb::LinkKind::RtuOverTcp);
  EXPECT_EQ(r.config->links[0].port, 4001);
}

TEST(LinksSection, AcceptsEveryDataTypeOnATableItFits) {
  const std::pair<const char*, mb::DataType> types[] = {
      {"bit", mb::DataType::Bit},         {"int16", mb::DataType::Int16},
      {"uint16", mb::DataType::Uint16},   {"int32", mb::DataType::Int32},
      {"uint32", mb::DataType::Uint32},   {"int64", mb::DataType::Int64},
      {"uint64", mb::DataType::Uint64},   {"float32", mb::DataType::Float32},
      {"float64", mb::DataType::Float64}, {"string", mb::DataType::String},
      {"bcd16", mb::DataType::Bcd16},     {"bcd32", mb::DataType::Bcd32},
  };
  for (const auto& [word, type] : types) {
    SCOPED_TRACE(word);
    std::string keys = std::string("name: p, table: input, address: 0, type: ") + word;
    if (type == mb::DataType::Bit) keys += ", bit: 15";
    if (type == mb::DataType::String) keys += ", length: 123";
    EXPECT_EQ(only_point(keys).type, type);
  }
  EXPECT_EQ(only_point("name: p, table: coil, address: 0, type: bool").type, mb::DataType::Bool);
  EXPECT_EQ(only_point("name: p, table: discrete_input, address: 0, type: bool").table,
            mb::Table::DiscreteInput);
}

TEST(LinksSection, AcceptsTheByteOrderAliasesOf64BitValues) {
  const std::pair<const char*, mb::ByteOrder> orders[] = {
      {"ABCD", mb::ByteOrder::ABCD},     {"BADC", mb::ByteOrder::BADC},
      {"CDAB", mb::ByteOrder::CDAB},     {"DCBA", mb::ByteOrder::DCBA},
      {"ABCDEFGH", mb::ByteOrder::ABCD}, {"BADCFEHG", mb::ByteOrder::BADC},
      {"GHEFCDAB", mb::ByteOrder::CDAB}, {"HGFEDCBA", mb::ByteOrder::DCBA},
  };
  for (const auto& [word, order] : orders) {
    SCOPED_TRACE(word);
    auto r = load(tcp(kPoint, std::string("        byte_order: ") + word + "\n"));
    ASSERT_TRUE(r.config) << r.report;
    EXPECT_EQ(r.config->links[0].devices[0].byte_order, order);
    EXPECT_EQ(only_point(std::string("name: p, table: holding, address: 0, type: uint64, "
                                     "byte_order: ") +
                         word)
                  .byte_order,
              order);
  }
  EXPECT_EQ(errors(tcp(kPoint, "        byte_order: ABDC\n")),
            "t.yaml:9:21: error: links[0].devices[0].byte_order: 'ABDC' is not one of ABCD, BADC, "
            "CDAB, DCBA, ABCDEFGH, BADCFEHG, GHEFCDAB, HGFEDCBA; did you mean 'ABCD'?\n");
}

TEST(LinksSection, SummaryCountsLinksDevicesAndPoints) {
  auto r = load("gateway: {id: plant-1}\n" +
                tcp(kPoint + point("name: u, table: holding, address: 1, type: uint16"),
                    "      - name: meter\n        points:\n" + kPoint));
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(
      summary(*r.config),
      "config OK: gateway 'plant-1', 1 listener (127.0.0.1:1883), 1 link, 2 devices, 3 points");
  r.config->links.push_back(r.config->links[0]);
  EXPECT_EQ(
      summary(*r.config),
      "config OK: gateway 'plant-1', 1 listener (127.0.0.1:1883), 2 links, 4 devices, 6 points");
}

// --- Modicon references and address_base ---------------------------------------------------------

TEST(ModiconRef, ConvertsFiveAndSixDigitReferencesOfEachTable) {
  struct Case {
    const char* text;
    mb::Table table;
    std::uint16_t address;
  };
  const Case cases[] = {
      {"00001", mb::Table::Coil, 0},
      {"000001", mb::Table::Coil, 0},
      {"09999", mb::Table::Coil, 9998},
      {"065536", mb::Table::Coil, 65535},
      {"10001", mb::Table::DiscreteInput, 0},
      {"100017", mb::Table::DiscreteInput, 16},
      {"30001", mb::Table::InputRegister, 0},
      {"300010", mb::Table::InputRegister, 9},
      {"40001", mb::Table::HoldingRegister, 0},
      {"400001", mb::Table::HoldingRegister, 0},
      {"40011", mb::Table::HoldingRegister, 10},
      {"49999", mb::Table::HoldingRegister, 9998},
      {"410000", mb::Table::HoldingRegister, 9999},
      {"465536", mb::Table::HoldingRegister, 65535},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    std::string error;
    const auto ref = parse_modicon_ref(c.text, error);
    ASSERT_TRUE(ref) << error;
    EXPECT_EQ(*ref, (ModiconRef{c.table, c.address}));
  }
}

TEST(ModiconRef, RejectsABadTableDigitALengthOtherThanFiveOrSixAndRegisterZero) {
  std::string error;
  EXPECT_FALSE(parse_modicon_ref("200001", error));
  EXPECT_EQ(error,
            "'200001': leading digit 2 is not a table (0 coil, 1 discrete input, 3 input "
            "register, 4 holding register)");
  EXPECT_FALSE(parse_modicon_ref("40000", error));
  EXPECT_EQ(error, "'40000': register 0000 out of range 1..9999 (5-digit references count from 1)");
  EXPECT_FALSE(parse_modicon_ref("400000", error));
  EXPECT_EQ(error,
            "'400000': register 00000 out of range 1..65536 (6-digit references count from 1)");
  EXPECT_FALSE(parse_modicon_ref("465537", error));
  EXPECT_EQ(error,
            "'465537': register 65537 out of range 1..65536 (6-digit references count from 1)");
  for (const char* text : {"4001", "4000001", "4000a", "-40001", "", "40 01"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(parse_modicon_ref(text, error));
    EXPECT_EQ(error, "'" + std::string(text) +
                         "' is not a Modicon reference; use 5 or 6 digits, the first naming the "
                         "table (0 coil, 1 discrete input, 3 input register, 4 holding register): "
                         "40001 or 400001 is holding register 1");
  }
}

TEST(ModiconRef, FormatsSixDigitReferences) {
  EXPECT_EQ(format_modicon_ref(mb::Table::HoldingRegister, 10), "400011");
  EXPECT_EQ(format_modicon_ref(mb::Table::Coil, 0), "000001");
  EXPECT_EQ(format_modicon_ref(mb::Table::DiscreteInput, 65535), "165536");
  EXPECT_EQ(format_modicon_ref(mb::Table::InputRegister, 99), "300100");
}

TEST(LinksSection, SetsTableAndAddressFromARef) {
  const auto p = only_point("name: alarm, ref: 400011, type: bit, bit: 3");
  EXPECT_EQ(p.table, mb::Table::HoldingRegister);
  EXPECT_EQ(p.address, 10);
  EXPECT_EQ(p.bit, 3);
  const auto coil = only_point("name: run, ref: 00001, type: bool");
  EXPECT_EQ(coil.table, mb::Table::Coil);
  EXPECT_EQ(coil.address, 0);
  EXPECT_EQ(only_point("name: a, ref: 30001, type: int16").table, mb::Table::InputRegister);
  EXPECT_EQ(only_point("name: a, ref: 100002, type: bool").address, 1);
}

TEST(LinksSection, ReportsABadRefAtItsValue) {
  EXPECT_EQ(errors(tcp(point("name: a, ref: 200001, type: uint16"))),
            "t.yaml:8:28: error: links[0].devices[0].points[0].ref: '200001': leading digit 2 is "
            "not a table (0 coil, 1 discrete input, 3 input register, 4 holding register)\n");
  EXPECT_EQ(errors(tcp(point("name: a, ref: 465537, type: uint16"))),
            "t.yaml:8:28: error: links[0].devices[0].points[0].ref: '465537': register 65537 out "
            "of range 1..65536 (6-digit references count from 1)\n");
}

TEST(LinksSection, RefusesARefTogetherWithATableOrAnAddress) {
  EXPECT_EQ(errors(tcp(point("name: a, ref: 400001, address: 0, type: uint16"))),
            "t.yaml:8:45: error: links[0].devices[0].points[0].address: cannot be combined with "
            "'ref', which gives the table and the address\n");
  EXPECT_EQ(errors(tcp(point("name: a, ref: 400001, table: holding, type: uint16"))),
            "t.yaml:8:43: error: links[0].devices[0].points[0].table: cannot be combined with "
            "'ref', which gives the table and the address\n");
}

TEST(LinksSection, NeedsARefOrATableAndAnAddress) {
  EXPECT_EQ(errors(tcp(point("name: a, type: uint16"))),
            "t.yaml:8:13: error: links[0].devices[0].points[0]: missing required key 'ref', or "
            "'table' and 'address'\n");
  EXPECT_EQ(errors(tcp(point("name: a, address: 3, type: uint16"))),
            "t.yaml:8:13: error: links[0].devices[0].points[0]: missing required key 'table' "
            "(with 'address'; or 'ref' alone)\n");
  EXPECT_EQ(errors(tcp(point("name: a, table: input, type: uint16"))),
            "t.yaml:8:13: error: links[0].devices[0].points[0]: missing required key 'address' "
            "(with 'table'; or 'ref' alone)\n");
}

TEST(LinksSection, CountsAddressesFromOneWithAddressBaseOne) {
  const std::string base1 = "        address_base: 1\n";
  EXPECT_EQ(only_point("name: a, table: holding, address: 1, type: uint16", base1).address, 0);
  EXPECT_EQ(only_point("name: a, table: coil, address: 65536, type: bool", base1).address, 65535);
  // A Modicon reference is its own notation: address_base does not shift it.
  EXPECT_EQ(only_point("name: a, ref: 400001, type: uint16", base1).address, 0);
  EXPECT_EQ(only_point("name: a, table: holding, address: 0, type: uint16").address, 0);
  EXPECT_EQ(errors(tcp(point("name: a, table: holding, address: 0, type: uint16"), base1)),
            "t.yaml:8:48: error: links[0].devices[0].points[0].address: 0 out of range 1..65536 "
            "(address_base is 1)\n");
  EXPECT_EQ(errors(tcp(point("name: a, table: holding, address: 65536, type: uint16"))),
            "t.yaml:8:48: error: links[0].devices[0].points[0].address: 65536 out of range "
            "0..65535 (address_base is 0)\n");
  EXPECT_EQ(errors(tcp(kPoint, "        address_base: 2\n")),
            "t.yaml:9:23: error: links[0].devices[0].address_base: 2 out of range 0..1\n");
}

// --- keys, types and ranges (the schema machinery) -----------------------------------------------

TEST(LinksSection, ReportsAnUnknownKeyWithASuggestionAtEveryLevel) {
  EXPECT_EQ(errors(tcp(point("name: a, table: holding, adress: 0, type: uint16"))),
            "t.yaml:8:39: error: links[0].devices[0].points[0].adress: unknown key; did you mean "
            "'address'?\n");
  EXPECT_EQ(
      errors(tcp(kPoint, "        unitid: 3\n")),
      "t.yaml:9:9: error: links[0].devices[0].unitid: unknown key; did you mean 'unit_id'?\n");
  EXPECT_EQ(errors(tcp(kPoint, "", "    response_timout: 1s\n")),
            "t.yaml:9:5: error: links[0].response_timout: unknown key; did you mean "
            "'response_timeout'?\n");
}

TEST(LinksSection, ReportsWrongTypesAndWords) {
  EXPECT_EQ(errors(tcp(point("name: a, table: holding_register, address: 0, type: uint16"))),
            "t.yaml:8:30: error: links[0].devices[0].points[0].table: 'holding_register' is not "
            "one of coil, discrete_input, holding, input; did you mean 'holding'?\n");
  EXPECT_EQ(errors(tcp(point("name: a, table: holding, address: 0, type: float"))),
            "t.yaml:8:57: error: links[0].devices[0].points[0].type: 'float' is not one of bool, "
            "bit, int16, uint16, int32, uint32, int64, uint64, float32, float64, string, bcd16, "
            "bcd32; did you mean 'float32'?\n");
  EXPECT_EQ(
      errors(tcp(point("name: a, table: holding, address: 0, type: uint16, scale: x"))),
      "t.yaml:8:72: error: links[0].devices[0].points[0].scale: expected a number, got 'x'\n");
  EXPECT_EQ(
      errors(tcp(kPoint, "        unit_id: one\n")),
      "t.yaml:9:18: error: links[0].devices[0].unit_id: expected an integer 0..255, got 'one'\n");
  EXPECT_EQ(errors("links:\n  - {name: a, type: modbus, host: h, devices: []}\n"),
            "t.yaml:2:21: error: links[0].type: 'modbus' is not one of modbus-tcp, modbus-rtu, "
            "modbus-rtu-over-tcp, serial; did you mean 'modbus-tcp'?\n"
            "t.yaml:2:47: error: links[0].devices: the list is empty; at least 1 device is "
            "required\n");
  EXPECT_EQ(errors("links: {name: a}\n"),
            "t.yaml:1:8: error: links: expected a list of links, got a mapping\n");
}

TEST(LinksSection, ReportsValuesOutOfRange) {
  struct Case {
    std::string yaml;
    std::string report;
  };
  const std::string p = "name: a, table: holding, address: 0, type: ";
  const Case cases[] = {
      {tcp(kPoint, "        unit_id: 256\n"),
       "t.yaml:9:18: error: links[0].devices[0].unit_id: 256 out of range 0..255\n"},
      {tcp(kPoint, "        max_registers_per_read: 126\n"),
       "t.yaml:9:33: error: links[0].devices[0].max_registers_per_read: 126 out of range 1..125\n"},
      {tcp(kPoint, "        max_bits_per_read: 2001\n"),
       "t.yaml:9:28: error: links[0].devices[0].max_bits_per_read: 2001 out of range 1..2000\n"},
      {tcp(kPoint, "        max_gap: 126\n"),
       "t.yaml:9:18: error: links[0].devices[0].max_gap: 126 out of range 0..125\n"},
      {tcp(kPoint, "        poll_interval: 2d\n"),
       "t.yaml:9:24: error: links[0].devices[0].poll_interval: 2d out of range 0..1d\n"},
      {tcp(point(p + "bit, bit: 16")),
       "t.yaml:8:67: error: links[0].devices[0].points[0].bit: 16 out of range 0..15\n"},
      {tcp(point(p + "string, length: 124")),
       "t.yaml:8:73: error: links[0].devices[0].points[0].length: 124 out of range 1..123\n"},
      {tcp(point(p + "string, length: 0")),
       "t.yaml:8:73: error: links[0].devices[0].points[0].length: 0 out of range 1..123\n"},
      {tcp(point(p + "int16, decimals: 16")),
       "t.yaml:8:74: error: links[0].devices[0].points[0].decimals: 16 out of range 0..15\n"},
      {tcp(point(p + "int16, deadband: -0.5")),
       "t.yaml:8:74: error: links[0].devices[0].points[0].deadband: -0.5 out of range >= 0\n"},
      {tcp(point(p + "int16, poll_interval: 25h")),
       "t.yaml:8:79: error: links[0].devices[0].points[0].poll_interval: 25h out of range "
       "0..1d\n"},
      {tcp(point(p + "int16, heartbeat: 0s")),
       "t.yaml:8:75: error: links[0].devices[0].points[0].heartbeat: 0s out of range 1ms..7d\n"},
      {tcp(point(p + "int16, min_interval: 0s")),
       "t.yaml:8:78: error: links[0].devices[0].points[0].min_interval: 0s out of range "
       "1ms..1d\n"},
      {tcp(kPoint, "", "    response_timeout: 0ms\n"),
       "t.yaml:9:23: error: links[0].response_timeout: 0ms out of range 1ms..1m\n"},
      {tcp(kPoint, "", "    port: 0\n"),
       "t.yaml:9:11: error: links[0].port: 0 out of range 1..65535\n"},
      {"links:\n  - name: bus\n    type: modbus-rtu\n    serial: {device: /dev/ttyS0, baud: 0, "
       "data_bits: 9, stop_bits: 3}\n    devices: [{name: d, points: [{name: p, table: coil, "
       "address: 0, type: bool}]}]\n",
       "t.yaml:4:40: error: links[0].serial.baud: 0 out of range 1..4000000\n"
       "t.yaml:4:54: error: links[0].serial.data_bits: 9 out of range 5..8\n"
       "t.yaml:4:68: error: links[0].serial.stop_bits: 3 out of range 1..2\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.yaml);
    EXPECT_EQ(errors(c.yaml), c.report);
  }
}

// --- poll_interval 0: as fast as possible --------------------------------------------------------

TEST(LinksSection, AcceptsPollIntervalZeroAsAsFastAsPossible) {
  for (const char* zero : {"0", "0ms", "0s", "\"0\""}) {
    SCOPED_TRACE(zero);
    auto r = load(tcp(kPoint, std::string("        poll_interval: ") + zero + "\n"));
    ASSERT_TRUE(r.config) << r.report;
    EXPECT_EQ(r.report, "");  // no heartbeat warning: polling at 0 meets any heartbeat
    EXPECT_EQ(r.config->links[0].devices[0].poll_interval, mb::kAsFastAsPossible);
  }
}

TEST(LinksSection, APointsPollIntervalZeroOverridesTheDevices) {
  const mb::PointOptions p =
      only_point("name: a, table: holding, address: 0, type: int16, poll_interval: 0",
                 "        poll_interval: 10s\n");
  EXPECT_EQ(p.poll_interval, std::optional(mb::kAsFastAsPossible));
  // And the other way round: a device at 0 with a point at 1s.
  const mb::PointOptions q =
      only_point("name: a, table: holding, address: 0, type: int16, poll_interval: 1s",
                 "        poll_interval: 0ms\n");
  EXPECT_EQ(q.poll_interval, std::optional(milliseconds(1000)));
  // The publish policy does not depend on the poll interval: its defaults are unchanged.
  EXPECT_EQ(p.min_interval, milliseconds(0));
  EXPECT_EQ(p.heartbeat, std::nullopt);
}

TEST(LinksSection, RejectsANegativeOrSubMillisecondPollIntervalWithItsPosition) {
  EXPECT_EQ(errors(tcp(kPoint, "        poll_interval: -1s\n")),
            "t.yaml:9:24: error: links[0].devices[0].poll_interval: '-1s': a poll interval "
            "cannot be negative; 0 polls as fast as possible\n");
  EXPECT_EQ(errors(tcp(point("name: a, table: holding, address: 0, type: int16, "
                             "poll_interval: -0"))),
            "t.yaml:8:79: error: links[0].devices[0].points[0].poll_interval: '-0': a poll "
            "interval cannot be negative; 0 polls as fast as possible\n");
  EXPECT_EQ(errors(tcp(kPoint, "        poll_interval: 500us\n")),
            "t.yaml:9:24: error: links[0].devices[0].poll_interval: '500us': poll intervals "
            "are whole milliseconds (ms, s, m, h, d); for more often than 1ms use 0, as fast as "
            "possible\n");
  EXPECT_EQ(errors(tcp(kPoint, "        poll_interval: 500\u00b5s\n")),
            "t.yaml:9:24: error: links[0].devices[0].poll_interval: '500\u00b5s': poll "
            "intervals are whole milliseconds (ms, s, m, h, d); for more often than 1ms use 0, as "
            "fast as possible\n");
  // Any other bare number keeps the duration rule: a unit is required.
  EXPECT_EQ(errors(tcp(kPoint, "        poll_interval: 10\n")),
            "t.yaml:9:24: error: links[0].devices[0].poll_interval: '10' has no unit; add one, "
            "like 250ms, 5s, 10m, 1h or 1d\n");
}

TEST(LinksSection, TheSchemaAcceptsPollIntervalZero) {
  const test::SchemaValidator v(test::Json::parse(json_schema()));
  for (const char* zero : {"0", "0ms", "250ms"}) {
    SCOPED_TRACE(zero);
    EXPECT_EQ(v.validate(test::to_json(YAML::Load(tcp(
                  point(std::string("name: a, table: holding, address: 0, type: int16, "
                                    "poll_interval: ") +
                        zero),
                  std::string("        poll_interval: ") + zero + "\n")))),
              std::vector<std::string>{});
  }
  for (const char* bad : {"1", "-1s", "500us"}) {
    SCOPED_TRACE(bad);
    EXPECT_NE(v.validate(test::to_json(YAML::Load(
                  tcp(kPoint, std::string("        poll_interval: ") + bad + "\n")))),
              std::vector<std::string>{});
  }
}

TEST(LinksSection, RejectsANumberThatIsNotFinite) {
  for (const char* v : {".inf", "nan", "1e999", "+1", "0x10"}) {
    SCOPED_TRACE(v);
    EXPECT_NE(errors(tcp(point(std::string("name: a, table: holding, address: 0, type: int16, "
                                           "offset: ") +
                               v))),
              "");
  }
  EXPECT_EQ(only_point("name: a, table: holding, address: 0, type: int16, offset: -1.5e-3").offset,
            -0.0015);
}

// --- required keys -------------------------------------------------------------------------------

TEST(LinksSection, ReportsMissingRequiredKeys) {
  EXPECT_EQ(errors("links:\n  - type: modbus-tcp\n    host: h\n    devices: [{name: d, points: "
                   "[{name: p, table: coil, address: 0, type: bool}]}]\n"),
            "t.yaml:2:5: error: links[0]: missing required key 'name'\n");
  EXPECT_EQ(errors("links:\n  - name: a\n    host: h\n    devices: [{name: d, points: "
                   "[{name: p, table: coil, address: 0, type: bool}]}]\n"),
            "t.yaml:2:5: error: links[0]: missing required key 'type'\n");
  EXPECT_EQ(errors("links:\n  - {name: a, type: modbus-tcp, host: h}\n"),
            "t.yaml:2:5: error: links[0]: missing required key 'devices'\n");
  EXPECT_EQ(errors("links:\n  - {name: a, type: modbus-tcp, devices: [{name: d, points: "
                   "[{name: p, table: coil, address: 0, type: bool}]}]}\n"),
            "t.yaml:2:5: error: links[0]: missing required key 'host' (type modbus-tcp)\n");
  EXPECT_EQ(errors("links:\n  - {name: a, type: modbus-rtu-over-tcp, devices: [{name: d, points: "
                   "[{name: p, table: coil, address: 0, type: bool}]}]}\n"),
            "t.yaml:2:5: error: links[0]: missing required key 'host' (type "
            "modbus-rtu-over-tcp)\n");
  EXPECT_EQ(errors("links:\n  - {name: a, type: modbus-rtu, devices: [{name: d, points: "
                   "[{name: p, table: coil, address: 0, type: bool}]}]}\n"),
            "t.yaml:2:5: error: links[0]: missing required key 'serial' (type modbus-rtu)\n");
  EXPECT_EQ(errors("links:\n  - {name: a, type: modbus-rtu, serial: {baud: 9600}, devices: "
                   "[{name: d, points: [{name: p, table: coil, address: 0, type: bool}]}]}\n"),
            "t.yaml:2:41: error: links[0].serial: missing required key 'device'\n");
  EXPECT_EQ(errors("links:\n  - {name: a, type: modbus-tcp, host: h, devices: [{points: "
                   "[{name: p, table: coil, address: 0, type: bool}]}]}\n"),
            "t.yaml:2:52: error: links[0].devices[0]: missing required key 'name'\n");
  EXPECT_EQ(errors("links:\n  - {name: a, type: modbus-tcp, host: h, devices: [{name: d}]}\n"),
            "t.yaml:2:52: error: links[0].devices[0]: missing required key 'points'\n");
  EXPECT_EQ(errors("links:\n  - {name: a, type: modbus-tcp, host: h, devices: [{name: d, "
                   "points: []}]}\n"),
            "t.yaml:2:70: error: links[0].devices[0].points: the list is empty; at least 1 point "
            "is required\n");
  EXPECT_EQ(errors(tcp(point("table: holding, address: 0, type: uint16"))),
            "t.yaml:8:13: error: links[0].devices[0].points[0]: missing required key 'name'\n");
  EXPECT_EQ(errors(tcp(point("name: a, table: holding, address: 0"))),
            "t.yaml:8:13: error: links[0].devices[0].points[0]: missing required key 'type'\n");
}

// --- names ---------------------------------------------------------------------------------------

TEST(LinksSection, RefusesANameThatIsNotOneTopicLevel) {
  EXPECT_EQ(errors(tcp(point("name: temp/1, table: holding, address: 0, type: uint16"))),
            "t.yaml:8:20: error: links[0].devices[0].points[0].name: 'temp/1' is not a valid "
            "identifier: use 1..64 of A-Z a-z 0-9 . _ -\n");
  EXPECT_EQ(errors("links:\n  - {name: 'line #1', type: modbus-tcp, host: h, devices: [{name: d, "
                   "points: [{name: p, table: coil, address: 0, type: bool}]}]}\n"),
            "t.yaml:2:12: error: links[0].name: 'line #1' is not a valid identifier: use 1..64 of "
            "A-Z a-z 0-9 . _ -\n");
}

TEST(LinksSection, RefusesTwoLinksWithOneName) {
  const std::string second =
      "  - {name: line1, type: modbus-tcp, host: h, devices: [{name: meter, points: [{name: p, "
      "table: coil, address: 0, type: bool}]}]}\n";
  EXPECT_EQ(errors(tcp(kPoint, "", second)),
            "t.yaml:9:12: error: links[1].name: 'line1' is already the name of links[0]\n");
}

TEST(LinksSection, RefusesTwoDevicesWithOneNameAnywhereInTheGateway) {
  const std::string second =
      "  - {name: line2, type: modbus-tcp, host: h, devices: [{name: boiler, points: [{name: p, "
      "table: coil, address: 0, type: bool}]}]}\n";
  EXPECT_EQ(errors(tcp(kPoint, "", second)),
            "t.yaml:9:63: error: links[1].devices[0].name: 'boiler' is already the name of "
            "links[0].devices[0]; device names are topic levels and must be unique in the "
            "gateway\n");
  EXPECT_EQ(
      errors(tcp(kPoint, "      - name: boiler\n        unit_id: 2\n        points:\n" + kPoint)),
      "t.yaml:9:15: error: links[0].devices[1].name: 'boiler' is already the name of "
      "links[0].devices[0]; device names are topic levels and must be unique in the "
      "gateway\n");
}

TEST(LinksSection, RefusesTwoPointsWithOneNameInADevice) {
  EXPECT_EQ(errors(tcp(kPoint + point("name: t, table: holding, address: 5, type: uint16"))),
            "t.yaml:9:20: error: links[0].devices[0].points[1].name: 't' is already the name of "
            "points[0]\n");
  // The same point name in another device is another topic.
  auto r = load(tcp(kPoint, "      - name: meter\n        points:\n" + kPoint));
  EXPECT_TRUE(r.config) << r.report;
}

TEST(LinksSection, RefusesTwoRtuLinksOnOneSerialPort) {
  const std::string bus =
      "    type: modbus-rtu\n    serial: {device: /dev/ttyUSB0}\n    devices: [{name: %, points: "
      "[{name: p, table: coil, address: 0, type: bool}]}]\n";
  auto link = [&](const std::string& name) {
    std::string b = bus;
    b.replace(b.find('%'), 1, name + "-dev");
    return "  - name: " + name + "\n" + b;
  };
  EXPECT_EQ(errors("links:\n" + link("bus1") + link("bus2")),
            "t.yaml:8:22: error: links[1].serial.device: /dev/ttyUSB0 is already the port of "
            "links[0] ('bus1'); the devices of one bus belong in one link, serial instruments "
            "under its 'instruments:'\n");
}

TEST(LinksSection, WarnsAboutTwoDevicesWithOneUnitIdOnALink) {
  auto r = load(tcp(kPoint, "      - name: meter\n        points:\n" + kPoint));
  EXPECT_TRUE(r.config);
  EXPECT_EQ(r.report,
            "t.yaml:9:9: warning: links[0].devices[1].unit_id: unit_id 1 is also the unit id of "
            "'boiler' (devices[0]) on this link\n");
}

// --- link types ----------------------------------------------------------------------------------

TEST(LinksSection, RefusesKeysOfAnotherLinkType) {
  EXPECT_EQ(errors(tcp(kPoint, "", "    serial: {device: /dev/ttyS0}\n")),
            "t.yaml:9:13: error: links[0].serial: only for type modbus-rtu; a modbus-tcp link "
            "connects to host and port\n");
  EXPECT_EQ(
      errors("links:\n  - name: bus\n    type: modbus-rtu\n    host: 10.0.0.1\n    port: "
             "502\n    serial: {device: /dev/ttyS0}\n    devices: [{name: d, points: [{name: "
             "p, table: coil, address: 0, type: bool}]}]\n"),
      "t.yaml:4:11: error: links[0].host: not for type modbus-rtu, which uses serial.device\n"
      "t.yaml:5:11: error: links[0].port: not for type modbus-rtu, which uses serial.device\n");
}

// --- devices -------------------------------------------------------------------------------------

TEST(LinksSection, RefusesBroadcastAndReservedUnitIdsOnSerialBuses) {
  std::string rtu_over_tcp = tcp(kPoint, "        unit_id: 0\n");
  rtu_over_tcp.replace(rtu_over_tcp.find("modbus-tcp"), 10, "modbus-rtu-over-tcp");
  EXPECT_EQ(errors(rtu_over_tcp),
            "t.yaml:9:18: error: links[0].devices[0].unit_id: 0 is the broadcast address, which "
            "no slave answers; on a modbus-rtu-over-tcp link a device needs 1..247\n");
  std::string reserved = tcp(kPoint, "        unit_id: 248\n");
  reserved.replace(reserved.find("modbus-tcp"), 10, "modbus-rtu-over-tcp");
  EXPECT_EQ(errors(reserved),
            "t.yaml:9:18: error: links[0].devices[0].unit_id: 248 is reserved on a serial bus; on "
            "a modbus-rtu-over-tcp link a device needs 1..247\n");
}

TEST(LinksSection, AcceptsUnitIds0And255ForADirectModbusTcpDevice) {
  for (const char* id : {"0", "255"}) {
    auto r = load(tcp(kPoint, std::string("        unit_id: ") + id + "\n"));
    ASSERT_TRUE(r.config) << r.report;
    EXPECT_EQ(r.report, "");
    EXPECT_EQ(r.config->links[0].devices[0].unit_id, std::stoi(id));
  }
}

TEST(LinksSection, RefusesABackoffThatShrinks) {
  EXPECT_EQ(errors(tcp(kPoint, "        backoff: {initial: 10s, max: 5s}\n")),
            "t.yaml:9:38: error: links[0].devices[0].backoff.max: 5s is shorter than initial "
            "(10s)\n");
  EXPECT_EQ(errors(tcp(kPoint, "", "    reconnect: {initial: 1m}\n")),
            "t.yaml:9:26: error: links[0].reconnect.initial: 1m is longer than max (30s)\n");
}

TEST(LinksSection, WarnsWhenTheHeartbeatIsShorterThanThePollInterval) {
  auto r = load(tcp(kPoint, "        heartbeat: 500ms\n"));
  EXPECT_TRUE(r.config);
  EXPECT_EQ(r.report,
            "t.yaml:9:20: warning: links[0].devices[0].heartbeat: 500ms is shorter than "
            "poll_interval (1s): it cannot be met\n");
  r = load(tcp(kPoint, "        poll_interval: 2m\n"));
  EXPECT_TRUE(r.config);
  EXPECT_EQ(r.report,
            "t.yaml:9:24: warning: links[0].devices[0].poll_interval: 2m is longer than heartbeat "
            "(1m): the heartbeat cannot be met\n");
  r = load(tcp(point("name: a, table: holding, address: 0, type: uint16, heartbeat: 200ms")));
  EXPECT_TRUE(r.config);
  EXPECT_EQ(r.report,
            "t.yaml:8:76: warning: links[0].devices[0].points[0].heartbeat: 200ms is shorter than "
            "poll_interval (1s): it cannot be met\n");
  r = load(tcp(point("name: a, table: holding, address: 0, type: uint16, poll_interval: 5m")));
  EXPECT_TRUE(r.config);
  EXPECT_EQ(r.report,
            "t.yaml:8:80: warning: links[0].devices[0].points[0].poll_interval: 5m is longer than "
            "heartbeat (1m): the heartbeat cannot be met\n");
  // A point that polls faster than its device's heartbeat is fine.
  r =
      load(tcp(point("name: a, table: holding, address: 0, type: uint16, poll_interval: 100ms, "
                     "heartbeat: 1s")));
  EXPECT_EQ(r.report, "");
}

// --- types and tables ----------------------------------------------------------------------------

TEST(LinksSection, RefusesADataTypeThatDoesNotFitItsTable) {
  EXPECT_EQ(errors(tcp(point("name: a, table: holding, address: 0, type: bool"))),
            "t.yaml:8:57: error: links[0].devices[0].points[0].type: bool needs table coil or "
            "discrete_input; for one bit of a register use type bit with bit: 0..15\n");
  EXPECT_EQ(errors(tcp(point("name: a, table: coil, address: 0, type: int16"))),
            "t.yaml:8:54: error: links[0].devices[0].points[0].type: int16 does not fit table "
            "coil, which holds single bits: use type bool\n");
  EXPECT_EQ(errors(tcp(point("name: a, table: discrete_input, address: 0, type: bit, bit: 1"))),
            "t.yaml:8:64: error: links[0].devices[0].points[0].type: bit does not fit table "
            "discrete_input, which holds single bits: use type bool\n");
  EXPECT_EQ(errors(tcp(point("name: a, ref: 00001, type: float32"))),
            "t.yaml:8:41: error: links[0].devices[0].points[0].type: float32 does not fit table "
            "coil, which holds single bits: use type bool\n");
}

TEST(LinksSection, AllowsTheBitKeyOnlyForTypeBit) {
  EXPECT_EQ(errors(tcp(point("name: a, table: holding, address: 0, type: uint16, bit: 2"))),
            "t.yaml:8:70: error: links[0].devices[0].points[0].bit: only for type bit, not "
            "uint16\n");
  EXPECT_EQ(errors(tcp(point("name: a, table: holding, address: 0, type: bit"))),
            "t.yaml:8:13: error: links[0].devices[0].points[0]: missing required key 'bit' (type "
            "bit): which bit of the register, 0..15\n");
}

TEST(LinksSection, NeedsALengthForAStringAndOnlyThere) {
  EXPECT_EQ(errors(tcp(point("name: a, table: holding, address: 0, type: string"))),
            "t.yaml:8:13: error: links[0].devices[0].points[0]: missing required key 'length' "
            "(type string): registers, 1..123\n");
  EXPECT_EQ(errors(tcp(point("name: a, table: holding, address: 0, type: int32, length: 2"))),
            "t.yaml:8:72: error: links[0].devices[0].points[0].length: only for type string; the "
            "type int32 gives its own size\n");
  EXPECT_EQ(only_point("name: a, table: holding, address: 0, type: string, length: 8").length, 8);
}

TEST(LinksSection, RefusesAScaleOfZero) {
  EXPECT_EQ(errors(tcp(point("name: a, table: holding, address: 0, type: int16, scale: 0"))),
            "t.yaml:8:71: error: links[0].devices[0].points[0].scale: must not be 0: every value "
            "would be published as the offset\n");
}

// --- addresses -----------------------------------------------------------------------------------

TEST(LinksSection, RefusesAValueThatEndsPastTheLastRegister) {
  EXPECT_EQ(only_point("name: a, table: input, address: 65532, type: float64").address, 65532);
  EXPECT_EQ(errors(tcp(point("name: a, table: input, address: 65533, type: float64"))),
            "t.yaml:8:46: error: links[0].devices[0].points[0].address: float64 at 65533 needs 4 "
            "registers, past the last register 65535\n");
  EXPECT_EQ(errors(tcp(point("name: a, table: input, address: 65536, type: uint32"),
                       "        address_base: 1\n")),
            "t.yaml:8:46: error: links[0].devices[0].points[0].address: uint32 at 65536 needs 2 "
            "registers, past the last register 65536\n");
  EXPECT_EQ(errors(tcp(point("name: a, ref: 465535, type: string, length: 3"))),
            "t.yaml:8:28: error: links[0].devices[0].points[0].ref: string at 465535 needs 3 "
            "registers, past the last register 465536\n");
}

TEST(LinksSection, RefusesAPointLargerThanOneRead) {
  EXPECT_EQ(errors(tcp(point("name: a, table: holding, address: 0, type: string, length: 20"),
                       "        max_registers_per_read: 16\n")),
            "t.yaml:8:73: error: links[0].devices[0].points[0].length: string needs 20 registers, "
            "more than one read may carry (max_registers_per_read is 16)\n");
  EXPECT_EQ(errors(tcp(point("name: a, table: holding, address: 0, type: float64"),
                       "        max_registers_per_read: 2\n")),
            "t.yaml:8:57: error: links[0].devices[0].points[0].type: float64 needs 4 registers, "
            "more than one read may carry (max_registers_per_read is 2)\n");
}

TEST(LinksSection, RefusesOverlappingPointsNamingBoth) {
  EXPECT_EQ(errors(tcp(point("name: level, table: holding, address: 10, type: uint32") +
                       point("name: flow, table: holding, address: 11, type: uint16"))),
            "t.yaml:9:51: error: links[0].devices[0].points[1].address: 'flow' (holding 11) "
            "overlaps 'level' (points[0], holding 10..11)\n");
  EXPECT_EQ(errors(tcp(point("name: run, table: coil, address: 3, type: bool") +
                       point("name: run2, ref: 00004, type: bool"))),
            "t.yaml:9:31: error: links[0].devices[0].points[1].ref: 'run2' (000004) overlaps "
            "'run' (points[0], coil 3)\n");
  EXPECT_EQ(errors(tcp(point("name: a, table: holding, address: 1, type: uint16") +
                           point("name: b, ref: 400001, type: uint32"),
                       "        address_base: 1\n")),
            "t.yaml:9:28: error: links[0].devices[0].points[1].ref: 'b' (400001..400002) overlaps "
            "'a' (points[0], holding 1)\n");
}

TEST(LinksSection, AllowsAStatusWordAndItsBitsTogether) {
  auto r = load(tcp(point("name: status_word, ref: 400011, type: uint16") +
                    point("name: alarm, ref: 400011, type: bit, bit: 3") +
                    point("name: wide, table: holding, address: 20, type: uint32") +
                    point("name: hi_bit, table: holding, address: 21, type: bit, bit: 15")));
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.report, "");
}

TEST(LinksSection, AllowsSeveralBitsOfOneRegisterButNotOneBitTwice) {
  auto r = load(tcp(point("name: a, ref: 400011, type: bit, bit: 3") +
                    point("name: b, ref: 400011, type: bit, bit: 4") +
                    point("name: c, table: holding, address: 10, type: bit, bit: 15")));
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.report, "");
  EXPECT_EQ(errors(tcp(point("name: a, ref: 400011, type: bit, bit: 3") +
                       point("name: b, table: holding, address: 10, type: bit, bit: 3"))),
            "t.yaml:9:48: error: links[0].devices[0].points[1].address: 'b' reads bit 3 of "
            "holding 10, as 'a' (points[0]) already does\n");
}

TEST(LinksSection, AllowsOneAddressInDifferentTablesAndDevices) {
  auto r = load(tcp(point("name: a, table: holding, address: 0, type: uint16") +
                        point("name: b, table: input, address: 0, type: uint16") +
                        point("name: c, table: coil, address: 0, type: bool") +
                        point("name: d, table: discrete_input, address: 0, type: bool"),
                    "      - name: other\n        unit_id: 2\n        points:\n" + kPoint));
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.report, "");
}

// --- writes --------------------------------------------------------------------------------------

TEST(LinksSection, RefusesAWritablePointOnAReadOnlyTable) {
  EXPECT_EQ(errors(tcp(point("name: a, table: input, address: 0, type: uint16, writable: true"))),
            "t.yaml:8:73: error: links[0].devices[0].points[0].writable: table input is "
            "read-only; only coils and holding registers can be written\n");
  EXPECT_EQ(errors(tcp(point("name: a, ref: 10001, type: bool, writable: true"))),
            "t.yaml:8:57: error: links[0].devices[0].points[0].writable: table discrete_input is "
            "read-only; only coils and holding registers can be written\n");
  EXPECT_TRUE(only_point("name: a, table: coil, address: 0, type: bool, writable: true").writable);
}

TEST(LinksSection, ChecksTheLimitsOfWrites) {
  auto r = load(tcp(point("name: a, table: holding, address: 0, type: int16, min: 0, max: 10")));
  EXPECT_TRUE(r.config);
  EXPECT_EQ(r.report,
            "t.yaml:8:69: warning: links[0].devices[0].points[0].min: ignored: it limits written "
            "values, and the point is not writable\n"
            "t.yaml:8:77: warning: links[0].devices[0].points[0].max: ignored: it limits written "
            "values, and the point is not writable\n");
  EXPECT_EQ(
      errors(tcp(point("name: a, table: holding, address: 0, type: int16, writable: true, "
                       "min: 10.5, max: 2"))),
      "t.yaml:8:85: error: links[0].devices[0].points[0].min: 10.5 is greater than max (2)\n");
  const auto p = only_point(
      "name: a, table: holding, address: 0, type: int16, writable: true, "
      "min: -5, max: 5");
  EXPECT_EQ(p.min, -5.0);
  EXPECT_EQ(p.max, 5.0);
}

// --- the published schema -----------------------------------------------------------------------

TEST(LinksSection, SchemaRejectsWhatTheLoaderRejectsForItsShape) {
  const test::SchemaValidator v(test::Json::parse(json_schema()));
  const std::string device =
      "devices: [{name: d, points: [{name: p, table: coil, address: 0, type: bool}]}]";
  for (const std::string& yaml : std::vector<std::string>{
           "links: [{type: modbus-tcp, host: h, " + device + "}]\n",
           "links: [{name: a, type: modbus, host: h, " + device + "}]\n",
           "links: [{name: a, type: modbus-tcp, host: h, devices: []}]\n",
           "links: [{name: a, type: modbus-tcp, host: h, devices: [{name: d, points: []}]}]\n",
           "links: [{name: a, type: modbus-tcp, host: h, devices: [{name: d, points: [{name: p, "
           "table: holding, address: 0, type: float}]}]}]\n",
           "links: [{name: a, type: modbus-tcp, host: h, devices: [{name: d, points: [{name: p, "
           "ref: 400001, type: uint16, scale: big}]}]}]\n",
           "links: [{name: a, type: modbus-tcp, host: h, devices: [{name: d, unit_id: 256, points: "
           "[{name: p, ref: 400001, type: uint16}]}]}]\n",
           "links: [{name: a, type: modbus-tcp, host: h, devices: [{name: d, points: [{name: p, "
           "ref: 400001, type: uint16, deadband: -1}]}]}]\n",
       }) {
    SCOPED_TRACE(yaml);
    EXPECT_NE(errors(yaml), "");
    EXPECT_NE(v.validate(test::to_json(YAML::Load(yaml))), std::vector<std::string>{});
  }
  EXPECT_EQ(v.validate(test::to_json(YAML::Load(tcp(kPoint)))), std::vector<std::string>{});
  const std::string coil = tcp(point("name: a, ref: 00001, type: bool, deadband: 0.5, min: -1.5"));
  EXPECT_EQ(v.validate(test::to_json(YAML::Load(coil))), std::vector<std::string>{});
}

// --- everything at once --------------------------------------------------------------------------

TEST(LinksSection, ReportsEveryErrorOfAFileAtOnce) {
  auto r = load(R"(links:
  - name: line1
    type: modbus-tcp
    host: 10.0.0.5
    devices:
      - name: boiler
        unit_id: 300
        points:
          - {name: t, table: holding, address: 0, type: flaot32}
  - name: line1
    type: modbus-rtu
    serial: {device: /dev/ttyUSB0, parity: mark}
    devices:
      - name: boiler
        points:
          - {name: a, ref: 500001, type: uint16}
  - name: line3
    type: modbus-rtu
    serial: {device: /dev/ttyUSB1}
    devices:
      - name: drive
        points:
          - {name: a, table: input, address: 0, type: uint32}
          - {name: b, table: input, address: 1, type: uint16, writable: true}
)");
  EXPECT_FALSE(r.config);
  EXPECT_EQ(r.diag.error_count(), 7u);
  EXPECT_EQ(r.report,
            "t.yaml:7:18: error: links[0].devices[0].unit_id: 300 out of range 0..255\n"
            "t.yaml:9:57: error: links[0].devices[0].points[0].type: 'flaot32' is not one of "
            "bool, bit, int16, uint16, int32, uint32, int64, uint64, float32, float64, string, "
            "bcd16, bcd32; did you mean 'float32'?\n"
            "t.yaml:10:11: error: links[1].name: 'line1' is already the name of links[0]\n"
            "t.yaml:12:44: error: links[1].serial.parity: 'mark' is not one of none, even, odd\n"
            "t.yaml:14:15: error: links[1].devices[0].name: 'boiler' is already the name of "
            "links[0].devices[0]; device names are topic levels and must be unique in the "
            "gateway\n"
            "t.yaml:16:28: error: links[1].devices[0].points[0].ref: '500001': leading digit 5 is "
            "not a table (0 coil, 1 discrete input, 3 input register, 4 holding register)\n"
            "t.yaml:24:73: error: links[2].devices[0].points[1].writable: table input is "
            "read-only; only coils and holding registers can be written\n");
}

}  // namespace
}  // namespace gw::config
