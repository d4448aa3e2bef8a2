// The bridge over TLS (mqtts://) against a real mosquitto with a TLS listener. A throwaway PKI is
// made for each test with the openssl command line: a CA, a server certificate for 127.0.0.1 and
// localhost, a client certificate, and the certificates a careful client must refuse (another
// CA's, another host's). A refused server means: the attempt is counted as a connect failure, the
// messages stay in the outbox, nothing reaches the cloud; the same backlog is then delivered by a
// bridge whose TLS settings are right, which shows the refusal came from TLS and nothing else.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/bridge_harness.hpp"
#include "tests/support/mosquitto_process.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

std::vector<std::string> payloads(const std::vector<CloudClient::Received>& got) {
  std::vector<std::string> out;
  for (const auto& r : got) out.push_back(r.payload);
  return out;
}

std::vector<std::string> numbered(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(std::to_string(i));
  return out;
}

class BridgeTls : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = pki_.ca("test-ca");
    server_ = pki_.issue(ca_, "server", kLoopbackSan);
    client_ = pki_.issue(ca_, "client", "");
  }

  // Bridge options for `cloud` trusting our CA. Paho (1.3.12) starts the TLS handshake only on
  // the second turn of its 1 s receive cycle, so an attempt needs a little over 1 s: a 1 s connect
  // timeout would cut every attempt short.
  bridge::BridgeOptions options(const MosquittoProcess& cloud) {
    auto o = bridge_options(cloud.uri(), dir_.path().string());
    o.tls.ca_file = ca_.cert;
    o.connect_timeout = 3s;
    return o;
  }

  static void publish_numbered(LocalSide& local, int n) {
    for (int i = 0; i < n; ++i) local.publish("dev/sensor", std::to_string(i));
  }

  // The bridge is up, the messages are stored, and several connection attempts have failed
  // without one CONNACK: then nothing can have reached the cloud.
  static void expect_refused(LocalSide& local, CloudClient& sub, std::uint64_t rows) {
    ASSERT_TRUE(wait_until([&] {
      auto s = local.stats();
      return s.connect_failures >= 2 && s.outbox.rows == rows && s.outbox.pending_writes == 0;
    }, 20s)) << "connect failures: " << local.stats().connect_failures;
    const auto s = local.stats();
    EXPECT_EQ(s.connects, 0u);
    EXPECT_FALSE(s.connected);
    EXPECT_EQ(s.acked, 0u);
    EXPECT_EQ(s.outbox.rows, rows);
    EXPECT_EQ(sub.count(), 0u);
  }

  // A new bridge on the same outbox delivers the whole backlog, in order.
  static void expect_delivered(LocalSide& local, CloudClient& sub, int n) {
    ASSERT_TRUE(sub.wait_count(static_cast<std::size_t>(n), 20s)) << "received " << sub.count();
    EXPECT_EQ(payloads(sub.received()), numbered(n));
    EXPECT_TRUE(wait_until([&] { return local.stats().outbox.rows == 0; }, 20s));
    const auto s = local.stats();
    EXPECT_GE(s.connects, 1u);
    EXPECT_TRUE(s.server.starts_with("mqtts://")) << s.server;
  }

  TestPki pki_;
  CertFiles ca_;
  CertFiles server_;
  CertFiles client_;
  TempDir dir_;  // the outbox
};

TEST_F(BridgeTls, DeliversOverMqttsWhenServerChainsToConfiguredCa) {
  MosquittoProcess cloud({.tls = MosquittoTls{.ca_file = ca_.cert, .cert_file = server_.cert,
                                              .key_file = server_.key, .require_certificate = false}});
  CloudClient sub(cloud.plain_uri(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 1));

  LocalSide local;
  ASSERT_TRUE(local.start_bridge(options(cloud)));
  ASSERT_TRUE(wait_until([&] { return local.stats().connected; }, 20s))
      << "connect failures: " << local.stats().connect_failures << "\n" << cloud.output();
  constexpr int kN = 50;
  publish_numbered(local, kN);
  expect_delivered(local, sub, kN);
  EXPECT_EQ(sub.received().front().topic, "cloud/dev/sensor");
  EXPECT_EQ(local.stats().connect_failures, 0u);
}

TEST_F(BridgeTls, RefusesServerWhoseCertificateDoesNotChainToConfiguredCa) {
  const CertFiles rogue_ca = pki_.ca("rogue-ca");
  const CertFiles rogue = pki_.issue(rogue_ca, "rogue-server", kLoopbackSan);
  MosquittoProcess cloud({.tls = MosquittoTls{.ca_file = rogue_ca.cert, .cert_file = rogue.cert,
                                              .key_file = rogue.key, .require_certificate = false}});
  CloudClient sub(cloud.plain_uri(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 1));
  constexpr int kN = 10;

  LocalSide local;
  ASSERT_TRUE(local.start_bridge(options(cloud)));  // trusts test-ca only
  publish_numbered(local, kN);
  expect_refused(local, sub, kN);
  local.stop_bridge();
  local.destroy_bridge();

  // Control: trusting the CA that did sign it, the same backlog goes through.
  auto trusting = options(cloud);
  trusting.tls.ca_file = rogue_ca.cert;
  ASSERT_TRUE(local.start_bridge(trusting));
  expect_delivered(local, sub, kN);
}

TEST_F(BridgeTls, RefusesCertificateForAnotherHostWhenVerifyingHostname) {
  const CertFiles other = pki_.issue(ca_, "other-host", "DNS:cloud.example.invalid");
  MosquittoProcess cloud({.tls = MosquittoTls{.ca_file = ca_.cert, .cert_file = other.cert,
                                              .key_file = other.key, .require_certificate = false}});
  CloudClient sub(cloud.plain_uri(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 1));
  constexpr int kN = 10;

  LocalSide local;
  auto verifying = options(cloud);  // mqtts://127.0.0.1:port, a chain it trusts, the wrong name
  ASSERT_TRUE(verifying.tls.verify_peer);
  ASSERT_TRUE(verifying.tls.verify_hostname);
  ASSERT_TRUE(local.start_bridge(verifying));
  publish_numbered(local, kN);
  expect_refused(local, sub, kN);
  local.stop_bridge();
  local.destroy_bridge();

  // Control: the chain is fine, only the name is wrong; without the name check it connects.
  auto lenient = options(cloud);
  lenient.tls.verify_hostname = false;
  ASSERT_TRUE(local.start_bridge(lenient));
  expect_delivered(local, sub, kN);
}

TEST_F(BridgeTls, MutualTlsRefusesBridgeWithoutClientCertificateAndAcceptsItWithOne) {
  MosquittoProcess cloud({.tls = MosquittoTls{.ca_file = ca_.cert, .cert_file = server_.cert,
                                              .key_file = server_.key, .require_certificate = true}});
  CloudClient sub(cloud.plain_uri(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 1));
  constexpr int kN = 10;

  LocalSide local;
  ASSERT_TRUE(local.start_bridge(options(cloud)));  // no client certificate
  publish_numbered(local, kN);
  expect_refused(local, sub, kN);
  local.stop_bridge();
  local.destroy_bridge();

  auto with_cert = options(cloud);
  with_cert.tls.cert_file = client_.cert;
  with_cert.tls.key_file = client_.key;
  ASSERT_TRUE(local.start_bridge(with_cert));
  expect_delivered(local, sub, kN);
}

TEST_F(BridgeTls, MutualTlsRefusesClientCertificateFromAnotherCa) {
  const CertFiles rogue_ca = pki_.ca("rogue-ca");
  const CertFiles rogue_client = pki_.issue(rogue_ca, "rogue-client", "");
  MosquittoProcess cloud({.tls = MosquittoTls{.ca_file = ca_.cert, .cert_file = server_.cert,
                                              .key_file = server_.key, .require_certificate = true}});
  CloudClient sub(cloud.plain_uri(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 1));
  constexpr int kN = 5;

  LocalSide local;
  auto o = options(cloud);
  o.tls.cert_file = rogue_client.cert;
  o.tls.key_file = rogue_client.key;
  ASSERT_TRUE(local.start_bridge(o));
  publish_numbered(local, kN);
  expect_refused(local, sub, kN);
}

TEST_F(BridgeTls, MutualTlsWithKeyInCertFileAndWithEncryptedKey) {
  MosquittoProcess cloud({.tls = MosquittoTls{.ca_file = ca_.cert, .cert_file = server_.cert,
                                              .key_file = server_.key, .require_certificate = true}});
  CloudClient sub(cloud.plain_uri(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 1));
  LocalSide local;

  // key_file empty: the key follows the certificate in cert_file.
  auto combined = options(cloud);
  combined.tls.cert_file = pki_.combined(client_);
  ASSERT_TRUE(local.start_bridge(combined));
  publish_numbered(local, 5);
  expect_delivered(local, sub, 5);
  local.stop_bridge();
  local.destroy_bridge();

  // An encrypted key: with the wrong password the key cannot be loaded, so nothing connects.
  auto encrypted = options(cloud);
  encrypted.tls.cert_file = client_.cert;
  encrypted.tls.key_file = pki_.encrypt(client_.key, "s3cret");
  encrypted.tls.key_password = "wrong";
  ASSERT_TRUE(local.start_bridge(encrypted));
  local.publish("dev/sensor", "5");
  ASSERT_TRUE(wait_until([&] { return local.stats().connect_failures >= 2; }, 20s));
  EXPECT_EQ(local.stats().connects, 0u);
  EXPECT_EQ(sub.count(), 5u);
  local.stop_bridge();
  local.destroy_bridge();

  encrypted.tls.key_password = "s3cret";
  ASSERT_TRUE(local.start_bridge(encrypted));
  ASSERT_TRUE(sub.wait_count(6, 20s));
  EXPECT_EQ(sub.received().back().payload, "5");
}

}  // namespace
}  // namespace gw::test
