#include "config/bridge_section.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/endpoint.hpp"
#include "config/secret_file.hpp"

namespace gw::config {
namespace {

namespace br = bridge;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const YAML::Mark kNoMark = YAML::Mark::null_mark();

// --- positions for cross-field messages ----------------------------------------------------------

using detail::entry;
using detail::value_mark;

bool given(const YAML::Node& map, std::string_view key) {
  return map.IsMap() && detail::find_value(map, key).IsDefined();
}

// --- server URIs ---------------------------------------------------------------------------------

// "mqtt://host:port" or "mqtts://host:port", the port defaulting to 1883 / 8883: the URI with the
// port written out, or nullopt with `error` set.
std::optional<std::string> parse_server(const std::string& text, std::string& error) {
  const auto sep = text.find("://");
  if (sep == std::string::npos) {
    error = "not a server URI; write mqtt://host:port or mqtts://host:port";
    return std::nullopt;
  }
  const std::string scheme = text.substr(0, sep);
  if (scheme != "mqtt" && scheme != "mqtts") {
    error = "scheme '" + scheme + "' is not supported; use mqtt:// or mqtts:// (TLS)";
    return std::nullopt;
  }
  const std::string rest = text.substr(sep + 3);
  if (rest.find('@') != std::string::npos) {
    error = "credentials in the URI are not supported; use username and password";
    return std::nullopt;
  }
  if (rest.find_first_of("/?#") != std::string::npos) {
    error = "nothing may follow host:port (no path or query)";
    return std::nullopt;
  }
  std::string host;
  std::string port;
  bool v6 = false;
  bool has_port = false;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string::npos) {
      error = "the ']' after the IPv6 address is missing";
      return std::nullopt;
    }
    host = rest.substr(1, close - 1);
    if (!is_ipv6(host)) {
      error = "'" + host + "' is not an IPv6 address";
      return std::nullopt;
    }
    v6 = true;
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') {
        error = "expected ':' and the port after ']'";
        return std::nullopt;
      }
      has_port = true;
      port = rest.substr(close + 2);
    }
  } else {
    const auto colon = rest.rfind(':');
    host = rest.substr(0, colon);
    if (colon != std::string::npos) {
      has_port = true;
      port = rest.substr(colon + 1);
    }
    if (host.empty()) {
      error = "the host is missing";
      return std::nullopt;
    }
    if (host.find(':') != std::string::npos) {
      error = "IPv6 addresses need brackets: " + scheme + "://[" + host + "]:" + port;
      return std::nullopt;
    }
    if (!is_ipv4(host) && !is_hostname(host)) {
      error = "'" + host + "' is not a valid host name or address";
      return std::nullopt;
    }
  }
  std::uint32_t number = scheme == "mqtts" ? 8883 : 1883;
  if (has_port) {
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
      error = "port '" + port + "' is not a number 1..65535";
      return std::nullopt;
    }
    number = static_cast<std::uint32_t>(std::stoul(port));
    if (number < 1 || number > 65535) {
      error = "port " + port + " out of range 1..65535";
      return std::nullopt;
    }
  }
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(number);
}

// `servers:` — a list of URIs, each stored with its port written out.
struct ServerList {
  using value_type = std::vector<std::string>;
  static constexpr std::size_t kMax = 16;

  std::optional<value_type> parse(const YAML::Node& node, const Cursor& at) const {
    if (!node.IsSequence()) {
      at.error(mark_of(node, at), "expected a list of server URIs (mqtts://host:port), got " +
                                      describe_node(node));
      return std::nullopt;
    }
    if (node.size() == 0) {
      at.error(mark_of(node, at), "the list is empty; at least 1 server is required");
      return std::nullopt;
    }
    if (node.size() > kMax) {
      at.error(node[kMax].Mark(), std::to_string(node.size()) + " servers; at most " +
                                      std::to_string(kMax) + " are allowed");
      return std::nullopt;
    }
    value_type out;
    std::map<std::string, std::size_t> seen;
    bool ok = true;
    for (std::size_t i = 0; i < node.size(); ++i) {
      const Cursor item = at.index(i, node[i].Mark());
      auto s = read_scalar(node[i], item, "a server URI (mqtts://host:port)");
      if (!s) {
        ok = false;
        continue;
      }
      std::string error;
      auto uri = parse_server(s->text, error);
      if (!uri) {
        item.error(s->mark, "'" + s->text + "': " + error);
        ok = false;
        continue;
      }
      if (auto [it, fresh] = seen.emplace(*uri, i); !fresh) {
        item.error(s->mark, "'" + s->text + "' is already servers[" + std::to_string(it->second) + "]");
        ok = false;
        continue;
      }
      out.push_back(std::move(*uri));
    }
    if (!ok) return std::nullopt;
    return out;
  }
  [[nodiscard]] std::string type() const { return "list of URIs"; }
  [[nodiscard]] std::string range() const { return "1..16 entries"; }
  [[nodiscard]] std::string show(const value_type&) const { return ""; }
  [[nodiscard]] JsonSpec json() const {
    JsonSpec uri{.pattern =
                     R"(^mqtts?://(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::[0-9]{1,5})?$)",
                 .range = "port 1..65535"};
    return {.type = JsonSpec::Type::Array, .min_length = 1, .max_length = kMax, .item = {uri}};
  }
};

// --- other value kinds of this section -----------------------------------------------------------

// MQTT Keep Alive: 0s (off) or 5s..65535s.
struct KeepAlive {
  using value_type = seconds;
  static constexpr seconds kMin{5};

  std::optional<seconds> parse(const YAML::Node& node, const Cursor& at) const {
    auto v = Duration<seconds>{seconds(0), seconds(65535)}.parse(node, at);
    if (v && *v > seconds(0) && *v < kMin) {
      at.error(mark_of(node, at), show(*v) + " out of range " + range());
      return std::nullopt;
    }
    return v;
  }
  [[nodiscard]] std::string type() const { return "duration"; }
  [[nodiscard]] std::string range() const { return "0s (off) or 5s..65535s"; }
  [[nodiscard]] std::string show(seconds v) const {
    return format_duration(std::chrono::duration_cast<milliseconds>(v));
  }
  [[nodiscard]] JsonSpec json() const {
    return {.pattern = duration_pattern(), .range = range() + ", whole seconds"};
  }
};

// Part of a topic mapping: `target` (a topic, a prefix or a "{topic}" template) or
// `strip_prefix`; both end up in topic names, so neither may hold a wildcard.
struct MappingText {
  using value_type = std::string;
  const char* why;  // what the text is used for, in the message

  std::optional<std::string> parse(const YAML::Node& node, const Cursor& at) const {
    auto s = Text{0, 65535}.parse(node, at);
    if (!s) return std::nullopt;
    if (s->find_first_of("+#") != std::string::npos) {
      at.error(mark_of(node, at), "'" + *s + "' cannot contain '+' or '#': " + why);
      return std::nullopt;
    }
    if (s->find('\0') != std::string::npos) {
      at.error(mark_of(node, at), "contains a NUL character");
      return std::nullopt;
    }
    return s;
  }
  [[nodiscard]] std::string type() const { return "string"; }
  [[nodiscard]] std::string range() const { return "no + or #"; }
  [[nodiscard]] std::string show(const std::string& v) const { return v.empty() ? "\"\"" : v; }
  [[nodiscard]] JsonSpec json() const { return {.max_length = 65535, .range = range()}; }
};

const MappingText kTarget{"the mapped topic is a topic name, where wildcards are not allowed"};
const MappingText kStripPrefix{"it is compared with the start of topic names, which hold no wildcards"};

// --- topic filters as sets of topics -------------------------------------------------------------

std::vector<std::string_view> levels(std::string_view filter) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const auto end = filter.find('/', start);
    out.push_back(filter.substr(start, end == std::string_view::npos ? std::string_view::npos
                                                                     : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

// The filter topics are matched against: without "$share/<group>/".
std::string_view inner(std::string_view filter) {
  if (!filter.starts_with("$share/")) return filter;
  const auto slash = filter.find('/', 7);
  return slash == std::string_view::npos ? filter : filter.substr(slash + 1);
}

bool wildcard(std::string_view level) { return level == "+" || level == "#"; }

// MQTT 5 §4.7.2 [MQTT-4.7.2-1]: a filter starting with a wildcard matches no topic starting with
// '$'; a filter whose first level starts with '$' only matches such topics.
bool dollar_mismatch(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
  const bool a_dollar = a[0].starts_with('$');
  const bool b_dollar = b[0].starts_with('$');
  return (wildcard(a[0]) && b_dollar) || (wildcard(b[0]) && a_dollar);
}

// Some topic matches both filters.
bool overlap(std::string_view fa, std::string_view fb) {
  const auto a = levels(inner(fa));
  const auto b = levels(inner(fb));
  if (dollar_mismatch(a, b)) return false;
  for (std::size_t i = 0;; ++i) {
    // '#' also matches its parent level: "a/#" matches "a".
    if ((i < a.size() && a[i] == "#") || (i < b.size() && b[i] == "#")) return true;
    if (i == a.size() || i == b.size()) return a.size() == b.size();
    if (a[i] != "+" && b[i] != "+" && a[i] != b[i]) return false;
  }
}

// Every topic that matches `fb` matches `fa`.
bool covers(std::string_view fa, std::string_view fb) {
  const auto a = levels(inner(fa));
  const auto b = levels(inner(fb));
  if (wildcard(a[0]) && b[0].starts_with('$')) return false;
  for (std::size_t i = 0;; ++i) {
    if (i < a.size() && a[i] == "#") return true;
    if (i == a.size() || i == b.size()) return a.size() == b.size();
    if (b[i] == "#") return false;
    if (a[i] == "+") continue;
    if (b[i] == "+" || a[i] != b[i]) return false;
  }
}

// Some topic matching `filter` starts with `prefix` (a plain string, possibly ending mid-level).
bool can_start_with(std::string_view filter, std::string_view prefix) {
  const auto f = levels(inner(filter));
  const auto p = levels(prefix);
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (i == f.size()) return false;
    if (f[i] == "#") return true;
    const bool last = i + 1 == p.size();
    if (f[i] == "+") continue;
    if (last ? !f[i].starts_with(p[i]) : f[i] != p[i]) return false;
  }
  return true;
}

// The topics `mapping` makes of the topics matching `filter`, as a filter: strip_prefix removed
// where the filter starts with it literally, then the target applied. An approximation for the
// loop warning; the bridge maps real topics exactly.
// The mapping applied to the filter's text, wildcards left where they fall ("$S+/x").
std::string mapped_text(std::string_view filter, const br::TopicMapping& mapping) {
  std::string rest(inner(filter));
  if (!mapping.strip_prefix.empty() && rest.starts_with(mapping.strip_prefix)) {
    rest.erase(0, mapping.strip_prefix.size());
  }
  std::string mapped;
  if (mapping.target.find("{topic}") == std::string::npos) {
    mapped = mapping.target + rest;
  } else {
    std::string_view t = mapping.target;
    for (auto at = t.find("{topic}"); at != std::string_view::npos; at = t.find("{topic}")) {
      mapped += std::string(t.substr(0, at)) + rest;
      t.remove_prefix(at + 7);
    }
    mapped += std::string(t);
  }
  return mapped;
}

std::string mapped_filter(std::string_view filter, const br::TopicMapping& mapping) {
  const std::string mapped = mapped_text(filter, mapping);
  // Wildcards may now sit inside a level or before other levels ("plant-1/#/set"): widen each
  // such level to a whole wildcard, and end at a '#', so that the result is a filter again.
  std::string out;
  for (const auto level : levels(mapped)) {
    if (!out.empty() || level.data() != mapped.data()) out += '/';
    if (level.find('#') != std::string_view::npos) return out + "#";
    out += level.find('+') != std::string_view::npos ? std::string("+") : std::string(level);
  }
  return out;
}

// --- rules across fields -------------------------------------------------------------------------

// A route's mapping: `filter` is the route's own filter (local upstream, remote downstream), and
// `target_key` the key that holds the mapping's target.
void check_mapping(const std::string& filter, const br::TopicMapping& m, const char* target_key,
                   const YAML::Node& node, const Cursor& at) {
  if (!m.target.empty() && m.target.find("{topic}") == std::string::npos && m.target.back() != '/') {
    at.key(target_key, kNoMark)
        .warning(value_mark(node, target_key),
                 "'" + m.target + "' is put in front of each topic without a '/' in between; write '" +
                     m.target + "/' or '" + m.target + "/{topic}'");
  }
  if (!m.strip_prefix.empty() && !can_start_with(filter, m.strip_prefix)) {
    at.key("strip_prefix", kNoMark)
        .warning(value_mark(node, "strip_prefix"),
                 "never applies: no topic matching '" + filter + "' starts with '" + m.strip_prefix + "'");
  }
}

void check_upstream(const br::UpstreamRoute& r, const YAML::Node& node, const Cursor& at) {
  check_mapping(r.local_filter, r.remote, "remote", node, at);
}

// Whether the local topics of a downstream route (`mapped`: its mapping applied to its remote
// filter's text) may fall into the broker's $SYS/ tree: its first level is "$SYS", or starts
// like it before a wildcard ("$S{topic}" of remote "#" makes "$SYS/x" of the remote "YS/x").
bool maps_into_sys(const std::string& mapped) {
  const std::string_view first = levels(mapped).front();
  if (first == "$SYS") return true;
  const auto wild = first.find_first_of("+#");
  if (wild == std::string_view::npos || wild == 0) return false;  // a plain other topic, or no '$'
  return std::string_view("$SYS").starts_with(first.substr(0, wild));
}

void check_downstream(const br::DownstreamRoute& r, const YAML::Node& node, const Cursor& at) {
  check_mapping(r.remote_filter, r.local, "local", node, at);
  // $SYS/ belongs to the broker (broker/sys_topic.hpp): the bridge's LocalClient may not publish
  // there, so such a route could only drop every message it carries.
  if (!topic_filter_problem(r.remote_filter, true).empty()) return;
  const std::string mapped = mapped_text(r.remote_filter, r.local);
  if (maps_into_sys(mapped)) {
    const char* key = given(node, "local") ? "local" : "remote";
    at.key(key, kNoMark)
        .error(value_mark(node, key), "its local topics ('" + mapped +
                                          "') are in $SYS/, which only the broker publishes to; "
                                          "map them elsewhere");
  }
}

struct ReconnectEntry {
  milliseconds initial = br::BridgeOptions{}.reconnect_initial;
  milliseconds max = br::BridgeOptions{}.reconnect_max;
};

void check_reconnect(const ReconnectEntry& r, const YAML::Node& node, const Cursor& at) {
  if (r.initial <= r.max) return;
  if (given(node, "max")) {
    at.key("max", kNoMark)
        .error(value_mark(node, "max"), format_duration(r.max) + " is shorter than initial (" +
                                            format_duration(r.initial) + ")");
  } else {
    at.key("initial", kNoMark)
        .error(value_mark(node, "initial"), format_duration(r.initial) + " is longer than max (" +
                                                format_duration(r.max) + ")");
  }
}

void check_tls(const br::TlsOptions& t, const YAML::Node& node, const Cursor& at) {
  if (!t.key_file.empty() && t.cert_file.empty()) {
    at.key("key_file", kNoMark)
        .error(value_mark(node, "key_file"), "needs cert_file, the client certificate it belongs to");
  }
}

template <class R>
void check_names(const std::vector<R>& routes, const char* list, const YAML::Node& node,
                 const Cursor& at) {
  std::map<std::string, std::size_t, std::less<>> names;
  for (std::size_t i = 0; i < routes.size(); ++i) {
    if (auto [it, fresh] = names.emplace(routes[i].name, i); !fresh) {
      at.key(list, kNoMark)
          .index(i, kNoMark)
          .key("name", kNoMark)
          .error(value_mark(entry(node, list, i), "name"),
                 "'" + routes[i].name + "' is already the name of " + list + "[" +
                     std::to_string(it->second) + "]");
    }
  }
}

// The mark of the value under `key` of entry `i` of `list`, or of the entry.
YAML::Mark route_mark(const YAML::Node& node, const char* list, std::size_t i, const char* key) {
  const YAML::Node e = entry(node, list, i);
  return e.IsDefined() ? value_mark(e, key) : node.Mark();
}

void check_bridge(const br::BridgeOptions& b, const YAML::Node& node, const Cursor& at) {
  const auto is_tls = [](const std::string& uri) { return uri.starts_with("mqtts://"); };
  bool any_tls = false;
  bool any_plain = false;
  for (const auto& s : b.servers) (is_tls(s) ? any_tls : any_plain) = true;
  if (given(node, "tls") && !any_tls) {
    at.key("tls", kNoMark)
        .warning(value_mark(node, "tls"), "ignored: no server is mqtts://");
  }
  if (b.password && any_plain) {
    const char* key = given(node, "password") ? "password" : "password_file";
    at.key(key, kNoMark)
        .warning(value_mark(node, key),
                 "the password is sent in clear text to the mqtt:// servers; use mqtts://");
  }

  check_names(b.upstream, "upstream", node, at);
  check_names(b.downstream, "downstream", node, at);

  // Every upstream route a message matches stores and sends its own copy (Bridge::start
  // subscribes each filter once and fans out to its routes), so overlapping routes are how one
  // local topic reaches two remote topics. The same filter with the same mapping is a mistake.
  for (std::size_t i = 0; i < b.upstream.size(); ++i) {
    const auto& r = b.upstream[i];
    for (std::size_t j = 0; j < i; ++j) {
      const auto& e = b.upstream[j];
      if (e.local_filter != r.local_filter || e.remote.target != r.remote.target ||
          e.remote.strip_prefix != r.remote.strip_prefix) {
        continue;
      }
      at.key("upstream", kNoMark)
          .index(i, kNoMark)
          .key("local", kNoMark)
          .warning(route_mark(node, "upstream", i, "local"),
                   "same filter and remote topic as upstream[" + std::to_string(j) + "] ('" + e.name +
                       "'): every message is stored and sent twice");
      break;
    }
  }

  // A remote message goes to the first downstream route that matches it (one local copy).
  for (std::size_t i = 0; i < b.downstream.size(); ++i) {
    const auto& r = b.downstream[i];
    const Cursor ri = at.key("downstream", kNoMark).index(i, kNoMark);
    bool shadowed = false;
    for (std::size_t j = 0; j < i && !shadowed; ++j) {
      const auto& e = b.downstream[j];
      if (!covers(e.remote_filter, r.remote_filter)) continue;
      shadowed = true;
      ri.key("remote", kNoMark)
          .warning(route_mark(node, "downstream", i, "remote"),
                   "never used: every topic it matches also matches downstream[" + std::to_string(j) +
                       "] ('" + e.name + "', '" + e.remote_filter +
                       "'), and a message takes the first route that matches");
    }
    // The bridge subscribes its upstream filters with No Local, so its own downstream copies are
    // not sent back; a local client that republishes them would be.
    const std::string local = mapped_filter(r.remote_filter, r.local);
    if (!topic_filter_problem(local, false).empty()) continue;
    for (const auto& u : b.upstream) {
      if (!overlap(u.local_filter, local)) continue;
      const char* key = given(entry(node, "downstream", i), "local") ? "local" : "remote";
      ri.key(key, kNoMark)
          .warning(route_mark(node, "downstream", i, key),
                   "its local topics ('" + local + "') match upstream route '" + u.name + "' ('" +
                       u.local_filter +
                       "'): the bridge does not send its own copies back (No Local), but a local "
                       "client that republishes them sends them up again");
      break;
    }
  }

  if (b.upstream.empty() && b.downstream.empty()) {
    at.warning(node.Mark(), "no upstream or downstream routes: the bridge carries no messages");
  }
}

// --- field helpers -------------------------------------------------------------------------------

// An integer member wider than the parser's 32 bits, or of another type than the kind's.
template <class T, class M, class I>
Field<T> integer_field(std::string key, M T::*member, Integer<I> kind, std::string doc) {
  return field<T>(
      std::move(key), kind, [member](T& t, I&& v) { t.*member = static_cast<M>(v); },
      [member](const T& t) { return static_cast<I>(t.*member); }, std::move(doc));
}

// A secret that may be absent (nullopt) rather than empty, as secret() in schema.hpp.
template <class T>
Field<T> optional_secret(std::string key, std::optional<std::string> T::*member, std::string doc) {
  return as_secret(
      field(std::move(key), member, Optional<Text>{Text{0, 65535}, "none"}, std::move(doc)), member);
}

// The reference shows `text` as the default: one the gateway section decides (complete_bridge).
template <class T>
Field<T> derived_default(Field<T> f, std::string text) {
  f.show = [text = std::move(text)](const T&) { return text; };
  return f;
}

// --- the schemas ---------------------------------------------------------------------------------

const Enum<br::RetainMode>& retain_kind() {
  static const Enum<br::RetainMode> kind{{{"keep", br::RetainMode::Keep},
                                          {"clear", br::RetainMode::Clear}}};
  return kind;
}

const Schema<br::UpstreamRoute>& upstream_schema() {
  using R = br::UpstreamRoute;
  static const Schema<R> schema{
      "upstream route",
      {
          field("name", &R::name, Identifier{64},
                "Names the route in logs and in the outbox; unique among upstream routes.",
                Need::Required),
          field("local", &R::local_filter, TopicFilterText{},
                "Local topic filter: the messages sent to the cloud.", Need::Required),
          field<R>(
              "remote", kTarget, [](R& r, std::string&& v) { r.remote.target = std::move(v); },
              [](const R& r) { return r.remote.target; },
              "Remote topic: a template with {topic} (site-7/{topic}), a prefix (site-7/), or empty "
              "for the local topic."),
          field<R>(
              "strip_prefix", kStripPrefix,
              [](R& r, std::string&& v) { r.remote.strip_prefix = std::move(v); },
              [](const R& r) { return r.remote.strip_prefix; },
              "Removed from the start of the local topic, when it is there, before remote applies."),
          field("qos", &R::qos, Optional<QosLevel>{{}, "the message's"},
                "QoS sent upstream; capped by the remote's Maximum QoS."),
          field("retain", &R::retain, retain_kind(), "keep: the Retain flag as published; clear: never retained."),
          field("priority", &R::priority, Integer<int>{-1000, 1000},
                "Higher is sent first and dropped last on overflow."),
      },
      check_upstream};
  return schema;
}

const Schema<br::DownstreamRoute>& downstream_schema() {
  using R = br::DownstreamRoute;
  static const Schema<R> schema{
      "downstream route",
      {
          field("name", &R::name, Identifier{64},
                "Names the route in logs; unique among downstream routes.", Need::Required),
          field("remote", &R::remote_filter, TopicFilterText{true},
                "Remote topic filter the bridge subscribes to; $share/<group>/... allowed.",
                Need::Required),
          field<R>(
              "local", kTarget, [](R& r, std::string&& v) { r.local.target = std::move(v); },
              [](const R& r) { return r.local.target; },
              "Local topic: a template with {topic}, a prefix, or empty for the remote topic."),
          field<R>(
              "strip_prefix", kStripPrefix,
              [](R& r, std::string&& v) { r.local.strip_prefix = std::move(v); },
              [](const R& r) { return r.local.strip_prefix; },
              "Removed from the start of the remote topic, when it is there, before local applies."),
          field("qos", &R::qos, QosLevel{}, "QoS of the remote subscription."),
      },
      check_downstream};
  return schema;
}

const Schema<br::TlsOptions>& tls_schema() {
  using T = br::TlsOptions;
  static const Schema<T> schema{
      "tls",
      {
          field("ca_file", &T::ca_file, Text{0, 4096},
                "PEM trust store for the server certificate; empty = the system's."),
          field("cert_file", &T::cert_file, Text{0, 4096},
                "Client certificate (PEM); empty = none."),
          field("key_file", &T::key_file, Text{0, 4096},
                "Private key of cert_file (PEM); empty = in cert_file."),
          secret("key_password", &T::key_password, "Password of an encrypted private key."),
          field("verify_peer", &T::verify_peer, Bool{}, "Check the server certificate chain."),
          field("verify_hostname", &T::verify_hostname, Bool{},
                "Check that the certificate names the host of the server URI."),
      },
      check_tls};
  return schema;
}

const Schema<ReconnectEntry>& reconnect_schema() {
  const Duration<milliseconds> wait{milliseconds(10), minutes(10)};
  static const Schema<ReconnectEntry> schema{
      "reconnect",
      {
          field("initial", &ReconnectEntry::initial, wait,
                "Longest wait before the first reconnect attempt; doubled after each failure."),
          field("max", &ReconnectEntry::max, wait, "Longest wait between attempts; at least initial."),
      },
      check_reconnect};
  return schema;
}

const Schema<br::RateLimit>& rate_schema() {
  using R = br::RateLimit;
  static const Schema<R> schema{
      "rate",
      {
          field("messages_per_second", &R::messages_per_second,
                Integer<std::uint32_t>{0, 1'000'000}, "Messages sent upstream per second; 0 = no limit."),
          field("bytes_per_second", &R::bytes_per_second,
                Size<std::uint64_t>{0, std::uint64_t{1} << 30},
                "PUBLISH bytes sent upstream per second; 0B = no limit."),
      }};
  return schema;
}

const Schema<br::OutboxOptions>& outbox_schema() {
  using O = br::OutboxOptions;
  const Size<std::uint64_t> bytes{0, std::uint64_t{1} << 44};
  static const Schema<O> schema{
      "outbox",
      {
          derived_default(field("path", &O::path, Text{1, 4096},
                                "The SQLite file; its directory must exist and be writable."),
                          "<gateway.data_dir>/outbox.db"),
          field("synchronous", &O::synchronous_full, Enum<bool>{{{"normal", false}, {"full", true}}},
                "normal: the WAL is synced at checkpoints; full: every commit is synced."),
          field("commit_window", &O::commit_window,
                Duration<milliseconds>{milliseconds(0), seconds(10)},
                "Longest a write waits for its commit; what a power cut may lose."),
          field("commit_max_messages", &O::commit_max_messages, Integer<std::uint32_t>{1, 100'000},
                "Writes that make a commit due before commit_window has passed."),
          field("max_bytes", &O::max_bytes, bytes, "Stored bytes; 0B = no limit."),
          integer_field("max_rows", &O::max_rows, Integer<std::uint32_t>{0, 4'294'967'295U},
                        "Stored messages; 0 = no limit."),
          field("max_age", &O::max_age, Duration<seconds>{seconds(0), hours(24 * 3650)},
                "Stored messages older than this are deleted; 0s = no limit."),
          field("min_free_disk", &O::min_free_disk, bytes,
                "Free space kept on the outbox's file system; 0B = no check."),
          field("disk_check_interval", &O::disk_check_interval,
                Duration<milliseconds>{milliseconds(0), seconds(60)},
                "How often the free space is asked for; 0s = on every append."),
          field("overflow", &O::overflow,
                Enum<br::OverflowPolicy>{{{"drop_oldest", br::OverflowPolicy::DropOldest},
                                          {"drop_newest", br::OverflowPolicy::DropNewest}}},
                "What gives way when a limit is reached."),
          integer_field("max_dead_letters", &O::max_dead_letters,
                        Integer<std::uint32_t>{1, 10'000'000},
                        "Dead letters kept; beyond it the oldest is deleted."),
      }};
  return schema;
}

}  // namespace

const Schema<br::BridgeOptions>& bridge_schema() {
  using B = br::BridgeOptions;
  static const Schema<B> schema{
      "bridge",
      {
          field("servers", &B::servers, ServerList{},
                "Remote brokers, mqtt://host:port or mqtts://host:port (TLS), tried in order.",
                Need::Required),
          derived_default(field("client_id", &B::client_id, Text{0, 256},
                                "MQTT Client Identifier; \"\" = assigned by the server."),
                          "gateway.id"),
          field("username", &B::username, Optional<Text>{Text{0, 65535}, "none"}, "MQTT user name."),
          optional_secret("password", &B::password, "MQTT password."),
          field("tls", &B::tls, Section<br::TlsOptions>{&tls_schema()}, "TLS for mqtts:// servers."),
          field("keep_alive", &B::keep_alive, KeepAlive{}, "MQTT Keep Alive."),
          field("session_expiry", &B::session_expiry,
                Duration<seconds>{seconds(0), seconds(4294967295LL)},
                "MQTT 5 Session Expiry Interval: how long the remote keeps the session."),
          field("connect_timeout", &B::connect_timeout,
                Duration<milliseconds>{seconds(1), minutes(5)}, "Time for TCP, TLS and CONNACK."),
          field("max_packet_size", &B::max_packet_size, Size<std::uint32_t>{1024, 256 * 1024 * 1024},
                "Largest packet accepted from the remote (announced in CONNECT)."),
          field("receive_maximum", &B::receive_maximum, Integer<std::uint16_t>{1, 65535},
                "QoS 1/2 messages the remote may have unacknowledged towards the bridge."),
          field("max_inflight", &B::max_inflight, Integer<std::uint16_t>{1, 65535},
                "QoS 1/2 messages in flight upstream; the remote's Receive Maximum lowers it."),
          derived_default(field("status_topic", &B::status_topic, TopicNameText{true},
                                "Retained online/offline status on the remote; \"\" = none."),
                          "<gateway.id>/status"),
          field<B>(
              "reconnect", Section<ReconnectEntry>{&reconnect_schema()},
              [](B& b, ReconnectEntry&& r) {
                b.reconnect_initial = r.initial;
                b.reconnect_max = r.max;
              },
              [](const B& b) { return ReconnectEntry{b.reconnect_initial, b.reconnect_max}; },
              "Backoff between connection attempts, with full jitter."),
          field("stall_timeout", &B::stall_timeout, Duration<milliseconds>{seconds(1), hours(1)},
                "No acknowledgement this long with messages in flight: reconnect."),
          field("rate", &B::rate, Section<br::RateLimit>{&rate_schema()}, "Upstream rate limit."),
          field("replay", &B::replay,
                Enum<br::ReplayOrder>{{{"fifo", br::ReplayOrder::Fifo},
                                       {"live_first", br::ReplayOrder::LiveFirst}}},
                "After an outage: fifo sends the backlog first; live_first sends new messages first."),
          field("sequence_property", &B::sequence_property, Text{0, 256},
                "MQTT 5 User Property carrying each message's outbox id; \"\" = none."),
          field("upstream", &B::upstream,
                List<br::UpstreamRoute>{&upstream_schema(), 0, 256, "none"},
                "Local → cloud routes."),
          field("downstream", &B::downstream,
                List<br::DownstreamRoute>{&downstream_schema(), 0, 256, "none"},
                "Cloud → local routes."),
          field("outbox", &B::outbox, Section<br::OutboxOptions>{&outbox_schema()},
                "The store-and-forward outbox."),
          integer_field("queue_capacity", &B::queue_capacity, Integer<std::uint32_t>{16, 10'000'000},
                        "Local messages waiting for the bridge thread. Network publishers "
                        "feeding it are paused above half of it; beyond it new messages are "
                        "dropped, counted and logged."),
          integer_field("downstream_capacity", &B::downstream_capacity,
                        Integer<std::uint32_t>{16, 1'000'000},
                        "Remote messages waiting to be published locally; beyond it they are "
                        "dropped."),
          field("stop_timeout", &B::stop_timeout,
                Duration<milliseconds>{milliseconds(100), seconds(60)},
                "Longest a clean stop takes."),
          // The uplink's MQTT client.
          field("client", &B::client,
                Enum<br::ClientKind>{{{"paho", br::ClientKind::Paho},
                                      {"native", br::ClientKind::Native}}},
                "MQTT client of the uplink: native (the gateway's own) or paho (Paho MQTT C)."),
      },
      check_bridge};
  return schema;
}

void complete_bridge(br::BridgeOptions& options, const gateway::GatewayOptions& gateway,
                     const YAML::Node& node) {
  if (!given(node, "client_id")) options.client_id = gateway.id;
  if (!given(node, "status_topic")) options.status_topic = gateway.id + "/status";
  if (options.outbox.path.empty()) {
    std::string dir = gateway.data_dir;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    options.outbox.path = (dir == "/" ? "" : dir) + "/outbox.db";
  }
}

}  // namespace gw::config
