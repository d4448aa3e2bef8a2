// Test support for the bridge integration tests: the local side (the gateway's broker on a core
// io_context thread), a TCP proxy that cuts the uplink like a network outage would, and a Paho
// MQTTAsync client on the cloud side. Everything on 127.0.0.1; every wait has a deadline.
#pragma once

// Standard headers before Asio (see gateway/bridge/bridge.hpp).
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <MQTTAsync.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <gtest/gtest.h>

#include "broker/local_client.hpp"
#include "tests/integration/bridge_client_under_test.hpp"
#include "broker/server.hpp"
#include "core/clock.hpp"
#include "gateway/bridge/bridge.hpp"
#include "gateway/bridge/bridge_options.hpp"
#include "tests/support/process.hpp"

namespace gw::test {

using namespace std::chrono_literals;

// An io_context on its own thread; run() executes a function there and returns its result.
class CoreThread {
 public:
  CoreThread() : guard_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~CoreThread() {
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  asio::io_context& io() { return io_; }

  template <class F>
  auto run(F f) -> decltype(f()) {
    using R = decltype(f());
    std::promise<R> done;
    auto result = done.get_future();
    asio::post(io_, [&] {
      if constexpr (std::is_void_v<R>) {
        f();
        done.set_value();
      } else {
        done.set_value(f());
      }
    });
    return result.get();
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
};

// The gateway side: broker::Server (listener on port 0) on a core thread, a LocalClient for the
// test, and the Bridge under test, all created and destroyed on the core thread.
class LocalSide {
 public:
  LocalSide() {
    core_.run([this] {
      broker::BrokerOptions options;
      options.listeners = {broker::ListenerOptions{.address = "127.0.0.1", .port = 0, .name = "test"}};
      server_ = std::make_unique<broker::Server>(core_.io(), options, clock_);
      EXPECT_TRUE(server_->start());
      client_ = std::make_unique<broker::LocalClient>(server_->broker(), "test");
    });
  }
  ~LocalSide() {
    destroy_bridge();
    core_.run([this] {
      client_.reset();
      server_->stop();
      server_->broker().shutdown();
    });
    core_.run([this] { server_.reset(); });
  }

  // With the client under test (bridge_client_under_test()).
  Result<void> start_bridge(bridge::BridgeOptions options) {
    options.client = bridge_client_under_test();
    return start_bridge_with_own_client(std::move(options));
  }
  // With options.client as it is.
  Result<void> start_bridge_with_own_client(bridge::BridgeOptions options) {
    return core_.run([&]() -> Result<void> {
      bridge_ = std::make_unique<bridge::Bridge>(core_.io(), server_->broker(), std::move(options), clock_);
      return bridge_->start();
    });
  }
  void stop_bridge() { core_.run([this] { if (bridge_) bridge_->stop(); }); }
  void destroy_bridge() { core_.run([this] { bridge_.reset(); }); }
  bridge::Bridge& bridge() { return *bridge_; }
  bridge::BridgeStats stats() { return bridge_->stats(); }

  void publish(Message m) {
    core_.run([&] { EXPECT_TRUE(client_->publish(std::move(m))); });
  }
  void publish(const std::string& topic, const std::string& payload, QoS qos = QoS::AtLeastOnce) {
    publish(Message{.topic = topic, .payload = payload, .qos = qos, .retain = false, .props = {}});
  }
  // Local subscriber: collects what arrives.
  void subscribe(const std::string& filter) {
    core_.run([&] {
      EXPECT_TRUE(client_->subscribe(filter, [this](const std::shared_ptr<const Message>& m) {
        std::lock_guard lock(mu_);
        received_.push_back(*m);
      }));
    });
  }
  std::vector<Message> received() {
    std::lock_guard lock(mu_);
    return received_;
  }

 private:
  core::SystemClock clock_;
  CoreThread core_;
  std::unique_ptr<broker::Server> server_;
  std::unique_ptr<broker::LocalClient> client_;
  std::unique_ptr<bridge::Bridge> bridge_;
  std::mutex mu_;  // guards: received_
  std::vector<Message> received_;
};

// A TCP relay 127.0.0.1:port() → 127.0.0.1:target. cut() closes every relayed connection and
// makes new ones close at once (an uplink outage); restore() lets them through again.
// drop_answers() keeps the open connections up but swallows what the target sends back (the
// cloud receives every PUBLISH, its PUBACKs are lost on the way).
class TcpProxy {
 public:
  explicit TcpProxy(std::uint16_t target)
      : target_(target),
        acceptor_(io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        guard_(asio::make_work_guard(io_)) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TcpProxy() {
    run([this] {
      acceptor_.close();
      close_all();
    });
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  [[nodiscard]] std::string uri() const { return "mqtt://127.0.0.1:" + std::to_string(port()); }
  // Bytes relayed from clients to the server so far, over all connections.
  [[nodiscard]] std::uint64_t upstream_bytes() const { return upstream_bytes_.load(); }
  // Server packets lost so far by drop_answers_of_type().
  [[nodiscard]] std::uint64_t dropped_answers() const { return dropped_answers_.load(); }

  void cut() {
    run([this] {
      refusing_ = true;
      close_all();
    });
  }
  void restore() {
    run([this] { refusing_ = false; });
  }
  void drop_answers() {
    run([this] {
      for (auto& weak : pipes_) {
        if (auto p = weak.lock()) p->drop_answers = true;
      }
    });
  }
  // From now on, the open connections and those accepted later lose every packet of MQTT control
  // packet `type` (e.g. 7, PUBCOMP) that the server sends; the other packets pass. 0: none.
  void drop_answers_of_type(int type) {
    run([this, type] {
      drop_type_ = type;
      for (auto& weak : pipes_) {
        if (auto p = weak.lock()) p->drop_type = type;
      }
    });
  }

 private:
  struct Pipe {
    explicit Pipe(asio::io_context& io) : a(io), b(io) {}
    asio::ip::tcp::socket a, b;
    std::array<char, 16384> ab{}, ba{};
    bool drop_answers = false;  // io thread only: b → a bytes are read and discarded
    int drop_type = 0;          // io thread only: b → a packets of this type are discarded
    std::vector<char> partial;  // b → a bytes of an incomplete packet (with drop_type)
    std::vector<char> kept;     // b → a packets being written (with drop_type)
    // Moves the complete packets of `partial` that are not of drop_type into `kept`; returns how
    // many it dropped.
    std::uint64_t filter() {
      std::uint64_t dropped = 0;
      kept.clear();
      std::size_t at = 0;
      for (;;) {
        std::size_t length = 0;
        std::size_t i = at + 1;
        int shift = 0;
        bool complete = false;
        while (i < partial.size() && shift <= 21) {
          const auto byte = static_cast<unsigned char>(partial[i++]);
          length |= static_cast<std::size_t>(byte & 0x7F) << shift;
          shift += 7;
          if ((byte & 0x80) == 0) {
            complete = true;
            break;
          }
        }
        if (!complete || partial.size() - i < length) break;
        const int type = static_cast<unsigned char>(partial[at]) >> 4;
        if (type != drop_type) {
          kept.insert(kept.end(), partial.begin() + at, partial.begin() + i + length);
        } else {
          ++dropped;
        }
        at = i + length;
      }
      partial.erase(partial.begin(), partial.begin() + at);
      return dropped;
    }
    void close() {
      asio::error_code ec;
      a.close(ec);
      b.close(ec);
    }
  };

  template <class F>
  void run(F f) {
    std::promise<void> done;
    asio::post(io_, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  void close_all() {
    for (auto& weak : pipes_) {
      if (auto p = weak.lock()) p->close();
    }
    pipes_.clear();
  }

  void accept() {
    auto pipe = std::make_shared<Pipe>(io_);
    acceptor_.async_accept(pipe->a, [this, pipe](asio::error_code ec) {
      if (ec) return;  // closed
      accept();
      if (refusing_) {
        pipe->close();
        return;
      }
      asio::error_code cec;
      pipe->b.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), target_), cec);
      if (cec) {
        pipe->close();
        return;
      }
      asio::ip::tcp::no_delay nd(true);
      pipe->a.set_option(nd, cec);
      pipe->b.set_option(nd, cec);
      pipe->drop_type = drop_type_;
      pipes_.push_back(pipe);
      relay(pipe, pipe->a, pipe->b, pipe->ab, false);
      relay(pipe, pipe->b, pipe->a, pipe->ba, true);
    });
  }

  void relay(std::shared_ptr<Pipe> pipe, asio::ip::tcp::socket& from, asio::ip::tcp::socket& to,
                    std::array<char, 16384>& buf, bool answers) {
    from.async_read_some(asio::buffer(buf), [this, pipe, &from, &to, &buf, answers](asio::error_code ec, std::size_t n) {
      if (ec) {
        pipe->close();
        return;
      }
      if (!answers) upstream_bytes_ += n;
      if (answers && pipe->drop_answers) {
        relay(pipe, from, to, buf, answers);
        return;
      }
      if (answers && pipe->drop_type != 0) {
        pipe->partial.insert(pipe->partial.end(), buf.data(), buf.data() + n);
        dropped_answers_ += pipe->filter();
        if (pipe->kept.empty()) {
          relay(pipe, from, to, buf, answers);
          return;
        }
        asio::async_write(to, asio::buffer(pipe->kept), [this, pipe, &from, &to, &buf, answers](asio::error_code wec, std::size_t) {
          if (wec) {
            pipe->close();
            return;
          }
          relay(pipe, from, to, buf, answers);
        });
        return;
      }
      asio::async_write(to, asio::buffer(buf.data(), n), [this, pipe, &from, &to, &buf, answers](asio::error_code wec, std::size_t) {
        if (wec) {
          pipe->close();
          return;
        }
        relay(pipe, from, to, buf, answers);
      });
    });
  }

  std::uint16_t target_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
  std::vector<std::weak_ptr<Pipe>> pipes_;  // io thread only
  bool refusing_ = false;                   // io thread only
  int drop_type_ = 0;                       // io thread only: for pipes accepted later
  std::atomic<std::uint64_t> upstream_bytes_{0};
  std::atomic<std::uint64_t> dropped_answers_{0};
};

// A Paho MQTTAsync (MQTT 5) client on the cloud side that records what it receives.
class CloudClient {
 public:
  struct Received {
    std::string topic;
    std::string payload;
    int qos = -1;
    bool retained = false;
    std::vector<std::pair<std::string, std::string>> user;
  };

  CloudClient(const std::string& uri, const std::string& client_id) {
    MQTTAsync_createOptions create = MQTTAsync_createOptions_initializer5;
    EXPECT_EQ(MQTTAsync_createWithOptions(&handle_, uri.c_str(), client_id.c_str(),
                                          MQTTCLIENT_PERSISTENCE_NONE, nullptr, &create),
              MQTTASYNC_SUCCESS);
    MQTTAsync_setCallbacks(handle_, this, nullptr, &CloudClient::on_message, nullptr);
  }
  ~CloudClient() {
    if (MQTTAsync_isConnected(handle_) != 0) {
      MQTTAsync_disconnectOptions opts = MQTTAsync_disconnectOptions_initializer5;
      opts.timeout = 1000;
      MQTTAsync_disconnect(handle_, &opts);
      wait_until([this] { return MQTTAsync_isConnected(handle_) == 0; }, 2s);
    }
    MQTTAsync_destroy(&handle_);
  }
  CloudClient(const CloudClient&) = delete;
  CloudClient& operator=(const CloudClient&) = delete;

  bool connect() {
    MQTTAsync_connectOptions opts = MQTTAsync_connectOptions_initializer5;
    opts.cleanstart = 1;
    opts.onSuccess5 = &CloudClient::on_done;
    opts.onFailure5 = &CloudClient::on_failed;
    opts.context = this;
    return request([&] { return MQTTAsync_connect(handle_, &opts); });
  }
  bool subscribe(const std::string& filter, int qos) {
    MQTTAsync_responseOptions opts = response();
    return request([&] { return MQTTAsync_subscribe(handle_, filter.c_str(), qos, &opts); });
  }
  bool publish(const std::string& topic, const std::string& payload, int qos) {
    MQTTAsync_message msg = MQTTAsync_message_initializer;
    msg.payload = const_cast<char*>(payload.data());
    msg.payloadlen = static_cast<int>(payload.size());
    msg.qos = qos;
    MQTTAsync_responseOptions opts = response();
    return request([&] { return MQTTAsync_sendMessage(handle_, topic.c_str(), &msg, &opts); });
  }

  std::vector<Received> received() {
    std::lock_guard lock(mu_);
    return received_;
  }
  std::size_t count() {
    std::lock_guard lock(mu_);
    return received_.size();
  }
  bool wait_count(std::size_t n, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return received_.size() >= n; });
  }

 private:
  MQTTAsync_responseOptions response() {
    MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
    opts.onSuccess5 = &CloudClient::on_done;
    opts.onFailure5 = &CloudClient::on_failed;
    opts.context = this;
    return opts;
  }
  template <class F>
  bool request(F start) {
    {
      std::lock_guard lock(mu_);
      outcome_.reset();
    }
    if (start() != MQTTASYNC_SUCCESS) return false;
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, 5s, [&] { return outcome_.has_value(); })) return false;
    return *outcome_;
  }
  static void on_done(void* ctx, MQTTAsync_successData5*) { static_cast<CloudClient*>(ctx)->finish(true); }
  static void on_failed(void* ctx, MQTTAsync_failureData5*) { static_cast<CloudClient*>(ctx)->finish(false); }
  void finish(bool ok) {
    {
      std::lock_guard lock(mu_);
      outcome_ = ok;
    }
    cv_.notify_all();
  }
  static int on_message(void* ctx, char* topic, int len, MQTTAsync_message* m) {
    auto* self = static_cast<CloudClient*>(ctx);
    Received r;
    r.topic = len > 0 ? std::string(topic, static_cast<std::size_t>(len)) : std::string(topic);
    r.payload.assign(static_cast<const char*>(m->payload), static_cast<std::size_t>(m->payloadlen));
    r.qos = m->qos;
    r.retained = m->retained != 0;
    for (int i = 0; i < m->properties.count; ++i) {
      const auto& p = m->properties.array[i];
      if (p.identifier == MQTTPROPERTY_CODE_USER_PROPERTY) {
        r.user.emplace_back(std::string(p.value.data.data, static_cast<std::size_t>(p.value.data.len)),
                            std::string(p.value.value.data, static_cast<std::size_t>(p.value.value.len)));
      }
    }
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    {
      std::lock_guard lock(self->mu_);
      self->received_.push_back(std::move(r));
    }
    self->cv_.notify_all();
    return 1;
  }

  MQTTAsync handle_ = nullptr;
  std::mutex mu_;  // guards: received_, outcome_
  std::condition_variable cv_;
  std::vector<Received> received_;
  std::optional<bool> outcome_;
};

// Options for a bridge to `uri` with one upstream route "up" (local "dev/#" → "cloud/{topic}"),
// fast reconnects, and the outbox in `dir`.
inline bridge::BridgeOptions bridge_options(const std::string& uri, const std::string& dir,
                                            const std::string& client_id = "edge-1") {
  bridge::BridgeOptions o;
  o.servers = {uri};
  o.client_id = client_id;
  o.keep_alive = 5s;
  o.connect_timeout = 5s;
  o.reconnect_initial = 20ms;
  o.reconnect_max = 100ms;
  o.stall_timeout = 5s;
  o.stop_timeout = 2s;
  o.status_topic = "status/" + client_id;
  o.upstream = {bridge::UpstreamRoute{.name = "up",
                                      .local_filter = "dev/#",
                                      .remote = {.strip_prefix = "", .target = "cloud/{topic}"},
                                      .qos = std::nullopt,
                                      .retain = bridge::RetainMode::Keep,
                                      .priority = 0}};
  o.outbox.path = dir + "/outbox.db";
  o.outbox.commit_window = 5ms;
  o.outbox.min_free_disk = 0;
  return o;
}

}  // namespace gw::test
