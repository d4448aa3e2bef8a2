// adapters::modbus options: one Modbus link (a TCP connection, a serial RS-485 bus, or RTU frames
// through a TCP serial server), its devices (unit ids) and their points, from the `links:`
// section of the configuration file (parsed and validated by config/; every key, range and the
// reason for each default are in docs/configuration.md).
//
// config/ has already rejected what cannot work (overlapping points, a type that does not fit its
// register count, a writable point on a read-only table, out-of-range values), so the adapter may
// rely on the invariants stated here and never needs to clamp.
//
// Addresses are 0-based protocol addresses (what goes on the wire). config/ also accepts the
// "4xxxxx" notation and converts it.
//
// Ownership: plain value types. Thread safety: value types; read-only after start-up.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "adapters/serial/options.hpp"

namespace gw::adapters::modbus {

enum class Table : std::uint8_t { Coil, DiscreteInput, HoldingRegister, InputRegister };

[[nodiscard]] constexpr bool is_bit_table(Table t) {
  return t == Table::Coil || t == Table::DiscreteInput;
}
[[nodiscard]] constexpr bool is_writable_table(Table t) {
  return t == Table::Coil || t == Table::HoldingRegister;
}

enum class DataType : std::uint8_t {
  Bool,     // a coil or discrete input (1 bit)
  Bit,      // one bit (PointOptions::bit, 0 = LSB) of a holding or input register
  Int16,
  Uint16,
  Int32,
  Uint32,
  Int64,
  Uint64,
  Float32,  // IEEE 754 binary32 in 2 registers
  Float64,  // IEEE 754 binary64 in 4 registers
  String,   // PointOptions::length registers, 2 characters each, NULs and trailing spaces trimmed
  Bcd16,    // 4 BCD digits in 1 register (0..9999)
  Bcd32,    // 8 BCD digits in 2 registers (0..99999999)
};

// Registers a value of `type` occupies; `length` is the register count of a string.
[[nodiscard]] constexpr std::uint16_t register_count(DataType type, std::uint16_t length) {
  switch (type) {
    case DataType::Bool:
    case DataType::Bit:
    case DataType::Int16:
    case DataType::Uint16:
    case DataType::Bcd16: return 1;
    case DataType::Int32:
    case DataType::Uint32:
    case DataType::Float32:
    case DataType::Bcd32: return 2;
    case DataType::Int64:
    case DataType::Uint64:
    case DataType::Float64: return 4;
    case DataType::String: return length;
  }
  return 1;
}

// Byte order of a multi-register value, named by where the bytes of the big-endian value
// A B C D (A most significant) end up on the wire, register by register. The 64-bit names are
// the same two choices: ABCD = ABCDEFGH (big-endian, the Modbus default), BADC = BADCFEHG
// (bytes swapped in each register), CDAB = GHEFCDAB (registers in reverse order, "word swap",
// common in PLCs), DCBA = HGFEDCBA (little-endian). For a 16-bit value only the byte swap
// matters: ABCD/CDAB = AB, BADC/DCBA = BA. docs/modbus.md shows the bytes for a known value.
enum class ByteOrder : std::uint8_t { ABCD, BADC, CDAB, DCBA };

[[nodiscard]] constexpr bool swaps_bytes(ByteOrder o) {
  return o == ByteOrder::BADC || o == ByteOrder::DCBA;
}
[[nodiscard]] constexpr bool swaps_words(ByteOrder o) {
  return o == ByteOrder::CDAB || o == ByteOrder::DCBA;
}

struct PointOptions {
  std::string name;  // unique within its device; a single topic level
  Table table = Table::HoldingRegister;
  std::uint16_t address = 0;  // 0-based; address + register_count - 1 <= 65535
  DataType type = DataType::Uint16;
  std::uint8_t bit = 0;       // DataType::Bit only: 0..15, 0 = least significant
  std::uint16_t length = 0;   // DataType::String only: registers, 1..123
  // nullopt = the device's byte_order. For strings only the byte swap applies.
  std::optional<ByteOrder> byte_order;

  // Published value = raw * scale + offset, then rounded to `decimals` places when set. A point
  // with a scale or offset other than 1/0, or with decimals, is published as a double.
  double scale = 1.0;
  double offset = 0.0;
  std::optional<std::uint8_t> decimals;  // 0..15
  std::string unit;                      // engineering unit, informational

  // Publish policy. A value is published when it changes by more than the deadband (absolute,
  // or percent of the last published value), when `heartbeat` has passed since the last
  // publish, and never more often than `min_interval`. Quality changes are always published.
  double deadband = 0.0;  // >= 0; 0 = any change
  bool deadband_percent = false;
  std::optional<std::chrono::milliseconds> heartbeat;  // nullopt = the device's
  std::chrono::milliseconds min_interval{0};
  // nullopt = the device's; 0 = as fast as possible (kAsFastAsPossible).
  std::optional<std::chrono::milliseconds> poll_interval;

  // Writable points accept commands on `<topic>/set`. config/ guarantees a writable table.
  bool writable = false;
  // Inclusive range for written engineering values; a command outside it is refused.
  std::optional<double> min;
  std::optional<double> max;

  friend bool operator==(const PointOptions&, const PointOptions&) = default;
};

// poll_interval 0: as fast as possible. The device's (or point's) job is due again the moment it
// completes, taking turns with the other such jobs and never overtaking a job with an interval
// whose time has come (poll_schedule.hpp).
inline constexpr std::chrono::milliseconds kAsFastAsPossible{0};

struct DeviceOptions {
  std::string name;  // unique within the gateway; a single topic level
  // 1..247 on serial buses; a Modbus TCP device addressed directly may want 0 or 255 (config/
  // refuses 0 and 248..255 on serial kinds).
  std::uint8_t unit_id = 1;
  ByteOrder byte_order = ByteOrder::ABCD;
  std::chrono::milliseconds poll_interval{std::chrono::seconds(1)};  // 0: kAsFastAsPossible
  // Maximum silence: an unchanged good value is published again after this long.
  std::chrono::milliseconds heartbeat{std::chrono::minutes(1)};

  // Coalescing: points of one table are read together when the gap between them is at most
  // max_gap registers (bits for coils/inputs) and the request stays within the maximum.
  std::uint16_t max_registers_per_read = 125;  // 1..125
  std::uint16_t max_bits_per_read = 2000;      // 1..2000
  std::uint16_t max_gap = 10;                  // 0..125; registers or bits read and discarded
  // The device supports function code 23 (read/write multiple registers) for write read-back.
  bool supports_fc23 = false;
  // The device implements only the "write multiple" function codes: a single coil is written
  // with FC 15 and a single register with FC 16 (count 1) instead of FC 5 / FC 6.
  bool write_multiple = false;

  // A device that fails (timeout, exception, bad frame) is retried after backoff_initial,
  // doubling up to backoff_max, instead of at its poll interval; it is back on its interval after
  // its first success.
  std::chrono::milliseconds backoff_initial{std::chrono::seconds(1)};
  std::chrono::milliseconds backoff_max{std::chrono::minutes(1)};

  std::vector<PointOptions> points;  // at least one

  friend bool operator==(const DeviceOptions&, const DeviceOptions&) = default;
};

// A serial instrument (adapters/serial/options.hpp) in request/response mode on the RS-485 bus of
// a Rtu link, sharing the port and the link's one scheduler with the Modbus slaves. Of its
// InstrumentOptions only the identity (name; link is the bus's name), framing, checksum,
// patterns, requests, commands, response_timeout and heartbeat apply: the port and its settings,
// the turnaround delay and reconnecting are the bus's, and config/ refuses streaming (a device
// that talks on its own would collide with the master on a half-duplex bus).
struct BusInstrumentOptions {
  serial::InstrumentOptions instrument;
  // Per-device backoff, as DeviceOptions::backoff_initial / backoff_max.
  std::chrono::milliseconds backoff_initial{std::chrono::seconds(1)};
  std::chrono::milliseconds backoff_max{std::chrono::minutes(1)};

  friend bool operator==(const BusInstrumentOptions&, const BusInstrumentOptions&) = default;
};

enum class LinkKind : std::uint8_t { Tcp, Rtu, RtuOverTcp };

enum class Parity : std::uint8_t { None, Even, Odd };

struct SerialOptions {
  std::string device;  // "/dev/ttyUSB0"
  std::uint32_t baud = 9600;
  Parity parity = Parity::None;
  std::uint8_t data_bits = 8;  // 5..8
  std::uint8_t stop_bits = 1;  // 1..2
  // RS-485 mode through the kernel (TIOCSRS485) where the port supports it; RTS driven around
  // each transmission when the transceiver needs it.
  bool rs485 = false;
  enum class Rts : std::uint8_t { None, Up, Down } rts = Rts::None;
  std::chrono::microseconds rts_delay{0};

  friend bool operator==(const SerialOptions&, const SerialOptions&) = default;
};

struct LinkOptions {
  std::string name;  // unique within the gateway
  LinkKind kind = LinkKind::Tcp;
  // Tcp and RtuOverTcp: the device or serial server. A host name or an address literal.
  std::string host;
  std::uint16_t port = 502;
  // Rtu only.
  SerialOptions serial;

  // Per request: the whole answer must arrive within response_timeout.
  std::chrono::milliseconds response_timeout{std::chrono::seconds(1)};
  // Silence kept after a response (or a broadcast) before the next request, on top of the
  // 3.5-character inter-frame gap that RTU requires; some slow devices need it.
  std::chrono::milliseconds turnaround_delay{0};
  // Reopening a lost connection or port: exponential from initial to max, with jitter.
  std::chrono::milliseconds reconnect_initial{std::chrono::milliseconds(500)};
  std::chrono::milliseconds reconnect_max{std::chrono::seconds(30)};

  std::vector<DeviceOptions> devices;  // at least one

  // Rtu only: serial instruments on the same bus (a mixed bus). Their device names follow the
  // Modbus devices' in stats and in the schedule.
  std::vector<BusInstrumentOptions> instruments;

  // Where the link keeps the read splits it learned (learned_splits.hpp) across restarts; empty:
  // not kept. Not a configuration key: config/ sets <gateway.data_dir>/modbus-<name>.splits.
  std::string learned_splits;

  friend bool operator==(const LinkOptions&, const LinkOptions&) = default;
};

}  // namespace gw::adapters::modbus
