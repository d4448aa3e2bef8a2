#include "tests/support/gateway_process.hpp"

#include <cctype>

namespace gw::test {

std::uint16_t simulator_port(Process& sim) {
  std::uint16_t port = 0;
  wait_until([&] {
    port = port_after(sim.output(), "simulator listening on 127.0.0.1:");
    return port != 0 || !sim.running();
  });
  return port;
}

GatewayProcess::GatewayProcess(const std::string& broker_yaml, const std::string& extra_yaml,
                               const std::string& data_dir) {
  // No retained gateway status: conformance tests expect a broker with nothing in it.
  std::string yaml = "gateway:\n  id: test\n  data_dir: " +
                     (data_dir.empty() ? dir_.path().string() : data_dir) +
                     "\n  log_level: debug\n  status_topic: \"\"\n"
                     "broker:\n  listeners:\n    - bind: 127.0.0.1:0\n" +
                     broker_yaml + extra_yaml;
  const auto file = dir_.write("gateway.yaml", yaml);
  proc_ = std::make_unique<Process>(std::vector<std::string>{gateway_binary(), "run", "--config", file});
  // Plain string search rather than std::regex: GCC 12's <regex> trips -Wmaybe-uninitialized
  // under the sanitizer build.
  static constexpr std::string_view kListening = "listening on 127.0.0.1:";
  wait_until([&] {
    const std::string& out = proc_->output();
    const auto at = out.find(kListening);
    if (at != std::string::npos) {
      std::size_t i = at + kListening.size();
      std::uint32_t port = 0;
      while (i < out.size() && std::isdigit(static_cast<unsigned char>(out[i])) != 0) {
        port = port * 10 + static_cast<std::uint32_t>(out[i] - '0');
        ++i;
      }
      if (i < out.size() && port > 0 && port < 65536) {
        port_ = static_cast<std::uint16_t>(port);
        return true;
      }
    }
    return !proc_->running();
  });
}

}  // namespace gw::test
