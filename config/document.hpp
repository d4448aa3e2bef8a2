// config::parse_document: the text of a configuration file → its one YAML document, with the
// checks yaml-cpp does not make itself, each reported with a position in the text:
//
//   - the text must be UTF-8 (no NUL bytes, no UTF-16/32), so positions are byte columns of the
//     file as written;
//   - one document only (a second one is reported; the first is still returned and checked);
//   - nesting is bounded (kMaxDepth), so hostile input cannot exhaust the stack in yaml-cpp's
//     recursive parser;
//   - a quoted string must be closed: yaml-cpp 0.7 silently ends an unclosed quote at the end of
//     the file when a line break follows it, swallowing every key after it;
//   - syntax errors get a hint where yaml-cpp's message is cryptic (a tab in the indentation, an
//     unclosed '[' or '{').
//
// Thread safety: pure function.
#pragma once

#include <optional>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "config/diagnostics.hpp"

namespace gw::config {

// Deeper than any configuration needs (the deepest section nests 4 levels), far below what
// would strain the stack.
inline constexpr int kMaxDepth = 64;

// The first document's root node (a null node for an empty text or one with only comments), or
// nullopt when the text cannot be used (a syntax error, not UTF-8, too deep). Never throws.
// Reports every problem to `diag`.
[[nodiscard]] std::optional<YAML::Node> parse_document(std::string_view text, Diagnostics& diag);

}  // namespace gw::config
