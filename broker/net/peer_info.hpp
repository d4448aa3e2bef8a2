// net::PeerInfo: how a connection names its peer in logs and per-address limits, shared by the
// TCP and TLS transports. Built from the endpoint accept() returned, only when something asks
// for it: most connections never log, and formatting an address on every accept is work the
// connect rate pays for.
//
// Thread safety: value type.
#pragma once

#include <string>

#include <asio/ip/tcp.hpp>

namespace gw::broker::net {

struct PeerInfo {
  std::string peer;     // "address:port" ("[::1]:5000" for IPv6), "?" when unknown
  std::string address;  // without the port; an IPv4-mapped IPv6 address as IPv4
  bool loopback = false;
};

// `known` false: accept() gave no address (the peer was already gone); "?" then.
PeerInfo describe_peer(const asio::ip::tcp::endpoint& endpoint, bool known = true);
// 127.0.0.0/8, ::1, or an IPv4-mapped loopback address.
bool is_loopback(const asio::ip::tcp::endpoint& endpoint);

}  // namespace gw::broker::net
