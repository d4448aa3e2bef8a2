// adapters::serial::LineParser: one PatternOptions, compiled: its Regex and, for each point, the
// number of the named group that holds the point's text. parse() turns a matching frame into one
// typed engineering value (or an error) per point.
//
// Text to value (parse_point_value): Number, Integer and Bool text has ASCII blanks trimmed first
// ("  12.345" is 12.345); a leading '+' is accepted; Number is decimal or exponent notation and
// must be finite; Integer is base 10 (optionally signed) or 16 (hex digits, an optional "0x");
// Bool is compared case-insensitively with the point's true/false words; String is kept as it is.
// Then scale, offset and decimals apply as for Modbus points (options.hpp).
//
// Ownership: owns its Regex and a copy of its options. Thread safety: none; one per link thread.
#pragma once

#include <string_view>
#include <vector>

#include "adapters/reading.hpp"
#include "adapters/serial/options.hpp"
#include "adapters/serial/regex.hpp"
#include "core/result.hpp"

namespace gw::adapters::serial {

// The value of `point` from its captured text. Errors: SerialErrc::EmptyCapture, BadNumber,
// OutOfRange (an integer that does not fit 64 bits).
Result<Value> parse_point_value(const PointOptions& point, std::string_view text);

class LineParser {
 public:
  // Errors: pcre2_category() (the regex does not compile); std::errc::invalid_argument (a point's
  // capture is not a named group of the regex; options_validation.hpp reports which).
  static Result<LineParser> compile(PatternOptions options);

  // True when the regex matches somewhere in `frame`.
  bool matches(std::string_view frame) { return regex_.search(frame); }

  // When the regex matches `frame`: true, and `values` holds one value or error per point, in the
  // order of options().points. False (and `values` empty) otherwise.
  bool parse(std::string_view frame, std::vector<Result<Value>>& values);

  [[nodiscard]] const PatternOptions& options() const { return options_; }

 private:
  LineParser(PatternOptions options, Regex regex, std::vector<int> groups)
      : options_(std::move(options)), regex_(std::move(regex)), groups_(std::move(groups)) {}

  PatternOptions options_;
  Regex regex_;
  std::vector<int> groups_;  // per point
};

}  // namespace gw::adapters::serial
