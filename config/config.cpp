#include "config/config.hpp"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <algorithm>
#include <system_error>

#include <yaml-cpp/yaml.h>

#include "adapters/modbus/learned_splits.hpp"
#include "config/bridge_section.hpp"
#include "config/broker_section.hpp"
#include "config/document.hpp"
#include "config/endpoint.hpp"
#include "config/gateway_section.hpp"
#include "config/links_section.hpp"
#include "config/metrics_section.hpp"
#include "gateway/topic_template.hpp"

namespace gw::config {

const Schema<Config>& config_schema() {
  static const Schema<Config> schema{
      "config",
      {
          field("gateway", &Config::gateway, Section<gateway::GatewayOptions>{&gateway_schema()},
                "The gateway process itself."),
          field("broker", &Config::broker, Section<broker::BrokerOptions>{&broker_schema()},
                "The local MQTT broker."),
          field<Config>(
              "links", LinksKind{},
              [](Config& c, FieldLinks&& l) {
                c.links = std::move(l.modbus);
                c.instruments = std::move(l.serial);
              },
              [](const Config& c) { return FieldLinks{c.links, c.instruments}; },
              "Field links: Modbus TCP connections, RS-485 buses, RTU over TCP, serial "
              "instruments; their devices and points."),
          field<Config>(
              "bridge", Section<bridge::BridgeOptions>{&bridge_schema()},
              [](Config& c, bridge::BridgeOptions&& b) { c.bridge = std::move(b); },
              [](const Config& c) { return c.bridge.value_or(bridge::BridgeOptions{}); },
              "The uplink to a cloud MQTT broker, with store-and-forward; none by default."),
          field("metrics", &Config::metrics, Section<gateway::MetricsOptions>{&metrics_schema()},
                "The HTTP endpoint for Prometheus and `edge-gateway status`; off by default."),
      }};
  return schema;
}

namespace {

// The metrics endpoint cannot share a port with a broker listener on an overlapping address.
void check_metrics(const Config& c, const YAML::Node& root, Diagnostics& diag) {
  const auto& m = c.metrics;
  if (!m.enabled || m.port == 0) return;
  const auto v6 = [](const std::string& a) { return a.find(':') != std::string::npos; };
  const auto wildcard = [](const std::string& a) { return a == "0.0.0.0" || a == "::"; };
  for (const auto& l : c.broker.listeners) {
    if (l.port != m.port || v6(l.address) != v6(m.address)) continue;
    if (l.address != m.address && !wildcard(l.address) && !wildcard(m.address)) continue;
    const YAML::Node listen = detail::find_value(detail::find_value(root, "metrics"), "listen");
    diag.error(listen.IsDefined() ? listen.Mark() : YAML::Mark::null_mark(),
               "metrics.listen: " + format_endpoint({m.address, m.port}) +
                   " is also a broker listener (" + format_endpoint({l.address, l.port}) + ")");
    return;
  }
}

// The topics the gateway publishes on must not collide: a point called "status" would share its
// device's status topic, a device called like the gateway's status level its payload topic.
void check_topics(const Config& c, const YAML::Node& root, Diagnostics& diag) {
  const auto& g = c.gateway;
  const std::string gateway_status = g.effective_status_topic();
  std::map<std::string, std::string> used;  // topic -> what it is, for the message
  bool reported = false;
  const auto claim = [&](const std::string& topic, const std::string& what) {
    if (reported) return;
    const auto [it, fresh] = used.emplace(topic, what);
    if (fresh) return;
    reported = true;
    const YAML::Node t = detail::find_value(detail::find_value(root, "gateway"), "topic");
    diag.error(t.IsDefined() ? t.Mark() : YAML::Mark::null_mark(),
               "gateway.topic: " + what + " and " + it->second + " would both be published on '" +
                   topic + "'; rename one");
  };
  if (!gateway_status.empty()) claim(gateway_status, "the gateway's status");
  const auto device = [&](const std::string& link, const std::string& dev,
                          const std::vector<std::string>& points) {
    const gateway::TopicParts base{.gateway = g.id, .link = link, .device = dev, .point = ""};
    const std::string device_topic = gateway::expand_topic(g.topic, base);
    claim(device_topic + "/status", "the status of device '" + dev + "'");
    if (g.payload == gateway::GatewayOptions::Payload::PerDevice) {
      claim(device_topic, "the readings of device '" + dev + "'");
    }
    for (const auto& p : points) {
      gateway::TopicParts parts = base;
      parts.point = p;
      claim(gateway::expand_topic(g.topic, parts), "point '" + dev + "/" + p + "'");
    }
  };
  for (const auto& link : c.links) {
    for (const auto& dev : link.devices) {
      std::vector<std::string> points;
      for (const auto& p : dev.points) points.push_back(p.name);
      device(link.name, dev.name, points);
    }
  }
  std::vector<const adapters::serial::InstrumentOptions*> instruments;
  for (const auto& link : c.links) {
    for (const auto& bi : link.instruments) instruments.push_back(&bi.instrument);
  }
  for (const auto& inst : c.instruments) instruments.push_back(&inst);
  for (const auto* instrument : instruments) {
    const auto& inst = *instrument;
    std::vector<std::string> points;
    for (const auto& pattern : inst.patterns) {
      for (const auto& p : pattern.points) {
        if (std::find(points.begin(), points.end(), p.name) == points.end()) points.push_back(p.name);
      }
    }
    device(inst.link, inst.name, points);
  }
}

}  // namespace

std::vector<FieldInfo> reference() { return config_schema().describe(""); }

std::optional<Config> load_string(std::string_view yaml, Diagnostics& diag) {
  const std::optional<YAML::Node> root = parse_document(yaml, diag);
  if (!root) return std::nullopt;
  Config config;
  try {
    if (root->IsNull()) {
      diag.warning(YAML::Mark::null_mark(), "the file is empty; every option has its default");
    } else if (!root->IsMap()) {
      diag.error(root->Mark(), "the top level must be a mapping of sections (gateway:, "
                               "broker:), got " + describe_node(*root));
    } else {
      config_schema().parse(*root, config, Cursor(diag, ""));
      check_metrics(config, *root, diag);
      if (!diag.has_errors()) check_topics(config, *root, diag);
      if (!diag.has_errors()) complete_broker(config.broker, config.gateway);
      // Each Modbus link keeps the read splits it learns in the data directory.
      for (auto& link : config.links) {
        link.learned_splits =
            adapters::modbus::learned_splits_path(config.gateway.data_dir, link.name);
      }
      if (config.bridge && !diag.has_errors()) {
        complete_bridge(*config.bridge, config.gateway, detail::find_value(*root, "bridge"));
      }
    }
  } catch (const YAML::Exception& e) {
    // Schemas read nodes without conversions that throw; this is a last line of defence.
    diag.error(e.mark, e.msg);
  } catch (const std::exception& e) {
    diag.error(YAML::Mark::null_mark(), std::string("cannot load the configuration: ") + e.what());
  }
  if (diag.has_errors()) return std::nullopt;
  return config;
}

std::optional<Config> load_file(const std::string& path, Diagnostics& diag) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    diag.error(YAML::Mark::null_mark(), "cannot read the configuration file: it is a directory");
    return std::nullopt;
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno != 0 ? errno : ENOENT;
    diag.error(YAML::Mark::null_mark(),
               "cannot read the configuration file: " + std::generic_category().message(err));
    return std::nullopt;
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) {
    diag.error(YAML::Mark::null_mark(), "cannot read the configuration file: I/O error");
    return std::nullopt;
  }
  return load_string(text, diag);
}

std::string summary(const Config& config) {
  const auto& listeners = config.broker.listeners;
  std::string out = "config OK: gateway '" + config.gateway.id + "', " +
                    std::to_string(listeners.size()) +
                    (listeners.size() == 1 ? " listener (" : " listeners (");
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    if (i > 0) out += ", ";
    out += format_endpoint({listeners[i].address, listeners[i].port});
  }
  out += ")";
  const auto count = [](std::size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  if (!config.links.empty() || !config.instruments.empty()) {
    std::size_t devices = config.instruments.size();
    std::size_t points = 0;
    for (const auto& link : config.links) {
      devices += link.devices.size() + link.instruments.size();
      for (const auto& device : link.devices) points += device.points.size();
      for (const auto& bi : link.instruments) {
        for (const auto& pattern : bi.instrument.patterns) points += pattern.points.size();
      }
    }
    for (const auto& instrument : config.instruments) {
      for (const auto& pattern : instrument.patterns) points += pattern.points.size();
    }
    const std::size_t links = config.links.size() + config.instruments.size();
    out += ", " + count(links, "link", "links") + ", " +
           count(devices, "device", "devices") + ", " + count(points, "point", "points");
  }
  if (config.bridge) {
    const auto& b = *config.bridge;
    out += ", bridge to " + count(b.servers.size(), "server", "servers") + ", " +
           std::to_string(b.upstream.size()) + " upstream / " +
           std::to_string(b.downstream.size()) + " downstream route(s)";
  }
  if (config.metrics.enabled) {
    out += ", metrics on " + format_endpoint({config.metrics.address, config.metrics.port});
  }
  return out;
}

}  // namespace gw::config
