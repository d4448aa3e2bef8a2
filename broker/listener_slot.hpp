// broker::ListenerSlot: the connections of one listener, for its max_connections. Shared by the
// listener and every connection it accepted: a connection may outlive its listener (closed by a
// configuration reload) and still gives its place back when it ends.
//
// Ownership: shared (std::shared_ptr) between the Server and the Clients. Thread safety: core
// thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace gw::broker {

struct ListenerSlot {
  std::string name;                              // for logs
  std::optional<std::uint32_t> max_connections;  // nullopt: no limit of its own
  std::uint32_t current = 0;                     // connections accepted and not yet gone
};

}  // namespace gw::broker
