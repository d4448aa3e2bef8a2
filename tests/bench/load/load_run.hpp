// LoadRun: one load-generator run against a broker on loopback: connects subscribers,
// publishers and idle connections, publishes for a bounded count or time, waits for deliveries,
// and measures throughput, end-to-end latency, loss and (with a broker pid) the broker's memory
// and CPU time.
//
// One thread, one epoll loop, edge-triggered non-blocking sockets: the publishers' send times and
// the subscribers' receive times come from the same steady clock.
//
// Ownership: owns its connections and the epoll descriptor.
// Thread safety: none; one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/bench/load/latency_recorder.hpp"
#include "tests/bench/load/load_client.hpp"
#include "tests/bench/load/load_options.hpp"
#include "tests/bench/load/proc_stats.hpp"

namespace gw::bench {

struct LoadResult {
  bool setup_ok = false;
  std::string error;  // the first error (setup failure, a connection the broker closed, ...)
  std::uint64_t published = 0;  // QoS 0: written; QoS 1/2: acknowledged (PUBACK / PUBCOMP)
  std::uint64_t unacknowledged = 0;  // QoS 1/2 still in flight when the run ended
  std::uint64_t expected = 0;   // published x subscribers
  std::uint64_t delivered = 0;  // PUBLISHes received by all subscribers
  std::uint64_t duplicates = 0;  // a sequence number at or below one already seen (same pair)
  std::uint64_t gaps = 0;        // sequence numbers skipped (QoS 0 loss shows up here)
  std::uint64_t downgraded = 0;  // deliveries at a QoS other than --qos
  std::uint32_t closed_by_broker = 0;
  std::uint32_t effective_inflight = 0;  // after the broker's Receive Maximum
  double setup_s = 0;
  double publish_s = 0;  // first PUBLISH to the last one written (QoS 0) or acknowledged
  double deliver_s = 0;  // first PUBLISH to the last delivery (receive-only: first to last delivery)
  LatencyRecorder::Summary latency;
  double load_average = -1;  // at the start
  std::optional<ProcStats> broker_before;     // before any connection
  std::optional<ProcStats> broker_connected;  // every connection up (after --hold)
  std::optional<ProcStats> broker_after;      // after the drain
  double own_cpu_s = 0;                       // this process, during publish + drain
};

class LoadRun {
 public:
  explicit LoadRun(LoadOptions options);
  ~LoadRun();
  LoadRun(const LoadRun&) = delete;
  LoadRun& operator=(const LoadRun&) = delete;

  // Runs once; bounded by the timeouts in LoadOptions.
  [[nodiscard]] LoadResult run();

 private:
  using Clock = std::chrono::steady_clock;
  enum class Phase : std::uint8_t { Setup, Hold, Publishing, Draining, Done };

  struct PublisherState {
    broker::protocol::Publish publish;  // reused: only payload bytes and packet id change
    std::uint64_t sent = 0;             // sequence numbers used
    std::uint64_t completed = 0;        // QoS 0: sent; QoS 1/2: acknowledged
    std::uint32_t inflight = 0;
    std::uint16_t next_id = 1;
    std::vector<bool> id_used;  // QoS 1/2: packet ids in flight
    Clock::time_point next_due;
  };
  struct SubscriberState {
    std::vector<std::uint32_t> last_seq;  // per publisher
    std::uint64_t received = 0;
  };

  bool setup(LoadResult& result);
  void poll_once(Clock::duration max_wait);
  void on_packet(LoadClient& c, broker::protocol::Packet&& packet);
  void on_publish(LoadClient& c, const broker::protocol::Publish& p);
  void generate(LoadClient& c, PublisherState& s, Clock::time_point now);
  [[nodiscard]] bool can_generate(const PublisherState& s, Clock::time_point now) const;
  [[nodiscard]] bool budget_left(const PublisherState& s) const;
  // The in-flight window (QoS 1/2) and the --max-backlog allow another PUBLISH.
  [[nodiscard]] bool flow_open(const PublisherState& s) const;
  void fail_client(LoadClient& c, const std::string& what);
  void start_connects();
  void send_connect(LoadClient& c);
  void disconnect_all();

  LoadOptions options_;
  int epoll_fd_ = -1;
  sockaddr_in addr_{};
  std::vector<std::unique_ptr<LoadClient>> clients_;  // subscribers, publishers, idle
  std::vector<PublisherState> publishers_;
  std::vector<SubscriberState> subscribers_;
  std::size_t next_connect_ = 0;
  std::uint32_t handshaking_ = 0;
  std::uint32_t ready_ = 0;
  std::uint32_t window_ = 0;  // QoS 1/2 per publisher
  std::uint16_t keep_alive_s_ = 60;
  Phase phase_ = Phase::Setup;
  bool stop_publishing_ = false;
  Clock::time_point publish_start_;
  Clock::time_point last_publish_done_;
  Clock::time_point last_delivery_;
  std::optional<Clock::time_point> first_delivery_;
  Clock::time_point last_keepalive_check_;
  Clock::duration period_{};  // per publisher, when rate-limited
  std::uint64_t delivered_ = 0;
  std::uint64_t sent_total_ = 0;  // PUBLISHes encoded by all publishers
  std::uint64_t duplicates_ = 0;
  std::uint64_t gaps_ = 0;
  std::uint64_t downgraded_ = 0;
  std::uint32_t closed_by_broker_ = 0;
  std::string first_error_;
  LatencyRecorder latency_;
};

}  // namespace gw::bench
