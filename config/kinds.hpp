// Value kinds: how one YAML value becomes one C++ value. A kind is a small copyable struct with
//
//   using value_type = ...;
//   std::optional<value_type> parse(const YAML::Node&, const Cursor&) const;  // reports errors
//   std::string type() const;                 // for the reference: "integer", "duration", ...
//   std::string range() const;                // "1..65535", "trace|debug|...", or ""
//   std::string show(const value_type&) const;  // renders a default for the reference
//   JsonSpec json() const;                    // what it accepts, for config/schema.json
//
// and is bound to a struct member by config::field() (schema.hpp). Kinds never clamp: a value
// outside the range is reported with the range and not stored. Add a kind here when a new value
// shape appears (an address, a topic filter); section-specific kinds live with their section.
//
// Thread safety: kinds are immutable after construction.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/cursor.hpp"
#include "config/json_spec.hpp"
#include "config/scalar.hpp"
#include "config/suggest.hpp"
#include "config/units.hpp"
#include "core/message.hpp"

namespace gw::config {

namespace detail {
// Decimal integer with an optional '-': the value, or nullopt when `text` is not an integer at
// all; `overflow` is set when it is one but does not fit in int64.
std::optional<std::int64_t> parse_int(std::string_view text, bool& overflow);
}  // namespace detail

template <class I>
struct Integer {
  static_assert(std::is_integral_v<I> && sizeof(I) <= 4, "wider integers need a wider parser");
  using value_type = I;
  I min = std::numeric_limits<I>::min();
  I max = std::numeric_limits<I>::max();

  std::optional<I> parse(const YAML::Node& node, const Cursor& at) const {
    auto s = read_scalar(node, at, "an integer " + range());
    if (!s) return std::nullopt;
    bool overflow = false;
    const auto v = detail::parse_int(s->text, overflow);
    if (!v && !overflow) {
      at.error(s->mark, "expected an integer " + range() + ", got '" + s->text + "'");
      return std::nullopt;
    }
    if (overflow || *v < static_cast<std::int64_t>(min) || *v > static_cast<std::int64_t>(max)) {
      at.error(s->mark, s->text + " out of range " + range());
      return std::nullopt;
    }
    return static_cast<I>(*v);
  }
  [[nodiscard]] std::string type() const { return "integer"; }
  [[nodiscard]] std::string range() const { return std::to_string(min) + ".." + std::to_string(max); }
  [[nodiscard]] std::string show(I v) const { return std::to_string(v); }
  [[nodiscard]] JsonSpec json() const {
    JsonSpec j;
    j.type = JsonSpec::Type::Integer;
    j.minimum = static_cast<std::int64_t>(min);
    j.maximum = static_cast<std::int64_t>(max);
    return j;
  }
};

// A decimal number: "21.5", "-40", "1e-3". Finite only (no .inf or .nan); min and max are
// inclusive, infinite for no bound.
struct Number {
  using value_type = double;
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();

  std::optional<double> parse(const YAML::Node& node, const Cursor& at) const;
  [[nodiscard]] std::string type() const { return "number"; }
  [[nodiscard]] std::string range() const;  // "", ">= 0", "0..100"
  [[nodiscard]] std::string show(double v) const;  // shortest exact text: "1", "0.1"
  [[nodiscard]] JsonSpec json() const;
};

// A key that may be left out, with no default value of its own (a point's poll_interval, which
// falls back to its device's): `kind`'s value when given, nullopt otherwise. `none` is how the
// reference shows the unset value.
template <class K>
struct Optional {
  using value_type = std::optional<typename K::value_type>;
  K kind;
  std::string none = "none";

  std::optional<value_type> parse(const YAML::Node& node, const Cursor& at) const {
    auto v = kind.parse(node, at);
    if (!v) return std::nullopt;
    return value_type(std::move(*v));
  }
  [[nodiscard]] std::string type() const { return kind.type(); }
  [[nodiscard]] std::string range() const { return kind.range(); }
  [[nodiscard]] std::string show(const value_type& v) const { return v ? kind.show(*v) : none; }
  [[nodiscard]] JsonSpec json() const { return kind.json(); }
  // The JSON Schema states no default for an unset value.
  [[nodiscard]] std::string json_value(const value_type& v) const {
    if (!v) return "";
    switch (kind.json().type) {
      case JsonSpec::Type::Integer:
      case JsonSpec::Type::Number:
      case JsonSpec::Type::Boolean:
        return kind.show(*v);
      case JsonSpec::Type::String:
        return json_quote(kind.show(*v));
      case JsonSpec::Type::Object:
      case JsonSpec::Type::Array:
        break;
    }
    return "";
  }
};

// true or false, nothing else (YAML 1.1's yes/no/on/off are rejected as too easy to misread).
struct Bool {
  using value_type = bool;
  std::optional<bool> parse(const YAML::Node& node, const Cursor& at) const;
  [[nodiscard]] std::string type() const { return "boolean"; }
  [[nodiscard]] std::string range() const { return "true|false"; }
  [[nodiscard]] std::string show(bool v) const { return v ? "true" : "false"; }
  [[nodiscard]] JsonSpec json() const { return {.type = JsonSpec::Type::Boolean}; }
};

// Any text of min_length..max_length bytes.
struct Text {
  using value_type = std::string;
  std::size_t min_length = 0;
  std::size_t max_length = 4096;
  std::optional<std::string> parse(const YAML::Node& node, const Cursor& at) const;
  [[nodiscard]] std::string type() const { return "string"; }
  [[nodiscard]] std::string range() const;
  [[nodiscard]] std::string show(const std::string& v) const { return v.empty() ? "\"\"" : v; }
  [[nodiscard]] JsonSpec json() const;
};

// A name that is safe as a topic level, a file name and a log tag: 1..max_length characters of
// A-Z a-z 0-9 . _ -
struct Identifier {
  using value_type = std::string;
  std::size_t max_length = 64;
  std::optional<std::string> parse(const YAML::Node& node, const Cursor& at) const;
  [[nodiscard]] std::string type() const { return "identifier"; }
  [[nodiscard]] std::string range() const;
  [[nodiscard]] std::string show(const std::string& v) const { return v; }
  [[nodiscard]] JsonSpec json() const;
};

// One of a fixed set of words; never a number.
template <class E>
struct Enum {
  using value_type = E;
  std::vector<std::pair<std::string, E>> words;

  std::optional<E> parse(const YAML::Node& node, const Cursor& at) const {
    auto s = read_scalar(node, at, "one of " + list(", "));
    if (!s) return std::nullopt;
    std::vector<std::string> names;
    for (const auto& [word, value] : words) {
      if (word == s->text) return value;
      names.push_back(word);
    }
    at.error(s->mark, "'" + s->text + "' is not one of " + list(", ") + did_you_mean(s->text, names));
    return std::nullopt;
  }
  [[nodiscard]] std::string type() const { return "enum"; }
  [[nodiscard]] std::string range() const { return list("|"); }
  [[nodiscard]] std::string show(E v) const {
    for (const auto& [word, value] : words) {
      if (value == v) return word;
    }
    return "?";
  }
  [[nodiscard]] JsonSpec json() const {
    JsonSpec j;
    for (const auto& w : words) j.choices.push_back(w.first);
    return j;
  }

 private:
  [[nodiscard]] std::string list(const char* sep) const {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : sep) + w.first;
    return out;
  }
};

// A std::chrono duration written with a unit (units.hpp). D's resolution is enforced: a
// seconds field rejects "1500ms" rather than rounding it.
template <class D>
struct Duration {
  using value_type = D;
  D min = D::zero();
  D max = D::max();

  std::optional<D> parse(const YAML::Node& node, const Cursor& at) const {
    auto s = read_scalar(node, at, "a duration " + range());
    if (!s) return std::nullopt;
    std::string error;
    const auto ms = parse_duration(s->text, error);
    if (!ms) {
      at.error(s->mark, error);
      return std::nullopt;
    }
    const auto v = std::chrono::duration_cast<D>(*ms);
    if (std::chrono::duration_cast<std::chrono::milliseconds>(v) != *ms) {
      at.error(s->mark, "'" + s->text + "' is not a whole number of " + unit_name());
      return std::nullopt;
    }
    if (v < min || v > max) {
      at.error(s->mark, s->text + " out of range " + range());
      return std::nullopt;
    }
    return v;
  }
  [[nodiscard]] std::string type() const { return "duration"; }
  [[nodiscard]] std::string range() const { return show(min) + ".." + show(max); }
  [[nodiscard]] std::string show(D v) const {
    return format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(v));
  }
  [[nodiscard]] JsonSpec json() const {
    return {.pattern = duration_pattern(), .range = range() + wholeness()};
  }

 private:
  static std::string unit_name() {
    if constexpr (std::is_same_v<typename D::period, std::ratio<1>>) return "seconds";
    return "units of this field";
  }
  static std::string wholeness() {
    if constexpr (std::is_same_v<typename D::period, std::milli>) return "";
    return ", whole " + unit_name();
  }
};

// A byte count written with a unit (units.hpp).
template <class I>
struct Size {
  using value_type = I;
  I min = 0;
  I max = std::numeric_limits<I>::max();

  std::optional<I> parse(const YAML::Node& node, const Cursor& at) const {
    auto s = read_scalar(node, at, "a size " + range());
    if (!s) return std::nullopt;
    std::string error;
    const auto v = parse_size(s->text, error);
    if (!v) {
      at.error(s->mark, error);
      return std::nullopt;
    }
    if (*v < static_cast<std::uint64_t>(min) || *v > static_cast<std::uint64_t>(max)) {
      at.error(s->mark, s->text + " out of range " + range());
      return std::nullopt;
    }
    return static_cast<I>(*v);
  }
  [[nodiscard]] std::string type() const { return "size"; }
  [[nodiscard]] std::string range() const { return show(min) + ".." + show(max); }
  [[nodiscard]] std::string show(I v) const { return format_size(static_cast<std::uint64_t>(v)); }
  [[nodiscard]] JsonSpec json() const { return {.pattern = size_pattern(), .range = range()}; }
};

// An MQTT QoS level: the numbers 0, 1, 2 (the one enum written as a number, as in MQTT itself).
struct QosLevel {
  using value_type = QoS;
  std::optional<QoS> parse(const YAML::Node& node, const Cursor& at) const;
  [[nodiscard]] std::string type() const { return "integer"; }
  [[nodiscard]] std::string range() const { return "0..2"; }
  [[nodiscard]] std::string show(QoS v) const { return std::to_string(static_cast<int>(v)); }
  [[nodiscard]] JsonSpec json() const { return Integer<int>{0, 2}.json(); }
};

// MQTT topics (MQTT 5 §4.7), checked here rather than with broker/protocol, which config/ does not
// link. Each returns what is wrong with `text`, or "" when it is valid; the messages name the rule.
//   topic_filter_problem: empty, longer than 65,535 bytes, a NUL (MQTT 5 §1.5.4 [MQTT-1.5.4-2]),
//     '#' not alone in the last level [MQTT-4.7.1-1], '+' not alone in its level [MQTT-4.7.1-2];
//     with allow_shared, "$share/<group>/<filter>" (MQTT 5 §4.8.2) is checked part by part,
//     without it refused.
//   topic_name_problem: empty, too long, a NUL, or a wildcard [MQTT-3.3.2-2].
[[nodiscard]] std::string topic_filter_problem(std::string_view text, bool allow_shared);
[[nodiscard]] std::string topic_name_problem(std::string_view text);

// A topic filter: "plant-1/#", "+/temperature".
struct TopicFilterText {
  using value_type = std::string;
  bool allow_shared = false;
  std::optional<std::string> parse(const YAML::Node& node, const Cursor& at) const;
  [[nodiscard]] std::string type() const { return "topic filter"; }
  [[nodiscard]] std::string range() const { return ""; }
  [[nodiscard]] std::string show(const std::string& v) const { return v.empty() ? "\"\"" : v; }
  [[nodiscard]] JsonSpec json() const;
};

// A topic name (no wildcards): "plant-1/status". With allow_empty, "" is accepted too (it
// usually means "off").
struct TopicNameText {
  using value_type = std::string;
  bool allow_empty = false;
  std::optional<std::string> parse(const YAML::Node& node, const Cursor& at) const;
  [[nodiscard]] std::string type() const { return "topic"; }
  [[nodiscard]] std::string range() const { return ""; }
  [[nodiscard]] std::string show(const std::string& v) const { return v.empty() ? "\"\"" : v; }
  [[nodiscard]] JsonSpec json() const;
};

}  // namespace gw::config
