#include "gateway/metrics.hpp"

#include <array>
#include <string_view>

#include <fmt/format.h>

#include "gateway/prometheus_text.hpp"

namespace gw::gateway {
namespace {

using adapters::Quality;
using adapters::modbus::kLatencyBuckets;

// "timeout" for Quality::BadTimeout: the error kinds as labels.
std::string_view error_kind(Quality q) {
  std::string_view s = adapters::to_string(q);
  if (s.starts_with("bad_")) s.remove_prefix(4);
  return s;
}

double seconds(std::uint64_t us) { return static_cast<double>(us) / 1e6; }

std::optional<std::int64_t> backlog_age_ms(const MetricsSnapshot& s) {
  if (!s.bridge || !s.bridge->outbox.oldest_stored_at) return std::nullopt;
  return std::max<std::int64_t>(0, s.now_ms - *s.bridge->outbox.oldest_stored_at);
}

// One family with one unlabelled sample.
template <typename T>
void single(PrometheusText& out, std::string_view name, std::string_view type,
            std::string_view help, T value) {
  out.family(name, type, help);
  out.sample(name, {}, value);
}

void broker_metrics(PrometheusText& out, const MetricsSnapshot& s) {
  const broker::BrokerStats& b = s.broker;
  single(out, "edge_gateway_mqtt_connections", "gauge", "MQTT clients connected now.",
         b.connections_current);
  single(out, "edge_gateway_mqtt_sessions", "gauge",
         "Broker sessions, connected or kept for a disconnected client.",
         static_cast<std::uint64_t>(s.sessions));
  single(out, "edge_gateway_mqtt_connections_total", "counter", "MQTT connections accepted.",
         b.connections_total);
  single(out, "edge_gateway_mqtt_connections_refused_total", "counter",
         "MQTT connections refused (limits, CONNACK failure).", b.connections_refused);
  single(out, "edge_gateway_mqtt_messages_received_total", "counter",
         "PUBLISH packets received from clients and the gateway's own modules.",
         b.messages_received);
  single(out, "edge_gateway_mqtt_messages_sent_total", "counter", "PUBLISH packets sent to clients.",
         b.messages_sent);
  constexpr std::string_view dropped = "edge_gateway_mqtt_messages_dropped_total";
  out.family(dropped, "counter", "Messages the broker did not deliver, by reason.");
  out.sample(dropped, {{"reason", "queue_full"}}, b.dropped_queue_full);
  out.sample(dropped, {{"reason", "too_large"}}, b.dropped_too_large);
  out.sample(dropped, {{"reason", "expired"}}, b.dropped_expired);
  out.sample(dropped, {{"reason", "qos0_offline"}}, b.dropped_qos0_offline);
  out.sample(dropped, {{"reason", "session_ended"}}, b.dropped_session_ended);
  single(out, "edge_gateway_mqtt_auth_failures_total", "counter",
         "CONNECTs refused for a wrong user name or password.", b.auth_failures);
  constexpr std::string_view denied = "edge_gateway_mqtt_acl_denied_total";
  out.family(denied, "counter", "Operations the ACL refused, by access.");
  out.sample(denied, {{"access", "publish"}}, b.acl_denied_publish);
  out.sample(denied, {{"access", "subscribe"}}, b.acl_denied_subscribe);
  out.sample(denied, {{"access", "receive"}}, b.acl_denied_receive);
  single(out, "edge_gateway_mqtt_protocol_errors_total", "counter",
         "Connections closed for malformed or forbidden input.", b.protocol_errors);
  single(out, "edge_gateway_mqtt_local_handler_errors_total", "counter",
         "In-process subscriber handlers that threw.", b.local_handler_errors);
  single(out, "edge_gateway_mqtt_received_bytes_total", "counter",
         "Bytes read from MQTT client connections.", b.bytes_received);
  single(out, "edge_gateway_mqtt_sent_bytes_total", "counter",
         "Bytes queued to MQTT client connections.", b.bytes_sent);
  // Back-pressure (docs/configuration.md, "Back-pressure").
  single(out, "edge_gateway_mqtt_backpressure_pauses_total", "counter",
         "Times a publisher stopped being read until a slow subscriber caught up.",
         b.backpressure_pauses);
  single(out, "edge_gateway_mqtt_backpressure_stuck_total", "counter",
         "Subscribers that made no write progress for broker.max_backpressure_wait.",
         b.backpressure_stuck);
  single(out, "edge_gateway_mqtt_connections_maximum", "gauge",
         "The most MQTT clients connected at once since start.", b.connections_maximum);
  single(out, "edge_gateway_mqtt_sys_publish_refused_total", "counter",
         "Client PUBLISHes and wills to $SYS/ refused.", b.sys_publish_refused);
  single(out, "edge_gateway_mqtt_retained_messages", "gauge", "Retained messages stored.",
         static_cast<std::uint64_t>(s.retained));
  single(out, "edge_gateway_mqtt_subscriptions", "gauge",
         "Subscriptions of clients and of the gateway's own modules.",
         static_cast<std::uint64_t>(s.subscriptions));
  single(out, "edge_gateway_mqtt_websocket_handshake_failures_total", "counter",
         "WebSocket upgrade requests refused (bad request, wrong path, no mqtt subprotocol).",
         b.websocket_handshake_failures);
  // broker.persistence
  constexpr std::string_view persist = "edge_gateway_mqtt_persist_batches_total";
  out.family(persist, "counter",
             "Write-behind batches of broker state handed to the store, by kind.");
  out.sample(persist, {{"kind", "changes"}}, b.persist_batches - b.persist_snapshots);
  out.sample(persist, {{"kind", "snapshot"}}, b.persist_snapshots);
  single(out, "edge_gateway_mqtt_persist_overflows_total", "counter",
         "Times the pending broker state changes outgrew their bound while the disk was behind.",
         b.persist_overflows);
  constexpr std::string_view limits = "edge_gateway_mqtt_limit_hits_total";
  out.family(limits, "counter", "Broker limits reached (connections, rate, topics...), by limit.");
  for (std::size_t i = 0; i < broker::kLimitKinds; ++i) {
    out.sample(limits, {{"limit", broker::to_string(static_cast<broker::LimitKind>(i))}},
               b.limit_hits[i]);
  }
  single(out, "edge_gateway_mqtt_tls_handshake_failures_total", "counter",
         "TLS handshakes with clients that failed (bad certificate, wrong protocol, ...).",
         b.tls_handshake_failures);
  single(out, "edge_gateway_mqtt_tls_reload_failures_total", "counter",
         "TLS certificate reloads that failed and kept the previous certificate.",
         b.tls_reload_failures);
}

void field_metrics(PrometheusText& out, const MetricsSnapshot& s) {
  single(out, "edge_gateway_field_messages_published_total", "counter",
         "Reading messages published into the broker.", s.field.published);
  single(out, "edge_gateway_field_readings_dropped_total", "counter",
         "Readings refused because the core fell too far behind.", s.field.dropped);
  single(out, "edge_gateway_field_commands_total", "counter", "Write commands received.",
         s.field.commands);
  single(out, "edge_gateway_field_command_errors_total", "counter",
         "Write commands that failed (bad payload, unknown point, device error).",
         s.field.command_errors);
}

// A per-link counter family: `get` picks the value out of LinkStats.
template <typename Get>
void per_link(PrometheusText& out, const MetricsSnapshot& s, std::string_view name,
              std::string_view type, std::string_view help, Get get) {
  out.family(name, type, help);
  for (const LinkMetrics& l : s.links) out.sample(name, {{"link", l.name}}, get(l));
}

void link_metrics(PrometheusText& out, const MetricsSnapshot& s) {
  {
    constexpr std::string_view info = "edge_gateway_link_info";
    out.family(info, "gauge", "Configured field links (value 1), with their kind.");
    for (const LinkMetrics& l : s.links) {
      out.sample(info, {{"link", l.name}, {"kind", l.kind}}, std::uint64_t{1});
    }
  }
  per_link(out, s, "edge_gateway_link_writes_total", "counter", "Write commands executed.",
           [](const LinkMetrics& l) { return l.stats.writes; });
  per_link(out, s, "edge_gateway_link_write_errors_total", "counter", "Write commands that failed.",
           [](const LinkMetrics& l) { return l.stats.write_errors; });
  per_link(out, s, "edge_gateway_link_reconnects_total", "counter",
           "Connections or serial ports reopened after a loss.",
           [](const LinkMetrics& l) { return l.stats.reconnects; });
  per_link(out, s, "edge_gateway_link_late_polls_total", "counter",
           "Polls that started after their deadline (the bus could not keep up).",
           [](const LinkMetrics& l) { return l.stats.late_polls; });
  per_link(out, s, "edge_gateway_link_readings_total", "counter",
           "Readings published (after deadband and heartbeat filtering).",
           [](const LinkMetrics& l) { return l.stats.readings; });
  per_link(out, s, "edge_gateway_link_busy_seconds_total", "counter",
           "Time the bus spent in transactions; its rate is the bus utilisation.",
           [](const LinkMetrics& l) { return seconds(l.stats.busy_us); });
  per_link(out, s, "edge_gateway_link_planned_utilisation_ratio", "gauge",
           "Bus time per second the poll plan needs on the wire (serial links; 0 for TCP).",
           [](const LinkMetrics& l) { return l.planned_utilisation; });

  constexpr std::string_view online = "edge_gateway_device_online";
  out.family(online, "gauge", "1 while the device answers, 0 while it is offline or unknown.");
  for (const LinkMetrics& l : s.links) {
    for (const DeviceHealth& d : l.devices) {
      out.sample(online, {{"link", l.name}, {"device", d.name}},
                 std::uint64_t{d.online.value_or(false) ? 1U : 0U});
    }
  }
  constexpr std::string_view requests = "edge_gateway_device_requests_total";
  out.family(requests, "counter", "Read transactions sent to the device.");
  for (const LinkMetrics& l : s.links) {
    for (const auto& d : l.stats.devices) {
      out.sample(requests, {{"link", l.name}, {"device", d.name}}, d.requests);
    }
  }
  constexpr std::string_view errors = "edge_gateway_device_errors_total";
  out.family(errors, "counter",
             "Read transactions that failed, by kind: timeout, exception, crc, connection, "
             "decode, config.");
  for (const LinkMetrics& l : s.links) {
    for (const auto& d : l.stats.devices) {
      for (std::size_t q = 1; q < adapters::kQualityCount; ++q) {
        out.sample(errors,
                   {{"link", l.name}, {"device", d.name}, {"kind", error_kind(Quality(q))}},
                   d.errors_by_quality[q]);
      }
    }
  }
  constexpr std::string_view response = "edge_gateway_device_response_seconds";
  out.family(response, "histogram",
             "Time from request to response (or to the timeout) of read transactions.");
  const std::string bucket = std::string(response) + "_bucket";
  const std::string sum = std::string(response) + "_sum";
  const std::string count = std::string(response) + "_count";
  for (const LinkMetrics& l : s.links) {
    for (const auto& d : l.stats.devices) {
      std::uint64_t cumulative = 0;
      for (std::size_t b = 0; b < kLatencyBuckets.size(); ++b) {
        cumulative += d.latency[b];
        const std::string le = fmt::format("{}", seconds(static_cast<std::uint64_t>(
                                                     kLatencyBuckets[b].count())));
        out.sample(bucket, {{"link", l.name}, {"device", d.name}, {"le", le}}, cumulative);
      }
      cumulative += d.latency.back();
      out.sample(bucket, {{"link", l.name}, {"device", d.name}, {"le", "+Inf"}}, cumulative);
      out.sample(sum, {{"link", l.name}, {"device", d.name}}, seconds(d.latency_sum_us));
      out.sample(count, {{"link", l.name}, {"device", d.name}}, cumulative);
    }
  }
}

void bridge_metrics(PrometheusText& out, const MetricsSnapshot& s) {
  if (!s.bridge) return;
  const bridge::BridgeStats& b = *s.bridge;
  single(out, "edge_gateway_bridge_connected", "gauge", "1 while the uplink is connected.",
         std::uint64_t{b.connected ? 1U : 0U});
  single(out, "edge_gateway_bridge_connects_total", "counter", "Successful CONNACKs.", b.connects);
  single(out, "edge_gateway_bridge_connect_failures_total", "counter",
         "Connection attempts that ended without CONNACK.", b.connect_failures);
  single(out, "edge_gateway_bridge_reconnects_total", "counter",
         "Uplink connections lost or recycled after CONNACK.", b.reconnects);
  single(out, "edge_gateway_bridge_stalls_total", "counter",
         "Uplink connections recycled because acknowledgements stopped.", b.stalls);
  single(out, "edge_gateway_bridge_resumed_total", "counter",
         "Unacknowledged exchanges continued with their packet identifiers on a resumed session.",
         b.resumed);
  single(out, "edge_gateway_bridge_messages_received_total", "counter",
         "Local messages handed to the bridge (one per matching route).", b.received);
  single(out, "edge_gateway_bridge_messages_sent_total", "counter",
         "PUBLISHes sent upstream, retransmissions included.", b.sent);
  single(out, "edge_gateway_bridge_messages_acked_total", "counter",
         "PUBLISHes acknowledged by the cloud broker; their rate is the drain rate.", b.acked);
  single(out, "edge_gateway_bridge_send_failures_total", "counter",
         "PUBLISHes refused by the client library or the cloud; sent again later.", b.send_failures);
  single(out, "edge_gateway_bridge_inflight", "gauge", "PUBLISHes sent and not acknowledged yet.",
         b.inflight);

  constexpr std::string_view dropped = "edge_gateway_bridge_messages_dropped_total";
  out.family(dropped, "counter",
             "Messages given up without being sent, by reason (the outbox's limits, expiry, a "
             "full hand-off queue, an outbox write failure).");
  for (std::size_t r = 0; r < bridge::kDropReasonCount; ++r) {
    const auto reason = static_cast<bridge::DropReason>(r);
    out.sample(dropped, {{"reason", bridge::to_string(reason)}}, b.outbox.drops[reason]);
  }
  out.sample(dropped, {{"reason", "queue_full"}}, b.dropped_queue_full);
  out.sample(dropped, {{"reason", "append_failed"}}, b.append_failures);

  constexpr std::string_view refused = "edge_gateway_bridge_send_refused_total";
  out.family(refused, "counter",
             "PUBLISHes the MQTT client library refused before sending, by reason; stored and "
             "sent again after a pause.");
  for (std::size_t r = 0; r < bridge::kSendRefusalCount; ++r) {
    const auto reason = static_cast<bridge::SendRefusal>(r);
    out.sample(refused, {{"reason", bridge::to_string(reason)}}, b.send_refused[reason]);
  }

  constexpr std::string_view dead = "edge_gateway_bridge_dead_lettered_total";
  out.family(dead, "counter", "Messages moved to the dead letters, by reason.");
  out.sample(dead, {{"reason", "oversize"}}, b.oversize);
  out.sample(dead, {{"reason", "other"}}, b.dead_lettered - std::min(b.dead_lettered, b.oversize));
  single(out, "edge_gateway_bridge_qos_downgraded_total", "counter",
         "Messages sent with a lower QoS than asked (the cloud's Maximum QoS).", b.qos_downgraded);
  single(out, "edge_gateway_bridge_retain_cleared_total", "counter",
         "Messages sent without Retain (the cloud has no retained messages).", b.retain_cleared);
  single(out, "edge_gateway_bridge_downstream_received_total", "counter",
         "PUBLISHes received from the cloud.", b.downstream_received);
  single(out, "edge_gateway_bridge_downstream_published_total", "counter",
         "Cloud PUBLISHes published locally.", b.downstream_published);
  single(out, "edge_gateway_bridge_downstream_dropped_total", "counter",
         "Cloud PUBLISHes not published (no route, bad mapped topic, full hand-off).",
         b.downstream_dropped);

  single(out, "edge_gateway_bridge_backlog_messages", "gauge",
         "Messages in the outbox waiting for the cloud.", b.outbox.rows);
  single(out, "edge_gateway_bridge_backlog_bytes", "gauge", "Size of the messages in the outbox.",
         b.outbox.bytes);
  single(out, "edge_gateway_bridge_backlog_age_seconds", "gauge",
         "Age of the oldest message in the outbox (0 when empty).",
         static_cast<double>(backlog_age_ms(s).value_or(0)) / 1000.0);
  single(out, "edge_gateway_bridge_dead_letters", "gauge", "Messages in the dead-letter table.",
         b.outbox.dead_letters);
  if (b.connected && b.limits.max_packet_size) {
    single(out, "edge_gateway_bridge_server_maximum_packet_size_bytes", "gauge",
           "Maximum Packet Size the cloud broker announced in its CONNACK.",
           std::uint64_t{*b.limits.max_packet_size});
  }
  if (b.connected) {
    single(out, "edge_gateway_bridge_server_receive_maximum", "gauge",
           "Receive Maximum the cloud broker announced in its CONNACK.",
           std::uint64_t{b.limits.receive_maximum});
  }
}

std::string format_duration(std::chrono::seconds d) {
  const auto total = d.count();
  if (total < 120) return fmt::format("{}s", total);
  if (total < 3600) return fmt::format("{}m{}s", total / 60, total % 60);
  if (total < 172800) return fmt::format("{}h{}m", total / 3600, total % 3600 / 60);
  return fmt::format("{}d{}h", total / 86400, total % 86400 / 3600);
}

}  // namespace

std::string render_prometheus(const MetricsSnapshot& s) {
  PrometheusText out;
  out.family("edge_gateway_info", "gauge", "The gateway's id and version (value 1).");
  out.sample("edge_gateway_info", {{"gateway", s.gateway_id}, {"version", s.version}},
             std::uint64_t{1});
  single(out, "edge_gateway_uptime_seconds", "gauge", "Seconds since the gateway started.",
         static_cast<std::uint64_t>(s.uptime.count()));
  broker_metrics(out, s);
  field_metrics(out, s);
  link_metrics(out, s);
  bridge_metrics(out, s);
  return out.str();
}

std::string health_summary(const MetricsSnapshot& s) {
  std::string out = fmt::format("{} MQTT client(s)", s.broker.connections_current);
  std::size_t devices = 0;
  std::size_t online = 0;
  for (const LinkMetrics& l : s.links) {
    for (const DeviceHealth& d : l.devices) {
      ++devices;
      if (d.online.value_or(false)) ++online;
    }
  }
  if (devices > 0) out += fmt::format(", {}/{} device(s) online", online, devices);
  if (s.bridge) {
    out += s.bridge->connected ? ", uplink connected" : ", uplink down";
    out += fmt::format(", backlog {} message(s)", s.bridge->outbox.rows);
  }
  return out;
}

std::string render_status(const MetricsSnapshot& s) {
  std::string out = fmt::format("edge-gateway {} '{}', up {}: {}\n", s.version, s.gateway_id,
                                format_duration(s.uptime), health_summary(s));
  const broker::BrokerStats& b = s.broker;
  out += fmt::format(
      "broker: {} client(s), {} session(s); {} message(s) in, {} out; {} protocol error(s)\n",
      b.connections_current, s.sessions, b.messages_received, b.messages_sent, b.protocol_errors);
  for (const LinkMetrics& l : s.links) {
    out += fmt::format("link {} ({}): {} request(s), {} error(s), {} reconnect(s), {} late poll(s)",
                       l.name, l.kind, l.stats.requests, l.stats.errors, l.stats.reconnects,
                       l.stats.late_polls);
    if (l.planned_utilisation > 0) {
      out += fmt::format(", bus plan {:.0f}%", l.planned_utilisation * 100);
    }
    out += '\n';
    for (std::size_t i = 0; i < l.devices.size(); ++i) {
      const DeviceHealth& d = l.devices[i];
      const std::string state = !d.online ? "unknown" : *d.online ? "online" : "offline";
      out += fmt::format("  device {}: {}", d.name, state);
      if (d.online && !*d.online && !d.error.empty()) out += fmt::format(" ({})", d.error);
      if (i < l.stats.devices.size()) {
        const auto& ds = l.stats.devices[i];
        out += fmt::format(", {} request(s), {} error(s)", ds.requests, ds.errors);
        if (ds.requests > 0) {
          out += fmt::format(", mean response {:.1f} ms",
                             static_cast<double>(ds.latency_sum_us) / 1000.0 /
                                 static_cast<double>(ds.requests));
        }
      }
      out += '\n';
    }
  }
  if (s.bridge) {
    const bridge::BridgeStats& br = *s.bridge;
    if (br.connected) {
      out += fmt::format("bridge: connected to {}", br.server);
    } else {
      out += "bridge: down";
    }
    out += fmt::format("; backlog {} message(s), {} byte(s)", br.outbox.rows, br.outbox.bytes);
    if (const auto age = backlog_age_ms(s)) {
      out += fmt::format(", oldest {}", format_duration(std::chrono::seconds(*age / 1000)));
    }
    out += fmt::format("; {} acked, {} dead letter(s), {} dropped\n", br.acked,
                       br.outbox.dead_letters,
                       br.outbox.drops.total() + br.dropped_queue_full + br.append_failures);
  }
  return out;
}

}  // namespace gw::gateway
