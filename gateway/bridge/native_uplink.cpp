#include "gateway/bridge/native_uplink.hpp"

#include <algorithm>
#include <span>
#include <utility>

#include <sys/socket.h>

#include <asio/connect.hpp>
#include <asio/post.hpp>
#include <asio/ssl/error.hpp>
#include <asio/write.hpp>
#include <fmt/format.h>

#include "broker/protocol/topic_filter.hpp"
#include "broker/protocol/topic_name.hpp"
#include "gateway/bridge/paho_errc.hpp"
#include "gateway/bridge/uplink_tls.hpp"

namespace gw::bridge {

namespace p = broker::protocol;
using asio::ip::tcp;

namespace {

constexpr auto kV5 = p::ProtocolVersion::V5;
constexpr std::size_t kIds = 65536;  // packet identifiers 1..65535; slot 0 unused
constexpr int kPollBudget = 16;      // handlers per LinkDriver::poll()
constexpr const char* kOfflinePayload = R"({"status":"offline"})";

struct HostPort {
  std::string host;
  std::string port;
  bool tls = false;
};

// "mqtt://host:port" or "mqtts://host:port" (config/ writes the port out; 1883 / 8883 when
// absent), host possibly "[v6]".
Result<HostPort> parse_server(const std::string& uri) {
  constexpr std::string_view kPlain = "mqtt://";
  constexpr std::string_view kTls = "mqtts://";
  HostPort hp;
  hp.tls = uri.starts_with(kTls);
  if (!hp.tls && !uri.starts_with(kPlain)) return fail(std::errc::protocol_not_supported);
  std::string_view rest = std::string_view(uri).substr(hp.tls ? kTls.size() : kPlain.size());
  std::size_t colon = std::string_view::npos;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return fail(std::errc::invalid_argument);
    hp.host = std::string(rest.substr(1, close - 1));
    if (close + 1 < rest.size() && rest[close + 1] == ':') colon = close + 1;
  } else {
    colon = rest.rfind(':');
    hp.host = std::string(rest.substr(0, colon));
  }
  hp.port = colon == std::string_view::npos ? std::string(hp.tls ? "8883" : "1883")
                                            : std::string(rest.substr(colon + 1));
  if (hp.host.empty() || hp.port.empty()) return fail(std::errc::invalid_argument);
  return hp;
}

ServerLimits limits_from(const p::Connack& c) {
  ServerLimits l;
  if (c.props.receive_maximum) l.receive_maximum = *c.props.receive_maximum;
  l.max_packet_size = c.props.maximum_packet_size;
  if (c.props.maximum_qos) l.maximum_qos = *c.props.maximum_qos;
  if (c.props.retain_available) l.retain_available = *c.props.retain_available;
  if (c.props.topic_alias_maximum) l.topic_alias_maximum = *c.props.topic_alias_maximum;
  l.server_keep_alive = c.props.server_keep_alive;
  l.assigned_client_id = c.props.assigned_client_id;
  l.session_present = c.session_present;
  return l;
}

}  // namespace

NativeUplink::NativeUplink(Key, const BridgeOptions& options, std::string client_id,
                           std::uint64_t generation, std::shared_ptr<LinkSink> sink)
    : options_(options),
      client_id_(std::move(client_id)),
      context_(std::make_shared<Context>(Context{std::move(sink), generation})),
      work_(asio::make_work_guard(io_)),
      resolver_(io_),
      socket_(io_),
      connect_timer_(io_),
      ping_timer_(io_),
      disconnect_timer_(io_),
      decoder_(p::DecodeOptions{.version = kV5, .maximum_packet_size = options.max_packet_size}),
      slots_(kIds, Slot::Free) {}

Result<std::unique_ptr<NativeUplink>> NativeUplink::create(const BridgeOptions& options,
                                                           std::string client_id,
                                                           std::uint64_t generation,
                                                           std::shared_ptr<LinkSink> sink,
                                                           Threading threading) {
  if (options.servers.empty()) return fail(std::errc::invalid_argument);
  for (const auto& uri : options.servers) {
    GW_TRY(hp, parse_server(uri));
    (void)hp;
  }
  auto link = std::make_unique<NativeUplink>(Key{}, options, std::move(client_id), generation,
                                             std::move(sink));
  if (threading == Threading::OwnThread) link->thread_ = std::thread([l = link.get()] { l->io_.run(); });
  return link;
}

void NativeUplink::run_one_until(std::chrono::steady_clock::time_point deadline) { io_.run_one_until(deadline); }

void NativeUplink::poll() {
  // Bounded: each read starts the next, so a server that keeps sending would keep poll() going
  // and the bridge from its own work.
  for (int i = 0; i < kPollBudget && io_.poll_one() > 0; ++i) {
  }
}

void NativeUplink::wake() {
  // From a handler on the owner's thread the run ends with that handler anyway.
  if (io_.get_executor().running_in_this_thread()) return;
  asio::post(io_, [] {});
}

NativeUplink::~NativeUplink() {
  // Nothing runs after this: pending handlers are destroyed with io_, unrun.
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

LinkEvent NativeUplink::event(LinkEvent::Kind kind) const {
  LinkEvent e;
  e.kind = kind;
  e.generation = context_->generation;
  return e;
}

void NativeUplink::report(std::vector<LinkEvent>& events) {
  if (events.empty()) return;
  context_->sink->on_link_events(events);
  events.clear();
}

// --- owner thread -----------------------------------------------------------------------------------

Result<void> NativeUplink::connect(QoS will_qos, bool will_retain) {
  if (connect_called_) return fail(std::errc::operation_in_progress);
  connect_called_ = true;
  will_qos_ = will_qos;
  will_retain_ = will_retain;
  asio::post(io_, [this] { try_server(0); });
  return {};
}

Result<std::uint16_t> NativeUplink::take_id_locked(Slot slot) {
  if (used_ >= kIds - 1) return fail(std::errc::resource_unavailable_try_again);
  do {
    next_id_ = static_cast<std::uint16_t>(next_id_ == kIds - 1 ? 1 : next_id_ + 1);
  } while (slots_[next_id_] != Slot::Free);
  slots_[next_id_] = slot;
  ++used_;
  return next_id_;
}

template <class P>
void NativeUplink::queue_locked(const P& packet) {
  p::encode(packet, kV5, out_);
  wake_writer_locked();
}

void NativeUplink::wake_writer_locked() {
  if (write_pending_ || holds_ > 0) return;
  // The bridge's round of PUBLISHes leaves from its own thread: no hand-off to the I/O thread and
  // no wake-up of it per round, which at a window of 20 is much of the time a round takes.
  if (send_now_locked()) return;
  write_pending_ = true;
  asio::post(io_, [this] { write_queued(); });
}

bool NativeUplink::send_now_locked() {
  if (out_.empty()) return true;
  if (direct_fd_ < 0 || !connected_ || write_pending_) return false;
  const ssize_t n = ::send(direct_fd_, out_.data(), out_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n <= 0) return false;
  const auto sent = static_cast<std::size_t>(n);
  if (sent < out_.size()) {
    out_.erase(out_.begin(), out_.begin() + n);
    return false;
  }
  out_.clear();
  if (out_qos0_ > 0) {
    // QoS 0 is done once written, in send order (token 0), reported by the I/O thread as there.
    asio::post(io_, [this, count = out_qos0_] {
      std::vector<LinkEvent> events(count, event(LinkEvent::Kind::SendDone));
      report(events);
    });
    out_qos0_ = 0;
  }
  return true;
}

void NativeUplink::hold_sends() {
  std::lock_guard lock(mu_);
  ++holds_;
}

void NativeUplink::release_sends() {
  std::lock_guard lock(mu_);
  if (holds_ > 0) --holds_;
  if (holds_ == 0 && !out_.empty()) wake_writer_locked();
}

Result<int> NativeUplink::publish(const Message& message) {
  std::lock_guard lock(mu_);
  if (!connected_) return fail(std::errc::not_connected);
  p::PacketId id{};
  if (message.qos == QoS::AtMostOnce) {
    ++out_qos0_;
  } else {
    GW_TRY(n, take_id_locked(message.qos == QoS::AtLeastOnce ? Slot::Puback : Slot::Pubrec));
    id = p::PacketId{n};
  }
  queue_publish_locked(message, id, Attempt::First);
  return static_cast<int>(id);
}

Result<int> NativeUplink::publish_with_id(const Message& message, std::uint16_t packet_id, Attempt attempt) {
  std::lock_guard lock(mu_);
  if (!connected_) return fail(std::errc::not_connected);
  if (packet_id == 0 || message.qos == QoS::AtMostOnce || slots_[packet_id] != Slot::Free) {
    return fail(std::errc::invalid_argument);
  }
  ++used_;
  const p::PacketId id{packet_id};
  if (attempt == Attempt::Release) {
    slots_[packet_id] = Slot::Pubcomp;
    queue_locked(p::Pubrel{.packet_id = id});
  } else {
    slots_[packet_id] = message.qos == QoS::AtLeastOnce ? Slot::Puback : Slot::Pubrec;
    queue_publish_locked(message, id, attempt);
  }
  return static_cast<int>(packet_id);
}

void NativeUplink::queue_publish_locked(const Message& message, p::PacketId id, Attempt attempt) {
  p::PublishView view{.message = message,
                      .qos = message.qos,
                      .retain = message.retain,
                      .dup = attempt == Attempt::Again,
                      .packet_id = id,
                      .message_expiry = message.props.message_expiry,
                      .subscription_ids = {},
                      .topic_alias = std::nullopt,
                      .omit_topic = false};
  // Topic aliases (MQTT 5 §3.3.2.3.4), the first alias_max_ topics of this connection, each sent in
  // full once: what a metered link saves on every later message. A retransmission goes in full.
  if (alias_max_ > 0 && attempt == Attempt::First && !message.topic.empty()) {
    if (const auto it = aliases_.find(message.topic); it != aliases_.end()) {
      view.topic_alias = it->second;
      view.omit_topic = true;
    } else if (aliases_.size() < alias_max_) {
      // The alias property makes this first PUBLISH 3 bytes longer than the bridge checked.
      view.topic_alias = static_cast<std::uint16_t>(aliases_.size() + 1);
      if (p::encoded_size(view, kV5) <= max_packet_.value_or(p::kMaxPacketSize)) {
        aliases_.emplace(message.topic, *view.topic_alias);
      } else {
        view.topic_alias.reset();
      }
    }
  }
  queue_locked(view);
}

Result<void> NativeUplink::subscribe(const std::string& filter, QoS qos) {
  auto f = p::TopicFilter::make(filter);
  if (!f) return fail(std::errc::invalid_argument);
  std::lock_guard lock(mu_);
  if (!connected_) return fail(std::errc::not_connected);
  GW_TRY(n, take_id_locked(Slot::Suback));
  sub_filters_[n] = filter;
  p::Subscribe sub;
  sub.packet_id = p::PacketId{n};
  sub.subscriptions.push_back(
      p::Subscription{.filter = std::move(*f), .options = {.max_qos = qos, .no_local = true}});
  queue_locked(sub);
  return {};
}

Result<void> NativeUplink::disconnect(std::chrono::milliseconds timeout) {
  {
    std::lock_guard lock(mu_);
    if (!connected_) return fail(std::errc::not_connected);
    connected_ = false;  // nothing is sent after the DISCONNECT
    direct_fd_ = -1;     // the DISCONNECT goes by the I/O thread, which then ends the connection
    p::encode(p::Disconnect{}, kV5, out_);
  }
  // The I/O thread enters Closing before it writes the DISCONNECT, so that the server closing the
  // socket in answer reads as the end of our disconnect, not as a lost connection.
  asio::post(io_, [this, timeout] {
    if (phase_ != Phase::Connected) return;  // lost meanwhile: ConnectionLost was reported
    phase_ = Phase::Closing;
    disconnect_timer_.expires_after(timeout);
    disconnect_timer_.async_wait([this](std::error_code ec) {
      if (!ec) finish_disconnect();
    });
    bool start = false;
    {
      std::lock_guard lock(mu_);
      start = !write_pending_;
      write_pending_ = true;
    }
    if (start) write_queued();
  });
  return {};
}

// --- I/O thread: connecting ---------------------------------------------------------------------------

// One branch, no wrapper: an mqtt:// server's bytes go straight between the socket and the buffers.
template <class Handler>
void NativeUplink::async_read_some(Handler&& handler) {
  if (tls_ != nullptr) return tls_->async_read_some(asio::buffer(in_), std::forward<Handler>(handler));
  socket_.async_read_some(asio::buffer(in_), std::forward<Handler>(handler));
}

template <class Handler>
void NativeUplink::async_write_all(const std::vector<std::byte>& bytes, Handler&& handler) {
  if (tls_ != nullptr) return asio::async_write(*tls_, asio::buffer(bytes), std::forward<Handler>(handler));
  asio::async_write(socket_, asio::buffer(bytes), std::forward<Handler>(handler));
}

void NativeUplink::try_server(std::size_t index) {
  const std::uint64_t attempt = ++attempt_;
  if (index >= options_.servers.size()) {
    phase_ = Phase::Closed;
    LinkEvent e = event(LinkEvent::Kind::ConnectFailed);
    e.code = static_cast<int>(PahoErrc::Failure);
    e.text = last_failure_;
    std::vector<LinkEvent> events;
    events.push_back(std::move(e));
    report(events);
    return;
  }
  phase_ = Phase::Connecting;
  {
    // Nothing of an earlier server's connection goes to this one before its CONNECT.
    std::lock_guard lock(mu_);
    out_.clear();
    out_qos0_ = 0;
  }
  server_ = index;
  server_uri_ = options_.servers[index];
  auto hp = parse_server(server_uri_);  // checked in create()
  host_ = hp->host;
  tls_ = nullptr;
  tls_handshaking_ = false;
  if (hp->tls && !tls_context_built_) {
    tls_context_built_ = true;
    auto context = make_uplink_tls_context(options_.tls, tls_problem_);
    if (context) tls_context_ = std::move(*context);
  }
  if (hp->tls && !tls_context_) return server_failed(attempt, "TLS: " + tls_problem_);
  connect_timer_.expires_after(options_.connect_timeout);
  connect_timer_.async_wait([this, attempt](std::error_code ec) {
    if (ec || attempt != attempt_) return;
    server_failed(attempt, tls_handshaking_ ? "TLS handshake not finished within the connect timeout"
                                            : "no CONNACK within the connect timeout");
  });
  resolver_.async_resolve(
      hp->host, hp->port, [this, attempt, tls = hp->tls](std::error_code ec, const tcp::resolver::results_type& results) {
        if (attempt != attempt_) return;
        if (ec) return server_failed(attempt, "resolve: " + ec.message());
        asio::async_connect(socket_, results, [this, attempt, tls](std::error_code cec, const tcp::endpoint&) {
          if (attempt != attempt_) return;
          if (cec) return server_failed(attempt, "TCP connect: " + cec.message());
          if (!tls) return on_tcp_connected(attempt);
          // The TLS stream over the connected socket; a new one per server (see tls_streams_).
          tls_streams_.push_back(std::make_unique<TlsStream>(socket_, *tls_context_));
          tls_ = tls_streams_.back().get();
          on_tcp_connected(attempt);
        });
      });
}

void NativeUplink::server_failed(std::uint64_t attempt, const std::string& why) {
  if (attempt != attempt_ || phase_ != Phase::Connecting) return;
  last_failure_ = server_uri_ + ": " + why;
  close_socket();
  connect_timer_.cancel();
  try_server(server_ + 1);
}

void NativeUplink::on_tcp_connected(std::uint64_t attempt) {
  std::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  if (tls_ == nullptr) return send_connect(attempt);
  (void)set_server_name(tls_->native_handle(), host_);
  tls_handshaking_ = true;
  tls_->async_handshake(asio::ssl::stream_base::client,
                        [this, attempt](std::error_code ec) { on_tls_handshake(attempt, ec); });
}

void NativeUplink::on_tls_handshake(std::uint64_t attempt, std::error_code ec) {
  if (attempt != attempt_) return;
  tls_handshaking_ = false;
  if (ec) return server_failed(attempt, "TLS handshake failed: " + tls_failure(tls_->native_handle(), ec));
  // As Paho: the name is checked after the handshake (also without verify_peer), and nothing,
  // least of all the password in CONNECT, is sent to a server that fails it.
  if (options_.tls.verify_hostname && !certificate_names_host(tls_->native_handle(), host_)) {
    return server_failed(attempt, "TLS: the server certificate does not name '" + host_ +
                                      "' (tls.verify_hostname)");
  }
  send_connect(attempt);
}

void NativeUplink::send_connect(std::uint64_t attempt) {
  p::Connect c;
  c.version = kV5;
  c.client_id = client_id_;
  c.clean_start = false;
  c.keep_alive = static_cast<std::uint16_t>(options_.keep_alive.count());
  c.username = options_.username;
  c.password = options_.password;
  c.props.session_expiry = static_cast<std::uint32_t>(options_.session_expiry.count());
  c.props.receive_maximum = options_.receive_maximum;
  c.props.maximum_packet_size = options_.max_packet_size;
  if (!options_.status_topic.empty()) {
    auto topic = p::TopicName::make(options_.status_topic);
    if (!topic) return server_failed(attempt, "the status topic is not a valid topic name");
    c.will = p::Will{.topic = std::move(*topic),
                     .payload = kOfflinePayload,
                     .qos = will_qos_,
                     .retain = will_retain_,
                     .props = {},
                     .delay_interval = std::nullopt};
  }
  connect_bytes_.clear();
  p::encode(c, kV5, connect_bytes_);
  async_write_all(connect_bytes_, [this, attempt](std::error_code ec, std::size_t) {
    // Over TLS 1.3 a server that refuses our certificate does so after our side of the handshake
    // ended: its alert reaches the read started below, which reports the failure with it.
    if (ec && tls_ == nullptr) server_failed(attempt, "write CONNECT: " + ec.message());
  });
  decoder_ = p::StreamDecoder(p::DecodeOptions{.version = kV5, .maximum_packet_size = options_.max_packet_size});
  start_read();
}

void NativeUplink::on_connack(const p::Connack& connack, std::vector<LinkEvent>& events) {
  connect_timer_.cancel();
  if (connack.reason != p::ConnackReason::Success) {
    // A refusal ends the attempt (the Bridge lowers the will on 0x9A / 0x9B and retries).
    phase_ = Phase::Closed;
    ++attempt_;
    close_socket();
    LinkEvent e = event(LinkEvent::Kind::ConnectFailed);
    e.code = static_cast<int>(PahoErrc::Failure);
    e.reason = static_cast<int>(connack.reason);
    e.text = server_uri_ + ": CONNACK refused" +
             (connack.props.reason_string ? ": " + *connack.props.reason_string : std::string());
    events.push_back(std::move(e));
    return;
  }
  phase_ = Phase::Connected;
  LinkEvent e = event(LinkEvent::Kind::Connected);
  e.limits = limits_from(connack);
  e.limits.server_uri = server_uri_;
  keep_alive_ = e.limits.server_keep_alive ? std::chrono::seconds(*e.limits.server_keep_alive)
                                           : options_.keep_alive;
  {
    std::lock_guard lock(mu_);
    connected_ = true;
    if (tls_ == nullptr) direct_fd_ = socket_.native_handle();
    alias_max_ = e.limits.topic_alias_maximum;
    max_packet_ = e.limits.max_packet_size;
  }
  arm_ping();
  events.push_back(std::move(e));
}

// --- I/O thread: the connection -----------------------------------------------------------------------

void NativeUplink::start_read() {
  async_read_some([this, attempt = attempt_](std::error_code ec, std::size_t n) {
    if (attempt != attempt_) return;
    if (ec) {
      if (phase_ == Phase::Connecting) {
        return server_failed(attempt, tls_ != nullptr ? "TLS: " + tls_failure(tls_->native_handle(), ec)
                                                      : "read: " + ec.message());
      }
      if (phase_ == Phase::Closing) return finish_disconnect();
      // Without TLS close_notify, a server that closes the TCP connection truncates the stream.
      const bool closed = ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
      return lose(closed ? std::string("closed by the server") : ec.message());
    }
    auto& events = read_events_;
    // What the packets of one read answer (PUBACKs, PUBRECs, PUBCOMPs, PUBRELs) leaves in one write.
    hold_sends();
    // A packet may end this attempt (lose() -> the next server): the rest of these bytes belong
    // to the old socket and are not decoded, and no read is started again for it.
    auto ok = decoder_.consume(std::span<const std::byte>(in_.data(), n), [&](p::Packet&& packet) {
      on_packet(std::move(packet), events);
      return attempt == attempt_ &&
             (phase_ == Phase::Connected || phase_ == Phase::Closing || phase_ == Phase::Connecting);
    });
    release_sends();
    if (attempt != attempt_) {
      report(events);
      return;
    }
    if (!ok) {
      report(events);
      if (phase_ == Phase::Connecting) return server_failed(attempt, "bad packet: " + ok.error().message());
      return lose("bad packet from the server: " + ok.error().message());
    }
    report(events);
    if (phase_ == Phase::Connected || phase_ == Phase::Closing || phase_ == Phase::Connecting) start_read();
  });
}

bool NativeUplink::release(std::uint16_t id, Slot expected) {
  std::lock_guard lock(mu_);
  if (id == 0 || slots_[id] != expected) return false;
  slots_[id] = Slot::Free;
  --used_;
  return true;
}

void NativeUplink::on_packet(p::Packet&& packet, std::vector<LinkEvent>& events) {
  if (phase_ == Phase::Connecting) {
    if (const auto* connack = std::get_if<p::Connack>(&packet)) return on_connack(*connack, events);
    return lose("expected CONNACK");
  }
  // Anything from the server shows the link alive: a PINGREQ queued behind a long write must not
  // count as unanswered while acknowledgements keep arriving.
  ping_outstanding_ = false;
  std::visit(
      p::Overloaded{
          [&](const p::Puback& a) {
            const auto id = static_cast<std::uint16_t>(a.packet_id);
            if (!release(id, Slot::Puback)) return;
            LinkEvent e = event(LinkEvent::Kind::SendDone);
            e.token = id;
            e.reason = static_cast<int>(a.reason);
            events.push_back(std::move(e));
          },
          [&](const p::Pubrec& a) {
            const auto id = static_cast<std::uint16_t>(a.packet_id);
            if (static_cast<int>(a.reason) >= 0x80) {
              // MQTT 5 §4.3.3: a failing PUBREC ends the exchange; no PUBREL.
              if (!release(id, Slot::Pubrec)) return;
              LinkEvent e = event(LinkEvent::Kind::SendDone);
              e.token = id;
              e.reason = static_cast<int>(a.reason);
              events.push_back(std::move(e));
              return;
            }
            {
              std::lock_guard lock(mu_);
              if (id == 0 || (slots_[id] != Slot::Pubrec && slots_[id] != Slot::Pubcomp)) return;
              slots_[id] = Slot::Pubcomp;
              if (connected_) queue_locked(p::Pubrel{.packet_id = a.packet_id});  // not after DISCONNECT
            }
            LinkEvent e = event(LinkEvent::Kind::Received);
            e.token = id;
            events.push_back(std::move(e));
          },
          [&](const p::Pubcomp& a) {
            const auto id = static_cast<std::uint16_t>(a.packet_id);
            if (!release(id, Slot::Pubcomp)) return;
            LinkEvent e = event(LinkEvent::Kind::SendDone);
            e.token = id;
            e.reason = static_cast<int>(a.reason);
            events.push_back(std::move(e));
          },
          [&](const p::Suback& a) {
            const auto id = static_cast<std::uint16_t>(a.packet_id);
            std::string filter;
            {
              std::lock_guard lock(mu_);
              if (id == 0 || slots_[id] != Slot::Suback) return;
              slots_[id] = Slot::Free;
              --used_;
              if (auto it = sub_filters_.find(id); it != sub_filters_.end()) {
                filter = std::move(it->second);
                sub_filters_.erase(it);
              }
            }
            for (const auto r : a.reasons) {
              if (static_cast<int>(r) < 0x80) continue;
              LinkEvent e = event(LinkEvent::Kind::SubscribeFailed);
              e.reason = static_cast<int>(r);
              e.text = filter;
              events.push_back(std::move(e));
            }
          },
          [&](p::Publish& pub) { on_remote_publish(std::move(pub)); },
          [&](const p::Pubrel& a) {
            qos2_in_.erase(static_cast<std::uint16_t>(a.packet_id));
            std::lock_guard lock(mu_);
            if (connected_) queue_locked(p::Pubcomp{.packet_id = a.packet_id});  // not after DISCONNECT
          },
          [&](const p::Pingresp&) { ping_outstanding_ = false; },
          [&](const p::Disconnect& d) {
            lose(fmt::format("the server sent DISCONNECT with reason 0x{:02x}{}", static_cast<int>(d.reason),
                             d.props.reason_string ? " (" + *d.props.reason_string + ")" : std::string()));
          },
          [&](const auto&) { lose(fmt::format("unexpected packet type {}", packet.index() + 1)); },
      },
      packet);
}

void NativeUplink::on_remote_publish(p::Publish&& pub) {
  const auto id = static_cast<std::uint16_t>(pub.packet_id);
  bool deliver = true;
  {
    std::lock_guard lock(mu_);
    // Nothing is sent after our DISCONNECT [MQTT-3.14.4-1]; the server sends it again later.
    if (pub.qos == QoS::AtLeastOnce) {
      if (connected_) queue_locked(p::Puback{.packet_id = pub.packet_id});
    } else if (pub.qos == QoS::ExactlyOnce) {
      // MQTT 5 §4.3.3: deliver once; a retransmission before PUBREL is acknowledged again only.
      deliver = qos2_in_.insert(id).second;
      if (connected_) queue_locked(p::Pubrec{.packet_id = pub.packet_id});
    }
  }
  if (!deliver) return;
  Message m{.topic = pub.topic.str(),
            .payload = std::move(pub.payload),
            .qos = pub.qos,
            .retain = pub.retain,
            .props = std::move(pub.props.message)};
  context_->sink->on_remote_message(context_->generation, std::move(m));
}

void NativeUplink::write_queued() {
  {
    std::lock_guard lock(mu_);
    if (out_.empty() || phase_ == Phase::Closed || phase_ == Phase::Idle || phase_ == Phase::Connecting) {
      write_pending_ = false;
      return;
    }
    writing_.clear();
    std::swap(out_, writing_);
    writing_qos0_ = out_qos0_;
    out_qos0_ = 0;
  }
  async_write_all(writing_, [this](std::error_code ec, std::size_t) {
    if (ec) {
      {
        std::lock_guard lock(mu_);
        write_pending_ = false;
      }
      if (phase_ == Phase::Closing) return finish_disconnect();
      return lose("write: " + ec.message());
    }
    // QoS 0 is done once written, in send order (token 0).
    std::vector<LinkEvent> events;
    for (std::size_t i = 0; i < writing_qos0_; ++i) events.push_back(event(LinkEvent::Kind::SendDone));
    writing_qos0_ = 0;
    report(events);
    bool more = false;
    {
      std::lock_guard lock(mu_);
      more = !out_.empty();
      if (!more) write_pending_ = false;
    }
    if (more) return write_queued();
    if (phase_ == Phase::Closing) finish_disconnect();
  });
}

void NativeUplink::arm_ping() {
  if (keep_alive_.count() == 0) return;
  ping_timer_.expires_after(keep_alive_);
  ping_timer_.async_wait([this](std::error_code ec) {
    if (ec || phase_ != Phase::Connected) return;
    if (ping_outstanding_) return lose("no PINGRESP within the keep alive");
    ping_outstanding_ = true;
    {
      std::lock_guard lock(mu_);
      if (connected_) queue_locked(p::Pingreq{});  // not after DISCONNECT
    }
    arm_ping();
  });
}

void NativeUplink::lose(const std::string& why) {
  if (phase_ != Phase::Connected && phase_ != Phase::Closing) {
    if (phase_ == Phase::Connecting) server_failed(attempt_, why);
    return;
  }
  const bool closing = phase_ == Phase::Closing;
  phase_ = Phase::Closed;
  {
    std::lock_guard lock(mu_);
    connected_ = false;
  }
  close_socket();
  // After what the same read decoded before (lose() from on_packet): acknowledgements first.
  if (closing) {
    if (!disconnect_reported_) {
      disconnect_reported_ = true;
      read_events_.push_back(event(LinkEvent::Kind::Disconnected));
      report(read_events_);
    }
    return;
  }
  LinkEvent e = event(LinkEvent::Kind::ConnectionLost);
  e.text = why;
  read_events_.push_back(std::move(e));
  report(read_events_);
}

void NativeUplink::finish_disconnect() {
  if (phase_ != Phase::Closing) return;
  phase_ = Phase::Closed;
  close_socket();
  if (disconnect_reported_) return;
  disconnect_reported_ = true;
  std::vector<LinkEvent> events{event(LinkEvent::Kind::Disconnected)};
  report(events);
}

void NativeUplink::close_socket() {
  {
    std::lock_guard lock(mu_);
    direct_fd_ = -1;
  }
  std::error_code ignored;
  if (socket_.is_open()) {
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }
  resolver_.cancel();
  ping_timer_.cancel();
  disconnect_timer_.cancel();
}

}  // namespace gw::bridge
