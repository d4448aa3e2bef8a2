// The bridge's sending behaviour against a real cloud broker (mosquitto): a hung cloud that keeps
// the socket open is detected by the stall check and nothing is lost; the rate limit holds a
// backlog back; live-first and FIFO replay order; and the sequence number user property, which
// keeps increasing across a crash of the gateway and is the same on a retransmission.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "broker/protocol/codec.hpp"
#include "tests/integration/bridge_harness.hpp"
#include "tests/support/mosquitto_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> payloads(const std::vector<CloudClient::Received>& got) {
  std::vector<std::string> out;
  out.reserve(got.size());
  for (const auto& r : got) out.push_back(r.payload);
  return out;
}

std::vector<std::string> numbered(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(std::to_string(i));
  return out;
}

void publish_numbered(LocalSide& local, int n, const std::string& prefix = "") {
  for (int i = 0; i < n; ++i) local.publish("dev/sensor", prefix + std::to_string(i));
}

// Waits until the bridge has stored (and committed) `rows` messages.
bool wait_stored(LocalSide& local, std::uint64_t rows) {
  return wait_until([&] {
    auto s = local.stats();
    return s.outbox.rows == rows && s.outbox.pending_writes == 0;
  }, 20s);
}

std::optional<std::string> user_property(const CloudClient::Received& r, const std::string& name) {
  for (const auto& [k, v] : r.user) {
    if (k == name) return v;
  }
  return std::nullopt;
}

// Resumes a paused broker when the test ends, whatever happened, before anything waits on it.
class ResumeOnExit {
 public:
  explicit ResumeOnExit(MosquittoProcess& cloud) : cloud_(cloud) {}
  ~ResumeOnExit() { cloud_.resume(); }
  ResumeOnExit(const ResumeOnExit&) = delete;
  ResumeOnExit& operator=(const ResumeOnExit&) = delete;

 private:
  MosquittoProcess& cloud_;
};

// ---- Stall detection ---------------------------------------------------------------------------

TEST(BridgeBehaviour, RecyclesLinkWhenCloudStopsAcknowledgingAndLosesNothing) {
  MosquittoProcess cloud;
  CloudClient sub(cloud.uri(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 1));

  TempDir dir;
  LocalSide local;
  auto options = bridge_options(cloud.uri(), dir.path().string());
  options.stall_timeout = 1s;
  // Paho (1.3.12) may take a little over 1 s to start a connection (its 1 s receive cycle): a 1 s
  // connect timeout could cut every attempt short.
  options.connect_timeout = 3s;
  options.keep_alive = 30s;  // far beyond the test: only the stall check can notice
  ASSERT_TRUE(local.start_bridge(options));
  // Connected, and the birth status acknowledged: it takes a slot of the cloud's Receive Maximum
  // (20) while in flight, and all kN below must fit in the window.
  ASSERT_TRUE(wait_until(
      [&] {
        const auto st = local.stats();
        return st.connected && st.inflight == 0;
      },
      20s));

  // Frozen: the kernel keeps the TCP connection up and takes our bytes; nothing is acknowledged.
  ResumeOnExit resume(cloud);
  cloud.pause();
  const auto paused_at = Clock::now();
  constexpr int kN = 20;
  publish_numbered(local, kN);
  ASSERT_TRUE(wait_until([&] { return local.stats().stalls >= 1; }, options.stall_timeout + 10s))
      << "inflight " << local.stats().inflight << ", reconnects " << local.stats().reconnects;
  const auto detected_after = Clock::now() - paused_at;
  auto s = local.stats();
  EXPECT_GE(detected_after, options.stall_timeout);  // not before the configured time
  EXPECT_GE(s.reconnects, 1u);
  EXPECT_EQ(s.acked, 0u);
  EXPECT_GE(s.sent, static_cast<std::uint64_t>(kN));  // they were handed to a "connected" socket
  EXPECT_EQ(s.outbox.rows, static_cast<std::uint64_t>(kN));  // and are all still stored
  EXPECT_EQ(sub.count(), 0u);

  cloud.resume();
  ASSERT_TRUE(wait_until([&] { return local.stats().outbox.rows == 0; }, 20s))
      << "rows " << local.stats().outbox.rows << ", connects " << local.stats().connects;
  // Whatever mosquitto read from the recycled connection may arrive twice; nothing is missing.
  ASSERT_TRUE(wait_until([&] {
    const auto got = payloads(sub.received());
    return std::set<std::string>(got.begin(), got.end()).size() == static_cast<std::size_t>(kN);
  }, 20s));
  const auto got = payloads(sub.received());
  const auto expected = numbered(kN);
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()),
            std::set<std::string>(expected.begin(), expected.end()));
  s = local.stats();
  EXPECT_TRUE(s.connected);
  EXPECT_GE(s.connects, 2u);
  EXPECT_EQ(s.acked, static_cast<std::uint64_t>(kN));
}

// ---- Rate limit --------------------------------------------------------------------------------

TEST(BridgeBehaviour, RateLimitHoldsBacklogToConfiguredMessagesPerSecond) {
  MosquittoProcess cloud;
  TcpProxy proxy(cloud.port());
  proxy.cut();
  CloudClient sub(cloud.uri(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 1));

  TempDir dir;
  LocalSide local;
  auto options = bridge_options(proxy.uri(), dir.path().string());
  constexpr int kRate = 100;
  constexpr int kN = 250;
  options.rate.messages_per_second = kRate;
  ASSERT_TRUE(local.start_bridge(options));
  publish_numbered(local, kN);
  ASSERT_TRUE(wait_stored(local, kN));

  const auto start = Clock::now();
  proxy.restore();
  ASSERT_TRUE(sub.wait_count(kN, 20s)) << "received " << sub.count();
  const auto elapsed = Clock::now() - start;
  // The bucket holds one second of budget and starts full: kRate go at once, the rest at kRate/s.
  // A lower bound only (a slow machine is slower, never faster); 20 ms for clock granularity.
  const auto minimum = std::chrono::milliseconds(1000 * (kN - kRate) / kRate) - 20ms;
  EXPECT_GE(elapsed, minimum) << "drained " << kN << " in "
                              << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
                              << " ms at " << kRate << " msg/s";
  EXPECT_EQ(payloads(sub.received()), numbered(kN));
}

TEST(BridgeBehaviour, RateLimitHoldsBacklogToConfiguredBytesPerSecond) {
  MosquittoProcess cloud;
  TcpProxy proxy(cloud.port());
  proxy.cut();
  CloudClient sub(cloud.uri(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 1));

  TempDir dir;
  LocalSide local;
  auto options = bridge_options(proxy.uri(), dir.path().string());
  constexpr std::uint64_t kRate = 20'000;  // bytes/s
  constexpr int kN = 150;
  options.rate.bytes_per_second = kRate;
  ASSERT_TRUE(local.start_bridge(options));
  const std::string pad(300, 'b');
  std::vector<std::string> sent;
  std::uint64_t wire_bytes = 0;  // what the limit counts: whole PUBLISH packets as sent
  for (int i = 0; i < kN; ++i) {
    sent.push_back(std::to_string(i) + pad);
    local.publish("dev/sensor", sent.back());
    const Message as_sent{.topic = "cloud/dev/sensor", .payload = sent.back(), .qos = QoS::AtLeastOnce,
                          .retain = false, .props = {}};
    wire_bytes += broker::protocol::publish_size(as_sent, broker::protocol::ProtocolVersion::V5);
  }
  ASSERT_TRUE(wait_stored(local, kN));
  ASSERT_GT(wire_bytes, 2 * kRate);  // more than the one second of budget the bucket starts with

  const auto start = Clock::now();
  proxy.restore();
  ASSERT_TRUE(sub.wait_count(kN, 20s)) << "received " << sub.count();
  const auto elapsed = Clock::now() - start;
  // The bucket starts full (one second of bytes); the rest goes at kRate. A lower bound only;
  // 20 ms for clock granularity.
  const auto minimum = std::chrono::milliseconds(1000 * (wire_bytes - kRate) / kRate) - 20ms;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
  EXPECT_GE(elapsed, minimum) << "drained " << wire_bytes << " bytes in " << ms << " ms at " << kRate
                              << " bytes/s";
  std::printf("byte rate limit: %llu bytes of PUBLISH in %lld ms (limit %llu bytes/s, bound %lld ms)\n",
              static_cast<unsigned long long>(wire_bytes), static_cast<long long>(ms),
              static_cast<unsigned long long>(kRate),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(minimum).count()));
  EXPECT_EQ(payloads(sub.received()), sent);
}

// ---- Live-first vs FIFO ------------------------------------------------------------------------

// A backlog of kBacklog stored while the uplink is down drains at a limited rate; when part of it
// has arrived, one live message is published. Returns what the cloud received, in order.
std::vector<std::string> drain_with_live_message(bridge::ReplayOrder order) {
  constexpr int kBacklog = 400;
  MosquittoProcess cloud;
  TcpProxy proxy(cloud.port());
  proxy.cut();
  CloudClient sub(cloud.uri(), "sub");
  EXPECT_TRUE(sub.connect());
  EXPECT_TRUE(sub.subscribe("cloud/#", 1));

  TempDir dir;
  LocalSide local;
  auto options = bridge_options(proxy.uri(), dir.path().string());
  options.replay = order;
  options.rate.messages_per_second = 200;  // 200 at once, then ~1 s for the other 200
  EXPECT_TRUE(local.start_bridge(options));
  publish_numbered(local, kBacklog);
  EXPECT_TRUE(wait_stored(local, kBacklog));

  proxy.restore();
  EXPECT_TRUE(sub.wait_count(250, 20s));
  EXPECT_TRUE(local.stats().connected);
  local.publish("dev/live", "live");
  EXPECT_TRUE(sub.wait_count(kBacklog + 1, 20s)) << "received " << sub.count();
  return payloads(sub.received());
}

TEST(BridgeBehaviour, LiveFirstSendsLiveMessageBeforeEndOfBacklog) {
  const auto got = drain_with_live_message(bridge::ReplayOrder::LiveFirst);
  ASSERT_EQ(got.size(), 401u);
  const auto live = std::find(got.begin(), got.end(), "live");
  ASSERT_NE(live, got.end());
  const auto backlog_after = got.end() - live - 1;
  EXPECT_GE(backlog_after, 1) << "the live message came after the whole backlog";
  std::printf("live-first: live message at %td of %zu, %td backlog messages after it\n",
              live - got.begin(), got.size(), backlog_after);
  // The backlog itself stays in order around it.
  std::vector<std::string> backlog(got.begin(), live);
  backlog.insert(backlog.end(), live + 1, got.end());
  EXPECT_EQ(backlog, numbered(400));
}

TEST(BridgeBehaviour, FifoSendsLiveMessageAfterWholeBacklog) {
  const auto got = drain_with_live_message(bridge::ReplayOrder::Fifo);
  ASSERT_EQ(got.size(), 401u);
  EXPECT_EQ(got.back(), "live");
  EXPECT_EQ(std::vector<std::string>(got.begin(), got.end() - 1), numbered(400));
}

// ---- Sequence numbers --------------------------------------------------------------------------

constexpr const char* kSeq = "seq";

bridge::BridgeOptions sequence_options(const std::string& uri, const std::string& dir) {
  auto o = bridge_options(uri, dir);
  o.sequence_property = kSeq;
  return o;
}

// Runs only as the child of IncreaseAcrossCrashAndRepeatOnRetransmission: a bridge connected to
// the cloud publishes "a0".."a{n-1}", reports when the cloud has acknowledged them all, and waits
// to be SIGKILLed (a crash: the latest acknowledgements may not be committed).
TEST(BridgeSequenceChild, PublishesThenWaitsToBeKilled) {
  const char* dir = std::getenv("GW_BRIDGE_SEQ_DIR");
  const char* uri = std::getenv("GW_BRIDGE_SEQ_URI");
  const char* count = std::getenv("GW_BRIDGE_SEQ_COUNT");
  if (dir == nullptr || uri == nullptr || count == nullptr) GTEST_SKIP() << "child of a crash test only";
  const int n = std::atoi(count);
  LocalSide local;
  ASSERT_TRUE(local.start_bridge(sequence_options(uri, dir)));
  publish_numbered(local, n, "a");
  ASSERT_TRUE(wait_until([&] { return local.stats().acked >= static_cast<std::uint64_t>(n); }, 10s));
  std::printf("\nACKED %d\n", n);
  std::fflush(stdout);
  wait_until([] { return false; }, 30s);  // the parent kills us long before
}

TEST(BridgeBehaviour, SequenceNumbersIncreaseAcrossCrashAndRepeatOnRetransmission) {
  MosquittoProcess cloud;
  CloudClient sub(cloud.uri(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 1));
  TempDir dir;
  constexpr int kN = 50;

  char self[PATH_MAX] = {};
  ASSERT_GT(readlink("/proc/self/exe", self, sizeof self - 1), 0);
  {
    Process child({self, "--gtest_filter=BridgeSequenceChild.PublishesThenWaitsToBeKilled"},
                  {"GW_BRIDGE_SEQ_DIR=" + dir.path().string(), "GW_BRIDGE_SEQ_URI=" + cloud.uri(),
                   "GW_BRIDGE_SEQ_COUNT=" + std::to_string(kN)});
    ASSERT_TRUE(wait_until([&] { return child.output().find("ACKED") != std::string::npos || !child.running(); }, 10s))
        << child.output();
    ASSERT_TRUE(child.running()) << child.output();
    child.signal(SIGKILL);
    EXPECT_EQ(child.wait(5s), 128 + SIGKILL);
  }
  ASSERT_TRUE(sub.wait_count(kN, 20s));

  // The gateway comes back on the same outbox, resends what it had not committed as acknowledged
  // (if anything) and goes on with new messages.
  LocalSide local;
  ASSERT_TRUE(local.start_bridge(sequence_options(cloud.uri(), dir.path().string())));
  publish_numbered(local, kN, "b");
  ASSERT_TRUE(wait_until([&] {
    std::set<std::string> seen;
    for (const auto& r : sub.received()) seen.insert(r.payload);
    return seen.size() == 2 * static_cast<std::size_t>(kN);
  }, 20s)) << "received " << sub.count();

  // Every copy of a message carries the same number; different messages different ones; and the
  // numbers follow the order of publication, across the crash.
  std::map<std::string, std::uint64_t> seq_of;
  std::map<std::uint64_t, std::string> payload_of;
  std::size_t duplicates = 0;
  for (const auto& r : sub.received()) {
    const auto seq = user_property(r, kSeq);
    ASSERT_TRUE(seq.has_value()) << r.payload << " has no " << kSeq << " property";
    const std::uint64_t n = std::stoull(*seq);
    auto [it, fresh] = seq_of.emplace(r.payload, n);
    if (!fresh) {
      ++duplicates;
      EXPECT_EQ(it->second, n) << r.payload << " was resent with another sequence number";
    }
    auto [pit, pfresh] = payload_of.emplace(n, r.payload);
    EXPECT_EQ(pit->second, r.payload) << "sequence number " << n << " used twice";
    (void)pfresh;
  }
  std::vector<std::string> in_publication_order;
  for (const auto& p : {std::string("a"), std::string("b")}) {
    for (int i = 0; i < kN; ++i) in_publication_order.push_back(p + std::to_string(i));
  }
  std::uint64_t previous = 0;
  for (const auto& p : in_publication_order) {
    ASSERT_TRUE(seq_of.contains(p)) << p;
    EXPECT_GT(seq_of[p], previous) << p;
    previous = seq_of[p];
  }
  std::printf("sequence numbers %llu..%llu, %zu duplicate(s) after the crash\n",
              static_cast<unsigned long long>(seq_of["a0"]), static_cast<unsigned long long>(previous),
              duplicates);
}

// Duplicates on purpose: the cloud receives and delivers every message but its PUBACKs are lost;
// the stall check recycles the connection and the bridge sends everything again. Each copy carries
// the number of the original.
TEST(BridgeBehaviour, SequenceNumberIsSameOnEveryRetransmission) {
  MosquittoProcess cloud;
  TcpProxy proxy(cloud.port());
  CloudClient sub(cloud.uri(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 1));
  TempDir dir;
  LocalSide local;
  auto options = sequence_options(proxy.uri(), dir.path().string());
  options.stall_timeout = 1s;
  ASSERT_TRUE(local.start_bridge(options));
  ASSERT_TRUE(wait_until([&] { return local.stats().connected; }, 20s));

  constexpr int kN = 20;
  proxy.drop_answers();
  publish_numbered(local, kN);
  // Deadlines, not delays: a stall check, a reconnect (Paho waits about 1 s before it dials) and
  // a resend on a loaded machine take several seconds.
  ASSERT_TRUE(sub.wait_count(kN, 15s)) << "received " << sub.count();  // the cloud has them all
  ASSERT_TRUE(sub.wait_count(2 * kN, 15s)) << "received " << sub.count();
  ASSERT_TRUE(wait_until([&] { return local.stats().outbox.rows == 0; }, 15s));
  const auto s = local.stats();
  EXPECT_GE(s.stalls, 1u);
  EXPECT_EQ(s.acked, static_cast<std::uint64_t>(kN));

  std::map<std::string, std::set<std::string>> seqs;  // payload → sequence numbers seen
  std::map<std::string, int> copies;
  for (const auto& r : sub.received()) {
    const auto seq = user_property(r, kSeq);
    ASSERT_TRUE(seq.has_value()) << r.payload;
    seqs[r.payload].insert(*seq);
    ++copies[r.payload];
  }
  ASSERT_EQ(seqs.size(), static_cast<std::size_t>(kN));
  for (const auto& [payload, numbers] : seqs) {
    // At least the first send and one resend; a loaded machine may see a second stall (the
    // check runs on the real clock) and resend once more, with the same number again.
    EXPECT_GE(copies[payload], 2) << payload;
    EXPECT_EQ(numbers.size(), 1u) << payload << " was resent with another sequence number";
  }
}

}  // namespace
}  // namespace gw::test
