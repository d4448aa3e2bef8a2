// gateway::FieldRouter: joins the field links — Modbus links and serial instruments alike — to the
// local broker. Readings become messages on
// `<gateway id>/<device>/<point>` with a JSON payload
//   {"value": 21.5, "quality": "good", "ts": 1764097200123}
// (bad quality: "value": null and an "error" text), published retained at QoS 1 so that an HMI
// that connects later sees the last value together with its quality and age. Each device has a
// retained status message on `<gateway id>/<device>/status`:
//   {"status": "online", "ts": ...} / {"status": "offline", "error": "...", "ts": ...}
// A message on `<gateway id>/<device>/<point>/set` writes the point (payload: a JSON value, or
// {"value": ...}); the verified value or the error goes to the MQTT 5 Response Topic with the
// Correlation Data when the command has one, else to `<topic>/set/result`:
//   {"ok": true, "value": 21.5, "ts": ...} / {"ok": false, "error": "..."}
//
// Both kinds of link speak the same LinkSink, so their readings, statuses and commands take the
// same path; a device name (unique in the gateway) says which link a command goes to.
//
// Ownership: owns the links; borrows the io_context and the broker, which must outlive it.
// Thread safety: construct, start() and stop() on the core thread. The LinkSink callbacks run on
// link threads and only post to the core.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <asio/io_context.hpp>

#include "adapters/modbus/link.hpp"
#include "adapters/modbus/options.hpp"
#include "adapters/serial/instrument_link.hpp"
#include "adapters/serial/options.hpp"
#include "broker/broker.hpp"
#include "broker/local_client.hpp"
#include "core/result.hpp"
#include "gateway/metrics.hpp"
#include "gateway/options.hpp"

namespace gw::gateway {

struct FieldRouterStats {
  std::uint64_t published = 0;  // reading messages
  std::uint64_t dropped = 0;    // readings refused because the core fell too far behind
  std::uint64_t commands = 0;
  std::uint64_t command_errors = 0;
};

class FieldRouter final : public adapters::modbus::LinkSink {
 public:
  // Topics from gateway.id, gateway.topic and gateway.payload.
  FieldRouter(asio::io_context& core, broker::Broker& broker, const GatewayOptions& gateway,
              std::vector<adapters::modbus::LinkOptions> links,
              std::vector<adapters::serial::InstrumentOptions> instruments = {});
  ~FieldRouter() override;
  FieldRouter(const FieldRouter&) = delete;
  FieldRouter& operator=(const FieldRouter&) = delete;

  // Subscribes to the command topics and starts every link's thread.
  Result<void> start();
  // Stops and joins the links (each within its response timeout).
  void stop();

  // Configuration reload: links whose options are unchanged keep running untouched (their
  // connections, schedules and publish filters included); changed and removed links are stopped,
  // new and changed ones started; the same for serial instruments. A new gateway id or topic
  // template moves the command subscription.
  void reconfigure(const GatewayOptions& gateway, std::vector<adapters::modbus::LinkOptions> links,
                   std::vector<adapters::serial::InstrumentOptions> instruments = {});

  struct ReloadSummary {
    std::size_t kept = 0;
    std::size_t started = 0;
    std::size_t stopped = 0;
  };
  [[nodiscard]] const ReloadSummary& last_reload() const { return last_reload_; }

  [[nodiscard]] const FieldRouterStats& stats() const { return stats_; }
  // Devices whose last status was online, and all configured devices.
  [[nodiscard]] std::size_t devices_online() const { return online_; }
  [[nodiscard]] std::size_t device_count() const { return by_device_.size(); }
  // Every link's counters and its devices' state: the Modbus links in configuration order, then
  // the serial instruments in theirs (kind "serial").
  [[nodiscard]] std::vector<LinkMetrics> link_metrics() const;
  [[nodiscard]] std::string point_topic(std::string_view device, std::string_view point) const;

  // LinkSink: link threads.
  void on_readings(std::vector<adapters::Reading> readings) override;
  void on_status(adapters::modbus::DeviceStatus status) override;

  // Readings posted to the core and not yet published; beyond this the link is refused.
  static constexpr std::int64_t kMaxPendingReadings = 100'000;

 private:
  // The link that owns a device: where its commands go.
  using Target = std::variant<adapters::modbus::Link*, adapters::serial::InstrumentLink*>;

  void index_devices();
  void publish_reading(const adapters::Reading& r);
  void on_command(const std::shared_ptr<const Message>& m);
  void reply(const Message& command, const std::string& topic, std::string payload);

  asio::io_context& core_;
  broker::Broker& broker_;
  std::string id_;
  std::string topic_;  // gateway.topic
  GatewayOptions::Payload payload_ = GatewayOptions::Payload::PerPoint;
  std::map<std::string, std::string, std::less<>> link_of_;  // device -> link name
  [[nodiscard]] std::string device_topic(std::string_view device) const;
  void publish_device(const std::vector<adapters::Reading>& readings);
  broker::LocalClient client_;
  std::vector<std::unique_ptr<adapters::modbus::Link>> links_;
  std::vector<std::unique_ptr<adapters::serial::InstrumentLink>> instruments_;
  std::map<std::string, Target, std::less<>> by_device_;
  std::shared_ptr<spdlog::logger> log_;
  std::atomic<std::int64_t> pending_{0};
  std::atomic<std::uint64_t> dropped_{0};
  FieldRouterStats stats_;
  struct DeviceState {
    bool online = false;
    std::string error;  // why it is offline
  };
  std::map<std::string, DeviceState, std::less<>> status_;  // by device, once reported
  std::size_t online_ = 0;
  ReloadSummary last_reload_;
  bool started_ = false;
};

}  // namespace gw::gateway
