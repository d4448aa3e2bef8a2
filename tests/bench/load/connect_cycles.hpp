// ConnectCycles: measures how many MQTT connections a broker accepts per second: each cycle is
// TCP connect, CONNECT, CONNACK, DISCONNECT, close, with `parallel` cycles in flight at once
// (1 = sequential). Bounded by a cycle count and a timeout.
//
// The client closes first, as MQTT requires after DISCONNECT [MQTT-3.14.4-1], so its port goes to
// TIME_WAIT; on loopback Linux reuses those (net.ipv4.tcp_tw_reuse = 2, the default), and the
// cycle count is capped well below the ephemeral range anyway.
//
// Ownership: owns its sockets and epoll descriptor. Thread safety: none; one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tests/bench/load/latency_recorder.hpp"
#include "tests/bench/load/load_options.hpp"
#include "tests/bench/load/proc_stats.hpp"

namespace gw::bench {

struct ConnectCyclesResult {
  std::uint64_t completed = 0;  // cycles that got a successful CONNACK
  std::uint64_t failed = 0;     // refused, reset or malformed
  std::string error;            // the first failure
  double elapsed_s = 0;
  LatencyRecorder::Summary latency;  // connect() to CONNACK, per cycle
  double load_average = -1;
  std::optional<ProcStats> broker_before;
  std::optional<ProcStats> broker_after;
  double own_cpu_s = 0;
};

// Runs options.connect_cycles cycles, options.parallel at a time, for at most
// options.run_timeout_s. Failures are counted, not fatal.
[[nodiscard]] ConnectCyclesResult run_connect_cycles(const LoadOptions& options);

}  // namespace gw::bench
