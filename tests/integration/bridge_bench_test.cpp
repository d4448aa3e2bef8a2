// Bridge benchmarks, disabled in normal runs (tests/bench/bridge_drain.sh runs them):
//  - drain: a backlog of 100,000 messages (100-byte payload, QoS 1) stored while the uplink is
//    down, then delivered to a loopback mosquitto and its subscriber; messages/s;
//  - latency: local publish → cloud subscriber while connected, one message at a time.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/bridge_harness.hpp"
#include "tests/support/mosquitto_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

using Clock = std::chrono::steady_clock;

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::atoi(v) : fallback;
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

TEST(BridgeBench, DISABLED_DrainAfterOutage) {
  const int n = env_int("GW_BENCH_MESSAGES", 100000);
  MosquittoProcess cloud;
  TcpProxy proxy(cloud.port());
  proxy.cut();
  CloudClient sub(cloud.uri(), "bench-sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 1));
  TempDir dir;
  LocalSide local;
  auto options = bridge_options(proxy.uri(), dir.path().string());
  options.outbox.commit_window = std::chrono::milliseconds(50);  // the default group commit
  ASSERT_TRUE(local.start_bridge(options));

  const std::string payload(100, 'p');
  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) local.publish("dev/bench", payload);
  ASSERT_TRUE(wait_until([&] {
    auto s = local.stats();
    return s.outbox.rows == static_cast<std::uint64_t>(n) && s.outbox.pending_writes == 0;
  }, std::chrono::minutes(5)));
  const double store_s = seconds_since(t0);

  const auto t1 = Clock::now();
  proxy.restore();
  ASSERT_TRUE(sub.wait_count(static_cast<std::size_t>(n), std::chrono::minutes(5)));
  const double deliver_s = seconds_since(t1);
  ASSERT_TRUE(wait_until([&] { return local.stats().outbox.rows == 0; }, std::chrono::minutes(1)));
  const double empty_s = seconds_since(t1);
  const auto s = local.stats();
  std::printf("BENCH store: %d messages stored+committed in %.2f s (%.0f msg/s)\n", n, store_s, n / store_s);
  std::printf("BENCH drain: %d messages delivered in %.2f s (%.0f msg/s); outbox empty after %.2f s; "
              "receive maximum %u, window high-water %llu\n",
              n, deliver_s, n / deliver_s, empty_s, s.limits.receive_maximum,
              static_cast<unsigned long long>(s.inflight_high_water));
}

TEST(BridgeBench, DISABLED_LatencyWhileConnected) {
  const int n = env_int("GW_BENCH_SAMPLES", 2000);
  MosquittoProcess cloud;
  CloudClient sub(cloud.uri(), "bench-sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 1));
  TempDir dir;
  LocalSide local;
  ASSERT_TRUE(local.start_bridge(bridge_options(cloud.uri(), dir.path().string())));
  ASSERT_TRUE(wait_until([&] { return local.stats().connected; }));

  const std::string payload(100, 'p');
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto t = Clock::now();
    local.publish("dev/lat", payload);
    ASSERT_TRUE(sub.wait_count(static_cast<std::size_t>(i + 1), std::chrono::seconds(5)));
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
  }
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) { return us[static_cast<std::size_t>(p * (us.size() - 1))]; };
  std::printf("BENCH latency (local publish -> cloud subscriber, QoS 1, %d samples): p50 %.0f us, "
              "p90 %.0f us, p99 %.0f us, max %.0f us\n",
              n, pct(0.5), pct(0.9), pct(0.99), us.back());
}

}  // namespace
}  // namespace gw::test
