// adapters::modbus names: the configuration words for the Modbus enums, for logs and `explain`
// (config/ accepts the same words; docs/configuration.md lists them).
//
// Thread safety: pure functions.
#pragma once

#include <string_view>

#include "adapters/modbus/options.hpp"

namespace gw::adapters::modbus {

[[nodiscard]] constexpr std::string_view name(Table t) {
  switch (t) {
    case Table::Coil: return "coil";
    case Table::DiscreteInput: return "discrete_input";
    case Table::HoldingRegister: return "holding";
    case Table::InputRegister: return "input";
  }
  return "?";
}

// The read function code of a table: 1, 2, 3 or 4.
[[nodiscard]] constexpr int read_function(Table t) {
  switch (t) {
    case Table::Coil: return 1;
    case Table::DiscreteInput: return 2;
    case Table::HoldingRegister: return 3;
    case Table::InputRegister: return 4;
  }
  return 0;
}

[[nodiscard]] constexpr std::string_view name(DataType t) {
  switch (t) {
    case DataType::Bool: return "bool";
    case DataType::Bit: return "bit";
    case DataType::Int16: return "int16";
    case DataType::Uint16: return "uint16";
    case DataType::Int32: return "int32";
    case DataType::Uint32: return "uint32";
    case DataType::Int64: return "int64";
    case DataType::Uint64: return "uint64";
    case DataType::Float32: return "float32";
    case DataType::Float64: return "float64";
    case DataType::String: return "string";
    case DataType::Bcd16: return "bcd16";
    case DataType::Bcd32: return "bcd32";
  }
  return "?";
}

// For a 64-bit type the 8-letter spelling of the same order.
[[nodiscard]] constexpr std::string_view name(ByteOrder o, DataType t = DataType::Uint32) {
  const bool wide = register_count(t, 0) == 4;
  switch (o) {
    case ByteOrder::ABCD: return wide ? "ABCDEFGH" : "ABCD";
    case ByteOrder::BADC: return wide ? "BADCFEHG" : "BADC";
    case ByteOrder::CDAB: return wide ? "GHEFCDAB" : "CDAB";
    case ByteOrder::DCBA: return wide ? "HGFEDCBA" : "DCBA";
  }
  return "?";
}

[[nodiscard]] constexpr std::string_view name(LinkKind k) {
  switch (k) {
    case LinkKind::Tcp: return "modbus-tcp";
    case LinkKind::Rtu: return "modbus-rtu";
    case LinkKind::RtuOverTcp: return "modbus-rtu-over-tcp";
  }
  return "?";
}

}  // namespace gw::adapters::modbus
