#include "tests/bench/load/connect_cycles.hpp"

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "tests/bench/load/load_client.hpp"

namespace gw::bench {

using namespace broker::protocol;

namespace {

using Clock = std::chrono::steady_clock;

struct Slot {
  std::unique_ptr<LoadClient> client;
  Clock::time_point started;
};

struct EpollFd {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  ~EpollFd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

ConnectCyclesResult run_connect_cycles(const LoadOptions& o) {
  ConnectCyclesResult result;
  result.load_average = load_average_1m();
  if (o.broker_pid > 0) result.broker_before = read_proc_stats(o.broker_pid);
  EpollFd ep;
  if (ep.fd < 0) {
    result.error = "epoll_create1 failed";
    return result;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(o.port);
  inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr);  // validated by validate()

  LatencyRecorder latency;
  std::vector<Slot> slots(o.parallel);
  std::uint64_t started = 0;
  std::uint64_t cycle_no = 0;
  auto fail = [&](Slot& s, const std::string& what) {
    ++result.failed;
    if (result.error.empty()) result.error = what;
    s.client.reset();  // closes the socket, which also leaves the epoll set
  };
  auto start = [&](std::size_t i) {
    Slot& s = slots[i];
    s.client.reset();
    if (started >= o.connect_cycles) return;
    ++started;
    s.client = std::make_unique<LoadClient>(LoadClient::Role::Idle, static_cast<std::uint32_t>(i), o.version);
    s.started = Clock::now();
    if (auto r = s.client->start_connect(addr); !r) return fail(s, "connect: " + r.error().message());
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = i;
    if (epoll_ctl(ep.fd, EPOLL_CTL_ADD, s.client->fd(), &ev) != 0) fail(s, "epoll_ctl failed");
  };

  const double cpu_before = own_cpu_seconds();
  const auto t0 = Clock::now();
  const auto deadline = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.run_timeout_s));
  for (std::size_t i = 0; i < slots.size(); ++i) start(i);
  std::array<epoll_event, 256> events{};
  while (result.completed + result.failed < o.connect_cycles) {
    if (Clock::now() > deadline) {
      if (result.error.empty()) result.error = "timeout";
      break;
    }
    const int n = epoll_wait(ep.fd, events.data(), static_cast<int>(events.size()), 100);
    for (int k = 0; k < n; ++k) {
      const auto i = events[static_cast<std::size_t>(k)].data.u64;
      const auto ev = events[static_cast<std::size_t>(k)].events;
      Slot& s = slots[i];
      if (!s.client) continue;
      LoadClient& c = *s.client;
      if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c.readable = true;
      if (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) c.writable = true;
      if (c.state == LoadClient::State::Connecting) {
        if (!c.writable) continue;
        if (auto r = c.finish_connect(); !r) {
          fail(s, "connect: " + r.error().message());
          start(i);
          continue;
        }
        c.queue(Connect{.version = o.version,
                        .client_id = fmt::format("mqtt-load-{}-c{}", getpid(), cycle_no++),
                        .clean_start = true,
                        .keep_alive = 60});
        c.state = LoadClient::State::AwaitConnack;
      }
      if (c.out_pending() > 0) {
        if (auto r = c.flush(); !r) {
          fail(s, "write: " + r.error().message());
          start(i);
          continue;
        }
      }
      bool done = false;
      std::string problem;
      auto r = c.read(4, [&](Packet&& p) {
        const auto* ack = std::get_if<Connack>(&p);
        if (ack == nullptr || ack->reason != ConnackReason::Success) {
          problem = ack ? fmt::format("CONNACK refused: 0x{:02x}", static_cast<int>(ack->reason)) : "not a CONNACK";
          return;
        }
        done = true;
      });
      if (!r) problem = "read: " + r.error().message();
      if (done) {
        latency.record(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - s.started).count());
        c.queue(Disconnect{});
        (void)c.flush();  // a few bytes into an empty send buffer; the close follows either way
        ++result.completed;
        start(i);
      } else if (!problem.empty()) {
        fail(s, problem);
        start(i);
      }
    }
  }
  result.elapsed_s = std::chrono::duration<double>(Clock::now() - t0).count();
  result.own_cpu_s = own_cpu_seconds() - cpu_before;
  slots.clear();
  if (o.broker_pid > 0) result.broker_after = read_proc_stats(o.broker_pid);
  result.latency = latency.summarize();
  return result;
}

}  // namespace gw::bench
