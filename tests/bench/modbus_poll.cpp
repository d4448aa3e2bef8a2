// modbus_poll_bench: how fast one Modbus TCP link polls, and what the gateway costs per point
// (issue "Modbus adapter", section Benchmark). A standalone program, not a Google Benchmark:
// every mode is a timed run against the same in-process libmodbus TCP server on loopback.
//
//   build/bin/modbus_poll_bench --seconds 3
//
// Setup. One server thread (libmodbus: modbus_receive + modbus_reply, one mapping answers every
// unit id) serves 10 units with 100 points each, identical layout per unit:
//   holding registers  0..39   40 × uint16
//                      40..41  spare (read and discarded: gap 2 <= max_gap)
//                      42..101 30 × int32
//                      102..105 spare (gap 4)
//                      106..155 25 × float32
//   coils              0..4    5 × bool
// The server rewrites every value before each reply (a counter), so every point differs from
// its previous poll and every reading passes its PublishFilter (deadband 0): a poll of 1,000
// points publishes 1,000 readings.
//
// Modes (each runs --warmup, then is measured for --seconds, then stops by itself):
//   bare     a libmodbus client loop in this thread issuing exactly the requests plan_reads()
//            produces for the same devices, back-to-back. No decoding. The reference.
//   paced    the same libmodbus loop, but driven by the Link's own PollSchedule (same poll
//            interval, earliest deadline first, sleeping until the next job is due): what any
//            poller gets under the Link's timing policy, without the Link's per-point work.
//   gateway  adapters::modbus::Link with a sink that only counts. poll_interval 1 ms (--poll-ms),
//            the smallest interval there is besides 0. Jobs keep their phase (a late cycle runs
//            at once, older ones are skipped), so a device is polled at most once per interval:
//            the ceiling is devices × requests per device × 1,000 / poll_ms requests/s (30,000
//            here), printed as "ceiling"; "late polls/s" counts the cycles that did not start on
//            time. --poll-ms 0 is poll_interval 0, as fast as possible: each job is due again
//            when it completes, there is no ceiling but the round trip, and no late polls.
//   broker   the same Link; the sink posts each batch to an asio::io_context thread that turns
//            readings into retained QoS 1 JSON messages and publishes them through a
//            broker::LocalClient into an in-process broker::Broker, as gateway::FieldRouter does.
//            A local subscriber to "bench/#" measures latency from Reading::ts (when the
//            response arrived) to delivery.
//
// CPU. Gateway CPU = process CPU time (CLOCK_PROCESS_CPUTIME_ID) minus the server thread's
// (pthread_getcpuclockid), over the measured window; the main thread sleeps meanwhile. So it is
// the link thread (plus, in broker mode, the core thread). Each thread's own share is printed too:
// the link thread's clock is taken from inside the sink, which runs on that thread. In the bare
// and paced modes "CPU" is the client thread's own (CLOCK_THREAD_CPUTIME_ID equivalent), i.e.
// what libmodbus and the kernel cost per point. "CPU/1000 points" is gateway CPU / readings;
// in broker mode readings dropped before publishing count there too, so use its "CPU per point"
// line (link CPU per reading + core CPU per published message).
//
// Flat out, broker mode measures the core thread's queue (the link produces faster than one
// core thread publishes on a shared 2-CPU machine); `--mode broker --poll-ms 10` measures the
// latency below saturation (100,000 points/s).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <fmt/core.h>
#include <modbus/modbus.h>

#include "adapters/modbus/link.hpp"
#include "adapters/modbus/options.hpp"
#include "adapters/modbus/poll_schedule.hpp"
#include "adapters/modbus/read_plan.hpp"
#include "broker/broker.hpp"
#include "broker/local_client.hpp"
#include "core/check.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "gateway/reading_message.hpp"

namespace {

namespace mb = gw::adapters::modbus;
using gw::adapters::Quality;
using gw::adapters::Reading;
using gw::adapters::Value;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::duration;

constexpr int kDevices = 10;
constexpr int kU16 = 40;
constexpr int kI32 = 30;
constexpr int kF32 = 25;
constexpr int kCoils = 5;
constexpr std::uint16_t kI32Base = kU16 + 2;
constexpr std::uint16_t kF32Base = kI32Base + 2 * kI32 + 4;
constexpr std::uint16_t kRegisters = kF32Base + 2 * kF32;
// As gateway::FieldRouter: beyond this many readings waiting for the core, a batch is dropped.
constexpr std::int64_t kMaxPendingReadings = 100'000;

// ---- CPU clocks -----------------------------------------------------------------------------

std::int64_t cpu_ns(clockid_t id) {
  timespec ts{};
  GW_CHECK(::clock_gettime(id, &ts) == 0);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

clockid_t thread_clock(pthread_t thread) {
  clockid_t id{};
  GW_CHECK(::pthread_getcpuclockid(thread, &id) == 0);
  return id;
}

// ---- devices --------------------------------------------------------------------------------

mb::DeviceOptions make_device(int d, bool long_names, int poll_ms) {
  mb::DeviceOptions dev;
  dev.name = fmt::format("device-{:02}", d + 1);
  dev.unit_id = static_cast<std::uint8_t>(d + 1);
  dev.poll_interval = std::chrono::milliseconds(poll_ms);
  const std::string pre = long_names ? "holding_register_" : "";
  const auto add = [&](std::string name, mb::Table table, int address, mb::DataType type) {
    mb::PointOptions p;
    p.name = std::move(name);
    p.table = table;
    p.address = static_cast<std::uint16_t>(address);
    p.type = type;
    dev.points.push_back(std::move(p));
  };
  using mb::DataType;
  using mb::Table;
  for (int i = 0; i < kU16; ++i) {
    add(fmt::format("{}u16_{:03}", pre, i), Table::HoldingRegister, i, DataType::Uint16);
  }
  for (int i = 0; i < kI32; ++i) {
    add(fmt::format("{}i32_{:03}", pre, i), Table::HoldingRegister, kI32Base + 2 * i,
        DataType::Int32);
  }
  for (int i = 0; i < kF32; ++i) {
    add(fmt::format("{}f32_{:03}", pre, i), Table::HoldingRegister, kF32Base + 2 * i,
        DataType::Float32);
  }
  for (int i = 0; i < kCoils; ++i) {
    add(fmt::format("{}coil_{:03}", long_names ? "output_" : "", i), Table::Coil, i,
        DataType::Bool);
  }
  return dev;
}

std::vector<std::size_t> all_points(const mb::DeviceOptions& dev) {
  std::vector<std::size_t> v(dev.points.size());
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = i;
  return v;
}

// The fewest requests that cover every point when only the per-request maximum counts (any gap
// may be read and discarded): per table, greedily from the lowest address. Greedy is optimal
// for covering sorted intervals with windows of a fixed maximum length.
std::size_t minimum_requests(const mb::DeviceOptions& dev) {
  std::size_t n = 0;
  for (const mb::Table t : {mb::Table::Coil, mb::Table::DiscreteInput, mb::Table::HoldingRegister,
                            mb::Table::InputRegister}) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> spans;  // first, last register or bit
    for (const auto& p : dev.points) {
      if (p.table != t) continue;
      spans.emplace_back(p.address, p.address + mb::register_count(p.type, p.length) - 1U);
    }
    std::sort(spans.begin(), spans.end());
    const std::uint32_t max = mb::is_bit_table(t) ? dev.max_bits_per_read
                                                  : dev.max_registers_per_read;
    for (std::size_t i = 0; i < spans.size();) {
      ++n;
      const std::uint32_t first = spans[i].first;
      std::uint32_t last = spans[i].second;
      for (++i; i < spans.size() && std::max(last, spans[i].second) - first + 1 <= max; ++i) {
        last = std::max(last, spans[i].second);
      }
    }
  }
  return n;
}

// ---- the server -----------------------------------------------------------------------------

// A minimal libmodbus TCP server on 127.0.0.1:<ephemeral>, one client at a time, one mapping
// for every unit id (libmodbus does not filter unit ids over TCP).
class Server {
 public:
  Server() {
    ctx_ = modbus_new_tcp("127.0.0.1", 0);
    GW_CHECK(ctx_ != nullptr);
    listen_fd_ = modbus_tcp_listen(ctx_, 1);
    GW_CHECK(listen_fd_ >= 0);
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    GW_CHECK(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    mapping_ = modbus_mapping_new(kCoils, 0, kRegisters, 0);
    GW_CHECK(mapping_ != nullptr);
    thread_ = std::thread([this] { run(); });
    clock_ = thread_clock(thread_.native_handle());
  }
  ~Server() {
    // Wakes the blocked accept() (EINVAL on Linux); the loop then ends.
    ::shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    ::close(listen_fd_);
    modbus_mapping_free(mapping_);
    modbus_free(ctx_);
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::int64_t cpu() const { return cpu_ns(clock_); }
  [[nodiscard]] std::uint64_t requests() const { return requests_.load(); }

 private:
  void run() {
    std::vector<std::uint8_t> req(MODBUS_TCP_MAX_ADU_LENGTH);
    for (;;) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      modbus_set_socket(ctx_, fd);
      for (;;) {
        const int rc = modbus_receive(ctx_, req.data());
        if (rc < 0) break;  // the client closed the connection
        if (rc == 0) continue;
        update();
        modbus_reply(ctx_, req.data(), rc, mapping_);
      }
      modbus_set_socket(ctx_, -1);
      ::close(fd);
    }
  }

  // New values for every point before each reply.
  void update() {
    const std::uint32_t c = ++counter_;
    requests_.store(c, std::memory_order_relaxed);
    std::uint16_t* r = mapping_->tab_registers;
    for (int i = 0; i < kU16; ++i) r[i] = static_cast<std::uint16_t>(c + static_cast<unsigned>(i));
    for (int i = 0; i < kI32; ++i) {
      const auto v = static_cast<std::uint32_t>(static_cast<std::int32_t>(c) * 3 - 1'000'000 + i);
      r[kI32Base + 2 * i] = static_cast<std::uint16_t>(v >> 16);  // ABCD: high word first
      r[kI32Base + 2 * i + 1] = static_cast<std::uint16_t>(v & 0xFFFF);
    }
    for (int i = 0; i < kF32; ++i) {
      const float f = static_cast<float>(c % 100'000) * 0.5F + static_cast<float>(i);
      std::uint32_t v = 0;
      std::memcpy(&v, &f, sizeof v);
      r[kF32Base + 2 * i] = static_cast<std::uint16_t>(v >> 16);
      r[kF32Base + 2 * i + 1] = static_cast<std::uint16_t>(v & 0xFFFF);
    }
    for (int i = 0; i < kCoils; ++i) {
      mapping_->tab_bits[i] = static_cast<std::uint8_t>((c + static_cast<unsigned>(i)) & 1U);
    }
  }

  modbus_t* ctx_ = nullptr;
  modbus_mapping_t* mapping_ = nullptr;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::uint32_t counter_ = 0;  // server thread only
  std::atomic<std::uint64_t> requests_{0};
  std::thread thread_;
  clockid_t clock_{};
};

// ---- results --------------------------------------------------------------------------------

struct Window {
  double seconds = 0;
  std::uint64_t requests = 0;
  std::uint64_t points = 0;      // points decoded (gateway: readings handed to the sink)
  std::int64_t gateway_cpu = 0;  // ns: process minus server thread (bare: the client thread)
  std::int64_t link_cpu = 0;     // ns: link thread (bare: the client thread)
  std::int64_t core_cpu = 0;     // ns: broker mode only
  std::int64_t server_cpu = 0;   // ns
  std::uint64_t late_polls = 0;  // cycles that did not start on time (late or skipped)
  std::uint64_t published = 0;   // broker mode: messages published by the core thread
};

void print_window(const char* mode, const Window& w) {
  const double rps = static_cast<double>(w.requests) / w.seconds;
  const double pps = static_cast<double>(w.points) / w.seconds;
  const double per_k = w.points == 0 ? 0.0
                                     : static_cast<double>(w.gateway_cpu) /
                                           static_cast<double>(w.points);  // ns/point = µs/1000
  fmt::print("{:8} {:7.2f} s  requests {:9}  req/s {:9.0f}  points/s {:10.0f}  "
             "CPU/1000 points {:7.1f} us ({:5.1f} % of a core; link {:5.1f} %, core {:5.1f} %, "
             "server {:5.1f} %)  late polls/s {:.0f}\n",
             mode, w.seconds, w.requests, rps, pps, per_k,
             100.0 * static_cast<double>(w.gateway_cpu) / (w.seconds * 1e9),
             100.0 * static_cast<double>(w.link_cpu) / (w.seconds * 1e9),
             100.0 * static_cast<double>(w.core_cpu) / (w.seconds * 1e9),
             100.0 * static_cast<double>(w.server_cpu) / (w.seconds * 1e9),
             static_cast<double>(w.late_polls) / w.seconds);
}

struct Options {
  double seconds = 3.0;
  double warmup = 0.5;
  bool long_names = false;
  int poll_ms = 1;  // the Link's poll interval; 0 = as fast as possible
};

// ---- mode 1: bare libmodbus -----------------------------------------------------------------

// `paced`: jobs from a PollSchedule instead of back-to-back cycles.
Window run_bare(const Server& server, const mb::LinkOptions& link, const Options& o, bool paced) {
  struct ModbusFree {
    void operator()(modbus_t* c) const {
      modbus_close(c);
      modbus_free(c);
    }
  };
  std::unique_ptr<modbus_t, ModbusFree> ctx(
      modbus_new_tcp_pi("127.0.0.1", std::to_string(server.port()).c_str()));
  GW_CHECK(ctx != nullptr);
  GW_CHECK(modbus_set_response_timeout(ctx.get(), 1, 0) == 0);
  GW_CHECK(modbus_connect(ctx.get()) == 0);

  std::vector<std::vector<mb::ReadRequest>> plans;
  for (const auto& dev : link.devices) plans.push_back(mb::plan_reads(dev, all_points(dev)));
  std::vector<std::uint16_t> regs(MODBUS_MAX_READ_REGISTERS);
  std::vector<std::uint8_t> bits(MODBUS_MAX_READ_BITS);
  std::uint64_t requests = 0;
  std::uint64_t points = 0;
  const auto cycle = [&] {
    for (std::size_t d = 0; d < plans.size(); ++d) {
      for (const auto& req : plans[d]) {
        GW_CHECK(modbus_set_slave(ctx.get(), link.devices[d].unit_id) == 0);
        const int rc = req.table == mb::Table::Coil
                           ? modbus_read_bits(ctx.get(), req.address, req.count, bits.data())
                           : modbus_read_registers(ctx.get(), req.address, req.count, regs.data());
        GW_CHECK(rc == req.count);
        ++requests;
        points += req.points.size();
      }
    }
  };
  mb::PollSchedule schedule(link, SteadyClock::now());
  const auto job = [&] {
    const std::size_t i = schedule.next();
    const auto& j = schedule.job(i);
    if (j.due > SteadyClock::now()) std::this_thread::sleep_until(j.due);
    for (const auto& req : j.requests) {
      GW_CHECK(modbus_set_slave(ctx.get(), link.devices[j.device].unit_id) == 0);
      const int rc = req.table == mb::Table::Coil
                         ? modbus_read_bits(ctx.get(), req.address, req.count, bits.data())
                         : modbus_read_registers(ctx.get(), req.address, req.count, regs.data());
      GW_CHECK(rc == req.count);
      ++requests;
      points += req.points.size();
    }
    schedule.completed(i, true, SteadyClock::now());
  };
  const auto step = [&] { paced ? job() : cycle(); };
  const auto warm_end = SteadyClock::now() + duration<double>(o.warmup);
  while (SteadyClock::now() < warm_end) step();

  const clockid_t self = thread_clock(::pthread_self());
  requests = 0;
  points = 0;
  const auto t0 = SteadyClock::now();
  const auto cpu0 = cpu_ns(self);
  const auto srv0 = server.cpu();
  const auto late0 = schedule.late_polls();
  const auto end = t0 + duration<double>(o.seconds);
  while (SteadyClock::now() < end) step();
  const auto t1 = SteadyClock::now();
  Window w;
  w.seconds = duration<double>(t1 - t0).count();
  w.requests = requests;
  w.points = points;
  w.gateway_cpu = cpu_ns(self) - cpu0;
  w.link_cpu = w.gateway_cpu;
  w.server_cpu = server.cpu() - srv0;
  w.late_polls = schedule.late_polls() - late0;
  return w;
}

// ---- mode 2 and 3: the Link -----------------------------------------------------------------

// Remembers the CPU clock of the thread that calls it first (the link thread).
class LinkThreadClock {
 public:
  void note() {
    if (!known_.load(std::memory_order_acquire)) {
      clock_ = thread_clock(::pthread_self());
      known_.store(true, std::memory_order_release);
    }
  }
  [[nodiscard]] std::int64_t cpu() const {
    GW_CHECK(known_.load(std::memory_order_acquire));
    return cpu_ns(clock_);
  }

 private:
  std::atomic<bool> known_{false};
  clockid_t clock_{};
};

class CountingSink final : public mb::LinkSink {
 public:
  void on_readings(std::vector<Reading> readings) override {
    clock.note();
    readings_.fetch_add(readings.size(), std::memory_order_relaxed);
  }
  void on_status(mb::DeviceStatus status) override {
    if (!status.online) offline_.fetch_add(1);
  }
  LinkThreadClock clock;
  std::atomic<std::uint64_t> readings_{0};
  std::atomic<std::uint64_t> offline_{0};
};

// Measures one window of a running link. `core_clock`: the broker thread's, when there is one.
template <typename Sink>
// `published`: the broker sink's counter, when there is one.
Window measure_link(const Server& server, mb::Link& link, Sink& sink, const Options& o,
                    std::optional<clockid_t> core_clock,
                    const std::atomic<std::uint64_t>* published) {
  std::this_thread::sleep_for(duration<double>(o.warmup));
  const auto s0 = link.stats();
  const auto t0 = SteadyClock::now();
  const auto proc0 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
  const auto srv0 = server.cpu();
  const auto link0 = sink.clock.cpu();
  const auto core0 = core_clock ? cpu_ns(*core_clock) : 0;
  const auto pub0 = published != nullptr ? published->load() : 0;
  std::this_thread::sleep_for(duration<double>(o.seconds));
  const auto s1 = link.stats();
  const auto t1 = SteadyClock::now();
  const auto proc1 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
  const auto srv1 = server.cpu();
  const auto link1 = sink.clock.cpu();
  const auto core1 = core_clock ? cpu_ns(*core_clock) : 0;
  const auto pub1 = published != nullptr ? published->load() : 0;
  GW_CHECK(s1.errors == s0.errors);
  Window w;
  w.seconds = duration<double>(t1 - t0).count();
  w.requests = s1.requests - s0.requests;
  w.points = s1.readings - s0.readings;
  w.server_cpu = srv1 - srv0;
  w.gateway_cpu = (proc1 - proc0) - w.server_cpu;
  w.link_cpu = link1 - link0;
  w.core_cpu = core1 - core0;
  w.late_polls = s1.late_polls - s0.late_polls;
  w.published = pub1 - pub0;
  return w;
}

Window run_gateway(const Server& server, const mb::LinkOptions& options, const Options& o) {
  CountingSink sink;
  mb::Link link(options, sink);
  link.start();
  Window w = measure_link(server, link, sink, o, std::nullopt, nullptr);
  link.stop();
  GW_CHECK(sink.offline_.load() == 0);
  return w;
}

// The core thread's side: readings become messages with gateway::reading_message, as in
// gateway::FieldRouter;
// a local subscriber records the latency from Reading::ts to delivery.
class BrokerSink final : public mb::LinkSink {
 public:
  BrokerSink(asio::io_context& core, gw::broker::Broker& broker)
      : core_(core), publisher_(broker, "field"), subscriber_(broker, "bench") {
    // Before the core thread starts: nothing else touches the broker yet.
    GW_CHECK(subscriber_
                 .subscribe("bench/#",
                            [this](const std::shared_ptr<const gw::Message>&) { delivered(); })
                 .has_value());
  }

  // Link thread.
  void on_readings(std::vector<Reading> readings) override {
    clock.note();
    const auto n = static_cast<std::int64_t>(readings.size());
    if (pending_.fetch_add(n) + n > kMaxPendingReadings) {
      pending_.fetch_sub(n);
      dropped_ += static_cast<std::uint64_t>(n);
      return;
    }
    asio::post(core_, [this, rs = std::move(readings), n]() {
      pending_.fetch_sub(n);
      for (const auto& r : rs) publish(r);
    });
  }
  void on_status(mb::DeviceStatus status) override {
    if (!status.online) offline_.fetch_add(1);
  }

  // Core thread: latencies are kept while `recording`.
  std::atomic<bool> recording{false};
  std::vector<std::int64_t> latencies_ns;
  std::atomic<std::uint64_t> published{0};
  std::uint64_t delivered_count = 0;
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> offline_{0};
  LinkThreadClock clock;

 private:
  void publish(const Reading& r) {
    gw::Message m = gw::gateway::reading_message("bench/" + r.device + "/" + r.point, r);
    GW_CHECK(publisher_.publish(std::move(m)).has_value());
    published.fetch_add(1, std::memory_order_relaxed);
    // Local delivery is in publish order, on this thread: a FIFO pairs each delivery with its ts.
    sent_.push_back(r.ts);
  }

  void delivered() {
    const auto now = std::chrono::system_clock::now();
    GW_CHECK(!sent_.empty());
    const auto ts = sent_.front();
    sent_.pop_front();
    ++delivered_count;
    if (recording.load(std::memory_order_relaxed)) {
      latencies_ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(now - ts).count());
    }
  }

  asio::io_context& core_;
  gw::broker::LocalClient publisher_;
  gw::broker::LocalClient subscriber_;
  std::atomic<std::int64_t> pending_{0};
  std::deque<std::chrono::system_clock::time_point> sent_;
};

// Runs `f` on the core thread and waits for it.
template <typename F>
void on_core(asio::io_context& core, F f) {
  std::promise<void> done;
  asio::post(core, [&] {
    f();
    done.set_value();
  });
  done.get_future().wait();
}

struct BrokerResult {
  Window window;
  std::vector<std::int64_t> latencies_ns;
  std::uint64_t dropped = 0;
  std::uint64_t published = 0;
  std::uint64_t delivered = 0;
};

BrokerResult run_broker(const Server& server, const mb::LinkOptions& options, const Options& o) {
  asio::io_context core;
  auto work = asio::make_work_guard(core);
  gw::broker::Broker broker(core, gw::broker::BrokerOptions{}, gw::core::SystemClock::instance());
  BrokerSink sink(core, broker);
  sink.latencies_ns.reserve(4'000'000);
  std::thread core_thread([&] { core.run(); });
  const clockid_t core_clock = thread_clock(core_thread.native_handle());

  mb::Link link(options, sink);
  link.start();
  // Latencies are recorded over the measured window only (switched on after the warm-up).
  std::thread recorder([&] {
    std::this_thread::sleep_for(duration<double>(o.warmup));
    sink.recording = true;
    std::this_thread::sleep_for(duration<double>(o.seconds));
    sink.recording = false;
  });
  BrokerResult res;
  res.window = measure_link(server, link, sink, o, core_clock, &sink.published);
  recorder.join();
  link.stop();
  // Twice: the first pass runs the publishes still queued, the second the deliveries they posted.
  on_core(core, [] {});
  on_core(core, [] {});
  on_core(core, [&] {
    res.latencies_ns = std::move(sink.latencies_ns);
    res.published = sink.published.load();
    res.delivered = sink.delivered_count;
  });
  res.dropped = sink.dropped_.load();
  GW_CHECK(sink.offline_.load() == 0);
  work.reset();
  core.stop();
  core_thread.join();
  return res;
}

std::string format_latency(std::int64_t ns) {
  if (ns < 1'000'000) return fmt::format("{:.0f} us", static_cast<double>(ns) / 1e3);
  return fmt::format("{:.2f} ms", static_cast<double>(ns) / 1e6);
}

int run(const Options& o, const std::string& mode) {
  gw::core::setup_logging(gw::core::LogLevel::Warn);
  Server server;

  mb::LinkOptions link;
  link.name = "bench";
  link.kind = mb::LinkKind::Tcp;
  link.host = "127.0.0.1";
  link.port = server.port();
  for (int d = 0; d < kDevices; ++d) link.devices.push_back(make_device(d, o.long_names, o.poll_ms));

  std::size_t planned = 0;
  std::size_t minimum = 0;
  std::size_t points = 0;
  for (const auto& dev : link.devices) {
    planned += mb::plan_reads(dev, all_points(dev)).size();
    minimum += minimum_requests(dev);
    points += dev.points.size();
  }
  fmt::print("{} devices, {} points on 127.0.0.1:{}; point names like '{}'\n", kDevices, points,
             server.port(), link.devices[0].points[kU16].name);
  fmt::print("requests per cycle: planner {} (", planned);
  for (const auto& req : mb::plan_reads(link.devices[0], all_points(link.devices[0]))) {
    fmt::print("{}{}+{} ", req.table == mb::Table::Coil ? "coil " : "hr ", req.address, req.count);
  }
  fmt::print("per device), minimum possible {}; {:.1f} points per request\n", minimum,
             static_cast<double>(points) / static_cast<double>(planned));
  if (o.poll_ms == 0) {
    fmt::print("Link ceiling at poll_interval 0 (as fast as possible): none but the round trip\n");
  } else {
    fmt::print("Link ceiling at poll_interval {} ms: {:.0f} requests/s\n", o.poll_ms,
               static_cast<double>(planned) * 1000.0 / o.poll_ms);
  }

  std::optional<Window> bare;
  std::optional<Window> gateway;
  std::optional<BrokerResult> broker;
  if (mode == "all" || mode == "bare") {
    bare = run_bare(server, link, o, false);
    print_window("bare", *bare);
  }
  std::optional<Window> paced;
  if (mode == "all" || mode == "paced") {
    paced = run_bare(server, link, o, true);
    print_window("paced", *paced);
  }
  if (mode == "all" || mode == "gateway") {
    gateway = run_gateway(server, link, o);
    print_window("gateway", *gateway);
  }
  if (mode == "all" || mode == "broker") {
    broker = run_broker(server, link, o);
    print_window("broker", broker->window);
    auto& l = broker->latencies_ns;
    std::sort(l.begin(), l.end());
    if (!l.empty()) {
      const auto at = [&](double q) {
        return l[std::min(l.size() - 1, static_cast<std::size_t>(q * static_cast<double>(l.size())))];
      };
      fmt::print("         latency response -> delivery: p50 {}  p90 {}  p99 {}  max {}  "
                 "({} samples)\n",
                 format_latency(at(0.5)), format_latency(at(0.9)), format_latency(at(0.99)),
                 format_latency(l.back()), l.size());
    }
    fmt::print("         published {} delivered {} dropped (core behind) {}\n", broker->published,
               broker->delivered, broker->dropped);
    const Window& w = broker->window;
    const double link_ns = static_cast<double>(w.link_cpu) / static_cast<double>(w.points);
    const double core_ns = w.published == 0 ? 0.0
                                            : static_cast<double>(w.core_cpu) /
                                                  static_cast<double>(w.published);
    fmt::print("         CPU per point: link {:.0f} ns per reading + core {:.0f} ns per published "
               "message = {:.2f} us; published/s {:.0f}\n",
               link_ns, core_ns, (link_ns + core_ns) / 1e3,
               static_cast<double>(w.published) / w.seconds);
  }
  const auto rps = [](const Window& w) { return static_cast<double>(w.requests) / w.seconds; };
  if (bare && gateway) {
    fmt::print("gateway / bare requests/s: {:.3f}\n", rps(*gateway) / rps(*bare));
  }
  if (paced && gateway) {
    fmt::print("gateway / paced requests/s: {:.3f}\n", rps(*gateway) / rps(*paced));
  }
  if (bare && broker) {
    fmt::print("broker / bare requests/s: {:.3f}\n", rps(broker->window) / rps(*bare));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Modbus TCP polling benchmark against an in-process libmodbus server"};
  Options o;
  std::string mode = "all";
  app.add_option("--seconds", o.seconds, "measured seconds per mode")->check(CLI::Range(0.1, 600.0));
  app.add_option("--warmup", o.warmup, "seconds of warm-up before each measurement")
      ->check(CLI::Range(0.0, 60.0));
  app.add_option("--mode", mode, "all, bare, paced, gateway or broker")
      ->check(CLI::IsMember({"all", "bare", "paced", "gateway", "broker"}));
  app.add_option("--poll-ms", o.poll_ms,
                 "the Link's poll interval in ms (0: as fast as possible; 1, the default, the "
                 "smallest interval; larger values measure latency below saturation)")
      ->check(CLI::Range(0, 10'000));
  app.add_flag("--long-names", o.long_names,
               "point names longer than the 15-character small-string buffer");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o, mode);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "modbus_poll_bench: %s\n", e.what());
    return 1;
  }
}
