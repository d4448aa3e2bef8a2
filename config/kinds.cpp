#include "config/kinds.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <system_error>

namespace gw::config {

std::optional<std::int64_t> detail::parse_int(std::string_view text, bool& overflow) {
  overflow = false;
  const std::size_t digits_at = !text.empty() && text.front() == '-' ? 1 : 0;
  if (text.size() == digits_at) return std::nullopt;
  for (std::size_t i = digits_at; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  (void)end;
  if (ec == std::errc::result_out_of_range) {
    overflow = true;
    return std::nullopt;
  }
  return v;
}

std::optional<double> Number::parse(const YAML::Node& node, const Cursor& at) const {
  const std::string r = range();
  auto s = read_scalar(node, at, r.empty() ? "a number" : "a number " + r);
  if (!s) return std::nullopt;
  double v = 0;
  const char* first = s->text.data();
  const char* last = first + s->text.size();
  // from_chars: decimal or exponent notation, no leading '+', no hex, no locale.
  const auto [end, ec] = std::from_chars(first, last, v);
  if (ec == std::errc::result_out_of_range && end == last) {
    at.error(s->mark, s->text + " out of range" + (r.empty() ? "" : " " + r));
    return std::nullopt;
  }
  if (ec != std::errc() || end != last || !std::isfinite(v)) {
    at.error(s->mark, "expected a number" + (r.empty() ? "" : " " + r) + ", got '" + s->text + "'");
    return std::nullopt;
  }
  if (v < min || v > max) {
    at.error(s->mark, s->text + " out of range " + r);
    return std::nullopt;
  }
  return v;
}

std::string Number::range() const {
  const bool lower = std::isfinite(min);
  const bool upper = std::isfinite(max);
  if (lower && upper) return show(min) + ".." + show(max);
  if (lower) return ">= " + show(min);
  if (upper) return "<= " + show(max);
  return "";
}

std::string Number::show(double v) const {
  std::array<char, 32> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return ec == std::errc() ? std::string(buf.data(), end) : std::string("?");
}

JsonSpec Number::json() const {
  JsonSpec j;
  j.type = JsonSpec::Type::Number;
  // JsonSpec bounds are integers; a fractional bound is stated in the description instead.
  const auto integral = [](double b) {
    return std::isfinite(b) && std::trunc(b) == b && std::fabs(b) < 9.0e15;
  };
  if (integral(min)) j.minimum = static_cast<std::int64_t>(min);
  if (integral(max)) j.maximum = static_cast<std::int64_t>(max);
  if ((std::isfinite(min) && !integral(min)) || (std::isfinite(max) && !integral(max))) {
    j.range = range();
  }
  return j;
}

std::optional<bool> Bool::parse(const YAML::Node& node, const Cursor& at) const {
  auto s = read_scalar(node, at, "true or false");
  if (!s) return std::nullopt;
  if (s->text == "true") return true;
  if (s->text == "false") return false;
  at.error(s->mark, "expected true or false, got '" + s->text + "'");
  return std::nullopt;
}

std::string Text::range() const {
  return min_length == 0 ? "" : std::to_string(min_length) + ".." + std::to_string(max_length) + " bytes";
}

std::optional<std::string> Text::parse(const YAML::Node& node, const Cursor& at) const {
  auto s = read_scalar(node, at, "a string");
  if (!s) return std::nullopt;
  if (s->text.size() < min_length || s->text.size() > max_length) {
    at.error(s->mark, s->text.empty() ? std::string("must not be empty")
                                      : "length " + std::to_string(s->text.size()) +
                                            " out of range " + std::to_string(min_length) + ".." +
                                            std::to_string(max_length));
    return std::nullopt;
  }
  return std::move(s->text);
}

JsonSpec Text::json() const {
  JsonSpec j;
  if (min_length > 0) j.min_length = min_length;
  j.max_length = max_length;
  return j;
}

JsonSpec Identifier::json() const {
  return {.pattern = "^[A-Za-z0-9._-]{1," + std::to_string(max_length) + "}$"};
}

std::string Identifier::range() const {
  return "1.." + std::to_string(max_length) + " of A-Z a-z 0-9 . _ -";
}

std::optional<std::string> Identifier::parse(const YAML::Node& node, const Cursor& at) const {
  auto s = read_scalar(node, at, "an identifier");
  if (!s) return std::nullopt;
  const auto ok_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
  };
  bool ok = !s->text.empty() && s->text.size() <= max_length;
  for (char c : s->text) ok = ok && ok_char(c);
  if (!ok) {
    at.error(s->mark, "'" + s->text + "' is not a valid identifier: use " + range());
    return std::nullopt;
  }
  return std::move(s->text);
}

std::optional<QoS> QosLevel::parse(const YAML::Node& node, const Cursor& at) const {
  auto v = Integer<int>{0, 2}.parse(node, at);
  if (!v) return std::nullopt;
  return static_cast<QoS>(*v);
}

namespace {
constexpr std::size_t kMaxTopicBytes = 65535;  // MQTT 5 §1.5.4: a UTF-8 Encoded String
}  // namespace

std::string topic_filter_problem(std::string_view text, bool allow_shared) {
  if (text.empty()) return "must not be empty";
  if (text.size() > kMaxTopicBytes) return "longer than 65535 bytes";
  if (text.find('\0') != std::string_view::npos) return "contains a NUL character";
  std::string_view filter = text;
  if (text.starts_with("$share/")) {
    if (!allow_shared) return "a shared subscription ($share/...) is not allowed here";
    const std::string_view rest = text.substr(7);
    const auto slash = rest.find('/');
    const std::string_view group = rest.substr(0, slash);
    if (group.empty() || group.find_first_of("+#") != std::string_view::npos) {
      return "'$share/' must be followed by a group name without '+' or '#', then '/' and a filter";
    }
    if (slash == std::string_view::npos || slash + 1 == rest.size()) {
      return "'$share/" + std::string(group) + "' must be followed by '/' and a filter";
    }
    filter = rest.substr(slash + 1);
  }
  std::size_t start = 0;
  while (true) {
    const auto end = filter.find('/', start);
    const std::string_view level =
        filter.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (level.find('#') != std::string_view::npos && (level != "#" || end != std::string_view::npos)) {
      return "'#' must be the whole last level (a/#)";
    }
    if (level.find('+') != std::string_view::npos && level != "+") {
      return "'+' must be a whole level (a/+/b)";
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return "";
}

std::string topic_name_problem(std::string_view text) {
  if (text.empty()) return "must not be empty";
  if (text.size() > kMaxTopicBytes) return "longer than 65535 bytes";
  if (text.find('\0') != std::string_view::npos) return "contains a NUL character";
  if (text.find_first_of("+#") != std::string_view::npos) {
    return "a topic name cannot contain the wildcards '+' or '#'";
  }
  return "";
}

std::optional<std::string> TopicFilterText::parse(const YAML::Node& node, const Cursor& at) const {
  auto s = read_scalar(node, at, "a topic filter");
  if (!s) return std::nullopt;
  if (const std::string problem = topic_filter_problem(s->text, allow_shared); !problem.empty()) {
    at.error(s->mark, "'" + s->text + "' is not a valid topic filter: " + problem);
    return std::nullopt;
  }
  return std::move(s->text);
}

JsonSpec TopicFilterText::json() const { return {.min_length = 1, .max_length = kMaxTopicBytes}; }

std::optional<std::string> TopicNameText::parse(const YAML::Node& node, const Cursor& at) const {
  auto s = read_scalar(node, at, "a topic");
  if (!s) return std::nullopt;
  if (s->text.empty() && allow_empty) return std::string();
  if (const std::string problem = topic_name_problem(s->text); !problem.empty()) {
    at.error(s->mark, "'" + s->text + "' is not a valid topic: " + problem);
    return std::nullopt;
  }
  return std::move(s->text);
}

JsonSpec TopicNameText::json() const {
  JsonSpec j;
  if (!allow_empty) j.min_length = 1;
  j.max_length = kMaxTopicBytes;
  return j;
}

}  // namespace gw::config
