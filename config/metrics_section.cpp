#include "config/metrics_section.hpp"

#include "config/endpoint.hpp"

namespace gw::config {

const Schema<gateway::MetricsOptions>& metrics_schema() {
  using O = gateway::MetricsOptions;
  static const Schema<O> schema{
      "metrics",
      {
          field("enabled", &O::enabled, Bool{},
                "Serve /metrics (Prometheus text format) and /status (for `edge-gateway "
                "status`) over HTTP."),
          field<O>(
              "listen", EndpointKind{},
              [](O& o, Endpoint&& e) {
                o.address = std::move(e.host);
                o.port = e.port;
              },
              [](const O& o) { return Endpoint{o.address, o.port}; },
              "Address and TCP port of the HTTP endpoint. Keep it on loopback unless a firewall "
              "guards the port: the metrics name every device and link."),
      }};
  return schema;
}

}  // namespace gw::config
