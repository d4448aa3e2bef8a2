// A `links:` entry with `type: serial` → adapters::serial::InstrumentOptions: one serial
// instrument (a weigh scale, a gas analyser, a GPS) on its own port, described entirely by
// configuration. The keys are the struct's member names (adapters/serial/options.hpp), with three
// exceptions that keep one vocabulary across the `links:` list, where Modbus links live too:
//   name        the link's name (InstrumentOptions::link), as for every link;
//   device      the device name, a topic level (InstrumentOptions::name); default: the link's name;
//   serial      the port (InstrumentOptions::port), as `serial:` of a modbus-rtu link — `port`
//               is a Modbus link's TCP port;
//   reconnect   {initial, max} (reconnect_initial / reconnect_max), as on a Modbus link.
// Byte strings (framing.delimiter, checksum.separator, requests[].send, commands[].send) are
// written with YAML double-quoted escapes ("\r\n", "\x02"); each character is one byte, so it must
// be U+0000..U+00FF. After the fields, adapters::serial::validate() runs and each problem is
// reported at the YAML node its path names.
//
// Keys, defaults and rules: docs/configuration.md ("Serial instruments"), docs/serial.md.
//
// Thread safety: the schema is immutable after construction.
#pragma once

#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "adapters/modbus/options.hpp"
#include "adapters/serial/options.hpp"
#include "config/schema.hpp"

namespace gw::config {

// The schema of one entry of `instruments:` of a modbus-rtu link (a mixed RS-485 bus): the
// instrument keys that make sense on a shared bus, `name` for the device name, `backoff` as a
// Modbus device's; validate() included, except the port, which is the bus's. Streaming is refused.
[[nodiscard]] const Schema<adapters::modbus::BusInstrumentOptions>& bus_instrument_schema();

// The schema of one `type: serial` entry of `links:`, validate() included.
[[nodiscard]] const Schema<adapters::serial::InstrumentOptions>& serial_link_schema();

// A validate() problem path ("port.baud", "patterns[1].points[0].capture") in the file's terms
// ("serial.baud", ...): the key path a user finds in the YAML.
[[nodiscard]] std::string yaml_path(std::string_view problem_path);

}  // namespace gw::config
