// Reading one YAML value as text: the first step of every scalar kind in config/kinds.hpp.
//
// Thread safety: pure functions apart from the environment lookup (see env_subst.hpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "config/cursor.hpp"

namespace gw::config {

struct Scalar {
  std::string text;  // after ${ENV} substitution
  YAML::Mark mark;   // where the value starts
};

// Where to report a problem with `node`: its own position, or the key's when the value is empty
// (yaml-cpp then marks the next token, often on the following line).
[[nodiscard]] YAML::Mark mark_of(const YAML::Node& node, const Cursor& at);

// "a mapping", "a list", "nothing" (an empty value or ~), "'text'" — for "got ..." messages.
[[nodiscard]] std::string describe_node(const YAML::Node& node);

// The value as text, with ${ENV} substitution applied. Reports (and returns nullopt) when the
// value is not a scalar — "expected <expected>, got a mapping" — or substitution fails.
// Quoting does not matter: "1883" and 1883 are the same text.
[[nodiscard]] std::optional<Scalar> read_scalar(const YAML::Node& node, const Cursor& at,
                                                std::string_view expected);

}  // namespace gw::config
