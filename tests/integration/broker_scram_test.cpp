// MQTT 5 enhanced authentication with SCRAM-SHA-256/-512 (MQTT 5 §4.12, §4.12.1): the real
// edge-gateway broker with a password file written by `edge-gateway passwd --scheme`, against a
// raw-socket MQTT 5 client that speaks SCRAM (tests/integration/python/scram_client.py; no
// packaged client does). The client checks the server's signature against its own computation.
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/gateway_process.hpp"
#include "tests/support/process.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kPython = "/usr/bin/python3";

class BrokerScram : public ::testing::Test {
 protected:
  void SetUp() override {
    passwd_ = (files_.path() / "passwd").string();
    add_user("alice", "alice-pw", "scram-sha-256");
    add_user("bob", "bob-pw", "scram-sha-512");
    add_user("carol", "carol-pw", "pbkdf2-sha512");  // plain passwords only
  }

  void add_user(const std::string& user, const std::string& password, const std::string& scheme) {
    const auto r = run({"/bin/sh", "-c",
                        "printf '%s\\n' \"$4\" | \"$0\" passwd --iterations 4096 --scheme \"$1\" "
                        "\"$2\" \"$3\"",
                        gateway_binary(), scheme, passwd_, user, password},
                       20s);
    ASSERT_EQ(r.code, 0) << r.output;
  }

  void start(const std::string& extra = "", const std::string& data_dir = "") {
    gw_.reset();  // a restart: the old process is gone before the new one binds
    gw_ = std::make_unique<GatewayProcess>(
        "  password_file: " + passwd_ +
        "\n"
        "  acl:\n"
        "    - {user: alice, topic: \"plant/#\", allow: publish}\n" +
            extra,
        "", data_dir);
    ASSERT_TRUE(gw_->ready()) << gw_->process().output();
  }

  // Runs the SCRAM client with `steps` on one connection; what it printed (it exits non-zero
  // and says why on anything unexpected).
  // `source`: a loopback address of its own (failures slow down their address only).
  std::string client(const std::vector<std::string>& steps, int expect_code = 0,
                     const std::string& source = "") {
    std::vector<std::string> argv{kPython, "-B",
                                  source_dir() + "/tests/integration/python/scram_client.py",
                                  gw_->port_str() + (source.empty() ? "" : "/" + source)};
    argv.insert(argv.end(), steps.begin(), steps.end());
    const auto r = run(argv, 30s);
    EXPECT_EQ(r.code, expect_code) << r.output << "\n--- gateway ---\n" << gw_->process().output();
    return r.output;
  }

  TempDir files_;
  std::string passwd_;
  std::unique_ptr<GatewayProcess> gw_;
};

TEST_F(BrokerScram, Sha256AndSha512LoginsSucceedAndTheServerSignatureIsRight) {
  start();
  EXPECT_EQ(client({"connect:SCRAM-SHA-256:alice:alice-pw"}),
            "server-first i=4096 salt=16 bytes\nconnack 0x00\nserver-final verified\n");
  EXPECT_EQ(client({"connect:SCRAM-SHA-512:bob:bob-pw"}),
            "server-first i=4096 salt=16 bytes\nconnack 0x00\nserver-final verified\n");
  // The same exchange with one bit of the server's signature flipped on arrival: the client's
  // check catches it (so "verified" above is a real comparison, not a formality).
  EXPECT_EQ(client({"connect-tampered:SCRAM-SHA-256:alice:alice-pw"}),
            "server-first i=4096 salt=16 bytes\nconnack 0x00\nserver-final WRONG\n");
  // A User Name field naming the SCRAM user is fine.
  EXPECT_EQ(client({"connect:SCRAM-SHA-256:alice:alice-pw:with-name:alice"}),
            "server-first i=4096 salt=16 bytes\nconnack 0x00\nserver-final verified\n");
  EXPECT_THAT(gw_->process().output(), Not(HasSubstr("CONNECT refused")));
}

TEST_F(BrokerScram, WrongPasswordUnknownUserAndPasswordOnlyUserAreRefusedAlike) {
  start();
  // MQTT 5 §3.2.2.2: 0x86 Bad User Name or Password. The unknown user, the user whose entry is
  // PBKDF2 only and the user without an entry for this hash are offered the same iteration
  // count and salt size as a real SCRAM user. Each case comes from its own address, so each
  // runs the whole exchange.
  int n = 2;
  for (const char* step : {"connect:SCRAM-SHA-256:alice:wrong-pw", "connect:SCRAM-SHA-256:nobody:x",
                           "connect:SCRAM-SHA-256:carol:carol-pw",
                           "connect:SCRAM-SHA-512:alice:alice-pw"}) {
    EXPECT_EQ(client({step}, 0, "127.0.0." + std::to_string(n++)),
              "server-first i=4096 salt=16 bytes\nconnack 0x86\n")
        << step;
  }
  // The unknown user's fake salt is the same at every attempt (a random one would give it away).
  const std::string salt = client({"salt:SCRAM-SHA-256:nobody"}, 0, "127.0.0.10");
  EXPECT_THAT(salt, ::testing::StartsWith("salt "));
  EXPECT_EQ(salt, client({"salt:SCRAM-SHA-256:nobody"}, 0, "127.0.0.11"));
  EXPECT_NE(salt, client({"salt:SCRAM-SHA-256:nobody2"}, 0, "127.0.0.12"));
  const std::string log = gw_->process().output();
  EXPECT_THAT(log, HasSubstr("CONNECT refused: bad user name or password (user 'alice'"));
  EXPECT_THAT(log, HasSubstr("CONNECT refused: bad user name or password (user 'nobody'"));
  EXPECT_THAT(log, HasSubstr("CONNECT refused: bad user name or password (user 'carol'"));
}

// A real user's salt is the same after a restart; so is an unknown user's fake one, whose key is
// kept in the data directory (scram-salt.key, 0600). With a key per process, a salt sampled
// before and after a restart would tell real names from invented ones.
TEST_F(BrokerScram, UnknownUsersFakeSaltIsTheSameAfterARestart) {
  const std::string data = files_.path().string();
  start("", data);
  const std::string real = client({"salt:SCRAM-SHA-256:alice"}, 0, "127.0.0.20");
  const std::string fake = client({"salt:SCRAM-SHA-256:nobody"}, 0, "127.0.0.21");
  EXPECT_THAT(fake, ::testing::StartsWith("salt "));
  struct stat st {};
  ASSERT_EQ(::stat((files_.path() / "scram-salt.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);

  start("", data);
  EXPECT_EQ(client({"salt:SCRAM-SHA-256:alice"}, 0, "127.0.0.22"), real);
  EXPECT_EQ(client({"salt:SCRAM-SHA-256:nobody"}, 0, "127.0.0.23"), fake);

  // Without the key file (a fresh data directory) the fake salt is another one: the test above
  // would catch a salt that does not depend on the key at all.
  std::filesystem::remove(files_.path() / "scram-salt.key");
  start("", data);
  EXPECT_NE(client({"salt:SCRAM-SHA-256:nobody"}, 0, "127.0.0.24"), fake);
}

TEST_F(BrokerScram, ReauthenticationSucceedsKeepsTrafficFlowingAndFailureDisconnects) {
  start();
  EXPECT_EQ(client({"connect:SCRAM-SHA-256:alice:alice-pw", "reauth:SCRAM-SHA-256:alice:alice-pw",
                    "publish-midway:plant/a:SCRAM-SHA-256:alice:alice-pw", "publish:plant/b",
                    "reauth:SCRAM-SHA-256:alice:wrong", "expect-closed"}),
            "server-first i=4096 salt=16 bytes\nconnack 0x00\nserver-final verified\n"
            "auth 0x00\nserver-final verified\n"
            "puback 0x10\nauth 0x00\nserver-final verified\n"
            "puback 0x10\n"
            "disconnect 0x87\nclosed\n");
  EXPECT_THAT(gw_->process().output(), HasSubstr("re-authentication refused"));
}

TEST_F(BrokerScram, ReauthenticationMustKeepTheMethodAndTheUser) {
  add_user("dave", "dave-pw", "scram-sha-256");
  start();
  const std::string ok = "server-first i=4096 salt=16 bytes\nconnack 0x00\nserver-final verified\n";
  // §3.14.2.1 0x8C: "does not match the authentication method currently in use".
  EXPECT_EQ(client({"connect:SCRAM-SHA-256:alice:alice-pw", "auth:19:SCRAM-SHA-512:n,,n=alice,r=x",
                    "expect-closed"}),
            ok + "disconnect 0x8c\nclosed\n");
  // [MQTT-4.12.0-5]: an AUTH without the method is a Protocol Error.
  EXPECT_EQ(client({"connect:SCRAM-SHA-256:alice:alice-pw", "auth:19", "expect-closed"}),
            ok + "disconnect 0x82\nclosed\n");
  // 0x18 outside an exchange.
  EXPECT_EQ(client({"connect:SCRAM-SHA-256:alice:alice-pw", "auth:18:SCRAM-SHA-256:x",
                    "expect-closed"}),
            ok + "disconnect 0x82\nclosed\n");
  // The session belongs to alice: re-authenticating as dave (right password) is refused.
  EXPECT_EQ(client({"connect:SCRAM-SHA-256:alice:alice-pw", "reauth:SCRAM-SHA-256:dave:dave-pw"},
                   1),
            ok + "disconnect 0x87\n");
}

TEST_F(BrokerScram, TheAclAppliesToTheScramUser) {
  start();
  // PUBACK 0x10 (accepted, no matching subscribers) where the ACL lets alice publish, 0x87 Not
  // authorized where it does not; bob may publish nowhere.
  EXPECT_EQ(client({"connect:SCRAM-SHA-256:alice:alice-pw", "publish:plant/boiler",
                    "publish:office/door"}),
            "server-first i=4096 salt=16 bytes\nconnack 0x00\nserver-final verified\n"
            "puback 0x10\npuback 0x87\n");
  EXPECT_EQ(client({"connect:SCRAM-SHA-512:bob:bob-pw", "publish:plant/boiler"}),
            "server-first i=4096 salt=16 bytes\nconnack 0x00\nserver-final verified\n"
            "puback 0x87\n");
}

TEST_F(BrokerScram, AServerFirstMessageTooLargeForTheClientRefusesWith0x95) {
  start();
  RawClient c(gw_->port());
  broker::protocol::Connect connect{.version = broker::protocol::ProtocolVersion::V5,
                                    .client_id = "small"};
  connect.props.maximum_packet_size = 40;
  connect.props.authentication_method = "SCRAM-SHA-256";
  connect.props.authentication_data = "n,,n=alice,r=fyko+d2lbbFgONRv9qkxdawL";
  ASSERT_TRUE(c.send(connect));
  // The AUTH with the server-first-message is longer than 40 bytes [MQTT-3.1.2-24]: the exchange
  // cannot go on, and the connection is refused with CONNACK 0x95 Packet too large.
  EXPECT_EQ(c.read_exactly(5), (Bytes{0x20, 0x03, 0x00, 0x95, 0x00})) << gw_->process().output();
  EXPECT_TRUE(c.expect_closed());
}

TEST_F(BrokerScram, AStalledExchangeIsClosedByTheConnectTimeout) {
  start("  connect_timeout: 500ms\n");
  const std::string out = client({"stall:SCRAM-SHA-256:alice"});
  EXPECT_THAT(out, ::testing::StartsWith("server-first\nclosed after "));
  EXPECT_THAT(gw_->process().output(), HasSubstr("no CONNECT within 500 ms"));
}

TEST_F(BrokerScram, ProtocolErrorsAndUnofferedMethodsCloseTheConnection) {
  start();
  // MQTT 3.1.1 has no AUTH: type 15 is a Malformed Packet, the connection closes.
  EXPECT_EQ(client({"connect-v311:old", "auth-v311", "expect-closed"}), "connack 0\nclosed\n");
  // [MQTT-4.12.0-7]: AUTH on a connection that authenticated without a method.
  EXPECT_EQ(client({"connect-plain:plain", "auth:19:SCRAM-SHA-256:n,,n=alice,r=x",
                    "expect-closed"}),
            "connack 0x00\ndisconnect 0x82\nclosed\n");
  // [MQTT-3.1.2-30]: only AUTH or DISCONNECT before the CONNACK.
  EXPECT_EQ(client({"begin:SCRAM-SHA-256:alice", "send-publish:plant/x", "expect-closed"}),
            "server-first i=4096 salt=16 bytes\nconnack 0x82\nclosed\n");
  // Another method in the middle of the exchange: 0x8C; none: 0x82; 0x19 there: 0x82.
  EXPECT_EQ(client({"begin:SCRAM-SHA-256:alice", "auth:18:SCRAM-SHA-512:x", "expect-closed"}),
            "server-first i=4096 salt=16 bytes\nconnack 0x8c\nclosed\n");
  EXPECT_EQ(client({"begin:SCRAM-SHA-256:alice", "auth:18", "expect-closed"}),
            "server-first i=4096 salt=16 bytes\nconnack 0x82\nclosed\n");
  // Authentication Data without a method: a broken AUTH, which the codec refuses; the same 0x82.
  EXPECT_EQ(client({"begin:SCRAM-SHA-256:alice", "auth:18::x", "expect-closed"}),
            "server-first i=4096 salt=16 bytes\nconnack 0x82\nclosed\n");
  EXPECT_EQ(client({"begin:SCRAM-SHA-256:alice", "auth:19:SCRAM-SHA-256:n,,n=alice,r=y",
                    "expect-closed"}),
            "server-first i=4096 salt=16 bytes\nconnack 0x82\nclosed\n");
  // Malformed SCRAM text: 0x87, never a crash.
  for (const char* data : {"", "n,,", "p=tls-unique,,n=alice,r=x", "n,,n=al=ice,r=x",
                           "n,,n=alice,r=x y"}) {
    EXPECT_EQ(client({std::string("connect-raw:SCRAM-SHA-256:") + data, "expect-closed"}),
              "connack 0x87\nclosed\n")
        << data;
  }
  // Methods that are not offered: 0x8C.
  EXPECT_EQ(client({"connect-raw:SCRAM-SHA-1:n,,n=alice,r=x", "expect-closed"}),
            "connack 0x8c\nclosed\n");
  EXPECT_EQ(client({"connect-raw:SCRAM-SHA-256-PLUS:n,,n=alice,r=x", "expect-closed"}),
            "connack 0x8c\nclosed\n");
  // A User Name field naming someone else than the SCRAM user: 0x86 before any exchange.
  EXPECT_EQ(client({"connect:SCRAM-SHA-256:alice:alice-pw:id:bob"}), "connack 0x86\n");
  EXPECT_TRUE(gw_->process().running());
}

TEST_F(BrokerScram, NoScramEntriesMeansTheMethodIsNotOffered) {
  // A password file whose only user is PBKDF2: neither SCRAM method is offered.
  passwd_ = (files_.path() / "passwd-plain").string();
  add_user("carol", "carol-pw", "pbkdf2-sha512");
  start();
  EXPECT_EQ(client({"connect-raw:SCRAM-SHA-256:n,,n=carol,r=x", "expect-closed"}),
            "connack 0x8c\nclosed\n");
  EXPECT_EQ(client({"connect-raw:SCRAM-SHA-512:n,,n=carol,r=x", "expect-closed"}),
            "connack 0x8c\nclosed\n");
  // No SCRAM user to look like: no fake-salt key is written to the data directory.
  EXPECT_FALSE(std::filesystem::exists(gw_->dir().path() / "scram-salt.key"));
}

}  // namespace
}  // namespace gw::test
