// config::JsonSpec: what one value kind accepts, in the terms of JSON Schema, so that the
// published schema (config/schema.json, rendered by json_schema() in json_schema.cpp) is
// generated from the same field tables the loader parses with. Kinds and schemas fill these
// plain structs; only json_schema.cpp knows the JSON library.
//
// Thread safety: value types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gw::config {

struct JsonKey;

struct JsonSpec {
  enum class Type { Integer, Number, Boolean, String, Object, Array };
  Type type = Type::String;
  std::optional<std::int64_t> minimum;  // Integer, Number
  std::optional<std::int64_t> maximum;
  std::optional<std::size_t> min_length;  // String: bytes; Array: entries
  std::optional<std::size_t> max_length;
  std::string pattern;               // String: an ECMA-262 regular expression, anchored
  std::vector<std::string> choices;  // String: the only words accepted
  std::string range;                 // a limit the pattern cannot state ("100ms..5m"), for the description
  std::vector<JsonKey> keys;         // Object: its keys; Array: the keys of each entry (a mapping)
  std::vector<JsonSpec> item;        // Array of scalars: the one spec of every entry (keys empty)
  bool or_zero = false;              // String: the bare integer 0 is accepted too (a poll interval)
};

// One key of a mapping.
struct JsonKey {
  std::string key;
  std::string doc;
  bool required = false;
  bool secret = false;       // `<key>_file` is accepted instead (never both)
  JsonSpec value;
  std::string default_json;  // the default as JSON text ("64", "\"info\""), or "" for none
};

// `s` as a JSON string literal, quotes included.
[[nodiscard]] std::string json_quote(std::string_view s);

}  // namespace gw::config
