#include "tests/support/gateway_process.hpp"

#include <regex>

namespace gw::test {

GatewayProcess::GatewayProcess(const std::string& broker_yaml, const std::string& extra_yaml) {
  std::string yaml = "gateway:\n  id: test\n  data_dir: " + dir_.path().string() +
                     "\n  log_level: debug\n"
                     "broker:\n  listeners:\n    - bind: 127.0.0.1:0\n" +
                     broker_yaml + extra_yaml;
  const auto file = dir_.write("gateway.yaml", yaml);
  proc_ = std::make_unique<Process>(std::vector<std::string>{gateway_binary(), "run", "--config", file});
  static const std::regex kListening(R"(listening on 127\.0\.0\.1:(\d+))");
  wait_until([&] {
    std::smatch m;
    const std::string& out = proc_->output();
    if (std::regex_search(out, m, kListening)) {
      port_ = static_cast<std::uint16_t>(std::stoi(m[1].str()));
      return true;
    }
    return !proc_->running();
  });
}

}  // namespace gw::test
