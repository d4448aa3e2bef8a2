#include "gateway/sys_topics.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>

#include <fmt/format.h>

#include "core/log.hpp"
#include "core/message.hpp"

namespace gw::gateway {
namespace {

constexpr std::string_view kBroker = "$SYS/broker/";
constexpr std::string_view kBridge = "$SYS/gateway/bridge/";

class Values {
 public:
  explicit Values(std::vector<SysValue>& out) : out_(out) {}
  void add(std::string_view prefix, std::string_view name, std::string payload) {
    out_.push_back({fmt::format("{}{}", prefix, name), std::move(payload)});
  }
  void add(std::string_view prefix, std::string_view name, std::uint64_t value) {
    add(prefix, name, fmt::format("{}", value));
  }
  void add_rate(std::string_view prefix, std::string_view name, double value) {
    add(prefix, name, fmt::format("{:.2f}", value));
  }

 private:
  std::vector<SysValue>& out_;
};

void broker_values(Values& v, const MetricsSnapshot& s, const SysRates& r) {
  const broker::BrokerStats& b = s.broker;
  v.add(kBroker, "version", "edge-gateway " + s.version);
  // Mosquitto's form, "<n> seconds", which its tooling parses.
  v.add(kBroker, "uptime", fmt::format("{} seconds", s.uptime.count()));
  v.add(kBroker, "clients/connected", b.connections_current);
  v.add(kBroker, "clients/disconnected",
        static_cast<std::uint64_t>(s.sessions) - std::min<std::uint64_t>(s.sessions, b.connections_current));
  v.add(kBroker, "clients/total", static_cast<std::uint64_t>(s.sessions));
  v.add(kBroker, "clients/maximum", b.connections_maximum);
  v.add(kBroker, "messages/received", b.messages_received);
  v.add(kBroker, "messages/sent", b.messages_sent);
  v.add(kBroker, "bytes/received", b.bytes_received);
  v.add(kBroker, "bytes/sent", b.bytes_sent);
  v.add(kBroker, "publish/messages/dropped",
        b.dropped_queue_full + b.dropped_too_large + b.dropped_expired + b.dropped_qos0_offline +
            b.dropped_session_ended);
  v.add(kBroker, "messages/dropped/queue_full", b.dropped_queue_full);
  v.add(kBroker, "messages/dropped/too_large", b.dropped_too_large);
  v.add(kBroker, "messages/dropped/expired", b.dropped_expired);
  v.add(kBroker, "messages/dropped/qos0_offline", b.dropped_qos0_offline);
  v.add(kBroker, "messages/dropped/session_ended", b.dropped_session_ended);
  v.add(kBroker, "retained messages/count", static_cast<std::uint64_t>(s.retained));
  v.add(kBroker, "subscriptions/count", static_cast<std::uint64_t>(s.subscriptions));
  v.add_rate(kBroker, "load/messages/received/1min", r.messages_received_1min);
  v.add_rate(kBroker, "load/messages/sent/1min", r.messages_sent_1min);
  v.add_rate(kBroker, "load/bytes/received/1min", r.bytes_received_1min);
  v.add_rate(kBroker, "load/bytes/sent/1min", r.bytes_sent_1min);
}

void bridge_values(Values& v, const MetricsSnapshot& s, const SysRates& r) {
  if (!s.bridge) return;
  const bridge::BridgeStats& b = *s.bridge;
  const std::uint64_t connected = b.connected ? 1U : 0U;
  // Mosquitto's bridge state topic, for its tooling; the gateway's own tree follows.
  v.add(kBroker, "connection/uplink/state", connected);
  v.add(kBridge, "connected", connected);
  v.add(kBridge, "backlog/messages", b.outbox.rows);
  v.add(kBridge, "backlog/bytes", b.outbox.bytes);
  const std::int64_t age_ms =
      b.outbox.oldest_stored_at ? std::max<std::int64_t>(0, s.now_ms - *b.outbox.oldest_stored_at)
                                : 0;
  v.add(kBridge, "backlog/oldest_age_seconds", static_cast<std::uint64_t>(age_ms / 1000));
  v.add_rate(kBridge, "drain_rate", r.drain_rate);
  std::string eta = "0";
  if (b.outbox.rows > 0) {
    eta = r.drain_rate > 0.0
              ? fmt::format("{}", static_cast<std::uint64_t>(
                                      std::ceil(static_cast<double>(b.outbox.rows) / r.drain_rate)))
              : "-1";
  }
  v.add(kBridge, "eta_seconds", std::move(eta));
  v.add(kBridge, "messages/acked", b.acked);
  v.add(kBridge, "dead_letters", b.outbox.dead_letters);
  for (std::size_t i = 0; i < bridge::kDropReasonCount; ++i) {
    const auto reason = static_cast<bridge::DropReason>(i);
    v.add(kBridge, fmt::format("dropped/{}", bridge::to_string(reason)), b.outbox.drops[reason]);
  }
  v.add(kBridge, "dropped/queue_full", b.dropped_queue_full);
  v.add(kBridge, "dropped/append_failed", b.append_failures);
  for (std::size_t i = 0; i < bridge::kSendRefusalCount; ++i) {
    const auto reason = static_cast<bridge::SendRefusal>(i);
    v.add(kBridge, fmt::format("send_refused/{}", bridge::to_string(reason)), b.send_refused[reason]);
  }
}

// Mosquitto's load average step: `per_minute` measured over `dt` seconds folded into `load`.
double smooth(double load, std::uint64_t now, std::uint64_t before, double dt) {
  const double delta = now >= before ? static_cast<double>(now - before) : static_cast<double>(now);
  const double exponent = std::exp(-dt / 60.0);
  return load * exponent + delta * 60.0 / dt * (1.0 - exponent);
}

}  // namespace

std::vector<SysValue> sys_values(const MetricsSnapshot& s, const SysRates& rates) {
  std::vector<SysValue> out;
  out.reserve(48);
  Values v(out);
  broker_values(v, s, rates);
  bridge_values(v, s, rates);
  return out;
}

SysTopics::SysTopics(asio::io_context& io, broker::Broker& broker, core::Clock& clock,
                     std::chrono::seconds interval, Snapshot snapshot)
    : broker_(broker),
      clock_(clock),
      interval_(interval),
      snapshot_(std::move(snapshot)),
      timer_(io) {}

SysTopics::~SysTopics() = default;

void SysTopics::start() {
  running_ = true;
  last_at_ = clock_.steady();
  publish_all(snapshot_());
  arm();
}

void SysTopics::stop() {
  running_ = false;
  timer_.cancel();
}

void SysTopics::tick() {
  const auto now = clock_.steady();
  if (now - last_at_ < interval_) return;
  const double dt = std::chrono::duration<double>(now - last_at_).count();
  last_at_ = now;
  const MetricsSnapshot s = snapshot_();
  const broker::BrokerStats& b = s.broker;
  rates_.messages_received_1min =
      smooth(rates_.messages_received_1min, b.messages_received, base_.messages_received, dt);
  rates_.messages_sent_1min = smooth(rates_.messages_sent_1min, b.messages_sent, base_.messages_sent, dt);
  rates_.bytes_received_1min =
      smooth(rates_.bytes_received_1min, b.bytes_received, base_.bytes_received, dt);
  rates_.bytes_sent_1min = smooth(rates_.bytes_sent_1min, b.bytes_sent, base_.bytes_sent, dt);
  rates_.drain_rate = 0.0;
  if (s.bridge && base_.acked) {
    // A bridge restarted by a reload starts its counters over.
    const auto acked = s.bridge->acked;
    const auto delta = acked >= *base_.acked ? acked - *base_.acked : acked;
    rates_.drain_rate = static_cast<double>(delta) / dt;
  }
  publish_all(s);
}

void SysTopics::publish_all(const MetricsSnapshot& s) {
  base_ = {.messages_received = s.broker.messages_received,
           .messages_sent = s.broker.messages_sent,
           .bytes_received = s.broker.bytes_received,
           .bytes_sent = s.broker.bytes_sent,
           .acked = s.bridge ? std::optional<std::uint64_t>(s.bridge->acked) : std::nullopt};
  auto values = sys_values(s, rates_);
  const auto send = [this](std::string topic, std::string payload) {
    ++published_;
    broker_.publish(Message{.topic = std::move(topic),
                            .payload = std::move(payload),
                            .qos = QoS::AtMostOnce,
                            .retain = true});
  };
  // Topics that are gone (the bridge was removed): an empty retained message clears them.
  for (auto it = last_.begin(); it != last_.end();) {
    const bool still = std::any_of(values.begin(), values.end(),
                                   [&](const SysValue& v) { return v.topic == it->first; });
    if (still) {
      ++it;
      continue;
    }
    send(it->first, "");
    it = last_.erase(it);
  }
  for (SysValue& v : values) {
    auto [it, inserted] = last_.try_emplace(v.topic);
    if (!inserted && it->second == v.payload) continue;
    it->second = v.payload;
    send(std::move(v.topic), std::move(v.payload));
  }
}

void SysTopics::arm() {
  if (!running_) return;
  const auto due = last_at_ + interval_ - clock_.steady();
  timer_.expires_after(std::max<core::Clock::duration>(due, std::chrono::milliseconds(10)));
  timer_.async_wait([this](std::error_code ec) {
    if (ec || !running_) return;
    tick();
    arm();
  });
}

}  // namespace gw::gateway
