#include "config/scalar.hpp"

#include "config/env_subst.hpp"

namespace gw::config {

YAML::Mark mark_of(const YAML::Node& node, const Cursor& at) {
  if (!node.IsDefined() || node.IsNull() || node.Mark().line < 0) return at.key_mark();
  return node.Mark();
}

std::string describe_node(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  return "'" + node.Scalar() + "'";
}

std::optional<Scalar> read_scalar(const YAML::Node& node, const Cursor& at,
                                  std::string_view expected) {
  if (!node.IsDefined() || !node.IsScalar()) {
    at.error(mark_of(node, at), "expected " + std::string(expected) + ", got " + describe_node(node));
    return std::nullopt;
  }
  std::string error;
  auto text = expand_env(node.Scalar(), error);
  if (!text) {
    at.error(node.Mark(), error);
    return std::nullopt;
  }
  return Scalar{std::move(*text), node.Mark()};
}

}  // namespace gw::config
