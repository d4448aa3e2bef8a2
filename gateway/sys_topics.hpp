// gateway::SysTopics: the broker's and the bridge's statistics as retained MQTT messages under
// `$SYS/`, one plain-text value per topic, with Mosquitto's names where Mosquitto has the value
// (so `mosquitto_sub -t '$SYS/#' -v` and dashboards made for Mosquitto work). Every topic and its
// meaning is listed in docs/operations.md.
//
//   SysTopics sys(io, broker, clock, options.sys_interval, [&] { return snapshot(); });
//   sys.start();  // everything now, then every interval the values that changed
//
// The values come from the same MetricsSnapshot the metrics endpoint renders; nothing is
// counted twice. A value that did not change since the last publication is not sent again (it
// is retained, so a new subscriber gets it anyway): an idle gateway sends the uptime and little
// else. A topic that disappears (the bridge removed by a reload) is cleared with an empty
// retained message.
//
// Time: the interval is measured on the injected Clock. A timer calls tick() about once per
// interval; tests with a FakeClock advance it and call tick() themselves.
//
// Ownership: borrows the io_context and the Broker, which must outlive it.
// Thread safety: core thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include "broker/broker.hpp"
#include "core/clock.hpp"
#include "gateway/metrics.hpp"

namespace gw::gateway {

// One retained $SYS message: topic and plain-text payload.
struct SysValue {
  std::string topic;
  std::string payload;
  friend bool operator==(const SysValue&, const SysValue&) = default;
};

// What is computed between two publications rather than read from a snapshot.
struct SysRates {
  // Mosquitto's 1-minute load averages: per minute, exponentially smoothed with a one-minute
  // time constant.
  double messages_received_1min = 0.0;
  double messages_sent_1min = 0.0;
  double bytes_received_1min = 0.0;
  double bytes_sent_1min = 0.0;
  // Bridge acknowledgements per second over the last interval (0 before the first interval).
  double drain_rate = 0.0;
};

// Every $SYS value for `s`, in a stable order. Bridge values only when s.bridge is set.
[[nodiscard]] std::vector<SysValue> sys_values(const MetricsSnapshot& s, const SysRates& rates);

class SysTopics {
 public:
  using Snapshot = std::function<MetricsSnapshot()>;

  // `interval` > 0 (0 means: do not construct one).
  SysTopics(asio::io_context& io, broker::Broker& broker, core::Clock& clock,
            std::chrono::seconds interval, Snapshot snapshot);
  ~SysTopics();
  SysTopics(const SysTopics&) = delete;
  SysTopics& operator=(const SysTopics&) = delete;

  // Publishes every value now and arms the timer.
  void start();
  // Cancels the timer; what was published stays retained.
  void stop();
  // Publishes the values that changed if at least one interval has passed on the clock since
  // the last publication; otherwise does nothing.
  void tick();

  // Messages published so far (clearing ones included).
  [[nodiscard]] std::uint64_t published() const { return published_; }

 private:
  // Publishes the values of `s` that differ from the last ones published (all, the first time)
  // and records the counters the next rates start from.
  void publish_all(const MetricsSnapshot& s);
  void arm();

  broker::Broker& broker_;
  core::Clock& clock_;
  std::chrono::seconds interval_;
  Snapshot snapshot_;
  asio::steady_timer timer_;

  core::Clock::time_point last_at_{};
  // The counters the rates are computed from, as of the last publication.
  struct Base {
    std::uint64_t messages_received = 0;
    std::uint64_t messages_sent = 0;
    std::uint64_t bytes_received = 0;
    std::uint64_t bytes_sent = 0;
    std::optional<std::uint64_t> acked;  // the bridge's; nullopt without a bridge
  } base_;
  SysRates rates_;
  std::unordered_map<std::string, std::string> last_;  // topic → payload last published
  std::uint64_t published_ = 0;
  bool running_ = false;
};

}  // namespace gw::gateway
