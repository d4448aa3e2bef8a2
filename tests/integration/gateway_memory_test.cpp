// Memory after a burst, end to end: the real edge-gateway binary takes a burst that its bridge
// must hand to the outbox (the uplink is down), and afterwards its RSS comes back down instead of
// staying at the burst's high water (core/heap_trim.hpp; the gateway trims every 10 s).
#include <chrono>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/gateway_process.hpp"
#include "tests/support/process.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;

// A bridge whose cloud refuses every connection: everything published goes to the outbox.
constexpr const char* kBridgeDownYaml =
    "bridge:\n"
    "  servers: [mqtt://127.0.0.1:1]\n"
    "  client_id: burst\n"
    "  reconnect: {initial: 100ms, max: 500ms}\n"
    "  upstream:\n"
    "    - {name: burst, local: \"burst/#\", remote: \"cloud/{topic}\", qos: 1}\n";

TEST(GatewayMemory, RssComesBackDownAfterABurst) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's allocator keeps freed memory on purpose (quarantine)";
#endif
  GatewayProcess gw("", kBridgeDownYaml);
  ASSERT_TRUE(gw.ready()) << gw.process().output();
  const pid_t pid = gw.process().pid();
  const long rss_before = proc_status_kb(pid, "VmRSS");

  // 60 MB in one second: 200,000 messages of 300 bytes, one per line, QoS 0.
  const std::string lines = gw.dir().path().string() + "/burst.txt";
  {
    std::ofstream out(lines);
    const std::string line(300, 'x');
    for (int i = 0; i < 200000; ++i) out << line << '\n';
  }
  auto pub = run({"sh", "-c",
                  "mosquitto_pub -p " + gw.port_str() + " -t burst/x -q 0 -l < " + lines}, 60s);
  ASSERT_EQ(pub.code, 0) << pub.output;
  const long hwm = proc_status_kb(pid, "VmHWM");

  // Within two trim intervals the RSS is back near where it started (without the trim it stays
  // at the high water, 70+ MiB here).
  long rss = 0;
  EXPECT_TRUE(wait_until(
      [&] {
        rss = proc_status_kb(pid, "VmRSS");
        return rss < rss_before + 8 * 1024;
      },
      25s))
      << "VmRSS before " << rss_before << " kB, high water " << hwm << " kB, now " << rss
      << " kB\n"
      << gw.process().output().substr(0, 4000);
  EXPECT_TRUE(gw.process().running());
}

}  // namespace
}  // namespace gw::test
