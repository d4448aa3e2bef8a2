#include "adapters/serial/command_template.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>

#include <fmt/format.h>

#include "adapters/serial/checksum.hpp"
#include "adapters/serial/serial_error.hpp"

namespace gw::adapters::serial {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads up to two decimal digits at `s[i]`.
bool read_small(std::string_view s, std::size_t& i, std::uint8_t& out, unsigned max) {
  unsigned v = 0;
  std::size_t n = 0;
  while (i < s.size() && is_digit(s[i]) && n < 2) {
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
    ++i;
    ++n;
  }
  if (n == 0 || v > max) return false;
  out = static_cast<std::uint8_t>(v);
  return true;
}

// An integral value of `v`, if it has one that fits 64 bits.
std::optional<std::int64_t> integral(const Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* u = std::get_if<std::uint64_t>(&v)) {
    if (*u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(*u);
  }
  if (const auto* b = std::get_if<bool>(&v)) return *b ? 1 : 0;
  if (const auto* d = std::get_if<double>(&v)) {
    if (!std::isfinite(*d) || std::trunc(*d) != *d || std::fabs(*d) >= 9.2e18) return std::nullopt;
    return static_cast<std::int64_t>(*d);
  }
  return std::nullopt;
}

}  // namespace

Result<CommandTemplate> CommandTemplate::parse(std::string_view text, std::string* diagnostic) {
  const auto bad = [&](std::size_t at, const char* what) -> Failure {
    if (diagnostic != nullptr) *diagnostic = fmt::format("{} at offset {}", what, at);
    return fail(std::errc::invalid_argument);
  };
  CommandTemplate t;
  std::string literal;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        literal.push_back('}');
        i += 2;
        continue;
      }
      return bad(i, "unmatched '}' (write '}}' for a brace)");
    }
    if (c != '{') {
      literal.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      literal.push_back('{');
      i += 2;
      continue;
    }
    const std::size_t close = text.find('}', i);
    if (close == std::string_view::npos) return bad(i, "unterminated placeholder");
    const std::string_view body = text.substr(i + 1, close - i - 1);
    Segment seg;
    seg.placeholder = true;
    const std::string_view name = body.substr(0, body.find(':'));
    if (name == "checksum") {
      if (name.size() < body.size()) return bad(i, "{checksum} takes no format");
      if (t.has_checksum()) return bad(i, "a second {checksum}");
      seg.type = 'c';
      if (!literal.empty()) t.segments_.push_back(Segment{.literal = std::exchange(literal, {})});
      t.segments_.push_back(seg);
      i = close + 1;
      continue;
    }
    if (name != "value") {
      return bad(i, "unknown placeholder (only {value} and {checksum} are known)");
    }
    if (name.size() < body.size()) {
      const std::string_view spec = body.substr(name.size() + 1);
      std::size_t k = 0;
      if (k < spec.size() && spec[k] == '0') {
        seg.zero_pad = true;
        ++k;
      }
      if (k < spec.size() && is_digit(spec[k]) && !read_small(spec, k, seg.width, 64)) {
        return bad(i, "width must be 1..64");
      }
      bool has_precision = false;
      if (k < spec.size() && spec[k] == '.') {
        ++k;
        if (!read_small(spec, k, seg.precision, 15)) return bad(i, "precision must be 0..15");
        has_precision = true;
      }
      if (k + 1 != spec.size()) return bad(i, "format must be [0][width][.N](f|d|x|X)");
      seg.type = spec[k];
      if (seg.type != 'f' && seg.type != 'd' && seg.type != 'x' && seg.type != 'X') {
        return bad(i, "format type must be f, d, x or X");
      }
      if (has_precision != (seg.type == 'f')) return bad(i, "'.N' goes with 'f' and only with it");
    }
    if (!literal.empty()) t.segments_.push_back(Segment{.literal = std::exchange(literal, {})});
    t.segments_.push_back(seg);
    i = close + 1;
  }
  if (!literal.empty()) t.segments_.push_back(Segment{.literal = std::move(literal)});
  return t;
}

bool CommandTemplate::has_checksum() const {
  return std::any_of(segments_.begin(), segments_.end(),
                     [](const Segment& s) { return s.placeholder && s.type == 'c'; });
}

Result<std::string> CommandTemplate::render(const Value& value,
                                            const ChecksumOptions& checksum) const {
  std::string out;
  for (const Segment& s : segments_) {
    if (!s.placeholder) {
      out += s.literal;
      continue;
    }
    if (s.type == 'c') {
      // The separator may be written in the template ("*{checksum}") or left to the layout.
      const std::string separator = checksum.kind == ChecksumKind::Nmea ? "*" : checksum.separator;
      std::string_view before = out;
      if (!separator.empty() && before.ends_with(separator)) before.remove_suffix(separator.size());
      GW_TRY(sealed, seal_checksum(checksum, before));
      out = std::move(sealed);
      continue;
    }
    const std::string zero = s.zero_pad ? "0" : "";
    const std::string width = s.width > 0 ? std::to_string(s.width) : "";
    switch (s.type) {
      case 0: {
        std::string text = std::visit(
            [](const auto& v) -> std::string {
              using T = std::decay_t<decltype(v)>;
              if constexpr (std::is_same_v<T, std::monostate>) {
                return {};
              } else if constexpr (std::is_same_v<T, bool>) {
                return v ? "1" : "0";
              } else if constexpr (std::is_same_v<T, std::string>) {
                return v;
              } else {
                return fmt::format("{}", v);
              }
            },
            value);
        if (std::holds_alternative<std::monostate>(value)) return fail(SerialErrc::WrongType);
        out += text;
        break;
      }
      case 'f': {
        double d = 0;
        if (const auto* dv = std::get_if<double>(&value)) {
          d = *dv;
        } else if (const auto i = integral(value);
                   i && !std::holds_alternative<bool>(value)) {
          d = static_cast<double>(*i);
        } else {
          return fail(SerialErrc::WrongType);
        }
        if (!std::isfinite(d)) return fail(SerialErrc::WrongType);
        out += fmt::format(fmt::runtime("{:" + zero + width + "." + std::to_string(s.precision) + "f}"), d);
        break;
      }
      default: {
        const auto i = integral(value);
        if (!i) return fail(SerialErrc::WrongType);
        if (s.type != 'd' && *i < 0) return fail(SerialErrc::WrongType);
        out += fmt::format(fmt::runtime("{:" + zero + width + std::string(1, s.type) + "}"), *i);
        break;
      }
    }
  }
  return out;
}

Result<Value> command_value(const CommandOptions& cmd, const Value& v) {
  const auto number = [&]() -> std::optional<double> {
    if (const auto* d = std::get_if<double>(&v)) return *d;
    if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    if (const auto* u = std::get_if<std::uint64_t>(&v)) return static_cast<double>(*u);
    return std::nullopt;
  }();
  switch (cmd.type) {
    case ValueType::String:
      if (const auto* s = std::get_if<std::string>(&v)) return Value{*s};
      return fail(SerialErrc::WrongType);
    case ValueType::Bool:
      if (const auto* b = std::get_if<bool>(&v)) return Value{*b};
      // MQTT/JSON commands may say 0/1 for a bool.
      if (number && (*number == 0.0 || *number == 1.0)) return Value{*number == 1.0};
      return fail(SerialErrc::WrongType);
    case ValueType::Number:
    case ValueType::Integer: break;
  }
  if (!number || !std::isfinite(*number)) return fail(SerialErrc::WrongType);
  if ((cmd.min && *number < *cmd.min) || (cmd.max && *number > *cmd.max)) {
    return fail(SerialErrc::OutOfRange);
  }
  if (cmd.type == ValueType::Number) return Value{*number};
  if (const auto* i = std::get_if<std::int64_t>(&v)) return Value{*i};
  if (std::trunc(*number) != *number || std::fabs(*number) >= 9.2e18) {
    return fail(SerialErrc::WrongType);
  }
  return Value{static_cast<std::int64_t>(*number)};
}

}  // namespace gw::adapters::serial
