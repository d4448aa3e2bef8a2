// Interoperability: the real edge-gateway broker against the Eclipse Mosquitto command line
// clients (Debian mosquitto-clients 2.0.11), over MQTT 5 and MQTT 3.1.1 on 127.0.0.1.
//
// mosquitto_sub runs with -d (under stdbuf -oL), so it prints "Subscribed (mid: N)" as soon as the
// SUBACK is in: tests wait for that line before publishing instead of sleeping. Every message is printed on one line as
// "MSG|topic|qos|retain|content-type|response-topic|user-properties|correlation-data|payload"
// (-F), and every client is bounded by -C (message count) and -W (seconds) so that it always ends.
#include <csignal>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/gateway_process.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

enum class Version { V5, V311 };

std::string version_arg(Version v) { return v == Version::V5 ? "mqttv5" : "mqttv311"; }

std::string version_name(const ::testing::TestParamInfo<Version>& info) {
  return info.param == Version::V5 ? "V5" : "V311";
}

std::vector<std::string> base_args(const char* tool, std::uint16_t port, Version v) {
  return {tool, "-h", "127.0.0.1", "-p", std::to_string(port), "-V", version_arg(v)};
}

// One message as mosquitto_sub printed it.
struct Msg {
  std::string topic;
  int qos = -1;
  bool retain = false;
  std::string content_type;
  std::string response_topic;
  std::string user_properties;  // "k:v k2:v2"
  std::string correlation_data;
  std::string payload;
};

constexpr const char* kFormat = "MSG|%t|%q|%r|%C|%R|%P|%D|%p";

// A running mosquitto_sub. Thread safety: test thread only.
class Subscriber {
 public:
  // Subscribes to `topics` at `qos` and exits after `count` messages or 10 s.
  Subscriber(std::uint16_t port, Version v, const std::vector<std::string>& topics, int qos, int count,
             const std::vector<std::string>& extra = {}) {
    // stdbuf -oL: mosquitto_sub does not flush stdout, and a pipe is block-buffered, so without it
    // nothing (not even "Subscribed") would be readable before the client exits.
    std::vector<std::string> args{"stdbuf", "-oL"};
    for (auto& a : base_args("mosquitto_sub", port, v)) args.push_back(std::move(a));
    for (const std::string& a : {std::string("-q"), std::to_string(qos), std::string("-C"), std::to_string(count),
                                 std::string("-W"), std::string("10"), std::string("-d"), std::string("-F"),
                                 std::string(kFormat)}) {
      args.push_back(a);
    }
    for (const auto& t : topics) {
      args.emplace_back("-t");
      args.push_back(t);
    }
    args.insert(args.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<Process>(std::move(args));
  }

  // True once every subscription is acknowledged (false if the client exited or 10 s passed).
  [[nodiscard]] bool subscribed() {
    return wait_until([&] {
      return proc_->output().find("Subscribed (mid:") != std::string::npos || !proc_->running();
    }) && proc_->output().find("Subscribed (mid:") != std::string::npos;
  }

  // Waits for the client to exit (after its -C messages, or -W). Its exit code.
  std::optional<int> finish() { return proc_->wait(15s); }

  [[nodiscard]] std::vector<Msg> messages() {
    std::vector<Msg> out;
    std::string_view rest = proc_->output();
    while (!rest.empty()) {
      const auto eol = rest.find('\n');
      std::string_view line = rest.substr(0, eol);
      rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
      if (line.substr(0, 4) != "MSG|") continue;
      line.remove_prefix(4);
      std::vector<std::string> f;
      for (int i = 0; i < 7; ++i) {
        const auto bar = line.find('|');
        if (bar == std::string_view::npos) break;
        f.emplace_back(line.substr(0, bar));
        line.remove_prefix(bar + 1);
      }
      if (f.size() != 7) continue;
      out.push_back(Msg{f[0], std::stoi(f[1]), f[2] == "1", f[3], f[4], f[5], f[6], std::string(line)});
    }
    return out;
  }

  [[nodiscard]] std::vector<std::string> payloads() {
    std::vector<std::string> out;
    for (auto& m : messages()) out.push_back(m.payload);
    return out;
  }

  Process& process() { return *proc_; }
  const std::string& output() { return proc_->output(); }

 private:
  std::unique_ptr<Process> proc_;
};

// mosquitto_pub with `args` after the connection arguments; fails the test unless it exits 0.
void publish(std::uint16_t port, Version v, std::vector<std::string> args) {
  auto argv = base_args("mosquitto_pub", port, v);
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run(std::move(argv), 15s);
  EXPECT_EQ(r.code, 0) << "mosquitto_pub failed:\n" << r.output;
}

class MosquittoClients : public ::testing::TestWithParam<Version> {
 protected:
  void SetUp() override { ASSERT_TRUE(gw_.ready()) << gw_.process().output(); }
  [[nodiscard]] std::uint16_t port() const { return gw_.port(); }
  GatewayProcess gw_;
};

INSTANTIATE_TEST_SUITE_P(Versions, MosquittoClients, ::testing::Values(Version::V5, Version::V311), version_name);

TEST_P(MosquittoClients, DeliversQos012AtTheMinimumOfPublishedAndGrantedQos) {
  const Version v = GetParam();
  Subscriber at2(port(), v, {"q/#"}, 2, 3);
  Subscriber at1(port(), v, {"q/#"}, 1, 3);
  Subscriber at0(port(), v, {"q/#"}, 0, 3);
  ASSERT_TRUE(at2.subscribed()) << at2.output();
  ASSERT_TRUE(at1.subscribed()) << at1.output();
  ASSERT_TRUE(at0.subscribed()) << at0.output();
  for (int qos = 0; qos <= 2; ++qos) {
    publish(port(), v, {"-t", "q/" + std::to_string(qos), "-q", std::to_string(qos), "-m", "m" + std::to_string(qos)});
  }
  for (auto* s : {&at2, &at1, &at0}) ASSERT_EQ(s->finish(), 0) << s->output();
  // MQTT 5 §3.8.4 [MQTT-3.8.4-8], 3.1.1 §3.8.4: delivered at min(published QoS, granted QoS).
  // Published in sequence on the same connection path, so also in order [MQTT-4.6.0-6].
  auto qos_of = [](Subscriber& s) {
    std::vector<std::pair<std::string, int>> r;
    for (auto& m : s.messages()) r.emplace_back(m.payload, m.qos);
    return r;
  };
  using P = std::pair<std::string, int>;
  EXPECT_THAT(qos_of(at2), ElementsAre(P{"m0", 0}, P{"m1", 1}, P{"m2", 2}));
  EXPECT_THAT(qos_of(at1), ElementsAre(P{"m0", 0}, P{"m1", 1}, P{"m2", 1}));
  EXPECT_THAT(qos_of(at0), ElementsAre(P{"m0", 0}, P{"m1", 0}, P{"m2", 0}));
}

TEST_P(MosquittoClients, RetainedMessageReachesALateSubscriberAndEmptyRetainedClearsIt) {
  const Version v = GetParam();
  publish(port(), v, {"-t", "ret/t", "-q", "1", "-r", "-m", "last-known"});

  {
    // A later subscriber gets it at once, retain flag set [MQTT-3.3.1-6], and the marker after it.
    Subscriber late(port(), v, {"ret/t", "ret/marker"}, 1, 2);
    ASSERT_TRUE(late.subscribed()) << late.output();
    publish(port(), v, {"-t", "ret/marker", "-q", "1", "-m", "marker"});
    ASSERT_EQ(late.finish(), 0) << late.output();
    auto got = late.messages();
    ASSERT_EQ(got.size(), 2u) << late.output();
    EXPECT_EQ(got[0].topic, "ret/t");
    EXPECT_EQ(got[0].payload, "last-known");
    EXPECT_TRUE(got[0].retain);
    EXPECT_EQ(got[1].topic, "ret/marker");
    EXPECT_FALSE(got[1].retain);
  }

  // -r -n: a retained message with an empty payload deletes it [MQTT-3.3.1-10]; it is forwarded to
  // current subscribers, but no longer stored.
  publish(port(), v, {"-t", "ret/t", "-q", "1", "-r", "-n"});
  Subscriber after(port(), v, {"ret/t", "ret/marker"}, 1, 1);
  ASSERT_TRUE(after.subscribed()) << after.output();
  publish(port(), v, {"-t", "ret/marker", "-q", "1", "-m", "marker"});
  ASSERT_EQ(after.finish(), 0) << after.output();
  auto got = after.messages();
  ASSERT_EQ(got.size(), 1u) << after.output();
  EXPECT_EQ(got[0].topic, "ret/marker") << "the cleared retained message was still delivered";
}

TEST_P(MosquittoClients, WillIsPublishedWhenTheClientIsKilledButNotAfterANormalDisconnect) {
  const Version v = GetParam();
  Subscriber watcher(port(), v, {"will/#"}, 1, 2);
  ASSERT_TRUE(watcher.subscribed()) << watcher.output();

  // A client that ends normally (-C 1: DISCONNECT 0x00 after one message) does not leave its will
  // behind [MQTT-3.1.2-10] (3.1.1 [MQTT-3.1.2-10]: discarded on DISCONNECT).
  Subscriber polite(port(), v, {"will/go"}, 1, 1,
                    {"--will-topic", "will/polite", "--will-payload", "polite-died", "--will-qos", "1"});
  ASSERT_TRUE(polite.subscribed()) << polite.output();
  publish(port(), v, {"-t", "will/go", "-q", "1", "-m", "go"});
  ASSERT_EQ(polite.finish(), 0) << polite.output();

  // A client killed without DISCONNECT has its will published [MQTT-3.1.2-8].
  Subscriber victim(port(), v, {"will/never"}, 1, 1,
                    {"--will-topic", "will/victim", "--will-payload", "victim-died", "--will-qos", "1"});
  ASSERT_TRUE(victim.subscribed()) << victim.output();
  victim.process().signal(SIGKILL);
  ASSERT_EQ(watcher.finish(), 0) << "watcher got fewer than 2 messages:\n" << watcher.output();
  std::vector<std::pair<std::string, std::string>> got;
  for (auto& m : watcher.messages()) got.emplace_back(m.topic, m.payload);
  // The watcher sees will/go (its own filter matches) and the victim's will; never polite's.
  EXPECT_THAT(got, ElementsAre(std::pair<std::string, std::string>("will/go", "go"),
                               std::pair<std::string, std::string>("will/victim", "victim-died")));
}

// MQTT 5 only: the will carries its properties, and a Will Delay Interval holds it back.
TEST(MosquittoClientsV5, WillCarriesItsProperties) {
  GatewayProcess gw;
  ASSERT_TRUE(gw.ready()) << gw.process().output();
  Subscriber watcher(gw.port(), Version::V5, {"will/#"}, 1, 1);
  ASSERT_TRUE(watcher.subscribed()) << watcher.output();
  Subscriber victim(gw.port(), Version::V5, {"will/never"}, 1, 1,
                    {"--will-topic", "will/victim", "--will-payload", "{\"online\":false}", "--will-qos", "1", "-D",
                     "will", "content-type", "application/json", "-D", "will", "user-property", "device", "plc-7",
                     "-D", "will", "response-topic", "will/reply"});
  ASSERT_TRUE(victim.subscribed()) << victim.output();
  victim.process().signal(SIGKILL);
  ASSERT_EQ(watcher.finish(), 0) << watcher.output();
  auto got = watcher.messages();
  ASSERT_EQ(got.size(), 1u) << watcher.output();
  EXPECT_EQ(got[0].topic, "will/victim");
  EXPECT_EQ(got[0].payload, "{\"online\":false}");
  // MQTT 5 §3.1.3.2: the Will Properties are sent with the will message.
  EXPECT_EQ(got[0].content_type, "application/json");
  EXPECT_EQ(got[0].user_properties, "device:plc-7");
  EXPECT_EQ(got[0].response_topic, "will/reply");
}

TEST(MosquittoClientsV5, WillDelayIntervalHoldsTheWillBackAndAReconnectCancelsIt) {
  GatewayProcess gw;
  ASSERT_TRUE(gw.ready()) << gw.process().output();
  Subscriber watcher(gw.port(), Version::V5, {"will/#"}, 1, 2);
  ASSERT_TRUE(watcher.subscribed()) << watcher.output();
  {
    // Session Expiry 60 s and Will Delay 60 s: after the connection drops, the will waits 60 s.
    Subscriber victim(gw.port(), Version::V5, {"will/never"}, 1, 1,
                      {"-i", "delayed-victim", "-x", "60", "--will-topic", "will/delayed", "--will-payload",
                       "gone", "--will-qos", "1", "-D", "will", "will-delay-interval", "60"});
    ASSERT_TRUE(victim.subscribed()) << victim.output();
    victim.process().signal(SIGKILL);
    ASSERT_TRUE(victim.finish().has_value());
  }
  publish(gw.port(), Version::V5, {"-t", "will/marker", "-q", "1", "-m", "1"});
  // Reconnecting to the session before the delay ends cancels the will [MQTT-3.1.3-9] (§3.1.3.2.2).
  {
    Subscriber back(gw.port(), Version::V5, {"will/never"}, 1, 1, {"-i", "delayed-victim", "-x", "60", "-c"});
    ASSERT_TRUE(back.subscribed()) << back.output();
    publish(gw.port(), Version::V5, {"-t", "will/marker", "-q", "1", "-m", "2"});
  }
  ASSERT_EQ(watcher.finish(), 0) << watcher.output();
  std::vector<std::pair<std::string, std::string>> got;
  for (auto& m : watcher.messages()) got.emplace_back(m.topic, m.payload);
  // MQTT 5 §3.1.3.2.2 [MQTT-3.1.3-9]: the will is not published before the Will Delay Interval.
  EXPECT_THAT(got, ElementsAre(std::pair<std::string, std::string>("will/marker", "1"),
                               std::pair<std::string, std::string>("will/marker", "2")));
}

TEST_P(MosquittoClients, LargePayloadRoundTripsByteForByte) {
  const Version v = GetParam();
  // 200 KiB of printable bytes without a newline (mosquitto_sub prints one message per line), in
  // a pattern that shows truncation, reordering or corruption anywhere.
  std::string payload;
  payload.reserve(200 * 1024);
  for (std::size_t i = 0; payload.size() < 200 * 1024; ++i) {
    payload += std::to_string(i);
    payload += static_cast<char>('a' + i % 26);
  }
  payload.resize(200 * 1024);
  TempDir dir;
  const auto file = dir.write("payload.txt", payload);

  Subscriber sub(port(), v, {"big/t"}, 1, 1);
  ASSERT_TRUE(sub.subscribed()) << sub.output();
  publish(port(), v, {"-t", "big/t", "-q", "1", "-f", file});
  ASSERT_EQ(sub.finish(), 0) << sub.output().substr(0, 2000);
  auto got = sub.messages();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload.size(), payload.size());
  EXPECT_TRUE(got[0].payload == payload) << "payload differs";
}

TEST_P(MosquittoClients, ThousandQos1MessagesArriveInOrder) {
  const Version v = GetParam();
  constexpr int kCount = 1000;
  std::string lines;
  std::vector<std::string> expected;
  for (int i = 0; i < kCount; ++i) {
    expected.push_back("seq-" + std::to_string(i));
    lines += expected.back() + "\n";
  }
  TempDir dir;
  const auto file = dir.write("lines.txt", lines);

  Subscriber sub(port(), v, {"seq/t"}, 1, kCount);
  ASSERT_TRUE(sub.subscribed()) << sub.output();
  // -l publishes one message per stdin line, all on one connection: the order must be kept
  // [MQTT-4.6.0-6] (ordered topic, same QoS).
  auto pub = base_args("mosquitto_pub", port(), v);
  std::string cmd;
  for (const auto& a : pub) cmd += "'" + a + "' ";
  cmd += "-t seq/t -q 1 -l < '" + file + "'";
  auto r = run({"/bin/sh", "-c", cmd}, 30s);
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_EQ(sub.finish(), 0) << "subscriber got fewer than " << kCount << " messages";
  auto got = sub.messages();
  for (const auto& m : got) ASSERT_EQ(m.qos, 1);
  EXPECT_EQ(sub.payloads(), expected);
}

// MQTT 5 only: properties set by mosquitto_pub -D pass through to mosquitto_sub.
TEST(MosquittoClientsV5, PublishPropertiesPassThrough) {
  GatewayProcess gw;
  ASSERT_TRUE(gw.ready()) << gw.process().output();
  Subscriber sub(gw.port(), Version::V5, {"props/t"}, 1, 1);
  ASSERT_TRUE(sub.subscribed()) << sub.output();
  publish(gw.port(), Version::V5,
          {"-t", "props/t", "-q", "1", "-m", "{\"v\":1}", "-D", "publish", "user-property", "site", "plant-1", "-D",
           "publish", "user-property", "line", "7", "-D", "publish", "content-type", "application/json", "-D",
           "publish", "response-topic", "props/reply", "-D", "publish", "correlation-data", "req-42"});
  ASSERT_EQ(sub.finish(), 0) << sub.output();
  auto got = sub.messages();
  ASSERT_EQ(got.size(), 1u) << sub.output();
  EXPECT_EQ(got[0].payload, "{\"v\":1}");
  // MQTT 5 §3.3.2.3.7 [MQTT-3.3.2-18]: user properties forwarded in order.
  EXPECT_EQ(got[0].user_properties, "site:plant-1 line:7");
  EXPECT_EQ(got[0].content_type, "application/json");  // [MQTT-3.3.2-20]
  EXPECT_EQ(got[0].response_topic, "props/reply");     // [MQTT-3.3.2-15]
  EXPECT_EQ(got[0].correlation_data, "req-42");        // [MQTT-3.3.2-16]
}

// MQTT 3.1.1 subscribers get no MQTT 5 properties, even from an MQTT 5 publisher.
TEST(MosquittoClientsV5, PropertiesAreNotSentToAnMqtt311Subscriber) {
  GatewayProcess gw;
  ASSERT_TRUE(gw.ready()) << gw.process().output();
  Subscriber sub(gw.port(), Version::V311, {"props/t"}, 1, 1);
  ASSERT_TRUE(sub.subscribed()) << sub.output();
  publish(gw.port(), Version::V5,
          {"-t", "props/t", "-q", "1", "-m", "plain", "-D", "publish", "user-property", "k", "v", "-D", "publish",
           "content-type", "text/plain"});
  ASSERT_EQ(sub.finish(), 0) << sub.output();
  auto got = sub.messages();
  ASSERT_EQ(got.size(), 1u) << sub.output();
  EXPECT_EQ(got[0].payload, "plain");
  EXPECT_THAT(got[0].user_properties, IsEmpty());
  EXPECT_THAT(got[0].content_type, IsEmpty());
}

}  // namespace
}  // namespace gw::test
