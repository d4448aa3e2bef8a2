// adapters::serial::CommandTemplate: the text a writable point sends, with the commanded value
// put in. Parsed once at start-up; render() per command.
//
// Syntax: literal bytes, "{{" for '{', "}}" for '}', and placeholders
//   {value}          the value as it is: integer digits, a double in the shortest form that reads
//                    back the same ("21.5"), a bool as 1/0, a string as its bytes
//   {value:.Nf}      fixed point with N (0..15) decimals; integers are converted
//   {value:d}        a decimal integer; a double must be integral (21.0 yes, 21.5 is refused)
//   {value:x} {value:X}  hexadecimal (lower/upper case), integral as for d
//   {checksum}       the instrument's checksum (ChecksumOptions) of the bytes rendered before it,
//                    from skip_leading on, encoded as in a received frame and preceded by the
//                    separator (written in the template or not): NMEA "$PMTK220,1000*{checksum}\r\n"
//                    sends "$PMTK220,1000*1F\r\n". At most one; needs a checksum kind.
// An optional zero flag and width go before the type, as in printf: {value:08.3f}, {value:04X}.
// Backslash escapes are not interpreted here: YAML double-quoted strings have already turned
// "\r" or "\x02" into bytes.
//
// Ownership: a value type. Thread safety: const methods are safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/reading.hpp"
#include "adapters/serial/options.hpp"
#include "core/result.hpp"

namespace gw::adapters::serial {

class CommandTemplate {
 public:
  // Errors: std::errc::invalid_argument (an unknown placeholder, a bad format, an unmatched brace).
  // `diagnostic`, when given, receives what is wrong and where.
  static Result<CommandTemplate> parse(std::string_view text, std::string* diagnostic = nullptr);

  // The bytes to send for `value`, a {checksum} computed as `checksum` says. Errors:
  // SerialErrc::WrongType (a string or monostate for a numeric format, a non-integral double for
  // d/x/X, a negative number for x/X), BadChecksumField (hex_data over bytes that are not hex).
  [[nodiscard]] Result<std::string> render(const Value& value,
                                           const ChecksumOptions& checksum = {}) const;

  // True when the template has a {checksum} placeholder.
  [[nodiscard]] bool has_checksum() const;

 private:
  struct Segment {
    std::string literal;         // the bytes, when !placeholder
    bool placeholder = false;
    char type = 0;               // 0 (as is), 'f', 'd', 'x', 'X'; 'c' {checksum}
    bool zero_pad = false;
    std::uint8_t width = 0;
    std::uint8_t precision = 0;  // 'f'
  };
  std::vector<Segment> segments_;
};

// A commanded value as `command`'s type (a bool may come as 0/1, an integer as an integral
// double), checked against its min..max. Errors: SerialErrc::WrongType, OutOfRange.
[[nodiscard]] Result<Value> command_value(const CommandOptions& command, const Value& value);

}  // namespace gw::adapters::serial
