// TlsConnection and TlsContext against a real loopback TLS client (asio::ssl) in the same
// io_context, with certificates from a throwaway PKI.
#include "broker/net/tls_connection.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <gtest/gtest.h>

#include "broker/net/tls_context.hpp"
#include "broker/server.hpp"
#include "core/clock.hpp"
#include "tests/support/test_pki.hpp"

namespace gw::broker::net {
namespace {

using namespace std::chrono_literals;
using gw::test::CertFiles;
using Identity = ListenerTlsOptions::Identity;

struct Recorder final : StreamHandler {
  void on_data(std::span<const std::byte> d) override {
    for (auto b : d) received.push_back(static_cast<char>(b));
  }
  void on_closed(std::error_code ec) override {
    closed = true;
    closed_with = ec;
  }
  std::string received;
  bool closed = false;
  std::error_code closed_with;
};

class TlsConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = pki_.ca("ca");
    server_ = pki_.issue(ca_, "server", gw::test::kLoopbackSan);
    device_ = pki_.issue(ca_, "device-7", "DNS:device-7.plant.example,email:ops@plant.example");
  }

  ListenerTlsOptions options(Identity identity = Identity::None) const {
    ListenerTlsOptions o;
    o.cert_file = server_.cert;
    o.key_file = server_.key;
    o.ca_file = ca_.cert;
    o.identity_as_username = identity;
    return o;
  }

  // Accepts one TCP connection and wraps it; the client side is a TLS stream trusting our CA,
  // presenting `client_cert` unless it is null.
  void connect(const ListenerTlsOptions& o, const CertFiles* client_cert) {
    auto context = TlsContext::build(o);
    ASSERT_TRUE(context) << context.error().message();
    client_ctx_.load_verify_file(ca_.cert);
    client_ctx_.set_verify_mode(asio::ssl::verify_peer);
    if (client_cert != nullptr) {
      client_ctx_.use_certificate_chain_file(client_cert->cert);
      client_ctx_.use_private_key_file(client_cert->key, asio::ssl::context::pem);
    }
    client_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket>>(io_, client_ctx_);
    client_->next_layer().connect(acceptor_.local_endpoint());
    conn_ = std::make_shared<TlsConnection>(acceptor_.accept(), *context, o.identity_as_username,
                                            [this](const std::string&, const std::string& reason) {
                                              failures_.push_back(reason);
                                            });
    auto r = std::make_unique<Recorder>();
    recorder_ = r.get();
    conn_->start(std::move(r));
    client_->async_handshake(asio::ssl::stream_base::client, [this](std::error_code ec) {
      client_handshake_ = ec;
      client_handshake_done_ = true;
    });
  }

  template <class F>
  bool run_until(F done, std::chrono::milliseconds deadline = 5s) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (!done() && std::chrono::steady_clock::now() < end) {
      io_.restart();  // run_for() returns at once once the context ran out of work
      io_.run_for(10ms);
    }
    return done();
  }

  gw::test::TestPki pki_;
  CertFiles ca_, server_, device_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_{io_, {asio::ip::make_address("127.0.0.1"), 0}};
  asio::ssl::context client_ctx_{asio::ssl::context::tls_client};
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket>> client_;
  std::shared_ptr<TlsConnection> conn_;
  Recorder* recorder_ = nullptr;
  std::vector<std::string> failures_;
  std::error_code client_handshake_;
  bool client_handshake_done_ = false;
};

TEST_F(TlsConnectionTest, CarriesBytesBothWaysAndClosesWithCloseNotify) {
  connect(options(), &device_);
  ASSERT_TRUE(run_until([&] { return client_handshake_done_; }));
  ASSERT_FALSE(client_handshake_) << client_handshake_.message();
  asio::write(*client_, asio::buffer(std::string("hello")));
  EXPECT_TRUE(run_until([&] { return recorder_->received == "hello"; })) << recorder_->received;

  const std::string reply = "world";
  conn_->write(std::as_bytes(std::span(reply)));
  conn_->close();
  std::string got(5, '\0');
  std::error_code ec;
  bool read_done = false;
  asio::async_read(*client_, asio::buffer(got), [&](std::error_code e, std::size_t) {
    ec = e;
    read_done = true;
  });
  ASSERT_TRUE(run_until([&] { return read_done; }));
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(got, "world");
  // Then close_notify: a clean end of stream, not a truncation.
  char more = 0;
  read_done = false;
  client_->async_read_some(asio::buffer(&more, 1), [&](std::error_code e, std::size_t) {
    ec = e;
    read_done = true;
  });
  ASSERT_TRUE(run_until([&] { return read_done; }));
  EXPECT_EQ(ec, asio::error::eof) << ec.message();
  client_->async_shutdown([](std::error_code) {});
  EXPECT_TRUE(run_until([&] { return recorder_->closed; }));
  EXPECT_TRUE(failures_.empty());
}

TEST_F(TlsConnectionTest, ReadingPausedDuringTheHandshakeStaysPausedAfterIt) {
  connect(options(), &device_);
  conn_->set_reading(false);  // back-pressure before the handshake has finished
  ASSERT_TRUE(run_until([&] { return client_handshake_done_; }));
  ASSERT_FALSE(client_handshake_) << client_handshake_.message();
  asio::write(*client_, asio::buffer(std::string("hello")));
  // Written during the handshake, flushed when it completes: once the client has it, the server's
  // handshake is over.
  const std::string ping = "ping";
  conn_->write(std::as_bytes(std::span(ping)));
  std::string got(4, '\0');
  bool read_done = false;
  asio::async_read(*client_, asio::buffer(got),
                   [&](std::error_code, std::size_t) { read_done = true; });
  ASSERT_TRUE(run_until([&] { return read_done; }));
  EXPECT_EQ(got, "ping");
  EXPECT_FALSE(conn_->read_armed()) << "a paused connection read after its handshake";
  EXPECT_EQ(recorder_->received, "");
  conn_->set_reading(true);
  EXPECT_TRUE(run_until([&] { return recorder_->received == "hello"; })) << recorder_->received;
}

TEST_F(TlsConnectionTest, IdentityComesFromTheChosenCertificateField) {
  const std::pair<Identity, std::optional<std::string>> cases[] = {
      {Identity::None, std::nullopt},
      {Identity::CommonName, "device-7"},
      {Identity::SanDns, "device-7.plant.example"},
      {Identity::SanEmail, "ops@plant.example"},
  };
  for (const auto& [kind, expected] : cases) {
    client_handshake_done_ = false;
    client_ctx_ = asio::ssl::context(asio::ssl::context::tls_client);
    connect(options(kind), &device_);
    ASSERT_TRUE(run_until([&] { return client_handshake_done_; }));
    ASSERT_FALSE(client_handshake_) << client_handshake_.message();
    asio::write(*client_, asio::buffer(std::string("x")));  // the server's handshake is over
    ASSERT_TRUE(run_until([&] { return recorder_->received == "x"; }));
    EXPECT_EQ(conn_->tls_identity(), expected) << static_cast<int>(kind);
    conn_->abort();
  }
}

TEST_F(TlsConnectionTest, NoCertificateNoIdentity) {
  connect(options(Identity::CommonName), nullptr);
  ASSERT_TRUE(run_until([&] { return client_handshake_done_; }));
  ASSERT_FALSE(client_handshake_) << client_handshake_.message();
  asio::write(*client_, asio::buffer(std::string("x")));
  ASSERT_TRUE(run_until([&] { return recorder_->received == "x"; }));
  EXPECT_EQ(conn_->tls_identity(), std::nullopt);
}

TEST_F(TlsConnectionTest, FailedHandshakeIsReportedOnceWithOpenSslsReason) {
  auto o = options();
  o.require_client_certificate = true;
  connect(o, nullptr);
  ASSERT_TRUE(run_until([&] { return recorder_->closed; }));
  ASSERT_EQ(failures_.size(), 1u);
  EXPECT_NE(failures_[0].find("peer did not return a certificate"), std::string::npos) << failures_[0];
  EXPECT_TRUE(recorder_->closed_with);
  EXPECT_TRUE(recorder_->received.empty());
}

TEST_F(TlsConnectionTest, CloseDuringTheHandshakeDropsTheClientUnreported) {
  auto context = TlsContext::build(options());
  ASSERT_TRUE(context);
  asio::ip::tcp::socket raw(io_);
  raw.connect(acceptor_.local_endpoint());  // never says ClientHello
  conn_ = std::make_shared<TlsConnection>(acceptor_.accept(), *context, Identity::None,
                                          [this](const std::string&, const std::string& r) {
                                            failures_.push_back(r);
                                          });
  auto r = std::make_unique<Recorder>();
  recorder_ = r.get();
  conn_->start(std::move(r));
  io_.run_for(20ms);
  const std::vector<std::byte> early(10, std::byte{1});
  conn_->write(early);  // queued, never sent in clear
  conn_->close();        // what the broker's connect timeout does
  EXPECT_TRUE(recorder_->closed);
  char byte = 0;
  std::error_code ec;
  raw.read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof);
  io_.run_for(20ms);
  EXPECT_TRUE(failures_.empty());
}

TEST_F(TlsConnectionTest, ContextReloadKeepsTheOldContextWhenTheNewFilesFail) {
  auto tls = TlsContext::create(options());
  ASSERT_TRUE(tls);
  const auto first = (*tls)->current();
  std::filesystem::copy_file(device_.key, server_.key, std::filesystem::copy_options::overwrite_existing);
  TlsProblem problem;
  EXPECT_FALSE((*tls)->reload(&problem));
  EXPECT_EQ(problem.key, "key_file");
  EXPECT_EQ((*tls)->current(), first);
  std::filesystem::copy_file(device_.cert, server_.cert, std::filesystem::copy_options::overwrite_existing);
  EXPECT_TRUE((*tls)->reload(&problem));
  EXPECT_NE((*tls)->current(), first);
}

TEST_F(TlsConnectionTest, ServerReloadCountsListenersThatKeepTheirCertificate) {
  BrokerOptions o;
  o.listeners = {ListenerOptions{.address = "127.0.0.1", .port = 0},
                 ListenerOptions{.address = "127.0.0.1", .port = 0, .tls = options()}};
  core::FakeClock clock;
  Server server(io_, o, clock);
  ASSERT_TRUE(server.start());
  EXPECT_EQ(server.reload_tls(), 0u);
  EXPECT_EQ(server.broker().stats().tls_reload_failures, 0u);
  std::filesystem::copy_file(device_.key, server_.key, std::filesystem::copy_options::overwrite_existing);
  EXPECT_EQ(server.reload_tls(), 1u);
  EXPECT_EQ(server.broker().stats().tls_reload_failures, 1u);
  // A listener whose files fail at start is not opened, and says why.
  BrokerOptions broken = o;
  Server second(io_, broken, clock);
  EXPECT_FALSE(second.start());
}

TEST_F(TlsConnectionTest, ChangedTlsSettingsOnReloadKeepTheListenerSocket) {
  const CertFiles renamed = pki_.issue(ca_, "server-2", gw::test::kLoopbackSan);
  BrokerOptions o;
  o.listeners = {ListenerOptions{.address = "127.0.0.1", .port = 0, .tls = options()}};
  core::FakeClock clock;
  Server server(io_, o, clock);
  ASSERT_TRUE(server.start());
  const auto port = server.ports().at(0);

  // The subject of the certificate a new client is served.
  const auto served_cn = [&] {
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.load_verify_file(ca_.cert);
    ctx.set_verify_mode(asio::ssl::verify_peer);
    asio::ssl::stream<asio::ip::tcp::socket> client(io_, ctx);
    client.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
    bool done = false;
    std::error_code ec;
    client.async_handshake(asio::ssl::stream_base::client, [&](std::error_code e) {
      ec = e;
      done = true;
    });
    run_until([&] { return done; });
    if (ec) return "handshake: " + ec.message();
    X509* cert = SSL_get1_peer_certificate(client.native_handle());
    char cn[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    X509_free(cert);
    return std::string(cn);
  };
  EXPECT_EQ(served_cn(), "server");

  auto changed = o.listeners;
  changed[0].tls->cert_file = renamed.cert;
  changed[0].tls->key_file = renamed.key;
  ASSERT_TRUE(server.reload_listeners(changed));
  EXPECT_EQ(server.ports().at(0), port);
  EXPECT_EQ(served_cn(), "server-2");

  // New settings whose files do not load change nothing.
  auto broken = changed;
  broken[0].tls->key_file = server_.key;
  EXPECT_FALSE(server.reload_listeners(broken));
  EXPECT_EQ(server.ports().at(0), port);
  EXPECT_EQ(served_cn(), "server-2");
}

}  // namespace
}  // namespace gw::broker::net
