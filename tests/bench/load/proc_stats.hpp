// ProcStats: memory and CPU time of another process, read from /proc (Linux only): the broker
// under test, given by --broker-pid.
//
// Thread safety: a value type; read_proc_stats() is safe from any thread.
#pragma once

#include <cstdint>
#include <optional>

namespace gw::bench {

struct ProcStats {
  std::uint64_t rss_kb = 0;  // VmRSS: resident now
  std::uint64_t hwm_kb = 0;  // VmHWM: peak resident since the process started
  double cpu_s = 0;          // user + system CPU time since the process started
};

// nullopt when the process does not exist (any more) or /proc cannot be parsed.
[[nodiscard]] std::optional<ProcStats> read_proc_stats(int pid);

// User + system CPU time of this process so far, in seconds.
[[nodiscard]] double own_cpu_seconds();

// The 1-minute load average of this machine, or -1 when /proc/loadavg is unreadable.
[[nodiscard]] double load_average_1m();

}  // namespace gw::bench
