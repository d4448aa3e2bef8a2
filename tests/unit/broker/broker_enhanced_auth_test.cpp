// MQTT 5 enhanced authentication with SCRAM in the broker core (broker_enhanced_auth.cpp),
// through the in-memory transport: the exchange, what is held until it succeeds, the refusal
// codes, re-authentication, and the connect timeout. The client side of SCRAM is
// tests/support/scram_client.hpp.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "broker/auth/password_file.hpp"
#include "tests/support/scram_client.hpp"
#include "tests/unit/broker/broker_fixture.hpp"

namespace gw::broker {
namespace {

using auth::Hash;

using test::ScramClient;

Connect scram_connect(std::string id, const std::string& method, std::string first) {
  Connect c = connect_packet(std::move(id));
  c.props.authentication_method = method;
  c.props.authentication_data = std::move(first);
  return c;
}

Auth auth(AuthReason reason, const std::string& method, std::string data) {
  Auth a{.reason = reason};
  a.props.authentication_method = method;
  a.props.authentication_data = std::move(data);
  return a;
}

class EnhancedAuthTest : public BrokerTest {
 protected:
  void SetUp() override {
    auth::PasswordTable users;
    users["alice"] = auth::hash_password("alice-pw", 1000, auth::PasswordScheme::ScramSha256);
    users["bob"] = auth::hash_password("bob-pw", 1000, auth::PasswordScheme::ScramSha512);
    users["carol"] = auth::hash_password("carol-pw", 1000);  // PBKDF2 only
    broker_->set_users(std::move(users));
  }

  // Sends CONNECT with client-first; returns the server-first of the AUTH 0x18 answer.
  std::string begin(Conn& c, ScramClient& client, const std::string& method,
                    const std::string& id = "dev", std::uint32_t session_expiry = 0) {
    auto connect = scram_connect(id, method, client.first());
    if (session_expiry != 0) connect.props.session_expiry = session_expiry;
    c.send(connect);
    const auto got = c.received();
    EXPECT_EQ(got.size(), 1u);
    const auto auths = only<Auth>(got);
    if (auths.size() != 1) return {};
    EXPECT_EQ(auths[0].reason, AuthReason::ContinueAuthentication);
    EXPECT_EQ(auths[0].props.authentication_method, method);
    return auths[0].props.authentication_data.value_or("");
  }

  // Runs the io_context (the failure slow-down's timers are real) until `c` has an answer.
  std::vector<Packet> answer(Conn& c) {
    std::vector<Packet> got;
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    while (got.empty() && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_one_for(50ms);
      got = c.received();
    }
    return got;
  }

  // A connected SCRAM client "dev" as alice.
  void login(Conn& c, const std::string& id = "dev", std::uint32_t session_expiry = 0) {
    ScramClient client(Hash::Sha256, "alice", "alice-pw");
    const std::string first = begin(c, client, "SCRAM-SHA-256", id, session_expiry);
    c.send(auth(AuthReason::ContinueAuthentication, "SCRAM-SHA-256", client.final_for(first)));
    const auto acks = only<Connack>(c.received());
    ASSERT_EQ(acks.size(), 1u);
    ASSERT_EQ(acks[0].reason, ConnackReason::Success);
  }
};

TEST_F(EnhancedAuthTest, Sha256ExchangeEndsInConnackWithServerFinal) {
  Conn c(*broker_);
  ScramClient client(Hash::Sha256, "alice", "alice-pw");
  const std::string first = begin(c, client, "SCRAM-SHA-256");
  EXPECT_TRUE(first.starts_with("r=fyko+d2lbbFgONRv9qkxdawL")) << first;
  EXPECT_NE(first.find(",i=1000"), std::string::npos) << first;
  // The CONNECT is held: no session exists before the exchange succeeds.
  EXPECT_EQ(broker_->session_count(), 0u);
  c.send(auth(AuthReason::ContinueAuthentication, "SCRAM-SHA-256", client.final_for(first)));
  const auto acks = only<Connack>(c.received());
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].reason, ConnackReason::Success);
  EXPECT_EQ(acks[0].props.authentication_method, "SCRAM-SHA-256");
  EXPECT_EQ(acks[0].props.authentication_data, client.expected_final());
  EXPECT_EQ(broker_->session_count(), 1u);
  EXPECT_EQ(broker_->authenticator()->stats().accepted, 1u);
}

TEST_F(EnhancedAuthTest, Sha512ExchangeSucceeds) {
  Conn c(*broker_);
  ScramClient client(Hash::Sha512, "bob", "bob-pw");
  const std::string first = begin(c, client, "SCRAM-SHA-512");
  c.send(auth(AuthReason::ContinueAuthentication, "SCRAM-SHA-512", client.final_for(first)));
  const auto acks = only<Connack>(c.received());
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].reason, ConnackReason::Success);
  EXPECT_EQ(acks[0].props.authentication_data, client.expected_final());
}

TEST_F(EnhancedAuthTest, TakeoverWaitsUntilTheExchangeSucceeds) {
  Conn first_conn(*broker_);
  login(first_conn);
  Conn second(*broker_);
  ScramClient client(Hash::Sha256, "alice", "alice-pw");
  const std::string server_first = begin(second, client, "SCRAM-SHA-256");
  // Mid-exchange the existing connection is untouched.
  EXPECT_TRUE(first_conn.received().empty());
  EXPECT_FALSE(first_conn.closed());
  second.send(auth(AuthReason::ContinueAuthentication, "SCRAM-SHA-256",
                   client.final_for(server_first)));
  const auto gone = only<Disconnect>(first_conn.received());
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].reason, DisconnectReason::SessionTakenOver);
}

TEST_F(EnhancedAuthTest, WrongPasswordUnknownUserAndPbkdf2UserGet0x86) {
  const struct {
    const char* user;
    const char* password;
  } cases[] = {{"alice", "wrong"}, {"nobody", "x"}, {"carol", "carol-pw"}};
  int n = 0;
  for (const auto& k : cases) {
    // Each from its own address: a failure slows its address down.
    Conn c(*broker_, ProtocolVersion::V5, "192.0.2." + std::to_string(++n));
    ScramClient client(Hash::Sha256, k.user, k.password);
    const std::string first = begin(c, client, "SCRAM-SHA-256");
    EXPECT_NE(first.find(",i=1000"), std::string::npos) << k.user << ": " << first;
    c.send(auth(AuthReason::ContinueAuthentication, "SCRAM-SHA-256", client.final_for(first)));
    const auto acks = only<Connack>(answer(c));
    ASSERT_EQ(acks.size(), 1u) << k.user;
    EXPECT_EQ(acks[0].reason, ConnackReason::BadUserNameOrPassword) << k.user;
    EXPECT_FALSE(acks[0].props.authentication_method.has_value());
    EXPECT_TRUE(c.closed());
  }
  EXPECT_EQ(broker_->stats().auth_failures, 3u);
  EXPECT_EQ(broker_->authenticator()->stats().refused, 3u);
  EXPECT_EQ(broker_->session_count(), 0u);
}

TEST_F(EnhancedAuthTest, AFailedAddressIsRefusedWithoutAnExchangeWhileSlowedDown) {
  {
    Conn c(*broker_);
    ScramClient client(Hash::Sha256, "alice", "wrong");
    const std::string first = begin(c, client, "SCRAM-SHA-256");
    c.send(auth(AuthReason::ContinueAuthentication, "SCRAM-SHA-256", client.final_for(first)));
  }
  // The refusal of the first is still pending (its delay runs): the next attempt from the same
  // address gets no server-first, only a CONNACK 0x86 once the delay is over.
  Conn c(*broker_);
  ScramClient client(Hash::Sha256, "alice", "alice-pw");
  c.send(scram_connect("dev", "SCRAM-SHA-256", client.first()));
  EXPECT_TRUE(c.received().empty());
  const auto got = answer(c);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<Connack>(got[0]));
  EXPECT_EQ(std::get<Connack>(got[0]).reason, ConnackReason::BadUserNameOrPassword);
  EXPECT_EQ(broker_->authenticator()->stats().throttled, 1u);
}

TEST_F(EnhancedAuthTest, MethodsNotOfferedGet0x8C) {
  for (const char* method : {"SCRAM-SHA-1", "SCRAM-SHA-256-PLUS", "GS2-KRB5", ""}) {
    Conn c(*broker_);
    const auto ack = c.connect(scram_connect("dev", method, "n,,n=alice,r=abc"));
    EXPECT_EQ(ack.reason, ConnackReason::BadAuthenticationMethod) << method;
    EXPECT_TRUE(c.closed());
  }
  // Without a password file nothing is offered.
  asio::io_context io;
  Broker bare(io, options(), clock_);
  Conn c(bare);
  EXPECT_EQ(c.connect(scram_connect("dev", "SCRAM-SHA-256", "n,,n=alice,r=abc")).reason,
            ConnackReason::BadAuthenticationMethod);
}

TEST_F(EnhancedAuthTest, MalformedScramTextGets0x87) {
  for (const char* data : {"", "n,,", "x,,n=alice,r=a", "p=tls-unique,,n=alice,r=a",
                           "n,a=bob,n=alice,r=a", "n,,n=al=ice,r=a", "n,,n=alice,r=a b"}) {
    Conn c(*broker_);
    EXPECT_EQ(c.connect(scram_connect("dev", "SCRAM-SHA-256", data)).reason,
              ConnackReason::NotAuthorized)
        << data;
    EXPECT_TRUE(c.closed());
  }
  // A client-final that breaks the grammar (not a wrong proof): 0x87 at once.
  Conn c(*broker_);
  ScramClient client(Hash::Sha256, "alice", "alice-pw");
  begin(c, client, "SCRAM-SHA-256");
  c.send(auth(AuthReason::ContinueAuthentication, "SCRAM-SHA-256", "c=biws,r=other,p=AAAA"));
  const auto acks = only<Connack>(c.received());
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].reason, ConnackReason::NotAuthorized);
}

TEST_F(EnhancedAuthTest, ProtocolErrorsDuringTheExchange) {
  struct Case {
    const char* what;
    Packet packet;
    ConnackReason expected;
  };
  Auth no_method{.reason = AuthReason::ContinueAuthentication};
  const Case cases[] = {
      {"PUBLISH before CONNACK", publish_packet("a/b", "x"), ConnackReason::ProtocolError},
      {"AUTH without method", no_method, ConnackReason::ProtocolError},
      {"AUTH with another method", auth(AuthReason::ContinueAuthentication, "SCRAM-SHA-512", "x"),
       ConnackReason::BadAuthenticationMethod},
      {"AUTH 0x19 mid-exchange", auth(AuthReason::ReAuthenticate, "SCRAM-SHA-256", "x"),
       ConnackReason::ProtocolError},
      {"AUTH 0x00 from the client", auth(AuthReason::Success, "SCRAM-SHA-256", "x"),
       ConnackReason::ProtocolError},
  };
  for (const auto& k : cases) {
    Conn c(*broker_);
    ScramClient client(Hash::Sha256, "alice", "alice-pw");
    begin(c, client, "SCRAM-SHA-256");
    c.send(k.packet);
    const auto acks = only<Connack>(c.received());
    ASSERT_EQ(acks.size(), 1u) << k.what;
    EXPECT_EQ(acks[0].reason, k.expected) << k.what;
    EXPECT_TRUE(c.closed()) << k.what;
  }
  // DISCONNECT mid-exchange just ends it.
  Conn c(*broker_);
  ScramClient client(Hash::Sha256, "alice", "alice-pw");
  begin(c, client, "SCRAM-SHA-256");
  c.send(Disconnect{});
  EXPECT_TRUE(c.received().empty());
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(broker_->session_count(), 0u);
}

TEST_F(EnhancedAuthTest, UserNameFieldMustNameTheScramUser) {
  Conn c(*broker_);
  auto connect = scram_connect("dev", "SCRAM-SHA-256", "n,,n=alice,r=abc");
  connect.username = "bob";
  EXPECT_EQ(c.connect(connect).reason, ConnackReason::BadUserNameOrPassword);
}

TEST_F(EnhancedAuthTest, ConnectTimeoutBoundsAStalledExchange) {
  Conn c(*broker_);
  ScramClient client(Hash::Sha256, "alice", "alice-pw");
  begin(c, client, "SCRAM-SHA-256");
  clock_.advance(4s);
  broker_->tick();
  EXPECT_FALSE(c.closed());
  clock_.advance(1s);  // options().connect_timeout is 5 s
  broker_->tick();
  EXPECT_TRUE(c.closed());
}

TEST_F(EnhancedAuthTest, ReauthenticationSucceedsWhileTrafficFlows) {
  Conn c(*broker_);
  login(c);
  c.send(subscribe_packet("t/#"));
  c.received();
  ScramClient again(Hash::Sha256, "alice", "alice-pw");
  c.send(auth(AuthReason::ReAuthenticate, "SCRAM-SHA-256", again.first()));
  const auto mid = only<Auth>(c.received());
  ASSERT_EQ(mid.size(), 1u);
  EXPECT_EQ(mid[0].reason, AuthReason::ContinueAuthentication);
  // The session keeps working during the exchange (MQTT 5 §4.12.1).
  c.send(publish_packet("t/1", "during", QoS::AtLeastOnce));
  const auto during = c.received();
  EXPECT_EQ(only<Puback>(during).size(), 1u);
  EXPECT_EQ(only<Publish>(during).size(), 1u);
  c.send(auth(AuthReason::ContinueAuthentication, "SCRAM-SHA-256",
              again.final_for(mid[0].props.authentication_data.value_or(""))));
  const auto done = only<Auth>(c.received());
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].reason, AuthReason::Success);
  EXPECT_EQ(done[0].props.authentication_method, "SCRAM-SHA-256");
  EXPECT_EQ(done[0].props.authentication_data, again.expected_final());
  EXPECT_FALSE(c.closed());
}

TEST_F(EnhancedAuthTest, FailedReauthenticationDisconnectsWith0x87) {
  Conn c(*broker_);
  login(c);
  ScramClient again(Hash::Sha256, "alice", "wrong");
  c.send(auth(AuthReason::ReAuthenticate, "SCRAM-SHA-256", again.first()));
  const auto mid = only<Auth>(c.received());
  ASSERT_EQ(mid.size(), 1u);
  c.send(auth(AuthReason::ContinueAuthentication, "SCRAM-SHA-256",
              again.final_for(mid[0].props.authentication_data.value_or(""))));
  // Until its DISCONNECT nothing more is served on the old authorisation [MQTT-4.12.1-2].
  c.send(publish_packet("t/1", "after a failed re-authentication", QoS::AtLeastOnce));
  const auto after = answer(c);
  EXPECT_TRUE(only<Puback>(after).empty());
  const auto got = only<Disconnect>(after);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].reason, DisconnectReason::NotAuthorized);
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(broker_->stats().auth_failures, 1u);
}

TEST_F(EnhancedAuthTest, ReauthenticationRulesAreEnforced) {
  struct Case {
    const char* what;
    Auth packet;
    DisconnectReason expected;
  };
  Auth no_method{.reason = AuthReason::ReAuthenticate};
  const Case cases[] = {
      {"another method", auth(AuthReason::ReAuthenticate, "SCRAM-SHA-512", "n,,n=alice,r=a"),
       DisconnectReason::BadAuthenticationMethod},
      {"no method", no_method, DisconnectReason::ProtocolError},
      {"0x18 outside an exchange", auth(AuthReason::ContinueAuthentication, "SCRAM-SHA-256", "x"),
       DisconnectReason::ProtocolError},
      {"another user", auth(AuthReason::ReAuthenticate, "SCRAM-SHA-256", "n,,n=bob,r=a"),
       DisconnectReason::NotAuthorized},
      {"malformed client-first", auth(AuthReason::ReAuthenticate, "SCRAM-SHA-256", "n,,r=a"),
       DisconnectReason::NotAuthorized},
  };
  for (const auto& k : cases) {
    Conn c(*broker_);
    login(c, std::string("dev-") + k.what);
    c.send(k.packet);
    const auto got = only<Disconnect>(c.received());
    ASSERT_EQ(got.size(), 1u) << k.what;
    EXPECT_EQ(got[0].reason, k.expected) << k.what;
    EXPECT_TRUE(c.closed()) << k.what;
  }
}

TEST_F(EnhancedAuthTest, AuthFromAClientWithoutAMethodIsAProtocolError) {
  Conn c(*broker_);
  ASSERT_EQ(c.connect(connect_packet("plain")).reason, ConnackReason::Success);
  c.send(auth(AuthReason::ReAuthenticate, "SCRAM-SHA-256", "n,,n=alice,r=a"));
  const auto got = only<Disconnect>(c.received());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].reason, DisconnectReason::ProtocolError);
}

TEST_F(EnhancedAuthTest, TheScramUserOwnsTheSession) {
  Conn c(*broker_);
  login(c, "owned", 3600);
  c.drop();
  ASSERT_EQ(broker_->session_count(), 1u);
  // Another user with a password login may not take the session over.
  Conn other(*broker_);
  auto connect = connect_packet("owned");
  connect.username = "carol";
  connect.password = "carol-pw";
  other.send(connect);
  const auto acks = only<Connack>(answer(other));
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].reason, ConnackReason::NotAuthorized);
}

}  // namespace
}  // namespace gw::broker
