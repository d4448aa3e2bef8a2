// config::Schema<T>: a section of the configuration file as a declarative table of fields, each
// binding one key to one member of an options struct through a value kind (kinds.hpp), in the
// spirit of fluent-bit's config maps. Defaults are the struct's own member initializers, so they
// live in exactly one place (<module>/options.hpp).
//
//   const Schema<gateway::GatewayOptions>& gateway_schema() {
//     using O = gateway::GatewayOptions;
//     static const Schema<O> s{"gateway", {
//         field("id", &O::id, Identifier{}, "First level of every default topic."),
//         field("log_level", &O::log_level, Enum<core::LogLevel>{{{"info", ...}}}, "..."),
//     }};
//     return s;
//   }
//
// Schema::parse checks what every section needs, so a section only lists its fields:
// unknown keys (with a "did you mean" suggestion), duplicate keys (yaml-cpp keeps both), keys
// that are not plain scalars, missing required keys, `x` given together with `x_file` for
// secrets. Cross-field rules go into the optional Check, run after the fields.
//
// The same table describes the section twice more: describe() gives the reference rows
// (docs/configuration.md), json_keys() the published JSON Schema (config/schema.json, rendered
// by json_schema() in json_schema.cpp).
//
// Thread safety: schemas are immutable after construction; build them once as function-local
// statics and share them.
#pragma once

#include <concepts>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/cursor.hpp"
#include "config/json_spec.hpp"
#include "config/kinds.hpp"
#include "config/scalar.hpp"
#include "config/secret_file.hpp"

namespace gw::config {

// One row of the reference (docs/configuration.md): a key and what it accepts.
struct FieldInfo {
  std::string path;  // "broker.listeners[].bind"
  std::string type;
  std::string default_value;
  std::string range;
  bool required;
  std::string doc;
};

enum class Need { Optional, Required };

template <class T>
struct Field {
  std::string key;
  std::string doc;
  Need need = Need::Optional;
  std::string type;
  std::string range;
  // Parses `value` into `out`; reports problems through the cursor (already at this key).
  std::function<void(const YAML::Node& value, T& out, const Cursor& at)> parse;
  // Secrets only: parses the `<key>_file` variant (a path whose content is the value).
  std::function<void(const YAML::Node& value, T& out, const Cursor& at)> parse_file;
  std::function<std::string(const T&)> show;
  // Nested sections and lists: the rows of their own fields.
  std::function<void(const std::string& path, std::vector<FieldInfo>& rows)> describe;
  // For config/schema.json: what the value accepts (computed on demand, nested schemas
  // included), and the member's value in a T as JSON text ("" for none).
  std::function<JsonSpec()> json;
  std::function<std::string(const T&)> json_value;
};

namespace detail {

struct KeySpec {
  std::string key;
  bool required;
  bool secret;  // `<key>_file` is accepted too
};
using Visit = std::function<void(std::size_t field, bool from_file, const YAML::Node& value,
                                 const Cursor& at)>;
// Walks the mapping `node` in document order and calls `visit` for each known key. Reports a
// non-mapping, non-scalar keys, duplicate and unknown keys, `k` together with `k_file`, and
// missing required keys. A null node (`section:` with nothing under it) is an empty mapping.
void walk_map(const YAML::Node& node, const Cursor& at, const std::vector<KeySpec>& keys,
              const Visit& visit);

template <class K>
concept Nested = requires(const K& k, const std::string& p, std::vector<FieldInfo>& rows) {
  k.describe(p, rows);
};

template <class K>
concept HasJsonValue = requires(const K& k, const typename K::value_type& v) {
  { k.json_value(v) } -> std::convertible_to<std::string>;
};

// A value as JSON text for the schema's "default": numbers and booleans as the reference shows
// them, strings quoted; "" when there is nothing useful to show (an empty string, a section).
template <class K>
std::string json_value_of(const K& kind, const typename K::value_type& v) {
  if constexpr (HasJsonValue<K>) {
    return kind.json_value(v);
  } else {
    switch (kind.json().type) {
      case JsonSpec::Type::Integer:
      case JsonSpec::Type::Number:
      case JsonSpec::Type::Boolean:
        return kind.show(v);
      case JsonSpec::Type::String: {
        std::string text;
        if constexpr (std::is_same_v<typename K::value_type, std::string>) {
          text = v;
        } else {
          text = kind.show(v);
        }
        return text.empty() ? std::string() : json_quote(text);
      }
      case JsonSpec::Type::Object:
      case JsonSpec::Type::Array:
        break;
    }
    return {};
  }
}

template <class T, class K, class Set, class Get>
Field<T> make_field(std::string key, K kind, Set set, Get get, std::string doc, Need need) {
  Field<T> f;
  f.key = std::move(key);
  f.doc = std::move(doc);
  f.need = need;
  f.type = kind.type();
  f.range = kind.range();
  f.parse = [kind, set](const YAML::Node& value, T& out, const Cursor& at) {
    if (auto v = kind.parse(value, at)) set(out, std::move(*v));
  };
  f.show = [kind, get](const T& t) { return kind.show(get(t)); };
  if constexpr (Nested<K>) {
    f.describe = [kind](const std::string& path, std::vector<FieldInfo>& rows) {
      kind.describe(path, rows);
    };
  }
  f.json = [kind] { return kind.json(); };
  f.json_value = [kind, get](const T& t) { return json_value_of(kind, get(t)); };
  return f;
}

}  // namespace detail

// Binds `key` to `T::*member` through `kind`.
template <class T, class M, class K>
Field<T> field(std::string key, M T::*member, K kind, std::string doc, Need need = Need::Optional) {
  static_assert(std::is_assignable_v<M&, typename K::value_type>, "kind does not fit the member");
  return detail::make_field<T>(
      std::move(key), std::move(kind),
      [member](T& out, typename K::value_type&& v) { out.*member = std::move(v); },
      [member](const T& t) -> typename K::value_type { return t.*member; }, std::move(doc), need);
}

// Binds `key` through a setter and getter, for a value spread over several members (a
// "host:port" that fills address and port).
template <class T, class K, class Set, class Get>
Field<T> field(std::string key, K kind, Set set, Get get, std::string doc,
               Need need = Need::Optional) {
  return detail::make_field<T>(std::move(key), std::move(kind), std::move(set), std::move(get),
                               std::move(doc), need);
}

// A secret string: `key: value` (usually `${ENV}`) or `key_file: /path` whose content, without
// trailing newlines, is the value (read_secret_file). Giving both is an error. Secrets are never
// shown in the reference.
// Makes `f` (bound to `member`) a secret: never shown in the reference or the JSON Schema's
// defaults, and readable from a file through `<key>_file`.
template <class T, class M>
Field<T> as_secret(Field<T> f, M T::*member) {
  f.type = "secret";
  f.show = [](const T&) { return std::string(); };
  f.json_value = [](const T&) { return std::string(); };
  f.parse_file = [member](const YAML::Node& value, T& out, const Cursor& at) {
    auto path = Text{1}.parse(value, at);
    if (!path) return;
    if (auto content = read_secret_file(*path, value.Mark(), at)) out.*member = std::move(*content);
  };
  return f;
}

template <class T>
Field<T> secret(std::string key, std::string T::*member, std::string doc, Need need = Need::Optional) {
  return as_secret(field(std::move(key), member, Text{}, std::move(doc), need), member);
}

template <class T>
class Schema {
 public:
  // Cross-field rules: `out` holds every field that parsed; `node` is the section's mapping,
  // for positions (detail::find_value). Runs only when the section's fields had no errors, so a
  // check may assume every value is in range.
  using Check = std::function<void(const T& out, const YAML::Node& node, const Cursor& at)>;

  Schema(std::string name, std::vector<Field<T>> fields, Check check = {})
      : name_(std::move(name)), fields_(std::move(fields)), check_(std::move(check)) {
    for (const auto& f : fields_) {
      keys_.push_back({f.key, f.need == Need::Required, static_cast<bool>(f.parse_file)});
    }
  }

  // Parses the mapping `node` onto `out`, which holds the defaults; every problem goes to `at`.
  void parse(const YAML::Node& node, T& out, const Cursor& at) const {
    const std::size_t errors_before = at.diag().error_count();
    detail::walk_map(node, at, keys_,
                     [&](std::size_t i, bool from_file, const YAML::Node& value, const Cursor& key_at) {
                       const auto& f = fields_[i];
                       (from_file ? f.parse_file : f.parse)(value, out, key_at);
                     });
    // Cross-field rules would only restate errors about values that did not parse.
    if (check_ && at.diag().error_count() == errors_before) check_(out, node, at);
  }

  // The reference rows for this section and everything nested in it, defaults from T{}.
  [[nodiscard]] std::vector<FieldInfo> describe(const std::string& prefix) const {
    std::vector<FieldInfo> rows;
    describe(prefix, rows);
    return rows;
  }
  void describe(const std::string& prefix, std::vector<FieldInfo>& rows) const {
    const T defaults{};
    for (const auto& f : fields_) {
      const std::string path = prefix.empty() ? f.key : prefix + "." + f.key;
      rows.push_back({path, f.type, f.show(defaults), f.range, f.need == Need::Required, f.doc});
      if (f.parse_file) {
        rows.push_back({path + "_file", "path", "", "", false, "Reads " + f.key + " from a file."});
      }
      if (f.describe) f.describe(path, rows);
    }
  }

  [[nodiscard]] const std::string& name() const { return name_; }

  // The keys for config/schema.json, defaults from T{}.
  [[nodiscard]] std::vector<JsonKey> json_keys() const {
    const T defaults{};
    std::vector<JsonKey> keys;
    for (const auto& f : fields_) {
      keys.push_back({f.key, f.doc, f.need == Need::Required, static_cast<bool>(f.parse_file),
                      f.json(), f.json_value(defaults)});
    }
    return keys;
  }
  // `t` as a JSON object, with the keys that are required or differ from T{}: how a default
  // list entry is written in the schema.
  [[nodiscard]] std::string json_object(const T& t) const {
    const T defaults{};
    std::string out;
    for (const auto& f : fields_) {
      const std::string v = f.json_value(t);
      if (v.empty() || (f.need != Need::Required && f.show(t) == f.show(defaults))) continue;
      out += (out.empty() ? "{" : ",") + json_quote(f.key) + ":" + v;
    }
    return out.empty() ? "{}" : out + "}";
  }

 private:
  std::string name_;
  std::vector<Field<T>> fields_;
  std::vector<detail::KeySpec> keys_;
  Check check_;
};

// A nested mapping parsed by its own schema.
template <class S>
struct Section {
  using value_type = S;
  const Schema<S>* schema;

  std::optional<S> parse(const YAML::Node& node, const Cursor& at) const {
    S v{};
    schema->parse(node, v, at);
    return v;
  }
  [[nodiscard]] std::string type() const { return "mapping"; }
  [[nodiscard]] std::string range() const { return ""; }
  [[nodiscard]] std::string show(const S&) const { return ""; }
  void describe(const std::string& path, std::vector<FieldInfo>& rows) const {
    schema->describe(path, rows);
  }
  [[nodiscard]] JsonSpec json() const {
    return {.type = JsonSpec::Type::Object, .keys = schema->json_keys()};
  }
};

// A list of mappings, each parsed by `schema` onto a default-constructed element. A given list
// replaces the default list; it is not appended to.
template <class E>
struct List {
  using value_type = std::vector<E>;
  const Schema<E>* schema;
  std::size_t min_items = 0;
  std::size_t max_items = 1024;
  std::string default_text;  // how the reference shows the default list

  std::optional<value_type> parse(const YAML::Node& node, const Cursor& at) const {
    if (!node.IsSequence()) {
      at.error(mark_of(node, at),
               "expected a list of " + schema->name() + "s, got " + describe_node(node));
      return std::nullopt;
    }
    if (node.size() < min_items) {
      at.error(node.size() == 0 ? mark_of(node, at) : node.Mark(),
               (node.size() == 0 ? std::string("the list is empty") : "only " + std::to_string(node.size())) +
                   "; at least " + count(min_items) + " required");
      return std::nullopt;
    }
    if (node.size() > max_items) {
      // At the first entry too many, which is where the user has to cut.
      at.error(node[max_items].Mark(), std::to_string(node.size()) + " " + schema->name() +
                                           "s; at most " + std::to_string(max_items) + " are allowed");
      return std::nullopt;
    }
    value_type out;
    std::size_t i = 0;
    for (const auto& item : node) {
      E e{};
      schema->parse(item, e, at.index(i++, item.Mark()));
      out.push_back(std::move(e));
    }
    return out;
  }
  [[nodiscard]] std::string type() const { return "list of " + schema->name() + "s"; }
  [[nodiscard]] std::string range() const {
    return std::to_string(min_items) + ".." + std::to_string(max_items) + " entries";
  }
  [[nodiscard]] std::string show(const value_type&) const { return default_text; }
  void describe(const std::string& path, std::vector<FieldInfo>& rows) const {
    schema->describe(path + "[]", rows);
  }
  [[nodiscard]] JsonSpec json() const {
    return {.type = JsonSpec::Type::Array,
            .min_length = min_items,
            .max_length = max_items,
            .keys = schema->json_keys()};
  }
  [[nodiscard]] std::string json_value(const value_type& v) const {
    std::string out = "[";
    for (const auto& e : v) out += (out.size() > 1 ? "," : "") + schema->json_object(e);
    return out + "]";
  }

 private:
  [[nodiscard]] std::string count(std::size_t n) const {
    return std::to_string(n) + " " + schema->name() + (n == 1 ? " is" : "s are");
  }
};

// A list that must be given and hold at least one entry. As List, but the JSON Schema states no
// default: an empty list would not be a valid one.
template <class E>
struct RequiredList {
  using value_type = std::vector<E>;
  List<E> list;

  std::optional<value_type> parse(const YAML::Node& node, const Cursor& at) const {
    return list.parse(node, at);
  }
  [[nodiscard]] std::string type() const { return list.type(); }
  [[nodiscard]] std::string range() const { return list.range(); }
  [[nodiscard]] std::string show(const value_type&) const { return ""; }
  void describe(const std::string& path, std::vector<FieldInfo>& rows) const {
    list.describe(path, rows);
  }
  [[nodiscard]] JsonSpec json() const { return list.json(); }
};

namespace detail {
// The value under `key` in the mapping `map`, or an undefined node. Unlike operator[], never
// inserts, and with duplicate keys returns the first.
YAML::Node find_value(const YAML::Node& map, std::string_view key);
// Where the value of `key` in the mapping `map` is, or the mapping itself when the key is absent
// (the value is a default): the position for a cross-field message.
YAML::Mark value_mark(const YAML::Node& map, std::string_view key);
// Entry `i` of the list under `key`, or an undefined node.
YAML::Node entry(const YAML::Node& map, std::string_view key, std::size_t i);
}  // namespace detail

}  // namespace gw::config
