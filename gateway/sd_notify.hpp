// gateway::sd_notify: the sending side of systemd's service notification protocol, as
// sd_notify(3) and sd_watchdog_enabled(3) describe it, without linking libsystemd. libsystemd
// brings libgcrypt, libgpg-error, liblzma, libzstd, liblz4 and libcap into the process, about
// 1 MiB of resident pages for two calls (docs/performance.md, "Footprint"); the protocol is one
// datagram on a Unix socket, and systemd documents it as stable for reimplementation.
//
// Thread safety: both functions read the environment and may be called from any thread.
#pragma once

#include <chrono>
#include <string_view>
#include <system_error>

namespace gw::gateway {

// Sends `state` ("READY=1\nSTATUS=...") as one datagram to $NOTIFY_SOCKET: an absolute path, or
// an abstract socket name written with a leading '@'. Without NOTIFY_SOCKET (not started by
// systemd) it does nothing and succeeds.
// Errors: std::errc::invalid_argument (NOTIFY_SOCKET is neither a path nor '@' name, or too long
// for a socket address), or the errno of socket()/sendto() (e.g. connection_refused when nobody
// listens there).
std::error_code sd_notify(std::string_view state);

// The watchdog interval systemd asked for: $WATCHDOG_USEC, when $WATCHDOG_PID is unset or names
// this process. Zero when there is none or either variable is not a positive decimal number.
std::chrono::microseconds sd_watchdog_interval();

}  // namespace gw::gateway
