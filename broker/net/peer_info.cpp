#include "broker/net/peer_info.hpp"

namespace gw::broker::net {

PeerInfo describe_peer(const asio::ip::tcp::socket& socket) {
  PeerInfo info{.peer = "?"};
  std::error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  if (ec) return info;
  auto addr = ep.address();
  info.peer = (addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string()) + ":" +
              std::to_string(ep.port());
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
    addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  }
  info.address = addr.to_string();
  info.loopback = addr.is_loopback();
  return info;
}

}  // namespace gw::broker::net
