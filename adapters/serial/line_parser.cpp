#include "adapters/serial/line_parser.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "adapters/serial/serial_error.hpp"

namespace gw::adapters::serial {
namespace {

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) {
             return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
           };
           return lower(x) == lower(y);
         });
}

Result<double> parse_number(std::string_view t) {
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec == std::errc::result_out_of_range) return fail(SerialErrc::OutOfRange);
  if (ec != std::errc{} || end != t.data() + t.size() || !std::isfinite(v)) {
    return fail(SerialErrc::BadNumber);
  }
  return v;
}

Result<std::int64_t> parse_integer(std::string_view t, int base) {
  bool negative = false;
  if (!t.empty() && (t.front() == '+' || t.front() == '-')) {
    negative = t.front() == '-';
    t.remove_prefix(1);
  }
  if (base == 16 && t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) t.remove_prefix(2);
  std::uint64_t magnitude = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), magnitude, base);
  if (ec == std::errc::result_out_of_range) return fail(SerialErrc::OutOfRange);
  if (ec != std::errc{} || end != t.data() + t.size() || t.empty()) {
    return fail(SerialErrc::BadNumber);
  }
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (!negative && magnitude > kMax) return fail(SerialErrc::OutOfRange);
  if (negative && magnitude > kMax + 1) return fail(SerialErrc::OutOfRange);
  if (negative) return static_cast<std::int64_t>(0 - magnitude);
  return static_cast<std::int64_t>(magnitude);
}

double round_to(double v, std::uint8_t decimals) {
  const double f = std::pow(10.0, decimals);
  return std::round(v * f) / f;
}

bool scaled(const PointOptions& p) {
  return p.scale != 1.0 || p.offset != 0.0 || p.decimals.has_value();
}

}  // namespace

Result<Value> parse_point_value(const PointOptions& point, std::string_view text) {
  if (point.type == ValueType::String) {
    if (text.empty()) return fail(SerialErrc::EmptyCapture);
    return Value{std::string(text)};
  }
  const std::string_view t = trim(text);
  if (t.empty()) return fail(SerialErrc::EmptyCapture);
  switch (point.type) {
    case ValueType::Bool: {
      const auto is = [&](const std::vector<std::string>& words) {
        return std::any_of(words.begin(), words.end(), [&](const auto& w) { return iequals(w, t); });
      };
      if (is(point.true_values)) return Value{true};
      if (is(point.false_values)) return Value{false};
      return fail(SerialErrc::BadNumber);
    }
    case ValueType::Integer: {
      GW_TRY(i, parse_integer(t, point.base));
      if (!scaled(point)) return Value{i};
      double v = static_cast<double>(i) * point.scale + point.offset;
      if (point.decimals) v = round_to(v, *point.decimals);
      return Value{v};
    }
    case ValueType::Number:
    case ValueType::String: break;
  }
  GW_TRY(d, parse_number(t));
  double v = d * point.scale + point.offset;
  if (point.decimals) v = round_to(v, *point.decimals);
  return Value{v};
}

Result<LineParser> LineParser::compile(PatternOptions options) {
  GW_TRY(regex, Regex::compile(options.regex));
  std::vector<int> groups;
  for (const PointOptions& p : options.points) {
    const auto n = regex.group_number(p.capture.empty() ? p.name : p.capture);
    if (!n) return fail(std::errc::invalid_argument);
    groups.push_back(*n);
  }
  return LineParser(std::move(options), std::move(regex), std::move(groups));
}

bool LineParser::parse(std::string_view frame, std::vector<Result<Value>>& values) {
  values.clear();
  if (!regex_.search(frame)) return false;
  for (std::size_t i = 0; i < groups_.size(); ++i) {
    const auto text = regex_.group(groups_[i]);
    if (!text) {
      values.emplace_back(fail(SerialErrc::EmptyCapture));
      continue;
    }
    values.push_back(parse_point_value(options_.points[i], *text));
  }
  return true;
}

}  // namespace gw::adapters::serial
