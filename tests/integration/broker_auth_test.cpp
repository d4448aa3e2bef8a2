// Who may connect: the real edge-gateway broker with a password file, against real clients
// (mosquitto_pub/mosquitto_sub, MQTT 5 and 3.1.1) and a raw socket, with password files written
// by Mosquitto's own mosquitto_passwd and by `edge-gateway passwd`.
#include <ifaddrs.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "broker/protocol/connect.hpp"
#include "broker/protocol/publish.hpp"
#include "tests/support/gateway_process.hpp"
#include "tests/support/mosquitto_process.hpp"
#include "tests/support/process.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// A client publish with credentials; its exit code and output.
RunResult publish(std::uint16_t port, const char* version, const std::string& user,
                  const std::string& password, const std::string& host = "127.0.0.1") {
  std::vector<std::string> argv{"mosquitto_pub", "-h", host, "-p", std::to_string(port), "-V",
                                version, "-t", "auth/test", "-m", "x", "-q", "1"};
  if (!user.empty()) {
    argv.insert(argv.end(), {"-u", user, "-P", password});
  }
  return run(argv, 20s);
}

class BrokerAuth : public ::testing::Test {
 protected:
  void start(const std::string& broker_yaml) {
    gw_ = std::make_unique<GatewayProcess>(broker_yaml);
    ASSERT_TRUE(gw_->ready()) << gw_->process().output();
  }
  // A broker whose password file has one user, erin (password "pw"), written by mosquitto_passwd.
  void start_with_erin() {
    const std::string file = (files_.path() / "passwd").string();
    ASSERT_EQ(run({"mosquitto_passwd", "-c", "-b", file, "erin", "pw"}, 20s).code, 0);
    start("  password_file: " + file + "\n");
  }

  TempDir files_;
  std::unique_ptr<GatewayProcess> gw_;
};

TEST_F(BrokerAuth, ReadsAPasswordFileWrittenByMosquittoPasswd) {
  const std::string file = (files_.path() / "passwd").string();
  auto made = run({"mosquitto_passwd", "-c", "-b", file, "alice", "s3cret"}, 20s);
  ASSERT_EQ(made.code, 0) << made.output;
  start("  password_file: " + file + "\n");
  EXPECT_THAT(gw_->process().output(), HasSubstr("1 user(s) from " + file));

  for (const char* v : {"mqttv5", "mqttv311"}) {
    const auto ok = publish(gw_->port(), v, "alice", "s3cret");
    EXPECT_EQ(ok.code, 0) << v << ": " << ok.output;
  }
  // Wrong password: CONNACK 0x86 (v5) / return code 4 (3.1.1).
  const auto v5 = publish(gw_->port(), "mqttv5", "alice", "wrong");
  EXPECT_NE(v5.code, 0);
  EXPECT_THAT(v5.output, HasSubstr("Connection error: Bad User Name or Password"));
  const auto v311 = publish(gw_->port(), "mqttv311", "nobody", "s3cret");
  EXPECT_NE(v311.code, 0);
  EXPECT_THAT(v311.output, HasSubstr("Connection Refused: bad user name or password"));
  EXPECT_THAT(gw_->process().output(), HasSubstr("bad user name or password (user 'alice')"));
}

TEST_F(BrokerAuth, PasswdWritesUsersThatMosquittoCanRead) {
  const std::string file = (files_.path() / "passwd").string();
  const auto r = run({"/bin/sh", "-c", "printf 'pw-1\\n' | \"$0\" passwd --iterations 2000 \"$1\" bob",
                      gateway_binary(), file},
                     20s);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("added user 'bob'"));
  start("  password_file: " + file + "\n");
  EXPECT_EQ(publish(gw_->port(), "mqttv5", "bob", "pw-1").code, 0) << gw_->process().output();
  EXPECT_NE(publish(gw_->port(), "mqttv5", "bob", "pw-2").code, 0);

  // Mosquitto itself takes the file and the password.
  const std::uint16_t port = free_port();
  const std::string conf = files_.write(
      "mosquitto.conf", "listener " + std::to_string(port) +
                            " 127.0.0.1\nallow_anonymous false\npassword_file " + file + "\n" +
                            // As root, mosquitto would read the file as user "mosquitto", who
                            // cannot enter the test's private directory: keep the invoking user.
                            (::geteuid() == 0 ? "user root\n" : ""));
  Process mosquitto({"mosquitto", "-c", conf});
  ASSERT_TRUE(wait_until([&] {
    return mosquitto.output().find("listen socket on port") != std::string::npos ||
           !mosquitto.running();
  }));
  ASSERT_TRUE(mosquitto.running()) << mosquitto.output();
  EXPECT_EQ(publish(port, "mqttv5", "bob", "pw-1").code, 0) << mosquitto.output();
  EXPECT_NE(publish(port, "mqttv5", "bob", "pw-2").code, 0);
}

TEST_F(BrokerAuth, ScramEntriesFromPasswdAlsoServePlainPasswords) {
  const std::string file = (files_.path() / "passwd").string();
  for (const char* scheme : {"scram-sha-256", "SCRAM-SHA-512"}) {
    const auto r = run({"/bin/sh", "-c",
                        "printf 'pw-1\\n' | \"$0\" passwd --iterations 2000 --scheme \"$1\" \"$2\" "
                        "\"$3\"",
                        gateway_binary(), scheme, file, std::string("user-") + scheme},
                       20s);
    ASSERT_EQ(r.code, 0) << r.output;
  }
  const auto bad = run({"/bin/sh", "-c", "printf 'x\\n' | \"$0\" passwd --scheme md5 \"$1\" u",
                        gateway_binary(), file},
                       20s);
  EXPECT_NE(bad.code, 0);
  EXPECT_THAT(bad.output, HasSubstr("md5"));
  const std::string text = files_.read("passwd");
  EXPECT_THAT(text, HasSubstr("user-scram-sha-256:SCRAM-SHA-256$2000:"));
  EXPECT_THAT(text, HasSubstr("user-SCRAM-SHA-512:SCRAM-SHA-512$2000:"));
  start("  password_file: " + file + "\n");
  EXPECT_EQ(publish(gw_->port(), "mqttv5", "user-scram-sha-256", "pw-1").code, 0)
      << gw_->process().output();
  EXPECT_EQ(publish(gw_->port(), "mqttv311", "user-SCRAM-SHA-512", "pw-1").code, 0);
  EXPECT_NE(publish(gw_->port(), "mqttv5", "user-scram-sha-256", "pw-2").code, 0);
}

TEST_F(BrokerAuth, AReloadPicksUpAChangedPasswordFile) {
  const std::string file = (files_.path() / "passwd").string();
  ASSERT_EQ(run({"/bin/sh", "-c", "printf 'one\\n' | \"$0\" passwd --iterations 1000 \"$1\" carol",
                 gateway_binary(), file},
                20s)
                .code,
            0);
  start("  password_file: " + file + "\n");
  ASSERT_EQ(publish(gw_->port(), "mqttv5", "carol", "one").code, 0);
  ASSERT_EQ(run({"/bin/sh", "-c", "printf 'two\\n' | \"$0\" passwd --iterations 1000 \"$1\" carol",
                 gateway_binary(), file},
                20s)
                .code,
            0);
  gw_->process().signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] {
    return gw_->process().output().find("reload done") != std::string::npos;
  })) << gw_->process().output();
  EXPECT_EQ(publish(gw_->port(), "mqttv5", "carol", "two").code, 0) << gw_->process().output();
  EXPECT_NE(publish(gw_->port(), "mqttv5", "carol", "one").code, 0);

  // A broken file on reload: reported with its line, the users in force stay.
  files_.write("passwd", "carol:plain\n");
  gw_->process().signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] {
    return gw_->process().output().find("users unchanged") != std::string::npos;
  })) << gw_->process().output();
  EXPECT_THAT(gw_->process().output(), HasSubstr(file + ":1: user 'carol': not a password hash"));
  EXPECT_EQ(publish(gw_->port(), "mqttv5", "carol", "two").code, 0);
}

TEST_F(BrokerAuth, AnonymousClientsFollowAllowAnonymous) {
  start("");  // no password file, allow_anonymous unset: loopback clients are welcome
  EXPECT_EQ(publish(gw_->port(), "mqttv5", "", "").code, 0) << gw_->process().output();
  gw_.reset();
  start("  allow_anonymous: false\n");
  const auto v5 = publish(gw_->port(), "mqttv5", "", "");
  EXPECT_NE(v5.code, 0);
  EXPECT_THAT(v5.output, HasSubstr("Connection error: Not authorized"));
  const auto v311 = publish(gw_->port(), "mqttv311", "someone", "x");  // no file: not verified
  EXPECT_NE(v311.code, 0);
  EXPECT_THAT(v311.output, HasSubstr("Connection Refused: not authorised"));
}

// The first non-loopback IPv4 address of this machine, if it has one.
std::optional<std::string> own_network_address() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return std::nullopt;
  std::optional<std::string> out;
  for (ifaddrs* i = list; i != nullptr && !out; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    out = text;
  }
  ::freeifaddrs(list);
  return out;
}

TEST_F(BrokerAuth, AnonymousClientsFromTheNetworkAreRefusedByDefault) {
  const auto address = own_network_address();
  if (!address) GTEST_SKIP() << "this machine has no non-loopback IPv4 address";
  // The packet never leaves the machine: it goes to this host's own interface address.
  const std::string file = (files_.path() / "passwd").string();
  ASSERT_EQ(run({"mosquitto_passwd", "-c", "-b", file, "dave", "pw"}, 20s).code, 0);
  // GatewayProcess binds 127.0.0.1 only: this gateway listens on the wildcard address.
  TempDir dir;
  const std::string cfg = dir.write(
      "net.yaml", "gateway:\n  id: net\n  data_dir: " + dir.path().string() +
                      "\nbroker:\n  password_file: " + file +
                      "\n  listeners:\n    - bind: 0.0.0.0:0\n");
  Process net({gateway_binary(), "run", "--config", cfg});
  std::uint16_t port = 0;
  ASSERT_TRUE(wait_until([&] {
    port = port_after(net.output(), "listening on 0.0.0.0:");
    return port != 0 || !net.running();
  }));
  ASSERT_NE(port, 0) << net.output();
  const auto anonymous = publish(port, "mqttv5", "", "", *address);
  EXPECT_NE(anonymous.code, 0);
  EXPECT_THAT(anonymous.output, HasSubstr("Connection error: Not authorized"));
  EXPECT_THAT(net.output(), HasSubstr("anonymous access is allowed from this machine only"));
  EXPECT_EQ(publish(port, "mqttv5", "", "", "127.0.0.1").code, 0) << net.output();
  EXPECT_EQ(publish(port, "mqttv5", "dave", "pw", *address).code, 0) << net.output();
}

TEST_F(BrokerAuth, ASessionCanOnlyBeResumedByItsOwnUser) {
  const std::string file = (files_.path() / "passwd").string();
  ASSERT_EQ(run({"mosquitto_passwd", "-c", "-b", file, "alice", "a"}, 20s).code, 0);
  ASSERT_EQ(run({"mosquitto_passwd", "-b", file, "bob", "b"}, 20s).code, 0);
  start("  password_file: " + file + "\n");
  const auto as = [&](const std::string& user, const std::string& pw) {
    return run({"mosquitto_pub", "-h", "127.0.0.1", "-p", gw_->port_str(), "-V", "mqttv5", "-i",
                "hmi-1", "-c", "-x", "600", "-u", user, "-P", pw, "-t", "t", "-m", "x", "-q", "1"},
               20s);
  };
  ASSERT_EQ(as("alice", "a").code, 0);  // alice leaves a persistent session behind
  const auto bob = as("bob", "b");
  EXPECT_NE(bob.code, 0);
  EXPECT_THAT(bob.output, HasSubstr("Not authorized"));
  EXPECT_THAT(gw_->process().output(), HasSubstr("client id in use by another user"));
  EXPECT_EQ(as("alice", "a").code, 0) << gw_->process().output();
}

// An MQTT 3.1.1 CONNECT as erin/pw followed by `count` copies of `publish`, in one write: they
// arrive while the CONNECT is being verified.
Bytes connect_then(const std::string& client_id, const broker::protocol::Publish& publish,
                   int count = 1) {
  using namespace broker::protocol;
  Connect connect;
  connect.version = ProtocolVersion::V311;
  connect.client_id = client_id;
  connect.clean_start = true;
  connect.username = "erin";
  connect.password = "pw";
  Bytes both = encode_packet(connect, ProtocolVersion::V311);
  const Bytes p = encode_packet(publish, ProtocolVersion::V311);
  for (int i = 0; i < count; ++i) both.insert(both.end(), p.begin(), p.end());
  return both;
}

TEST_F(BrokerAuth, TooMuchHeldBeforeConnackClosesWithoutAccepting) {
  ASSERT_NO_FATAL_FAILURE(start_with_erin());
  RawClient c(gw_->port());
  ASSERT_TRUE(c.connected());
  broker::protocol::Publish small;
  small.topic = *broker::protocol::TopicName::make("auth/flood");
  small.payload = "x";
  // More packets than a client may send before CONNACK, in one small write that the broker
  // reads at once, before the verification's outcome can be handled.
  (void)c.send(connect_then("flood", small, 40));
  // Closed, and never accepted: no CONNACK arrives even though the password was right.
  EXPECT_TRUE(c.expect_closed(5s)) << "got " << hex(c.unexpected());
}

TEST_F(BrokerAuth, PacketsSentRightAfterConnectWaitForTheVerification) {
  ASSERT_NO_FATAL_FAILURE(start_with_erin());
  using namespace broker::protocol;
  RawClient c(gw_->port());
  ASSERT_TRUE(c.connected());
  Publish publish;
  publish.topic = *TopicName::make("auth/pipelined");
  publish.qos = QoS::AtLeastOnce;
  publish.packet_id = PacketId{7};
  ASSERT_TRUE(c.send(connect_then("pipelined", publish)));
  EXPECT_EQ(hex(c.read_exactly(4)), "20 02 00 00");  // CONNACK accepted
  EXPECT_EQ(hex(c.read_exactly(4)), "40 02 00 07");  // then the PUBACK
}

TEST_F(BrokerAuth, ASecondConnectWhileTheFirstIsVerifiedIsAProtocolError) {
  ASSERT_NO_FATAL_FAILURE(start_with_erin());
  using namespace broker::protocol;
  RawClient c(gw_->port());
  ASSERT_TRUE(c.connected());
  Connect connect;
  connect.version = ProtocolVersion::V5;
  connect.client_id = "twice";
  connect.username = "erin";
  connect.password = "pw";
  Bytes both = encode_packet(connect, ProtocolVersion::V5);
  // In the same write, before the verification's outcome can be handled: a CONNECT of protocol
  // level 6, which as a first CONNECT would get CONNACK 0x84.
  const Bytes level6{0x10, 0x0f, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x06, 0x02, 0x00, 0x3c, 0x00,
                     0x00, 0x02, 't', 'w'};
  both.insert(both.end(), level6.begin(), level6.end());
  ASSERT_TRUE(c.send(both));
  EXPECT_EQ(hex(c.read_exactly(5)), "20 03 00 82 00");  // [MQTT-3.1.0-2]
  EXPECT_TRUE(c.expect_closed(5s)) << "got " << hex(c.unexpected());
}

}  // namespace
}  // namespace gw::test
