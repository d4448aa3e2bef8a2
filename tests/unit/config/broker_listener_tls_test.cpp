// broker.listeners[].tls: every key, and every problem reported with its position. The files
// are real: a throwaway PKI made with the openssl command line.
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/broker_section.hpp"
#include "load_helpers.hpp"
#include "tests/support/test_pki.hpp"

namespace gw::config {
namespace {

using test::errors;
using test::load;
using ::testing::HasSubstr;
using gw::test::CertFiles;
using Tls = broker::ListenerTlsOptions;

class ListenerTls : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = pki_.ca("ca");
    server_ = pki_.issue(ca_, "server", gw::test::kLoopbackSan);
  }

  // A broker section with one TLS listener on line 3; its tls: keys start on line 5.
  std::string yaml(const std::string& tls_keys) const {
    return "broker:\n  listeners:\n    - bind: 127.0.0.1:8883\n      tls:\n" + tls_keys;
  }
  std::string cert_and_key() const {
    return "        cert_file: " + server_.cert + "\n        key_file: " + server_.key + "\n";
  }

  gw::test::TestPki pki_;
  CertFiles ca_;
  CertFiles server_;
};

TEST_F(ListenerTls, ListenersHaveNoTlsByDefault) {
  auto r = load("broker:\n  listeners:\n    - bind: 127.0.0.1:1883\n");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_FALSE(r.config->broker.listeners[0].tls);
}

TEST_F(ListenerTls, ParsesEveryKey) {
  const std::string encrypted = pki_.encrypt(server_.key, "s3cret");
  auto r = load(yaml("        cert_file: " + server_.cert + "\n        key_file: " + encrypted +
                     "\n        key_password: s3cret\n        ca_file: " + ca_.cert +
                     "\n        require_client_certificate: true\n"
                     "        identity_as_username: san_dns\n        min_version: \"1.3\"\n"
                     "        ciphers: ECDHE+AESGCM\n"));
  ASSERT_TRUE(r.config) << r.report;
  const auto& t = r.config->broker.listeners[0].tls;
  ASSERT_TRUE(t);
  EXPECT_EQ(t->cert_file, server_.cert);
  EXPECT_EQ(t->key_file, encrypted);
  EXPECT_EQ(t->key_password, "s3cret");
  EXPECT_EQ(t->ca_file, ca_.cert);
  EXPECT_TRUE(t->require_client_certificate);
  EXPECT_EQ(t->identity_as_username, Tls::Identity::SanDns);
  EXPECT_EQ(t->min_version, Tls::Version::Tls13);
  EXPECT_EQ(t->ciphers, "ECDHE+AESGCM");
}

TEST_F(ListenerTls, HasSafeDefaults) {
  auto r = load(yaml(cert_and_key()));
  ASSERT_TRUE(r.config) << r.report;
  const auto& t = *r.config->broker.listeners[0].tls;
  EXPECT_EQ(t.ca_file, "");
  EXPECT_FALSE(t.require_client_certificate);
  EXPECT_EQ(t.identity_as_username, Tls::Identity::None);
  EXPECT_EQ(t.min_version, Tls::Version::Tls12);
  EXPECT_EQ(t.ciphers, "");
}

TEST_F(ListenerTls, KeyMayBeInTheCertificateFile) {
  auto r = load(yaml("        cert_file: " + pki_.combined(server_) + "\n"));
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.config->broker.listeners[0].tls->key_file, "");
}

TEST_F(ListenerTls, IdentityWordsAreCnSanDnsSanEmailNone) {
  for (const auto& [word, kind] : {std::pair{"none", Tls::Identity::None},
                                   std::pair{"cn", Tls::Identity::CommonName},
                                   std::pair{"san_dns", Tls::Identity::SanDns},
                                   std::pair{"san_email", Tls::Identity::SanEmail}}) {
    auto r = load(yaml(cert_and_key() + "        ca_file: " + ca_.cert +
                       "\n        identity_as_username: " + word + "\n"));
    ASSERT_TRUE(r.config) << r.report;
    EXPECT_EQ(r.config->broker.listeners[0].tls->identity_as_username, kind) << word;
  }
  EXPECT_EQ(errors(yaml(cert_and_key() + "        ca_file: " + ca_.cert +
                        "\n        identity_as_username: common_name\n")),
            "t.yaml:8:31: error: broker.listeners[0].tls.identity_as_username: 'common_name' is "
            "not one of none, cn, san_dns, san_email\n");
}

TEST_F(ListenerTls, MinVersionIs12Or13) {
  EXPECT_EQ(errors(yaml(cert_and_key() + "        min_version: \"1.1\"\n")),
            "t.yaml:7:22: error: broker.listeners[0].tls.min_version: '1.1' is not one of 1.2, "
            "1.3; did you mean '1.2'?\n");
}

TEST_F(ListenerTls, CertFileIsRequired) {
  EXPECT_THAT(errors(yaml("        key_file: " + server_.key + "\n")),
              HasSubstr("t.yaml:5:9: error: broker.listeners[0].tls: missing required key 'cert_file'"));
}

TEST_F(ListenerTls, UnknownKeysAreErrors) {
  EXPECT_THAT(errors(yaml(cert_and_key() + "        verify_peer: true\n")),
              HasSubstr("t.yaml:7:9: error: broker.listeners[0].tls.verify_peer: unknown key"));
}

TEST_F(ListenerTls, UnreadableFilesAreReportedAtTheirKey) {
  EXPECT_EQ(errors(yaml("        cert_file: /nonexistent/server.pem\n")),
            "t.yaml:5:20: error: broker.listeners[0].tls.cert_file: cannot read "
            "'/nonexistent/server.pem': No such file or directory\n");
  EXPECT_EQ(errors(yaml("        cert_file: " + server_.cert + "\n        key_file: /nonexistent/k\n")),
            "t.yaml:6:19: error: broker.listeners[0].tls.key_file: cannot read '/nonexistent/k': "
            "No such file or directory\n");
  EXPECT_EQ(errors(yaml(cert_and_key() + "        ca_file: /nonexistent/ca.pem\n")),
            "t.yaml:7:18: error: broker.listeners[0].tls.ca_file: cannot read "
            "'/nonexistent/ca.pem': No such file or directory\n");
}

TEST_F(ListenerTls, FilesThatAreNotWhatTheySayAreErrors) {
  const std::string text = pki_.dir().write("notes.txt", "not PEM at all\n");
  EXPECT_THAT(errors(yaml("        cert_file: " + text + "\n        key_file: " + server_.key + "\n")),
              HasSubstr("t.yaml:5:20: error: broker.listeners[0].tls.cert_file: no certificate in '" +
                        text + "': "));
  EXPECT_THAT(errors(yaml("        cert_file: " + server_.cert + "\n        key_file: " + text + "\n")),
              HasSubstr("t.yaml:6:19: error: broker.listeners[0].tls.key_file: cannot load the "
                        "private key from '" + text + "'"));
  EXPECT_THAT(errors(yaml(cert_and_key() + "        ca_file: " + text + "\n")),
              HasSubstr("t.yaml:7:18: error: broker.listeners[0].tls.ca_file: no CA certificate in '" +
                        text + "'"));
}

TEST_F(ListenerTls, KeyMustBelongToTheCertificate) {
  const CertFiles other = pki_.issue(ca_, "other", "");
  EXPECT_EQ(errors(yaml("        cert_file: " + server_.cert + "\n        key_file: " + other.key + "\n")),
            "t.yaml:6:19: error: broker.listeners[0].tls.key_file: the private key in '" + other.key +
                "' does not belong to the certificate in '" + server_.cert + "'\n");
}

TEST_F(ListenerTls, EncryptedKeyNeedsItsPassword) {
  const std::string encrypted = pki_.encrypt(server_.key, "s3cret");
  const std::string base = "        cert_file: " + server_.cert + "\n        key_file: " + encrypted + "\n";
  EXPECT_THAT(errors(yaml(base)),
              HasSubstr("t.yaml:6:19: error: broker.listeners[0].tls.key_file: cannot load the "
                        "private key from '" + encrypted + "': "));
  EXPECT_THAT(errors(yaml(base)), HasSubstr("(an encrypted key needs key_password)"));
  EXPECT_THAT(errors(yaml(base + "        key_password: wrong\n")),
              HasSubstr("t.yaml:7:23: error: broker.listeners[0].tls.key_password: cannot load the "
                        "private key"));
  // From a secret file, as every *_password.
  const std::string secret = pki_.dir().write("key-password", "s3cret\n");
  auto r = load(yaml(base + "        key_password_file: " + secret + "\n"));
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.config->broker.listeners[0].tls->key_password, "s3cret");
}

TEST_F(ListenerTls, ClientCertificatesNeedACaFile) {
  EXPECT_EQ(errors(yaml(cert_and_key() + "        require_client_certificate: true\n")),
            "t.yaml:7:37: error: broker.listeners[0].tls.require_client_certificate: needs "
            "ca_file, the CA certificates client certificates must be signed by\n");
  EXPECT_EQ(errors(yaml(cert_and_key() + "        identity_as_username: cn\n")),
            "t.yaml:7:31: error: broker.listeners[0].tls.identity_as_username: needs ca_file: only "
            "a certificate signed by a trusted CA can name a user\n");
}

TEST_F(ListenerTls, BadCipherListIsAnError) {
  EXPECT_THAT(errors(yaml(cert_and_key() + "        ciphers: NO-SUCH-CIPHER\n")),
              HasSubstr("t.yaml:7:18: error: broker.listeners[0].tls.ciphers: 'NO-SUCH-CIPHER': "));
}

TEST_F(ListenerTls, UserRulesApplyToCertificateIdentitiesWithoutAPasswordFile) {
  auto r = load(yaml(cert_and_key() + "        ca_file: " + ca_.cert +
                     "\n        identity_as_username: cn\n") +
                "  acl:\n    - {user: alice, topic: a/#, allow: publish}\n");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.report, "");  // no "this rule never applies" warning
}

}  // namespace
}  // namespace gw::config
