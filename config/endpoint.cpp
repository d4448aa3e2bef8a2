#include "config/endpoint.hpp"

#include <arpa/inet.h>

#include <cctype>

#include "config/kinds.hpp"
#include "config/scalar.hpp"

namespace gw::config {

bool is_ipv4(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& s) {
  in6_addr a{};
  return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

bool is_hostname(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '.') {
      if (label == 0 || s[i - 1] == '-') return false;
      label = 0;
    } else if (std::isalnum(c) || (c == '-' && label > 0)) {
      if (++label > 63) return false;
    } else {
      return false;
    }
  }
  return label > 0 && s.back() != '-';
}

namespace {

// One spelling per address, so that [0::0]:1883 and [::]:1883 are seen as the same listener.
std::string canonical_ipv6(const std::string& s) {
  in6_addr a{};
  char out[INET6_ADDRSTRLEN] = {};
  if (inet_pton(AF_INET6, s.c_str(), &a) != 1 || inet_ntop(AF_INET6, &a, out, sizeof out) == nullptr) {
    return s;
  }
  return out;
}

}  // namespace

std::string format_endpoint(const Endpoint& e) {
  const bool v6 = e.host.find(':') != std::string::npos;
  return (v6 ? "[" + e.host + "]" : e.host) + ":" + std::to_string(e.port);
}

bool is_loopback(const std::string& address) {
  return address == "::1" || (address.starts_with("127.") && is_ipv4(address));
}

std::string EndpointKind::range() const {
  return "port " + std::to_string(min_port) + "..65535";
}

JsonSpec EndpointKind::json() const {
  // The shape only; the address itself and the port's range are checked by the loader.
  std::string host = R"([0-9]{1,3}(?:\.[0-9]{1,3}){3}|\[[0-9A-Fa-f:.]+\])";
  if (allow_hostname) host += R"(|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)";
  return {.pattern = "^(?:" + host + "):[0-9]{1,5}$", .range = range()};
}

std::optional<Endpoint> EndpointKind::parse(const YAML::Node& node, const Cursor& at) const {
  const std::string shape = allow_hostname ? "host:port (broker.example.com:8883, [::1]:1883)"
                                           : "address:port (127.0.0.1:1883, [::1]:1883)";
  auto s = read_scalar(node, at, shape);
  if (!s) return std::nullopt;
  const std::string& text = s->text;
  const auto shape_error = [&](const std::string& why) {
    at.error(s->mark, "expected " + shape + ", got '" + text + "' (" + why + ")");
    return std::nullopt;
  };
  std::string host;
  std::string port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string::npos) return shape_error("the ']' after the IPv6 address is missing");
    if (close + 1 >= text.size()) return shape_error("the port is missing");
    if (text[close + 1] != ':') return shape_error("expected ':' and the port after ']'");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (!is_ipv6(host)) {
      at.error(s->mark, "'" + host + "' is not an IPv6 address");
      return std::nullopt;
    }
    host = canonical_ipv6(host);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) return shape_error("the port is missing");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.empty()) {
      return shape_error(allow_hostname ? "the host is missing"
                                        : "the address is missing; 0.0.0.0 listens on all IPv4 "
                                          "interfaces");
    }
    if (host.find(':') != std::string::npos) {
      at.error(s->mark, "IPv6 addresses need brackets: [" + host + "]:" + port);
      return std::nullopt;
    }
    if (!is_ipv4(host) && !(allow_hostname && is_hostname(host))) {
      at.error(s->mark, allow_hostname ? "'" + host + "' is not a valid host name or address"
                                       : "'" + host +
                                             "' is not an IP address; listeners bind to an IPv4 "
                                             "or [IPv6] address (0.0.0.0 or [::] for all)");
      return std::nullopt;
    }
  }
  if (port.empty()) return shape_error("the port is missing");
  const bool digits = !port.empty() && port.find_first_not_of("0123456789") == std::string::npos;
  if (!digits) {
    at.error(s->mark, "port '" + port + "' is not a number");
    return std::nullopt;
  }
  bool overflow = false;
  const auto p = detail::parse_int(port, overflow);
  if (!p || *p < min_port || *p > 65535) {
    at.error(s->mark, "port " + port + " out of range " + std::to_string(min_port) + "..65535");
    return std::nullopt;
  }
  return Endpoint{std::move(host), static_cast<std::uint16_t>(*p)};
}

}  // namespace gw::config
