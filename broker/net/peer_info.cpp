#include "broker/net/peer_info.hpp"

namespace gw::broker::net {

namespace {
asio::ip::address unmapped(asio::ip::address addr) {
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  }
  return addr;
}
}  // namespace

PeerInfo describe_peer(const asio::ip::tcp::endpoint& endpoint, bool known) {
  PeerInfo info{.peer = "?"};
  if (!known) return info;
  const auto addr = endpoint.address();
  info.peer = (addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string()) + ":" +
              std::to_string(endpoint.port());
  const auto plain = unmapped(addr);
  info.address = plain.to_string();
  info.loopback = plain.is_loopback();
  return info;
}

bool is_loopback(const asio::ip::tcp::endpoint& endpoint) {
  return unmapped(endpoint.address()).is_loopback();
}

}  // namespace gw::broker::net
