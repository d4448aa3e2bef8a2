#include "broker/auth/acl.hpp"

namespace gw::broker::auth {
namespace {

// The next level of `s` from `pos` (advanced past its '/'); `done` once the last level is taken.
std::string_view next_level(std::string_view s, std::size_t& pos, bool& done) {
  const auto slash = s.find('/', pos);
  if (slash == std::string_view::npos) {
    done = true;
    const auto level = s.substr(pos);
    pos = s.size();
    return level;
  }
  const auto level = s.substr(pos, slash - pos);
  pos = slash + 1;
  return level;
}

std::vector<std::string_view> levels(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  bool done = false;
  while (!done) out.push_back(next_level(s, pos, done));
  return out;
}

// A name that may stand for a %u / %c level: one plain level, not a '$' topic's first level.
bool safe_substitute(std::string_view value) {
  return !value.empty() && !value.starts_with('$') &&
         value.find_first_of("/+#") == std::string_view::npos;
}

// The rule's filter for this client: %u / %c levels replaced; nullopt when it cannot apply.
std::optional<std::string> expand(std::string_view filter, const Principal& who) {
  if (filter.find('%') == std::string_view::npos) return std::string(filter);
  std::string out;
  std::size_t pos = 0;
  bool done = false;
  bool first = true;
  while (!done) {
    const auto level = next_level(filter, pos, done);
    if (!first) out += '/';
    first = false;
    if (level == "%u") {
      if (!who.user || !safe_substitute(*who.user)) return std::nullopt;
      out += *who.user;
    } else if (level == "%c") {
      if (!safe_substitute(who.client_id)) return std::nullopt;
      out += who.client_id;
    } else {
      out += level;
    }
  }
  return out;
}

bool applies_to(const AclRule& rule, const Principal& who) {
  if (rule.user && (!who.user || *rule.user != *who.user)) return false;
  if (rule.client_id && *rule.client_id != who.client_id) return false;
  return true;
}

// "$share/group/filter" → "filter".
std::string_view inner_filter(std::string_view filter) {
  if (!filter.starts_with("$share/")) return filter;
  const auto slash = filter.find('/', 7);
  return slash == std::string_view::npos ? filter : filter.substr(slash + 1);
}

}  // namespace

bool filter_matches(std::string_view filter, std::string_view topic) {
  // MQTT 5 §4.7.2: wildcards in the first level do not match topics starting with '$'.
  if (topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#'))) return false;
  std::size_t fp = 0;
  std::size_t tp = 0;
  bool fdone = false;
  bool tdone = false;
  while (!fdone) {
    const auto f = next_level(filter, fp, fdone);
    if (f == "#") return true;  // also matches the parent level ("a/#" matches "a")
    if (tdone) return false;
    const auto t = next_level(topic, tp, tdone);
    if (f != "+" && f != t) return false;
  }
  return tdone;
}

bool filter_covers(std::string_view outer, std::string_view inner) {
  if (inner.starts_with('$') && (outer.starts_with('+') || outer.starts_with('#'))) return false;
  const auto o = levels(outer);
  const auto in = levels(inner);
  for (std::size_t i = 0; i < o.size(); ++i) {
    if (o[i] == "#") return true;
    if (i >= in.size()) return false;
    if (in[i] == "#") return false;  // inner reaches deeper than a non-'#' outer level
    if (o[i] == "+") continue;       // covers a literal or '+'
    if (in[i] == "+" || in[i] != o[i]) return false;
  }
  return in.size() == o.size();
}

bool filters_overlap(std::string_view a, std::string_view b) {
  const auto x = levels(a);
  const auto y = levels(b);
  // A '$' topic is reached only through a filter whose first level is literally '$...'.
  const auto dollar = [](const std::vector<std::string_view>& l) { return l[0].starts_with('$'); };
  const auto wild = [](std::string_view l) { return l == "+" || l == "#"; };
  if ((dollar(x) && wild(y[0])) || (dollar(y) && wild(x[0]))) return false;
  for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
    if (x[i] == "#" || y[i] == "#") return true;
    if (x[i] == "+" || y[i] == "+") continue;
    if (x[i] != y[i]) return false;
  }
  if (x.size() == y.size()) return true;
  // One is longer: only a trailing '#' on it can also match the shorter one's topics.
  const auto& longer = x.size() > y.size() ? x : y;
  const auto& shorter = x.size() > y.size() ? y : x;
  return longer.size() == shorter.size() + 1 && longer.back() == "#";
}

bool Acl::allows(const Principal& who, Access access, std::string_view topic) const {
  if (rules_.empty()) return true;
  const auto bit = static_cast<std::uint8_t>(access);
  for (const AclRule& rule : rules_) {
    if ((rule.access & bit) == 0 || !applies_to(rule, who)) continue;
    const auto filter = expand(rule.topic, who);
    if (!filter) {
      // A deny rule whose %u/%c cannot stand for this client fails closed.
      if (rule.deny) return false;
      continue;
    }
    if (!filter_matches(*filter, topic)) continue;
    return !rule.deny;
  }
  return false;
}

bool Acl::allows_subscribe(const Principal& who, std::string_view filter) const {
  if (rules_.empty()) return true;
  const auto wanted = inner_filter(filter);
  const auto bit = static_cast<std::uint8_t>(Access::Subscribe);
  for (const AclRule& rule : rules_) {
    if ((rule.access & bit) == 0 || !applies_to(rule, who)) continue;
    const auto expanded = expand(rule.topic, who);
    if (!expanded) {
      if (rule.deny) return false;  // fails closed, as above
      continue;
    }
    if (rule.deny) {
      // A deny rule refuses a subscription that could reach any topic it names.
      if (filters_overlap(wanted, *expanded)) return false;
      continue;
    }
    if (filter_covers(*expanded, wanted)) return true;
  }
  return false;
}

}  // namespace gw::broker::auth
