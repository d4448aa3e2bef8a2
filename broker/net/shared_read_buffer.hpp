// net::SharedReadBuffer: the read buffer shared by every connection on one thread. Each read is
// handed to its handler (which consumes or copies it) before any other read can land, so one
// buffer serves all, and an idle connection holds no read buffer of its own.
//
// Ownership: shared (std::shared_ptr) by the Server and the connections it accepted.
// Thread safety: core thread only.
#pragma once

#include <array>
#include <cstddef>

namespace gw::broker::net {

struct SharedReadBuffer {
  std::array<std::byte, 64 * 1024> bytes;
};

}  // namespace gw::broker::net
