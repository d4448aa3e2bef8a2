#include "tests/bench/load/load_run.hpp"

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

namespace gw::bench {

using namespace broker::protocol;

namespace {

// Publishers stop encoding once this much is waiting for the socket: enough for one large write,
// small enough that the send timestamps stay close to the real send times.
constexpr std::size_t kPublishBatchBytes = 64 * 1024;
constexpr int kMaxReadsPerPass = 4;
constexpr auto kMaxWait = std::chrono::milliseconds(20);
// A drain ends early when no delivery arrived for this long.
constexpr auto kDrainIdle = std::chrono::seconds(2);

std::int64_t to_ns(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::chrono::steady_clock::duration from_seconds(double s) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

}  // namespace

LoadRun::LoadRun(LoadOptions options) : options_(std::move(options)) {
  addr_.sin_family = AF_INET;
  addr_.sin_port = htons(options_.port);
  inet_pton(AF_INET, options_.host.c_str(), &addr_.sin_addr);  // validated by validate()
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  window_ = options_.inflight;
  if (options_.rate > 0 && options_.publishers > 0) {
    period_ = from_seconds(static_cast<double>(options_.publishers) / options_.rate);
  }
}

LoadRun::~LoadRun() {
  clients_.clear();
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void LoadRun::fail_client(LoadClient& c, const std::string& what) {
  if (c.state == LoadClient::State::Closed) return;
  static constexpr std::array<const char*, 3> kRole{"publisher", "subscriber", "idle"};
  const auto msg = fmt::format("{} {}: {}", kRole[static_cast<std::size_t>(c.role())], c.index(), what);
  if (first_error_.empty()) first_error_ = msg;
  if (phase_ != Phase::Setup) ++closed_by_broker_;
  if (c.state == LoadClient::State::Connecting || c.state == LoadClient::State::AwaitConnack ||
      c.state == LoadClient::State::AwaitSuback) {
    --handshaking_;
  } else if (c.state == LoadClient::State::Ready) {
    --ready_;
  }
  c.state = LoadClient::State::Closed;
  c.readable = c.writable = false;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd(), nullptr);
}

void LoadRun::send_connect(LoadClient& c) {
  static constexpr std::array<char, 3> kRole{'p', 's', 'i'};
  Connect connect{.version = options_.version,
                  .client_id = fmt::format("mqtt-load-{}-{}{}", getpid(),
                                           kRole[static_cast<std::size_t>(c.role())], c.index()),
                  .clean_start = true,
                  .keep_alive = keep_alive_s_};
  if (c.role() == LoadClient::Role::Subscriber && options_.session_expiry > 0 &&
      options_.version == broker::protocol::ProtocolVersion::V5) {
    connect.props.session_expiry = options_.session_expiry;
  }
  c.queue(connect);
  c.state = LoadClient::State::AwaitConnack;
}

void LoadRun::start_connects() {
  while (handshaking_ < options_.connect_burst && next_connect_ < clients_.size()) {
    const auto i = next_connect_++;
    LoadClient& c = *clients_[i];
    ++handshaking_;
    if (auto r = c.start_connect(addr_); !r) {
      c.state = LoadClient::State::Connecting;
      fail_client(c, "connect: " + r.error().message());
      continue;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = i;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c.fd(), &ev) != 0) {
      fail_client(c, "epoll_ctl failed");
    }
  }
}

bool LoadRun::budget_left(const PublisherState& s) const {
  if (stop_publishing_) return false;
  return options_.messages == 0 || s.sent < options_.messages;
}

bool LoadRun::flow_open(const PublisherState& s) const {
  if (options_.qos != QoS::AtMostOnce && s.inflight >= window_) return false;
  if (options_.max_backlog == 0 || options_.subscribers == 0) return true;
  // Deliveries can exceed what was sent (duplicates after a reconnect, messages from other
  // publishers): then nothing is outstanding.
  const auto per_subscriber = delivered_ / options_.subscribers;
  return per_subscriber >= sent_total_ || sent_total_ - per_subscriber < options_.max_backlog;
}

bool LoadRun::can_generate(const PublisherState& s, Clock::time_point now) const {
  return budget_left(s) && flow_open(s) && (options_.rate <= 0 || now >= s.next_due);
}

void LoadRun::generate(LoadClient& c, PublisherState& s, Clock::time_point now) {
  auto& payload = s.publish.payload;
  const auto pub_index = c.index();
  while (c.out_pending() < kPublishBatchBytes && can_generate(s, now)) {
    const auto seq = static_cast<std::uint32_t>(++s.sent);
    ++sent_total_;
    if (options_.qos != QoS::AtMostOnce) {
      while (s.id_used[s.next_id]) s.next_id = static_cast<std::uint16_t>(s.next_id == 65535 ? 1 : s.next_id + 1);
      s.id_used[s.next_id] = true;
      s.publish.packet_id = static_cast<PacketId>(s.next_id);
      s.next_id = static_cast<std::uint16_t>(s.next_id == 65535 ? 1 : s.next_id + 1);
      ++s.inflight;
    }
    const std::int64_t ts = to_ns(Clock::now());
    std::memcpy(payload.data(), &ts, 8);
    std::memcpy(payload.data() + 8, &pub_index, 4);
    std::memcpy(payload.data() + 12, &seq, 4);
    encode(s.publish, options_.version, c.out());
    if (options_.qos == QoS::AtMostOnce) ++s.completed;
    if (options_.rate > 0) s.next_due += period_;
  }
}

void LoadRun::on_publish(LoadClient& c, const Publish& p) {
  const auto now = Clock::now();
  ++delivered_;
  last_delivery_ = now;
  if (!first_delivery_) first_delivery_ = now;
  auto& s = subscribers_[c.index()];
  ++s.received;
  if (p.qos != options_.qos) ++downgraded_;
  if (p.payload.size() >= kMinPayload) {
    std::int64_t ts = 0;
    std::uint32_t pub = 0;
    std::uint32_t seq = 0;
    std::memcpy(&ts, p.payload.data(), 8);
    std::memcpy(&pub, p.payload.data() + 8, 4);
    std::memcpy(&seq, p.payload.data() + 12, 4);
    latency_.record(to_ns(now) - ts);
    if (pub < s.last_seq.size()) {
      auto& last = s.last_seq[pub];
      if (seq <= last) {
        ++duplicates_;
      } else {
        gaps_ += seq - last - 1;
        last = seq;
      }
    }
  }
  if (p.qos == QoS::AtLeastOnce) c.queue(Puback{.packet_id = p.packet_id});
  if (p.qos == QoS::ExactlyOnce) c.queue(Pubrec{.packet_id = p.packet_id});
}

void LoadRun::on_packet(LoadClient& c, Packet&& packet) {
  auto become_ready = [&] {
    c.state = LoadClient::State::Ready;
    --handshaking_;
    ++ready_;
  };
  auto complete = [&](PacketId id) {
    if (c.role() != LoadClient::Role::Publisher) return fail_client(c, "unexpected acknowledgement");
    auto& s = publishers_[c.index()];
    const auto raw = static_cast<std::uint16_t>(id);
    if (!s.id_used[raw]) return fail_client(c, fmt::format("acknowledgement for unknown id {}", raw));
    s.id_used[raw] = false;
    --s.inflight;
    ++s.completed;
  };
  std::visit(
      Overloaded{
          [&](const Connack& ack) {
            if (c.state != LoadClient::State::AwaitConnack) return fail_client(c, "unexpected CONNACK");
            if (ack.reason != ConnackReason::Success) {
              return fail_client(c, fmt::format("CONNACK refused: 0x{:02x}", static_cast<int>(ack.reason)));
            }
            if (ack.props.receive_maximum) window_ = std::min<std::uint32_t>(window_, *ack.props.receive_maximum);
            if (ack.props.server_keep_alive && *ack.props.server_keep_alive > 0) {
              keep_alive_s_ = std::min(keep_alive_s_, *ack.props.server_keep_alive);
            }
            if (ack.props.maximum_qos && *ack.props.maximum_qos < options_.qos) {
              return fail_client(c, "broker's Maximum QoS is below --qos");
            }
            if (c.role() == LoadClient::Role::Subscriber) {
              Subscribe sub{.packet_id = PacketId{1}};
              sub.subscriptions.push_back(
                  {.filter = *TopicFilter::make(options_.topic + "/#"), .options = {.max_qos = options_.qos}});
              c.queue(sub);
              c.state = LoadClient::State::AwaitSuback;
              return;
            }
            become_ready();
          },
          [&](const Suback& ack) {
            if (c.state != LoadClient::State::AwaitSuback) return fail_client(c, "unexpected SUBACK");
            if (ack.reasons.empty() || static_cast<std::uint8_t>(ack.reasons[0]) >= 0x80 ||
                static_cast<std::uint8_t>(ack.reasons[0]) < static_cast<std::uint8_t>(options_.qos)) {
              return fail_client(c, "subscription refused or downgraded");
            }
            become_ready();
          },
          [&](const Publish& p) {
            if (c.role() != LoadClient::Role::Subscriber) return fail_client(c, "unexpected PUBLISH");
            on_publish(c, p);
          },
          [&](const Puback& ack) { complete(ack.packet_id); },
          [&](const Pubrec& rec) {
            if (static_cast<std::uint8_t>(rec.reason) >= 0x80) return complete(rec.packet_id);
            c.queue(Pubrel{.packet_id = rec.packet_id});
          },
          [&](const Pubcomp& comp) { complete(comp.packet_id); },
          [&](const Pubrel& rel) { c.queue(Pubcomp{.packet_id = rel.packet_id}); },
          [&](const Pingresp&) {},
          [&](const Disconnect& d) {
            fail_client(c, fmt::format("DISCONNECT from broker: 0x{:02x}", static_cast<int>(d.reason)));
          },
          [&](const auto&) { fail_client(c, "unexpected packet"); },
      },
      packet);
}

void LoadRun::poll_once(Clock::duration max_wait) {
  std::array<epoll_event, 256> events{};
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::max(max_wait, Clock::duration{})).count();
  const timespec ts{.tv_sec = static_cast<time_t>(ns / 1'000'000'000), .tv_nsec = static_cast<long>(ns % 1'000'000'000)};
  const int n = epoll_pwait2(epoll_fd_, events.data(), static_cast<int>(events.size()), &ts, nullptr);
  for (int i = 0; i < n; ++i) {
    LoadClient& c = *clients_[events[static_cast<std::size_t>(i)].data.u64];
    const auto ev = events[static_cast<std::size_t>(i)].events;
    if (c.state == LoadClient::State::Closed) continue;
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c.readable = true;
    if (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) c.writable = true;
    if (c.state == LoadClient::State::Connecting && c.writable) {
      if (auto r = c.finish_connect(); !r) {
        fail_client(c, "connect: " + r.error().message());
        continue;
      }
      send_connect(c);
    }
  }
  const auto now = Clock::now();
  for (auto& cp : clients_) {
    LoadClient& c = *cp;
    if (c.state == LoadClient::State::Closed || c.state == LoadClient::State::Connecting || !c.readable) continue;
    auto r = c.read(kMaxReadsPerPass, [&](Packet&& p) { on_packet(c, std::move(p)); });
    if (!r) fail_client(c, "read: " + r.error().message());
  }
  const bool ping = now - last_keepalive_check_ > std::chrono::seconds(keep_alive_s_) / 2;
  if (ping) last_keepalive_check_ = now;
  for (auto& cp : clients_) {
    LoadClient& c = *cp;
    if (c.state == LoadClient::State::Closed || c.state == LoadClient::State::Connecting) continue;
    if (ping && c.state == LoadClient::State::Ready) c.queue(Pingreq{});
    if (phase_ == Phase::Publishing && c.role() == LoadClient::Role::Publisher &&
        c.state == LoadClient::State::Ready && c.writable) {
      generate(c, publishers_[c.index()], now);
    }
    if (c.out_pending() > 0 && c.writable) {
      if (auto r = c.flush(); !r) fail_client(c, "write: " + r.error().message());
    }
  }
}

bool LoadRun::setup(LoadResult& result) {
  if (epoll_fd_ < 0) {
    result.error = "epoll_create1 failed";
    return false;
  }
  const auto start = Clock::now();
  last_keepalive_check_ = start;
  // Subscribers first, so that no message is published before every subscription is in place.
  for (std::uint32_t i = 0; i < options_.subscribers; ++i) {
    clients_.push_back(std::make_unique<LoadClient>(LoadClient::Role::Subscriber, i, options_.version));
    subscribers_.push_back(
        {.last_seq = std::vector<std::uint32_t>(std::max(options_.publishers, options_.remote_publishers), 0)});
  }
  for (std::uint32_t i = 0; i < options_.publishers; ++i) {
    clients_.push_back(std::make_unique<LoadClient>(LoadClient::Role::Publisher, i, options_.version));
    PublisherState s;
    s.publish.topic = *TopicName::make(fmt::format("{}/{}", options_.topic, i));
    s.publish.payload.assign(options_.payload, 'x');
    s.publish.qos = options_.qos;
    if (options_.qos != QoS::AtMostOnce) s.id_used.assign(65536, false);
    publishers_.push_back(std::move(s));
  }
  for (std::uint32_t i = 0; i < options_.idle; ++i) {
    clients_.push_back(std::make_unique<LoadClient>(LoadClient::Role::Idle, i, options_.version));
  }
  const auto deadline = start + from_seconds(options_.setup_timeout_s);
  while (ready_ < clients_.size()) {
    if (!first_error_.empty()) break;
    if (Clock::now() > deadline) {
      first_error_ = fmt::format("setup timeout: {} of {} connections ready", ready_, clients_.size());
      break;
    }
    start_connects();
    poll_once(handshaking_ > 0 ? kMaxWait : Clock::duration{});
  }
  result.setup_s = seconds(Clock::now() - start);
  return first_error_.empty();
}

void LoadRun::disconnect_all() {
  for (auto& cp : clients_) {
    LoadClient& c = *cp;
    if (c.state != LoadClient::State::Ready) continue;
    c.queue(Disconnect{});
    c.writable = true;  // one best-effort attempt; the socket closes anyway
    (void)c.flush();
  }
}

LoadResult LoadRun::run() {
  LoadResult result;
  result.load_average = load_average_1m();
  if (options_.broker_pid > 0) result.broker_before = read_proc_stats(options_.broker_pid);
  result.setup_ok = setup(result);
  if (!result.setup_ok) {
    result.error = first_error_;
    return result;
  }
  if (options_.hold_s > 0) {
    phase_ = Phase::Hold;
    const auto until = Clock::now() + from_seconds(options_.hold_s);
    for (auto now = Clock::now(); now < until; now = Clock::now()) {
      poll_once(std::min<Clock::duration>(until - now, std::chrono::milliseconds(100)));
    }
  }
  if (options_.broker_pid > 0) result.broker_connected = read_proc_stats(options_.broker_pid);
  if (!options_.ready_file.empty()) std::ofstream(options_.ready_file) << "ready\n";

  const double cpu_before = own_cpu_seconds();
  const auto total_subscribers = static_cast<std::uint64_t>(options_.subscribers);
  if (options_.publishers > 0) {
    phase_ = Phase::Publishing;
    publish_start_ = Clock::now();
    last_delivery_ = publish_start_;
    for (std::size_t i = 0; i < publishers_.size(); ++i) {
      // Stagger the publishers over one period so that a fixed rate is not sent in bursts.
      publishers_[i].next_due = publish_start_ + period_ * static_cast<long>(i) / static_cast<long>(publishers_.size());
    }
    const auto deadline = publish_start_ + from_seconds(options_.messages > 0 ? options_.run_timeout_s : options_.duration_s);
    std::optional<Clock::time_point> stopped_at;
    for (;;) {
      auto now = Clock::now();
      if (!stop_publishing_ && now >= deadline) {
        stop_publishing_ = true;
        if (options_.messages > 0 && first_error_.empty()) first_error_ = "run timeout before all messages were sent";
      }
      bool busy = false;
      for (std::size_t i = 0; i < publishers_.size(); ++i) {
        const auto& c = *clients_[options_.subscribers + i];
        const auto& s = publishers_[i];
        if (c.state != LoadClient::State::Ready) continue;
        if (budget_left(s) || s.inflight > 0 || c.out_pending() > 0) busy = true;
      }
      if (!busy) break;
      if (stop_publishing_ && !stopped_at) stopped_at = now;
      if (stopped_at && now - *stopped_at > from_seconds(options_.drain_timeout_s)) break;
      // Sleep until the next publisher is due, or not at all when there is work now.
      Clock::duration wait = kMaxWait;
      for (auto& cp : clients_) {
        if (cp->readable && cp->state != LoadClient::State::Closed) wait = Clock::duration{};
      }
      for (std::size_t i = 0; i < publishers_.size() && wait > Clock::duration{}; ++i) {
        const auto& c = *clients_[options_.subscribers + i];
        if (c.state != LoadClient::State::Ready || !c.writable) continue;
        const auto& s = publishers_[i];
        // Window and backlog open again on a packet, which wakes epoll; only the rate is a timer.
        if (!budget_left(s) || !flow_open(s)) continue;
        wait = std::min(wait, options_.rate > 0 ? s.next_due - now : Clock::duration{});
      }
      if (!stop_publishing_ && options_.messages == 0) wait = std::min(wait, deadline - now);
      poll_once(wait);
    }
    last_publish_done_ = Clock::now();
    phase_ = Phase::Draining;
    std::uint64_t published = 0;
    for (const auto& s : publishers_) {
      published += s.completed;
      result.unacknowledged += s.inflight;
    }
    const auto expected = published * total_subscribers;
    const auto drain_until = last_publish_done_ + from_seconds(options_.drain_timeout_s);
    for (auto now = Clock::now(); delivered_ < expected && now < drain_until; now = Clock::now()) {
      if (now - std::max(last_delivery_, last_publish_done_) > kDrainIdle) break;
      poll_once(kMaxWait);
    }
    result.published = published;
    result.expected = expected;
    result.publish_s = seconds(last_publish_done_ - publish_start_);
    result.deliver_s = seconds(last_delivery_ - publish_start_);
  } else if (options_.remote_publishers > 0) {
    // Receive-only: another process publishes; stop 2 s after the last delivery.
    phase_ = Phase::Draining;
    const auto start = Clock::now();
    const auto until = start + from_seconds(options_.run_timeout_s);
    for (auto now = start; now < until; now = Clock::now()) {
      if (first_delivery_ && now - last_delivery_ > kDrainIdle) break;
      poll_once(kMaxWait);
    }
    if (first_delivery_) result.deliver_s = seconds(last_delivery_ - *first_delivery_);
  }
  phase_ = Phase::Done;
  result.own_cpu_s = own_cpu_seconds() - cpu_before;
  if (options_.broker_pid > 0) result.broker_after = read_proc_stats(options_.broker_pid);
  result.delivered = delivered_;
  result.duplicates = duplicates_;
  result.gaps = gaps_;
  result.downgraded = downgraded_;
  result.closed_by_broker = closed_by_broker_;
  result.effective_inflight = options_.qos == QoS::AtMostOnce ? 0 : window_;
  result.latency = latency_.summarize();
  result.error = first_error_;
  disconnect_all();
  return result;
}

}  // namespace gw::bench
