// gateway::outbox commands: `edge-gateway outbox stats|dead-letters|replay --config FILE`, the
// bridge store seen from the command line: how big the backlog is and how old, which messages
// were given up as dead letters and why, and putting one back in the queue.
//
// They open the outbox file named by the configuration (bridge.outbox.path). Reading works while
// the gateway runs (SQLite WAL); `replay` writes and may find the file busy while the gateway is
// committing: it then says so and exits 1, and can simply be repeated.
//
// Thread safety: runs on the main thread of a command-line invocation.
#pragma once

#include <cstdint>
#include <ostream>

#include "config/config.hpp"

namespace gw::gateway {

enum class OutboxCommand { Stats, DeadLetters, Replay };

// Returns the exit code: 0 done, 1 the outbox could not be opened or changed, 2 the configuration
// has no bridge. `limit` bounds the dead letters listed; `id` is the dead letter to replay.
int run_outbox_command(const config::Config& cfg, OutboxCommand command, std::size_t limit,
                       std::uint64_t id, std::ostream& out, std::ostream& err);

}  // namespace gw::gateway
