#include "gateway/service_notifier.hpp"

#include "gateway/sd_notify.hpp"

namespace gw::gateway {

ServiceNotifier::ServiceNotifier(asio::io_context& io, HealthProbe probe)
    : probe_(std::move(probe)), watchdog_timer_(io), status_timer_(io) {
  // > 0 only when systemd (or a test standing in for it) asked for a watchdog for this process.
  watchdog_ = sd_watchdog_interval();
}

void ServiceNotifier::send(const std::string& state) const {
  // A lost notification is not an error of the gateway's: systemd restarts it if READY=1 or
  // WATCHDOG=1 never arrive, and says why in the journal.
  (void)sd_notify(state);
}

void ServiceNotifier::ready() {
  last_status_ = probe_().summary;
  send("READY=1\nSTATUS=" + last_status_);
  arm_watchdog();
  arm_status();
}

void ServiceNotifier::reloading() {
  // systemd 253 wants MONOTONIC_USEC= with RELOADING=1 for Type=notify-reload; 252 ignores it.
  send("RELOADING=1");
}

void ServiceNotifier::reloaded() { send("READY=1\nSTATUS=" + probe_().summary); }

void ServiceNotifier::stopping() {
  stopped_ = true;
  watchdog_timer_.cancel();
  status_timer_.cancel();
  send("STOPPING=1\nSTATUS=stopping");
}

void ServiceNotifier::arm_watchdog() {
  if (watchdog_.count() == 0 || stopped_) return;
  watchdog_timer_.expires_after(watchdog_ / 2);
  watchdog_timer_.async_wait([this](std::error_code ec) {
    if (ec || stopped_) return;
    // Fed from the core loop itself: if this handler does not run, systemd notices.
    if (probe_().healthy) send("WATCHDOG=1");
    arm_watchdog();
  });
}

void ServiceNotifier::arm_status() {
  if (stopped_) return;
  status_timer_.expires_after(kStatusInterval);
  status_timer_.async_wait([this](std::error_code ec) {
    if (ec || stopped_) return;
    std::string now = probe_().summary;
    if (now != last_status_) {
      last_status_ = std::move(now);
      send("STATUS=" + last_status_);
    }
    arm_status();
  });
}

}  // namespace gw::gateway
