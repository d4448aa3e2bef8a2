// net::PeerInfo: how a connection names its peer in logs and per-address limits, shared by the
// TCP and TLS transports.
//
// Thread safety: value type; describe_peer() reads the socket's endpoint only.
#pragma once

#include <string>

#include <asio/ip/tcp.hpp>

namespace gw::broker::net {

struct PeerInfo {
  std::string peer;     // "address:port" ("[::1]:5000" for IPv6), "?" when unknown
  std::string address;  // without the port; an IPv4-mapped IPv6 address as IPv4
  bool loopback = false;
};

PeerInfo describe_peer(const asio::ip::tcp::socket& socket);

}  // namespace gw::broker::net
