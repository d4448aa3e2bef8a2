// gateway::modbus_tool: the pure part of the commissioning commands `edge-gateway modbus
// read|write|scan|guess` (gateway/modbus_cli.cpp does the I/O). Everything here works on register
// images already read, so it can be tested without a device:
//   - parsing what the engineer types: addresses (0-based, or a six-digit Modicon reference as in
//     the configuration's `ref:`), unit ranges ("1-247", "1,3,10-20") and values to write;
//   - every decoding of a block of registers (each numeric type at each start that fits, in each
//     byte order that makes a difference), through the adapter's own codec (value_codec.hpp);
//   - ranking the decodings by how close they come to a value read off the device's display
//     (`guess`), and the configuration line for the winner;
//   - the outcome of one probe of a scan, and the runs of equal outcomes over an address range.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "adapters/modbus/options.hpp"
#include "adapters/reading.hpp"
#include "core/result.hpp"

namespace gw::gateway {

// ---- parsing command-line values -----------------------------------------------------------------
// Each returns nullopt with `error` set to a one-line message for the user.

// An address as typed: "100" or "0x64" (0-based protocol address, any table), or six digits
// with a leading table digit, "400101" = holding register 100 (config::parse_modicon_ref; five-digit
// references are not recognised, since 40001 is also a valid 0-based address).
struct TypedAddress {
  std::optional<adapters::modbus::Table> table;  // set by a Modicon reference
  std::uint16_t address = 0;
};
[[nodiscard]] std::optional<TypedAddress> parse_address(std::string_view text, std::string& error);

// "holding", "input", "coil", "discrete" or "discrete_input".
[[nodiscard]] std::optional<adapters::modbus::Table> parse_table(std::string_view text,
                                                                 std::string& error);
// The configuration's type words ("float32", ...), names.hpp.
[[nodiscard]] std::optional<adapters::modbus::DataType> parse_data_type(std::string_view text,
                                                                        std::string& error);
// ABCD, BADC, CDAB, DCBA, or the 64-bit spellings (ABCDEFGH, ...).
[[nodiscard]] std::optional<adapters::modbus::ByteOrder> parse_byte_order(std::string_view text,
                                                                          std::string& error);

// Unit ids: "5", "1-247", "1,3,10-20", each 0..255; in the order given, without repeats.
[[nodiscard]] std::optional<std::vector<std::uint8_t>> parse_units(std::string_view text,
                                                                   std::string& error);

// The value to write as `type` expects it (encode_registers): bool for Bool ("1", "0", "true",
// "false", "on", "off"); an integer (decimal or 0x hex) for the integer and BCD types; a number
// for the float types; the text itself for String. Type Bit cannot be written (use a mask write).
[[nodiscard]] std::optional<adapters::Value> parse_value(std::string_view text,
                                                         adapters::modbus::DataType type,
                                                         std::string& error);

// ---- decoding ------------------------------------------------------------------------------------

// The byte orders that give different results for `type`: two for 16-bit types (ABCD = CDAB,
// BADC = DCBA), four for the wider ones.
[[nodiscard]] std::vector<adapters::modbus::ByteOrder> distinct_orders(adapters::modbus::DataType type);

// The numeric types tried by `read` and `guess`, smallest first.
[[nodiscard]] std::span<const adapters::modbus::DataType> numeric_types();

// A value for a table cell: integers in decimal, float32 in the shortest spelling of the float
// (12.5, 0.1), float64 in the shortest of the double, strings quoted with \xNN escapes.
[[nodiscard]] std::string format_value(const adapters::Value& value, adapters::modbus::DataType type);

// The raw registers of `table` from `address`: address, Modicon reference, hex, unsigned,
// signed and the two bytes as characters, one register per line, with a heading line.
[[nodiscard]] std::string format_registers(adapters::modbus::Table table, std::uint16_t address,
                                           std::span<const std::uint16_t> regs);
// Coils or discrete inputs from `address`: address, reference and 0/1, one per line.
[[nodiscard]] std::string format_bits(adapters::modbus::Table table, std::uint16_t address,
                                      std::span<const std::uint8_t> bits);

// Every decoding of `regs` (the first at `address`): one section per register width (16, 32 and
// 64 bits), a row per start address and type, a column per distinct byte order, then the whole
// block as a string in both byte orders. A cell that does not decode reads "NaN/inf" (floats)
// or "-" (BCD with a nibble above 9).
[[nodiscard]] std::string format_decodings(std::uint16_t address, std::span<const std::uint16_t> regs);

// ---- guess ---------------------------------------------------------------------------------------

// One way of reading a value: where, as what, and how scaled.
struct Candidate {
  std::uint16_t address = 0;  // first register
  adapters::modbus::DataType type = adapters::modbus::DataType::Uint16;
  adapters::modbus::ByteOrder order = adapters::modbus::ByteOrder::ABCD;
  int exponent = 0;           // scale = 10^exponent
  int shift = 0;              // -1 / +1: reaches one register before / after the range asked for
  double value = 0.0;         // raw * scale
  double error = 0.0;         // |value - expect| / |expect| (absolute when expect is 0)
  bool match = false;         // within the request's tolerance
};

struct GuessRequest {
  double expect = 0.0;
  // Half a unit of the display's last digit (display_tolerance): a value within it of `expect`
  // is what the display would show, as good a match as an exact one.
  double tolerance = 0.0;
  // The range the engineer named; candidates may reach one register beyond either end.
  std::uint16_t first = 0;
  std::uint16_t last = 0;
  int min_exponent = -3;
  int max_exponent = 3;
};

// The value typed as --expect and its display tolerance: "1.2" → {1.2, 0.05}, "1456" → {1456,
// 0.5}, "-7.25" → {-7.25, 0.005}; with an exponent ("1e3") the tolerance is 0. nullopt with
// `error` set when the text is not a number.
[[nodiscard]] std::optional<GuessRequest> parse_expect(std::string_view text, std::string& error);

// Every candidate decoding of `regs` (the first at `regs_address`; it may start one register
// before req.first and end one after req.last) with a numeric type, a distinct byte order and a
// scale 10^n, best first. A candidate within req.tolerance of the value (or within a relative
// 1e-6) matches; matches come first, then the rest by relative error. Among matches, and among
// equally close ones, the more plausible comes first: inside the range asked for, a smaller
// |exponent|, the big-endian order, then the order of numeric_types() with floats first. (A
// display showing 1.2 fits 1.2277 from the right registers and 1.2267 from a float straddling
// the next register alike; plausibility, not the third decimal, tells them apart.) Values that
// do not decode (NaN, bad BCD) are left out.
[[nodiscard]] std::vector<Candidate> rank_candidates(std::uint16_t regs_address,
                                                     std::span<const std::uint16_t> regs,
                                                     const GuessRequest& req);

// The scale 10^exponent as the configuration spells it: "0.001" .. "1000".
[[nodiscard]] std::string scale_text(int exponent);

// The point entry for `c` in the syntax of the configuration's `points:` list (config/
// links_section.cpp accepts it as is), e.g.
//   - {name: temp, table: holding, address: 100, type: float32, byte_order: CDAB, scale: 0.1}
// The byte order is always spelled out so that the device's default does not matter.
[[nodiscard]] std::string point_yaml(const Candidate& c, adapters::modbus::Table table,
                                     std::string_view name);

// What the configuration loader says about `line` (from point_yaml) inside a minimal valid
// configuration: empty when it is accepted, else its messages, one per line.
[[nodiscard]] std::string check_point_yaml(std::string_view line);

// The ranking as a table: rank, address (and the shift), Modicon reference, type, order, scale,
// value, error in percent, and "yes" for a match; at most `top` rows.
[[nodiscard]] std::string format_candidates(adapters::modbus::Table table,
                                            std::span<const Candidate> ranked, std::size_t top);

// ---- scan ----------------------------------------------------------------------------------------

// What one probe (a read) got back.
struct Probe {
  enum class Kind : std::uint8_t { Readable, Exception, NoAnswer, Broken };
  Kind kind = Kind::Readable;
  std::uint8_t exception = 0;  // Kind::Exception: the Modbus exception code
  std::error_code error;       // NoAnswer / Broken: why
  friend bool operator==(const Probe& a, const Probe& b) {
    return a.kind == b.kind && a.exception == b.exception;
  }
};

// Readable for success; Exception with its code for a device exception; Broken when the
// connection or port failed (is_connection_error); NoAnswer for everything else (timeouts, bad
// frames: nothing usable came back).
[[nodiscard]] Probe classify(const Result<void>& r);

// "readable", "exception 02 (illegal data address)", "no answer (no response (timeout))", ...
[[nodiscard]] std::string describe(const Probe& p);

// Consecutive address blocks with the same outcome, merged.
struct ProbeRun {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
  Probe probe;
};
// Appends the block first..last to `runs`, extending the last run when it continues it with the
// same outcome. Returns true when a new run was started (the previous one is then complete).
bool add_block(std::vector<ProbeRun>& runs, std::uint16_t first, std::uint16_t last,
               const Probe& probe);

// "holding 0..1023 (400001..401024): readable"
[[nodiscard]] std::string format_run(adapters::modbus::Table table, const ProbeRun& run);

}  // namespace gw::gateway
