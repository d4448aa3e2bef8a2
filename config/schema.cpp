#include "config/schema.hpp"

#include <map>

#include "config/suggest.hpp"

namespace gw::config::detail {
namespace {

std::string position(const YAML::Mark& m) {
  return std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

struct Match {
  std::size_t field;
  bool from_file;
};

std::optional<Match> match_key(const std::vector<KeySpec>& keys, std::string_view key) {
  constexpr std::string_view kFile = "_file";
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].key == key) return Match{i, false};
    if (keys[i].secret && key.size() == keys[i].key.size() + kFile.size() &&
        key.substr(0, keys[i].key.size()) == keys[i].key && key.ends_with(kFile)) {
      return Match{i, true};
    }
  }
  return std::nullopt;
}

}  // namespace

void walk_map(const YAML::Node& node, const Cursor& at, const std::vector<KeySpec>& keys,
              const Visit& visit) {
  if (node.IsNull()) {
    // `section:` with nothing under it: all defaults, unless something is required.
  } else if (!node.IsMap()) {
    at.error(mark_of(node, at), "expected a mapping, got " + describe_node(node));
    return;
  }
  std::map<std::string, YAML::Mark, std::less<>> seen;
  std::vector<bool> present(keys.size(), false);
  std::vector<YAML::Mark> present_at(keys.size());
  if (node.IsMap()) {
    for (const auto& entry : node) {
      const YAML::Node& k = entry.first;
      if (!k.IsScalar()) {
        at.error(k.Mark(), "keys must be plain words, got " + describe_node(k));
        continue;
      }
      const std::string& key = k.Scalar();
      const Cursor key_at = at.key(key, k.Mark());
      if (auto [first, inserted] = seen.emplace(key, k.Mark()); !inserted) {
        key_at.error(k.Mark(), "duplicate key; first defined at " + position(first->second));
        continue;
      }
      const auto m = match_key(keys, key);
      if (!m && key == "<<" && k.Tag() == "?") {
        // yaml-cpp 0.7 does not implement YAML 1.1 merge keys; it would be an unknown key.
        key_at.error(k.Mark(), "merge keys ('<<') are not supported; write the keys out");
        continue;
      }
      if (!m) {
        std::vector<std::string> names;
        for (const auto& spec : keys) {
          names.push_back(spec.key);
          if (spec.secret) names.push_back(spec.key + "_file");
        }
        key_at.error(k.Mark(), "unknown key" + did_you_mean(key, names));
        continue;
      }
      if (present[m->field]) {
        key_at.error(k.Mark(), "cannot be combined with '" +
                                   (m->from_file ? keys[m->field].key : keys[m->field].key + "_file") +
                                   "' at " + position(present_at[m->field]) + "; use one of them");
        continue;
      }
      present[m->field] = true;
      present_at[m->field] = k.Mark();
      visit(m->field, m->from_file, entry.second, key_at);
    }
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].required && !present[i]) {
      at.error(node.IsMap() ? node.Mark() : at.key_mark(),
               "missing required key '" + keys[i].key + "'");
    }
  }
}

YAML::Mark value_mark(const YAML::Node& map, std::string_view key) {
  const YAML::Node v = find_value(map, key);
  return v.IsDefined() ? v.Mark() : map.Mark();
}

YAML::Node entry(const YAML::Node& map, std::string_view key, std::size_t i) {
  const YAML::Node list = find_value(map, key);
  if (!list.IsSequence() || i >= list.size()) return YAML::Node(YAML::NodeType::Undefined);
  return list[i];
}

YAML::Node find_value(const YAML::Node& map, std::string_view key) {
  if (map.IsMap()) {
    for (const auto& entry : map) {
      if (entry.first.IsScalar() && entry.first.Scalar() == key) return entry.second;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

}  // namespace gw::config::detail
