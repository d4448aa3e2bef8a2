// The bridge over TLS (mqtts://) against a real mosquitto with a TLS listener. A throwaway PKI is
// made for each test with the openssl command line: a CA, a server certificate for 127.0.0.1 and
// localhost, a client certificate, and the certificates a careful client must refuse (another
// CA's, another host's). A refused server means: the attempt is counted as a connect failure, the
// messages stay in the outbox, nothing reaches the cloud; the same backlog is then delivered by a
// bridge whose TLS settings are right, which shows the refusal came from TLS and nothing else.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/bridge_harness.hpp"
#include "tests/support/mosquitto_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

// A certificate and its private key, as PEM files.
struct CertFiles {
  std::string cert;
  std::string key;
};

// A scratch PKI. Thread safety: one test thread.
class TestPki {
 public:
  TestPki() {
    // Everything on the command line or in this file: the machine's openssl.cnf plays no part.
    config_ = dir_.write("req.cnf",
                         "[req]\n"
                         "distinguished_name = dn\n"
                         "[dn]\n"
                         "[ca_ext]\n"
                         "basicConstraints = critical,CA:TRUE\n"
                         "keyUsage = critical,keyCertSign,cRLSign\n"
                         "subjectKeyIdentifier = hash\n");
  }

  // A self-signed CA.
  CertFiles ca(const std::string& name) {
    CertFiles ca{path(name + ".pem"), path(name + ".key")};
    openssl({"req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", ca.key, "-out", ca.cert, "-days", "2", "-subj", "/CN=" + name,
             "-config", config_, "-extensions", "ca_ext"});
    return ca;
  }

  // A leaf certificate signed by `ca`, usable by a server and a client; `san` is a
  // subjectAltName value ("IP:127.0.0.1,DNS:localhost") or empty for none.
  CertFiles issue(const CertFiles& ca, const std::string& name, const std::string& san) {
    CertFiles leaf{path(name + ".pem"), path(name + ".key")};
    const std::string csr = path(name + ".csr");
    std::string ext =
        "basicConstraints = critical,CA:FALSE\n"
        "keyUsage = critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage = serverAuth,clientAuth\n";
    if (!san.empty()) ext += "subjectAltName = " + san + "\n";
    const std::string ext_file = dir_.write(name + ".ext", ext);
    openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", leaf.key, "-out", csr, "-subj", "/CN=" + name, "-config", config_});
    openssl({"x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-set_serial",
             std::to_string(++serial_), "-days", "2", "-out", leaf.cert, "-extfile", ext_file});
    return leaf;
  }

  // `key` encrypted with `password` (AES-256).
  std::string encrypt(const std::string& key, const std::string& password) {
    const std::string out = key + ".enc";
    openssl({"pkey", "-in", key, "-aes256", "-passout", "pass:" + password, "-out", out});
    return out;
  }

  // The certificate followed by its key, in one file.
  std::string combined(const CertFiles& files) {
    const std::string out = files.cert + ".with-key";
    return dir_.write(std::filesystem::path(out).filename().string(), read(files.cert) + read(files.key));
  }

 private:
  std::string path(const std::string& name) const { return (dir_.path() / name).string(); }

  static std::string read(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + file);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  static void openssl(std::vector<std::string> args) {
    args.insert(args.begin(), "openssl");
    auto r = run(args, 20s);
    if (r.code != 0) throw std::runtime_error("openssl " + args[1] + " failed: " + r.output);
  }

  TempDir dir_;
  std::string config_;
  int serial_ = 1000;
};

// 127.0.0.1 and localhost: what a server certificate for these tests must name.
constexpr const char* kLoopbackSan = "IP:127.0.0.1,DNS:localhost";

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
