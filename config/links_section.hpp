// The `links:` section: each field link, by its `type:` — a Modbus TCP connection, an RS-485 bus,
// or RTU frames through a TCP serial server (adapters::modbus::LinkOptions, with its devices and
// their points), or a serial instrument on its own port (adapters::serial::InstrumentOptions,
// config/serial_section.hpp). Keys, defaults and every rule checked: docs/configuration.md.
//
// Point addresses are written as `table` + `address` (0-based, or 1-based where the device says
// `address_base: 1`) or as a Modicon reference (`ref: 400011`); the options always hold the
// 0-based protocol address. The notation is not kept: format_modicon_ref() renders any address
// back into the reference a manual would print, which is what an `explain` needs.
//
// Thread safety: schemas and kinds are immutable after construction.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/modbus/options.hpp"
#include "adapters/serial/options.hpp"
#include "config/cursor.hpp"
#include "config/schema.hpp"

namespace gw::config {

// A register in Modicon notation: the table named by the leading digit and the 0-based address.
struct ModiconRef {
  adapters::modbus::Table table = adapters::modbus::Table::HoldingRegister;
  std::uint16_t address = 0;
  friend bool operator==(const ModiconRef&, const ModiconRef&) = default;
};

// "400011" → holding register, address 10. Five digits (a table digit and 0001..9999) or six (a
// table digit and 00001..65536); the table digit is 0 coil, 1 discrete input, 3 input register,
// 4 holding register. Returns nullopt with `error` set to a message for the user otherwise.
[[nodiscard]] std::optional<ModiconRef> parse_modicon_ref(std::string_view text,
                                                          std::string& error);

// The six-digit reference of a 0-based address: (HoldingRegister, 10) → "400011".
[[nodiscard]] std::string format_modicon_ref(adapters::modbus::Table table, std::uint16_t address);

// `type:` of a link: which schema parses the rest of the entry.
enum class LinkType : std::uint8_t { ModbusTcp, ModbusRtu, ModbusRtuOverTcp, Serial };
[[nodiscard]] const Enum<LinkType>& link_type_kind();

// The links of the file, by kind, each kind in file order.
struct FieldLinks {
  std::vector<adapters::modbus::LinkOptions> modbus;
  std::vector<adapters::serial::InstrumentOptions> serial;
};

// The `links:` list: each entry parsed by the schema its `type:` names (Modbus: its devices and
// points included; serial: checked by adapters::serial::validate()), then the rules across links
// of both kinds: unique link names, device names unique in the whole gateway (they are topic
// levels), one link per serial port.
struct LinksKind {
  using value_type = FieldLinks;

  std::optional<value_type> parse(const YAML::Node& node, const Cursor& at) const;
  [[nodiscard]] std::string type() const;
  [[nodiscard]] std::string range() const;
  [[nodiscard]] std::string show(const value_type&) const { return "none"; }
  void describe(const std::string& path, std::vector<FieldInfo>& rows) const;
  [[nodiscard]] JsonSpec json() const;
  [[nodiscard]] std::string json_value(const value_type&) const { return "[]"; }
};

}  // namespace gw::config
