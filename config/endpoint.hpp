// config::EndpointKind: a "host:port" value — "127.0.0.1:1883", "[::1]:1883", "0.0.0.0:8883".
// IPv6 addresses need brackets. Listeners accept IP literals only (what they bind to must not
// depend on DNS at start-up); a kind for remote peers may allow host names.
//
// Thread safety: immutable after construction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "config/cursor.hpp"
#include "config/json_spec.hpp"

namespace gw::config {

struct Endpoint {
  std::string host;  // without brackets: "::1"
  std::uint16_t port = 0;
};

// "127.0.0.1:1883", "[::1]:1883".
// Address literals and RFC 1123 host names (dot-separated labels of letters, digits and inner
// hyphens, at most 253 bytes), as every section that names a host accepts them.
[[nodiscard]] bool is_ipv4(const std::string& s);
[[nodiscard]] bool is_ipv6(const std::string& s);
[[nodiscard]] bool is_hostname(std::string_view s);

[[nodiscard]] std::string format_endpoint(const Endpoint& e);
// 127.0.0.0/8 and ::1.
[[nodiscard]] bool is_loopback(const std::string& address);

struct EndpointKind {
  using value_type = Endpoint;
  bool allow_hostname = false;
  std::uint16_t min_port = 0;  // 0 = ephemeral, for tests

  std::optional<Endpoint> parse(const YAML::Node& node, const Cursor& at) const;
  [[nodiscard]] std::string type() const { return "host:port"; }
  [[nodiscard]] std::string range() const;
  [[nodiscard]] std::string show(const Endpoint& e) const { return format_endpoint(e); }
  [[nodiscard]] JsonSpec json() const;
};

}  // namespace gw::config
