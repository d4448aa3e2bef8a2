// gateway::ServiceNotifier: the gateway's side of systemd's Type=notify protocol (sd_notify):
// READY=1 once everything is started, STATUS= with a one-line health summary, WATCHDOG=1 from the
// core loop, STOPPING=1 and RELOADING=1. Without NOTIFY_SOCKET (not started by systemd) every
// call is a cheap no-op.
//
// The watchdog is fed by a timer on the core io_context at half of WatchdogSec (WATCHDOG_USEC),
// and only while the health callback says the gateway is healthy: a core loop that is stuck, or a
// gateway that is not doing its job, stops feeding it and systemd restarts the service.
//
// Ownership: borrows the io_context. Thread safety: core thread only.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

namespace gw::gateway {

class ServiceNotifier {
 public:
  // Health for the watchdog and the STATUS= line: healthy or not, and the one-line summary.
  struct Health {
    bool healthy = true;
    std::string summary;
  };
  using HealthProbe = std::function<Health()>;

  ServiceNotifier(asio::io_context& io, HealthProbe probe);

  // READY=1 with the current STATUS=, and starts the watchdog and status timers.
  void ready();
  void reloading();
  // READY=1 again after a reload.
  void reloaded();
  // STOPPING=1; stops the timers.
  void stopping();

  // The watchdog interval systemd asked for (WATCHDOG_USEC), or 0 when there is none.
  [[nodiscard]] std::chrono::microseconds watchdog_interval() const { return watchdog_; }

  static constexpr std::chrono::seconds kStatusInterval{10};

 private:
  void send(const std::string& state) const;
  void arm_watchdog();
  void arm_status();

  HealthProbe probe_;
  std::chrono::microseconds watchdog_{0};
  asio::steady_timer watchdog_timer_;
  asio::steady_timer status_timer_;
  std::string last_status_;
  bool stopped_ = false;
};

}  // namespace gw::gateway
