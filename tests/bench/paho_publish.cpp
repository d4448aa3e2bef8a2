// paho_publish: the ceiling of any bridge built on Paho MQTT C (MQTTAsync, MQTT 5). One (or
// --clients) connection publishes --messages QoS 1 messages of --payload bytes to --port as fast
// as the window allows (the smaller of --inflight and the server's Receive Maximum), with nothing
// else in the way: no outbox, no routing, no copies.
//
//   --refill callback  the next message is sent from Paho's onSuccess callback (Paho's receive
//                      thread): the fewest thread hops Paho allows
//   --refill thread    onSuccess only signals a thread of ours, which sends (one hop more per
//                      message, as the bridge does)
//
// Prints one line of JSON: published, seconds, rate. Bounded by --timeout; exit status 1 when the
// connection fails, a send is refused or the time runs out. Loopback only.
#include <MQTTAsync.h>
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// Shared by Paho's threads and ours; the atomics are read without the lock.
struct Run {
  MQTTAsync client = nullptr;
  std::string topic;
  std::string payload;
  std::uint64_t total = 0;
  bool refill_in_callback = true;

  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> acked{0};
  std::atomic<bool> send_error{false};

  std::mutex mu;  // guards: free_slots, connected, failed, window
  std::condition_variable cv;
  std::uint64_t free_slots = 0;  // acknowledgements not yet turned into sends (thread mode)
  bool connected = false;
  bool failed = false;
  int window = 0;
};

// Wakes main() after a change of the atomics it waits on (under the lock: no lost wake-up).
void wake(Run& run, bool failed) {
  std::lock_guard lock(run.mu);
  if (failed) run.failed = true;
  run.cv.notify_all();
}

void on_publish_done(void* ctx, MQTTAsync_successData5* data);
void on_publish_failed(void* ctx, MQTTAsync_failureData5*) {
  auto* run = static_cast<Run*>(ctx);
  run->send_error = true;
  wake(*run, true);
}

// Sends the next message if any is left. Called from our thread or from Paho's callback thread.
bool send_next(Run& run) {
  const std::uint64_t n = run.sent.fetch_add(1);
  if (n >= run.total) return false;
  MQTTAsync_message msg = MQTTAsync_message_initializer;
  msg.payload = run.payload.data();
  msg.payloadlen = static_cast<int>(run.payload.size());
  msg.qos = 1;
  MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
  opts.onSuccess5 = &on_publish_done;
  opts.onFailure5 = &on_publish_failed;
  opts.context = &run;
  if (const int rc = MQTTAsync_sendMessage(run.client, run.topic.c_str(), &msg, &opts);
      rc != MQTTASYNC_SUCCESS) {
    std::fprintf(stderr, "paho_publish: send %llu refused: %s\n",
                 static_cast<unsigned long long>(n), MQTTAsync_strerror(rc));
    run.send_error = true;
    wake(run, true);
    return false;
  }
  return true;
}

void on_publish_done(void* ctx, MQTTAsync_successData5* data) {
  auto* run = static_cast<Run*>(ctx);
  if (data != nullptr && static_cast<int>(data->reasonCode) >= 0x80) run->send_error = true;
  const std::uint64_t done = run->acked.fetch_add(1) + 1;
  if (run->refill_in_callback) {
    if (done < run->total) send_next(*run);
    if (done >= run->total) wake(*run, false);
    return;
  }
  std::lock_guard lock(run->mu);
  ++run->free_slots;
  run->cv.notify_all();
}

void on_connected(void* ctx, MQTTAsync_successData5* data) {
  auto* run = static_cast<Run*>(ctx);
  std::lock_guard lock(run->mu);
  if (data != nullptr) {
    for (int i = 0; i < data->properties.count; ++i) {
      const MQTTProperty& p = data->properties.array[i];
      if (p.identifier == MQTTPROPERTY_CODE_RECEIVE_MAXIMUM && p.value.integer2 < run->window) {
        run->window = p.value.integer2;
      }
    }
  }
  run->connected = true;
  run->cv.notify_all();
}

void on_connect_failed(void* ctx, MQTTAsync_failureData5*) {
  auto* run = static_cast<Run*>(ctx);
  std::lock_guard lock(run->mu);
  run->failed = true;
  run->cv.notify_all();
}

// Connects run.client (created by the caller); false when no connection before the deadline.
bool connect(Run& run, const std::string& uri, Clock::time_point deadline) {
  MQTTAsync_connectOptions conn = MQTTAsync_connectOptions_initializer5;
  conn.cleanstart = 1;
  conn.keepAliveInterval = 30;
  conn.maxInflight = run.window;
  conn.onSuccess5 = &on_connected;
  conn.onFailure5 = &on_connect_failed;
  conn.context = &run;
  if (MQTTAsync_connect(run.client, &conn) != MQTTASYNC_SUCCESS) {
    std::fprintf(stderr, "paho_publish: connect refused\n");
    return false;
  }
  std::unique_lock lock(run.mu);
  run.cv.wait_until(lock, deadline, [&] { return run.connected || run.failed; });
  if (run.failed || !run.connected) {
    std::fprintf(stderr, "paho_publish: no connection to %s\n", uri.c_str());
    return false;
  }
  return true;
}

// Publishes run.total messages within the window; returns when all are acknowledged, a send
// failed or the deadline passed.
void publish_all(Run& run, Clock::time_point deadline) {
  const int window = run.window;
  for (int i = 0; i < window; ++i) send_next(run);
  std::unique_lock lock(run.mu);
  if (run.refill_in_callback) {
    run.cv.wait_until(lock, deadline, [&] {
      return run.acked.load() >= run.total || run.failed || run.send_error;
    });
    return;
  }
  while (run.acked.load() < run.total && !run.failed && !run.send_error) {
    if (!run.cv.wait_until(lock, deadline, [&] {
          return run.free_slots > 0 || run.failed || run.acked.load() >= run.total;
        }))
      break;
    std::uint64_t slots = run.free_slots;
    run.free_slots = 0;
    lock.unlock();
    while (slots-- > 0) send_next(run);
    lock.lock();
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"paho_publish: QoS 1 publishing ceiling of Paho MQTT C connections"};
  int port = 1883;
  std::uint64_t messages = 100000;
  std::size_t payload = 100;
  int inflight = 20;
  int clients = 1;
  std::string topic = "bench/paho";
  std::string refill = "callback";
  double timeout_s = 120;
  app.add_option("--port", port, "Broker port on 127.0.0.1")
      ->required()
      ->check(CLI::Range(1, 65535));
  app.add_option("--messages", messages, "Messages to publish (over all connections)")
      ->check(CLI::Range(1, 100000000));
  app.add_option("--payload", payload, "Payload bytes")->check(CLI::Range(1, 1 << 20));
  app.add_option("--inflight", inflight,
                 "Window per connection (lowered to the server's Receive Maximum)")
      ->check(CLI::Range(1, 65535));
  app.add_option("--clients", clients,
                 "Connections in this process, each publishing its share to <topic>/<n> (they "
                 "share Paho's threads)")
      ->check(CLI::Range(1, 64));
  app.add_option("--topic", topic, "Topic");
  app.add_option("--refill", refill, "Who sends the next message: callback | thread")
      ->check(CLI::IsMember({"callback", "thread"}));
  app.add_option("--timeout", timeout_s, "Seconds before giving up")
      ->check(CLI::Range(1.0, 3600.0));
  CLI11_PARSE(app, argc, argv);

  const std::string uri = fmt::format("mqtt://127.0.0.1:{}", port);
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(timeout_s));
  std::vector<std::unique_ptr<Run>> runs;
  int status = 0;
  for (int i = 0; i < clients && status == 0; ++i) {
    auto& run = *runs.emplace_back(std::make_unique<Run>());
    run.topic = clients == 1 ? topic : fmt::format("{}/{}", topic, i);
    run.payload.assign(payload, 'x');
    run.total = messages / clients + (static_cast<std::uint64_t>(i) < messages % clients ? 1 : 0);
    run.refill_in_callback = refill == "callback";
    run.window = inflight;
    MQTTAsync_createOptions create = MQTTAsync_createOptions_initializer5;
    create.MQTTVersion = MQTTVERSION_5;
    // Paho counts every PUBLISH its send thread has not written yet against maxBufferedMessages
    // (default 100), connected or not: a window above it would be refused.
    create.maxBufferedMessages = inflight;
    const std::string client_id =
        fmt::format("paho-publish-{}-{}", static_cast<long>(::getpid()), i);
    if (MQTTAsync_createWithOptions(&run.client, uri.c_str(), client_id.c_str(),
                                    MQTTCLIENT_PERSISTENCE_NONE, nullptr,
                                    &create) != MQTTASYNC_SUCCESS) {
      std::fprintf(stderr, "paho_publish: cannot create the client\n");
      status = 1;
    } else if (!connect(run, uri, deadline)) {
      status = 1;
    }
  }

  const auto t0 = Clock::now();
  if (status == 0) {
    std::vector<std::thread> threads;
    for (auto& run : runs) threads.emplace_back([&run, deadline] { publish_all(*run, deadline); });
    for (auto& t : threads) t.join();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  std::uint64_t acked = 0;
  std::uint64_t total = 0;
  bool send_error = false;
  int window = inflight;
  for (const auto& run : runs) {
    acked += run->acked.load();
    total += run->total;
    send_error = send_error || run->send_error;
    window = std::min(window, run->window);
  }
  if (status == 0 && (acked < total || send_error)) {
    std::fprintf(stderr, "paho_publish: %llu of %llu acknowledged%s\n",
                 static_cast<unsigned long long>(acked), static_cast<unsigned long long>(total),
                 send_error ? ", a send failed" : " before the timeout");
    status = 1;
  }
  std::printf(
      "%s\n",
      fmt::format(
          R"({{"refill":"{}","clients":{},"window":{},"acked":{},"seconds":{:.3f},"rate":{:.0f}}})",
          refill, clients, window, acked, seconds, seconds > 0 ? acked / seconds : 0.0)
          .c_str());
  for (auto& run : runs) {
    if (run->client == nullptr) continue;
    MQTTAsync_disconnectOptions disc = MQTTAsync_disconnectOptions_initializer5;
    disc.timeout = 1000;
    MQTTAsync_disconnect(run->client, &disc);
    MQTTAsync_destroy(&run->client);
  }
  return status;
}
