// Which MQTT client the bridge tests run the bridge with: Paho by default (the configuration's
// default is the native client; the suites run once with each), the native client when
// GW_TEST_BRIDGE_CLIENT=native (tests/CMakeLists.txt registers the bridge tests a second time,
// prefixed "native:", with it set). Tests that build BridgeOptions get it through
// BridgeHarness::start_bridge; tests that write YAML put bridge_client_yaml() under `bridge:`.
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>

#include "gateway/bridge/bridge_options.hpp"

namespace gw::test {

inline bridge::ClientKind bridge_client_under_test() {
  const char* v = std::getenv("GW_TEST_BRIDGE_CLIENT");
  return v != nullptr && std::string_view(v) == "native" ? bridge::ClientKind::Native
                                                         : bridge::ClientKind::Paho;
}

// The `client:` line of the `bridge:` section for the client under test.
inline std::string bridge_client_yaml() {
  return bridge_client_under_test() == bridge::ClientKind::Native ? "  client: native\n"
                                                                   : "  client: paho\n";
}

}  // namespace gw::test
