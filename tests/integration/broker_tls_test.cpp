// TLS listeners of the broker, end to end: the real edge-gateway binary with a TLS listener next
// to its plain one, against mosquitto_pub / mosquitto_sub (--cafile, --cert/--key,
// --tls-version), openssl s_client and raw TCP. Each test makes a throwaway PKI with the openssl
// command line (tests/support/test_pki.hpp).
#include <csignal>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/gateway_process.hpp"
#include "tests/support/process.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/test_pki.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

class BrokerTls : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = pki_.ca("test-ca");
    server_ = pki_.issue(ca_, "server", kLoopbackSan);
    alice_ = pki_.issue(ca_, "alice", "email:alice@plant.example");
    rogue_ca_ = pki_.ca("rogue-ca");
    // mosquitto's --tls-version sets the oldest version it accepts, not the newest: a client
    // limited to TLS 1.2 is made with OpenSSL's own configuration file instead.
    tls12_conf_ = pki_.dir().write("tls12-only.cnf",
                                   "openssl_conf = conf\n[conf]\nssl_conf = ssl\n"
                                   "[ssl]\nsystem_default = sys\n[sys]\nMaxProtocol = TLSv1.2\n");
  }

  // The gateway with a second listener, with TLS: `tls_extra` adds keys to its tls: mapping
  // (8 spaces in), `broker_extra` to the broker: section (2 spaces in).
  void start(const std::string& tls_extra = "", const std::string& broker_extra = "") {
    const std::string yaml = "    - bind: 127.0.0.1:0\n"
                             "      name: secure\n"
                             "      tls:\n"
                             "        cert_file: " + server_.cert + "\n" +
                             "        key_file: " + server_.key + "\n" + tls_extra + broker_extra;
    gw_ = std::make_unique<GatewayProcess>(yaml, "metrics:\n  enabled: true\n  listen: 127.0.0.1:0\n");
    ASSERT_TRUE(gw_->ready()) << gw_->process().output();
    wait_until([&] {
      tls_port_ = port_after(gw_->process().output(), "listening on 127.0.0.1:", 1);
      metrics_port_ = port_after(gw_->process().output(), "metrics: serving http://127.0.0.1:");
      return (tls_port_ != 0 && metrics_port_ != 0) || !gw_->process().running();
    });
    ASSERT_NE(tls_port_, 0) << gw_->process().output();
    ASSERT_THAT(gw_->process().output(), HasSubstr(std::to_string(tls_port_) + " with TLS (secure)"));
  }

  [[nodiscard]] std::string output() const { return gw_->process().output(); }

  // mosquitto_pub/sub arguments for the TLS port, trusting `ca` (our CA unless told otherwise).
  std::vector<std::string> args(const char* tool, std::vector<std::string> extra,
                                const std::string& ca = "") const {
    std::vector<std::string> a{tool, "-h", "127.0.0.1", "-p", std::to_string(tls_port_),
                               "--cafile", ca.empty() ? ca_.cert : ca};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  // Arguments that run a client able to speak TLS 1.2 and nothing newer.
  std::vector<std::string> tls12_only(std::vector<std::string> argv) const {
    argv.insert(argv.begin(), {"env", "OPENSSL_CONF=" + tls12_conf_});
    return argv;
  }

  static std::vector<std::string> with_cert(const CertFiles& c, std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), {"--cert", c.cert, "--key", c.key});
    return extra;
  }

  RunResult pub(std::vector<std::string> extra, const std::string& ca = "") const {
    return run(args("mosquitto_pub", std::move(extra), ca), 20s);
  }
  RunResult pub12(std::vector<std::string> extra) const {
    return run(tls12_only(args("mosquitto_pub", std::move(extra))), 20s);
  }

  // A subscriber that has its SUBACK when this returns (or has failed: check running()).
  std::unique_ptr<Process> sub(std::vector<std::string> extra, const std::string& ca = "",
                               bool tls12 = false) const {
    auto a = args("mosquitto_sub", std::move(extra), ca);
    if (tls12) a = tls12_only(std::move(a));
    a.insert(a.end(), {"-v", "-d", "-W", "15"});
    a.insert(a.begin(), {"stdbuf", "-oL"});
    auto p = std::make_unique<Process>(a);
    wait_until([&] { return p->output().find("SUBACK") != std::string::npos || !p->running(); });
    return p;
  }

  static bool received(Process& p, const std::string& line) {
    return wait_until([&] { return p.output().find(line) != std::string::npos || !p.running(); }) &&
           p.output().find(line) != std::string::npos;
  }

  // The serial number of the certificate the TLS port serves, by openssl s_client ("serial=3EA").
  std::string served_serial() const {
    const auto r = run({"sh", "-c",
                        "openssl s_client -connect 127.0.0.1:" + std::to_string(tls_port_) +
                            " -CAfile " + ca_.cert +
                            " </dev/null 2>/dev/null | openssl x509 -noout -serial"},
                       20s);
    return r.code == 0 ? r.output : "s_client failed: " + r.output;
  }

  std::string metric(const std::string& name) const {
    const auto r = run({"curl", "--silent", "--max-time", "5",
                        "http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics"},
                       10s);
    for (std::size_t at = r.output.find(name + " "); at != std::string::npos;
         at = r.output.find(name + " ", at + 1)) {
      if (at == 0 || r.output[at - 1] == '\n') {
        const auto end = r.output.find('\n', at);
        return r.output.substr(at + name.size() + 1, end - at - name.size() - 1);
      }
    }
    return "missing";
  }

  // Replaces the listener's certificate and key files in place, sends SIGHUP and returns once
  // the reload is over (applied, or refused because the new configuration has errors).
  void replace_and_reload(const std::string& cert_from, const std::string& key_from) {
    const auto finished = [&] {
      return count(output(), "reload done") + count(output(), "the running configuration stays");
    };
    const auto before = finished();
    namespace fs = std::filesystem;
    fs::copy_file(cert_from, server_.cert, fs::copy_options::overwrite_existing);
    fs::copy_file(key_from, server_.key, fs::copy_options::overwrite_existing);
    gw_->process().signal(SIGHUP);
    ASSERT_TRUE(wait_until([&] { return finished() > before; })) << output();
  }

  TestPki pki_;
  CertFiles ca_, server_, alice_, rogue_ca_;
  std::string tls12_conf_;
  std::unique_ptr<GatewayProcess> gw_;
  std::uint16_t tls_port_ = 0;
  std::uint16_t metrics_port_ = 0;
};

TEST_F(BrokerTls, DeliversOverTls12AndTls13) {
  start();
  auto s12 = sub({"-t", "plant/#"}, "", /*tls12=*/true);
  ASSERT_TRUE(s12->running()) << s12->output();
  auto s13 = sub({"-t", "plant/#", "--tls-version", "tlsv1.3", "-V", "mqttv311"});
  ASSERT_TRUE(s13->running()) << s13->output();
  const auto p = pub({"-t", "plant/boiler", "-m", "21.5", "-q", "1", "--tls-version", "tlsv1.3"});
  ASSERT_EQ(p.code, 0) << p.output;
  EXPECT_TRUE(received(*s12, "plant/boiler 21.5")) << s12->output();
  EXPECT_TRUE(received(*s13, "plant/boiler 21.5")) << s13->output();
  // The plain listener next to it is unaffected.
  auto plain = run({"mosquitto_pub", "-h", "127.0.0.1", "-p", gw_->port_str(), "-t", "plant/x",
                    "-m", "plain"}, 20s);
  EXPECT_EQ(plain.code, 0) << plain.output;
  EXPECT_TRUE(received(*s12, "plant/x plain")) << s12->output();
}

TEST_F(BrokerTls, MinVersion13RefusesATls12Client) {
  start("        min_version: \"1.3\"\n");
  const auto old = pub12({"-t", "t", "-m", "m"});
  EXPECT_NE(old.code, 0) << old.output;
  EXPECT_TRUE(wait_until([&] { return output().find("TLS handshake with 127.0.0.1:") != std::string::npos; }))
      << output();
  EXPECT_THAT(output(), HasSubstr("failed: unsupported protocol (1 failed so far)"));
  const auto current = pub({"-t", "t", "-m", "m", "--tls-version", "tlsv1.3"});
  EXPECT_EQ(current.code, 0) << current.output;
  EXPECT_EQ(metric("edge_gateway_mqtt_tls_handshake_failures_total"), "1");
}

TEST_F(BrokerTls, ClientRefusesAServerFromAnotherCa) {
  start();
  // Another CA's trust store: the server certificate does not chain to it.
  const auto foreign = pub({"-t", "t", "-m", "m"}, rogue_ca_.cert);
  EXPECT_NE(foreign.code, 0) << foreign.output;
  // The client gave up during the handshake: the server counted it.
  EXPECT_TRUE(wait_until([&] { return metric("edge_gateway_mqtt_tls_handshake_failures_total") == "1"; }))
      << output();
  const auto ours = pub({"-t", "t", "-m", "m"});
  EXPECT_EQ(ours.code, 0) << ours.output;
}

TEST_F(BrokerTls, ClientRefusesACertificateForAnotherHost) {
  server_ = pki_.issue(ca_, "elsewhere", "DNS:elsewhere.example.invalid");
  start();
  // The right CA, but the certificate does not name 127.0.0.1.
  const auto wrong_host = pub({"-t", "t", "-m", "m"});
  EXPECT_NE(wrong_host.code, 0) << wrong_host.output;
  // The same certificate is fine for a client that skips the host name check: the refusal above
  // was the host name and nothing else.
  const auto insecure = pub({"-t", "t", "-m", "m", "--insecure"});
  EXPECT_EQ(insecure.code, 0) << insecure.output;
}

TEST_F(BrokerTls, MutualTlsNeedsACertificateFromTheConfiguredCa) {
  start("        ca_file: " + ca_.cert + "\n        require_client_certificate: true\n");
  const auto with_ours = pub(with_cert(alice_, {"-t", "t", "-m", "m", "-q", "1"}));
  EXPECT_EQ(with_ours.code, 0) << with_ours.output;

  const auto without = pub({"-t", "t", "-m", "m"});
  EXPECT_NE(without.code, 0) << without.output;

  const CertFiles mallory = pki_.issue(rogue_ca_, "mallory", "");
  const auto foreign = pub(with_cert(mallory, {"-t", "t", "-m", "m"}));
  EXPECT_NE(foreign.code, 0) << foreign.output;

  EXPECT_TRUE(wait_until([&] { return metric("edge_gateway_mqtt_tls_handshake_failures_total") == "2"; }))
      << output();
  EXPECT_THAT(output(), HasSubstr("peer did not return a certificate"));
  EXPECT_THAT(output(), HasSubstr("certificate verify failed"));
}

TEST_F(BrokerTls, CertificateCommonNameIsTheUserNameForTheAcl) {
  const CertFiles bob = pki_.issue(ca_, "bob", "");
  start("        ca_file: " + ca_.cert + "\n        identity_as_username: cn\n",
        "  allow_anonymous: false\n"
        "  acl:\n"
        "    - {topic: \"users/%u/#\", allow: [publish, subscribe, receive]}\n"
        "    - {user: alice, topic: \"plant/#\", allow: [publish, subscribe, receive]}\n");
  auto watcher = sub(with_cert(alice_, {"-t", "plant/#", "-t", "users/alice/#", "-V", "mqttv5"}));
  ASSERT_TRUE(watcher->running()) << watcher->output();
  ASSERT_THAT(watcher->output(), Not(HasSubstr("Subscribed (mid: 1): 135")));
  auto bob_watcher = sub(with_cert(bob, {"-t", "users/bob/#"}));
  ASSERT_TRUE(bob_watcher->running()) << bob_watcher->output();

  // alice, by her certificate alone (no user name, no password), may publish to plant/#.
  const auto alice = pub(with_cert(alice_, {"-t", "plant/boiler", "-m", "from-alice", "-q", "1"}));
  EXPECT_EQ(alice.code, 0) << alice.output;
  EXPECT_TRUE(received(*watcher, "plant/boiler from-alice")) << watcher->output();

  // bob may not (PUBACK 0x87 in MQTT 5); %u is his certificate's name.
  const auto bob_plant = pub(with_cert(bob, {"-t", "plant/boiler", "-m", "from-bob", "-q", "1",
                                             "-V", "mqttv5"}));
  EXPECT_THAT(bob_plant.output, HasSubstr("Not authorized")) << bob_plant.output;
  const auto bob_own = pub(with_cert(bob, {"-t", "users/bob/x", "-m", "bob-own", "-q", "1"}));
  EXPECT_EQ(bob_own.code, 0) << bob_own.output;
  const auto bob_as_alice = pub(with_cert(bob, {"-t", "users/alice/x", "-m", "spoof", "-q", "1",
                                                "-V", "mqttv5"}));
  EXPECT_THAT(bob_as_alice.output, HasSubstr("Not authorized")) << bob_as_alice.output;

  // A user name in CONNECT must be the certificate's: the same is accepted, another refused.
  const auto same = pub(with_cert(alice_, {"-t", "plant/a", "-m", "named", "-u", "alice"}));
  EXPECT_EQ(same.code, 0) << same.output;
  const auto claims = pub(with_cert(bob, {"-t", "plant/a", "-m", "claim", "-u", "alice", "-P", "x"}));
  EXPECT_NE(claims.code, 0) << claims.output;
  EXPECT_THAT(output(), HasSubstr("user name 'alice' is not the certificate's 'bob'"));

  // Without a certificate the client is anonymous, which this broker refuses.
  const auto anonymous = pub({"-t", "plant/a", "-m", "anon"});
  EXPECT_NE(anonymous.code, 0) << anonymous.output;

  const auto published = pub(with_cert(alice_, {"-t", "plant/end", "-m", "end", "-q", "1"}));
  ASSERT_TRUE(received(*watcher, "plant/end end")) << watcher->output();
  EXPECT_TRUE(received(*bob_watcher, "users/bob/x bob-own")) << bob_watcher->output();
  EXPECT_THAT(watcher->output(), Not(HasSubstr("from-bob")));
  EXPECT_THAT(watcher->output(), Not(HasSubstr("spoof")));
  EXPECT_THAT(watcher->output(), Not(HasSubstr("claim")));
  EXPECT_THAT(watcher->output(), Not(HasSubstr("anon")));
}

TEST_F(BrokerTls, SubjectAltNameEmailIsTheUserName) {
  start("        ca_file: " + ca_.cert + "\n        identity_as_username: san_email\n",
        "  acl:\n"
        "    - {user: alice@plant.example, topic: \"plant/#\", allow: [publish, subscribe, receive]}\n");
  auto watcher = sub(with_cert(alice_, {"-t", "plant/#"}));
  ASSERT_TRUE(watcher->running()) << watcher->output();
  const auto p = pub(with_cert(alice_, {"-t", "plant/x", "-m", "by-email", "-q", "1"}));
  EXPECT_EQ(p.code, 0) << p.output;
  EXPECT_TRUE(received(*watcher, "plant/x by-email")) << watcher->output();
  // A certificate without an e-mail name identifies no one: anonymous, which the ACL refuses.
  const CertFiles plain = pki_.issue(ca_, "no-email", "");
  const auto p2 = pub(with_cert(plain, {"-t", "plant/x", "-m", "nameless", "-q", "1", "-V", "mqttv5"}));
  EXPECT_THAT(p2.output, HasSubstr("Not authorized")) << p2.output;
}

TEST_F(BrokerTls, PlainMqttOnTheTlsPortIsClosedWithoutHarmToOthers) {
  start();
  auto watcher = sub({"-t", "plant/#"});
  ASSERT_TRUE(watcher->running()) << watcher->output();
  RawClient raw(tls_port_);
  ASSERT_TRUE(raw.connected());
  // A plain MQTT 3.1.1 CONNECT where a TLS ClientHello belongs.
  raw.send(Bytes{0x10, 0x0c, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00});
  raw.read_exactly(1 << 16, 5s);  // a TLS alert at most, then the close
  EXPECT_TRUE(raw.closed_by_peer());
  EXPECT_TRUE(wait_until([&] { return output().find("wrong version number") != std::string::npos; }))
      << output();
  // Random bytes, too.
  RawClient noise(tls_port_);
  noise.send(Bytes(300, 0xA5));
  noise.read_exactly(1 << 16, 5s);
  EXPECT_TRUE(noise.closed_by_peer());

  const auto p = pub({"-t", "plant/after", "-m", "still-here"});
  EXPECT_EQ(p.code, 0) << p.output;
  EXPECT_TRUE(received(*watcher, "plant/after still-here")) << watcher->output();
  EXPECT_TRUE(gw_->process().running());
  EXPECT_EQ(metric("edge_gateway_mqtt_tls_handshake_failures_total"), "2");
}

TEST_F(BrokerTls, StalledHandshakeIsClosedAfterTheConnectTimeout) {
  start("", "  connect_timeout: 500ms\n  max_connections: 3\n");
  const auto started = std::chrono::steady_clock::now();
  // Connects and never sends a ClientHello; a second one sends half of one.
  RawClient silent(tls_port_);
  RawClient half(tls_port_);
  ASSERT_TRUE(silent.connected() && half.connected());
  half.send(Bytes{0x16, 0x03, 0x01, 0x01, 0x00, 0x01});
  EXPECT_TRUE(silent.expect_closed(10s)) << hex(silent.unexpected());
  EXPECT_TRUE(half.expect_closed(10s)) << hex(half.unexpected());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_THAT(output(), HasSubstr("no CONNECT within 500 ms"));
  // Their slots are free again: three clients fit under max_connections 3.
  auto s1 = sub({"-t", "a"});
  auto s2 = sub({"-t", "b"});
  ASSERT_TRUE(s1->running()) << s1->output();
  ASSERT_TRUE(s2->running()) << s2->output();
  const auto p = pub({"-t", "a", "-m", "third"});
  EXPECT_EQ(p.code, 0) << p.output;
  EXPECT_TRUE(received(*s1, "a third")) << s1->output();
}

TEST_F(BrokerTls, SighupServesTheRenewedCertificateAndKeepsConnections) {
  start();
  const std::string before = served_serial();
  ASSERT_THAT(before, HasSubstr("serial=")) << before;
  auto watcher = sub({"-t", "plant/#"});
  ASSERT_TRUE(watcher->running()) << watcher->output();

  const CertFiles renewed = pki_.issue(ca_, "server-renewed", kLoopbackSan);
  replace_and_reload(renewed.cert, renewed.key);
  EXPECT_THAT(output(), HasSubstr("TLS listener 127.0.0.1:" + std::to_string(tls_port_) +
                                  ": certificate files reloaded"));
  const std::string after = served_serial();
  EXPECT_THAT(after, HasSubstr("serial=")) << after;
  EXPECT_NE(after, before);

  // The connection made before the reload still works; new ones use the new certificate.
  const auto p = pub({"-t", "plant/after-reload", "-m", "renewed"});
  EXPECT_EQ(p.code, 0) << p.output;
  EXPECT_TRUE(received(*watcher, "plant/after-reload renewed")) << watcher->output();
}

TEST_F(BrokerTls, BrokenFilesOnReloadKeepTheOldCertificate) {
  start();
  const std::string before = served_serial();
  ASSERT_THAT(before, HasSubstr("serial=")) << before;
  // A certificate with another certificate's key: the pair does not match. The new
  // configuration is checked like any other and refused with the position of the key; the
  // listener keeps serving the certificate it had.
  const CertFiles other = pki_.issue(ca_, "other", kLoopbackSan);
  const std::string original_key = pki_.dir().write("original.key", "");
  std::filesystem::copy_file(server_.key, original_key, std::filesystem::copy_options::overwrite_existing);
  replace_and_reload(other.cert, original_key);
  EXPECT_THAT(output(), HasSubstr("broker.listeners[1].tls.key_file: the private key in"));
  EXPECT_THAT(output(), HasSubstr("the running configuration stays"));
  EXPECT_EQ(served_serial(), before);

  // Not a certificate at all.
  const std::string garbage = pki_.dir().write("garbage.pem", "not a certificate\n");
  replace_and_reload(garbage, original_key);
  EXPECT_THAT(output(), HasSubstr("broker.listeners[1].tls.cert_file: no certificate in"));
  EXPECT_EQ(served_serial(), before);
  const auto p = pub({"-t", "t", "-m", "m"});
  EXPECT_EQ(p.code, 0) << p.output;

  // Good files again: served after the next SIGHUP.
  std::filesystem::copy_file(other.key, original_key, std::filesystem::copy_options::overwrite_existing);
  replace_and_reload(other.cert, original_key);
  EXPECT_NE(served_serial(), before);
}

TEST_F(BrokerTls, CheckConfigReportsCertificateProblemsWithTheirPosition) {
  const CertFiles other = pki_.issue(ca_, "other", "");
  const std::string file = pki_.dir().write(
      "gateway.yaml", "broker:\n"
                      "  listeners:\n"
                      "    - bind: 127.0.0.1:8883\n"
                      "      tls:\n"
                      "        cert_file: " + server_.cert + "\n"
                      "        key_file: " + other.key + "\n"
                      "        ca_file: /nonexistent/ca.pem\n");
  const auto r = run({gateway_binary(), "check-config", file});
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr(file + ":6:19: error: broker.listeners[0].tls.key_file: the "
                                         "private key in '" + other.key + "' does not belong to"));
  // One problem per listener: the first file that fails, as the broker would meet it.
  EXPECT_THAT(r.output, Not(HasSubstr("ca_file")));
  const std::string good = pki_.dir().write(
      "good.yaml", "broker:\n  listeners:\n    - bind: 127.0.0.1:8883\n      tls:\n"
                   "        cert_file: " + server_.cert + "\n        key_file: " + server_.key + "\n");
  const auto ok = run({gateway_binary(), "check-config", good});
  EXPECT_EQ(ok.code, 0) << ok.output;
}

}  // namespace
}  // namespace gw::test
