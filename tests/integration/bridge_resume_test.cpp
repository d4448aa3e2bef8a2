// A resumed session continues the uplink's unfinished exchanges (MQTT 5 §4.4), with the native
// client, against real cloud brokers behind a TCP proxy that loses chosen answers and then cuts
// the connection:
// - the gateway's own broker as the cloud, which delivers a QoS 2 message on PUBLISH and then
//   holds its packet identifier until PUBREL: a new message sent with a new connection's first
//   identifiers would be taken for a retransmission and lost;
// - Mosquitto and the gateway's broker, whose PUBCOMP is lost: PUBREL goes again, not the
//   message, so it is delivered once;
// - the gateway's broker again, with the bridge's process killed (SIGKILL) in the middle of the
//   exchange: the restarted bridge finds the exchange in the outbox and continues it.
// The Paho client cannot continue an exchange (it chooses its own identifiers); these tests set
// the native client themselves.
#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <vector>
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/bridge_harness.hpp"
#include "tests/support/gateway_process.hpp"
#include "tests/support/mosquitto_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

constexpr int kPubrec = 5;
constexpr int kPubcomp = 7;

bridge::UpstreamRoute qos2_route(std::string name, std::string filter, int priority) {
  return bridge::UpstreamRoute{.name = std::move(name),
                               .local_filter = std::move(filter),
                               .remote = {.strip_prefix = "", .target = "cloud/{topic}"},
                               .qos = QoS::ExactlyOnce,
                               .retain = bridge::RetainMode::Keep,
                               .priority = priority};
}

bridge::BridgeOptions resume_options(const std::string& uri, const std::string& dir) {
  auto options = bridge_options(uri, dir);
  options.client = bridge::ClientKind::Native;
  options.stall_timeout = 60s;  // only the proxy's cut ends a connection
  options.upstream = {qos2_route("low", "dev/#", 0), qos2_route("high", "alarm/#", 10)};
  return options;
}

std::map<std::string, int> copies(const std::vector<CloudClient::Received>& got) {
  std::map<std::string, int> n;
  for (const auto& r : got) ++n[r.payload];
  return n;
}

// After A (held by the cloud) and C (sent after the reconnect): each arrives once, then a probe.
void expect_a_and_c_once(LocalSide& local, CloudClient& sub) {
  // Acknowledged: A (continued) and C.
  ASSERT_TRUE(wait_until([&] { return local.stats().acked >= 2; }, 20s)) << "acked " << local.stats().acked;
  // A probe behind both: when it arrives, anything else the cloud would send has arrived too.
  local.publish("dev/probe", "P", QoS::ExactlyOnce);
  ASSERT_TRUE(sub.wait_count(3, 15s)) << "received " << sub.count();
  const auto n = copies(sub.received());
  EXPECT_EQ(n.count("C") == 0 ? 0 : n.at("C"), 1) << "C was taken for A's retransmission";
  EXPECT_EQ(n.count("A") == 0 ? 0 : n.at("A"), 1);
  EXPECT_EQ(sub.count(), 3u);
  EXPECT_EQ(local.stats().resumed, 1u);
}

// A cloud behind a proxy, a subscriber to cloud/# there, and a connected bridge with the native
// client to the proxy.
struct Rig {
  Rig(std::uint16_t cloud_port, const std::string& cloud_uri) : proxy(cloud_port), sub(cloud_uri, "sub") {}
  void start() {
    ASSERT_TRUE(sub.connect());
    ASSERT_TRUE(sub.subscribe("cloud/#", 2));
    ASSERT_TRUE(local.start_bridge_with_own_client(resume_options(proxy.uri(), dir.path().string())));
    ASSERT_TRUE(wait_until([&] { return local.stats().connected; }, 20s));
  }
  TcpProxy proxy;
  CloudClient sub;
  TempDir dir;
  LocalSide local;
};

TEST(UplinkResume, HeldQos2IdentifierIsContinuedSoANewMessageIsNotLost) {
  GatewayProcess cloud;
  ASSERT_TRUE(cloud.ready());
  Rig rig(cloud.port(), "mqtt://127.0.0.1:" + cloud.port_str());
  ASSERT_NO_FATAL_FAILURE(rig.start());
  TcpProxy& proxy = rig.proxy;
  CloudClient& sub = rig.sub;
  LocalSide& local = rig.local;

  // The cloud delivers A and holds its identifier until PUBREL; the PUBREC never comes back.
  proxy.drop_answers();
  local.publish("dev/a", "A", QoS::ExactlyOnce);
  ASSERT_TRUE(sub.wait_count(1, 15s)) << "received " << sub.count();
  proxy.cut();
  ASSERT_TRUE(wait_until([&] { return !local.stats().connected; }, 15s));
  // Higher priority: it goes first on the next connection, where a fresh client would give it
  // the identifier A had.
  local.publish("alarm/c", "C", QoS::ExactlyOnce);
  ASSERT_TRUE(wait_until([&] { return local.stats().outbox.rows == 2; }, 15s));
  proxy.restore();

  expect_a_and_c_once(local, sub);
}

// PUBREC comes back, PUBREL goes out, the cloud delivers; its PUBCOMP is lost, then the link.
void lost_pubcomp_case(std::uint16_t cloud_port, const std::string& cloud_uri) {
  Rig rig(cloud_port, cloud_uri);
  ASSERT_NO_FATAL_FAILURE(rig.start());
  TcpProxy& proxy = rig.proxy;
  CloudClient& sub = rig.sub;
  LocalSide& local = rig.local;

  proxy.drop_answers_of_type(kPubcomp);
  local.publish("dev/a", "A", QoS::ExactlyOnce);
  ASSERT_TRUE(sub.wait_count(1, 15s)) << "received " << sub.count();
  // The PUBCOMP was lost, so the PUBREC before it came through (the gateway's broker delivers on
  // PUBLISH, before either).
  ASSERT_TRUE(wait_until([&] { return proxy.dropped_answers() >= 1; }, 15s));
  proxy.cut();
  proxy.drop_answers_of_type(0);
  ASSERT_TRUE(wait_until([&] { return !local.stats().connected; }, 15s));
  EXPECT_EQ(local.stats().acked, 0u);
  proxy.restore();

  // The PUBREL again, and its PUBCOMP (0x00 from Mosquitto, 0x92 from a server that had completed
  // the exchange) acknowledges A.
  ASSERT_TRUE(wait_until([&] { return local.stats().acked >= 1; }, 20s)) << "acked " << local.stats().acked;
  local.publish("dev/probe", "P", QoS::ExactlyOnce);
  ASSERT_TRUE(sub.wait_count(2, 15s)) << "received " << sub.count();
  ASSERT_TRUE(wait_until([&] { return local.stats().acked >= 2; }, 15s));
  const auto n = copies(sub.received());
  EXPECT_EQ(n.count("A") == 0 ? 0 : n.at("A"), 1) << "A was sent again as a new message";
  EXPECT_EQ(sub.count(), 2u);
  const auto s = local.stats();
  EXPECT_EQ(s.resumed, 1u);
  EXPECT_EQ(s.sent, 2u);  // A once, P once: the PUBREL alone went again
  EXPECT_EQ(s.dead_lettered, 0u);
  EXPECT_EQ(s.send_failures, 0u);  // PUBCOMP 0x92 after a successful PUBREC is no refusal
}

TEST(UplinkResume, LostPubcompIsAnsweredByPubrelAgainAndDeliveredOnceByMosquitto) {
  MosquittoProcess cloud;
  lost_pubcomp_case(cloud.port(), cloud.uri());
}

TEST(UplinkResume, LostPubcompIsAnsweredByPubrelAgainAndDeliveredOnceByTheGatewaysBroker) {
  GatewayProcess cloud;
  ASSERT_TRUE(cloud.ready());
  lost_pubcomp_case(cloud.port(), "mqtt://127.0.0.1:" + cloud.port_str());
}

// Runs only as the child of ExchangeRecordedBeforeACrashIsContinuedAfterTheRestart: a bridge
// sends one QoS 2 message (its PUBREC never comes back) and waits to be SIGKILLed.
TEST(UplinkResumeCrashChild, SendsThenWaitsToBeKilled) {
  const char* dir = std::getenv("GW_RESUME_CHILD_DIR");
  const char* uri = std::getenv("GW_RESUME_CHILD_URI");
  if (dir == nullptr || uri == nullptr) GTEST_SKIP() << "child of a crash test only";
  LocalSide local;
  ASSERT_TRUE(local.start_bridge_with_own_client(resume_options(uri, dir)));
  ASSERT_TRUE(wait_until([&] { return local.stats().connected; }, 20s));
  local.publish("dev/a", "A", QoS::ExactlyOnce);
  ASSERT_TRUE(wait_until([&] { return local.stats().sent >= 1; }, 15s));
  std::printf("\nSENT\n");
  std::fflush(stdout);
  wait_until([] { return false; }, 30s);  // the parent kills us long before
}

TEST(UplinkResume, ExchangeRecordedBeforeACrashIsContinuedAfterTheRestart) {
  GatewayProcess cloud;
  ASSERT_TRUE(cloud.ready());
  TcpProxy proxy(cloud.port());
  CloudClient sub("mqtt://127.0.0.1:" + cloud.port_str(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 2));
  TempDir dir;
  proxy.drop_answers_of_type(kPubrec);

  char self[PATH_MAX] = {};
  ASSERT_GT(readlink("/proc/self/exe", self, sizeof self - 1), 0);
  Process child({self, "--gtest_filter=UplinkResumeCrashChild.SendsThenWaitsToBeKilled"},
                {"GW_RESUME_CHILD_DIR=" + dir.path().string(), "GW_RESUME_CHILD_URI=" + proxy.uri()});
  // The cloud delivered A and holds its identifier; the child sent it and is still waiting.
  ASSERT_TRUE(sub.wait_count(1, 30s)) << child.output();
  ASSERT_TRUE(wait_until([&] { return child.output().find("SENT") != std::string::npos || !child.running(); }, 15s))
      << child.output();
  ASSERT_TRUE(child.running()) << child.output();
  child.signal(SIGKILL);
  EXPECT_EQ(child.wait(5s), 128 + SIGKILL);
  proxy.cut();
  proxy.drop_answers_of_type(0);

  LocalSide local;
  ASSERT_TRUE(local.start_bridge_with_own_client(resume_options(proxy.uri(), dir.path().string())));
  // Higher priority than A: without the record it would go first, with A's identifier.
  local.publish("alarm/c", "C", QoS::ExactlyOnce);
  ASSERT_TRUE(wait_until([&] { return local.stats().outbox.rows == 2; }, 15s));
  proxy.restore();

  expect_a_and_c_once(local, sub);
}

TEST(UplinkResume, UnfinishedExchangesAreSentAfreshWhenTheSessionIsGone) {
  MosquittoProcess cloud;
  TcpProxy proxy(cloud.port());
  TempDir dir;
  LocalSide local;
  ASSERT_TRUE(local.start_bridge_with_own_client(resume_options(proxy.uri(), dir.path().string())));
  ASSERT_TRUE(wait_until([&] { return local.stats().connected; }, 20s));

  proxy.drop_answers();
  for (const char* p : {"A", "B", "C"}) local.publish(std::string("dev/") + p, p, QoS::ExactlyOnce);
  ASSERT_TRUE(wait_until([&] { return local.stats().sent >= 3; }, 15s));
  // The cloud restarts without its sessions (no persistence): Session Present 0.
  proxy.cut();
  cloud.kill();
  cloud.start();
  CloudClient sub(cloud.uri(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 2));
  proxy.restore();

  ASSERT_TRUE(wait_until([&] { return local.stats().acked >= 3; }, 20s)) << "acked " << local.stats().acked;
  local.publish("dev/probe", "P", QoS::ExactlyOnce);
  ASSERT_TRUE(sub.wait_count(4, 15s)) << "received " << sub.count();
  std::vector<std::string> order;
  for (const auto& r : sub.received()) order.push_back(r.payload);
  EXPECT_EQ(order, (std::vector<std::string>{"A", "B", "C", "P"}));
  const auto s = local.stats();
  EXPECT_EQ(s.resumed, 0u);
  EXPECT_EQ(s.sent, 7u);  // A, B and C twice (once per connection), P once
}

}  // namespace
}  // namespace gw::test
