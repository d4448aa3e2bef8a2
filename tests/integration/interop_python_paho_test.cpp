// Interoperability: the real edge-gateway broker against Eclipse Paho Python (Debian
// python3-paho-mqtt 1.6.1). Each check is a script in tests/integration/python/ run as
// `/usr/bin/python3 SCRIPT PORT`: it prints OK and exits 0, or prints "FAIL: <expected, got>"
// and exits non-zero; every script has its own hard timeout of 10 s.
//
// /usr/bin/python3 on purpose: Debian's paho package is installed for the system interpreter,
// not for whatever `python3` comes first on PATH.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/gateway_process.hpp"
#include "tests/support/process.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr const char* kPython = "/usr/bin/python3";

std::string script_dir() { return source_dir() + "/tests/integration/python/"; }

class PythonPahoInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    auto probe = run({kPython, "-c", "import paho.mqtt.client"}, 10s);
    ASSERT_EQ(probe.code, 0) << kPython << " cannot import paho.mqtt (Debian package python3-paho-mqtt):\n"
                             << probe.output;
    ASSERT_TRUE(gw_.ready()) << gw_.process().output();
  }

  // Runs one script against the broker; fails the test with the script's own explanation.
  void run_script(const std::string& name) {
    const std::string script = script_dir() + name;
    // -B: no __pycache__ in the source tree.
    auto r = run({kPython, "-B", script, gw_.port_str()}, 20s);
    EXPECT_EQ(r.code, 0) << name << " printed:\n" << r.output;
    EXPECT_THAT(r.output, HasSubstr("OK")) << name;
  }

  GatewayProcess gw_;
};

TEST_F(PythonPahoInterop, V5ConnackPropertiesAndPublishPropertiesPassThrough) {
  run_script("v5_connect_properties.py");
}

TEST_F(PythonPahoInterop, V5SubscriptionOptionsNoLocalRetainAsPublishedRetainHandling) {
  run_script("v5_subscribe_options.py");
}

TEST_F(PythonPahoInterop, V5Qos2AndSubscriptionIdentifiers) { run_script("v5_qos_and_subscription_ids.py"); }

TEST_F(PythonPahoInterop, V5ClientLimitsMaximumPacketSizeReceiveMaximumAndUnsuback) {
  run_script("v5_limits.py");
}

TEST_F(PythonPahoInterop, V311ClientQosRetainAndPersistentSession) { run_script("v311_client.py"); }

}  // namespace
}  // namespace gw::test
