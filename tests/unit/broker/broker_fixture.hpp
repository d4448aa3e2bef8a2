// Shared by the broker's sans-I/O tests: clients talk to the Broker through an in-memory
// transport (Conn) and time is a FakeClock.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "broker/broker.hpp"
#include "broker/protocol/codec.hpp"
#include "broker/protocol/stream_decoder.hpp"
#include "core/clock.hpp"
#include "tests/support/fake_transport.hpp"

namespace gw::broker {

using namespace std::chrono_literals;
using namespace protocol;

using test::FakeTransport;

// One client connection: sends packets in, reads what the broker wrote back.
class Conn {
 public:
  Conn(Broker& broker, ProtocolVersion v = ProtocolVersion::V5, std::string address = "test",
       std::shared_ptr<ListenerSlot> listener = nullptr)
      : version_(v),
        transport_(std::move(address)),
        decoder_(DecodeOptions{.version = v, .maximum_packet_size = kMaxPacketSize}) {
    handler_ = broker.accept(transport_, std::move(listener));
    transport_.handler = handler_.get();
  }
  // The broker refused the TCP connection (max_connections).
  [[nodiscard]] bool refused() const { return handler_ == nullptr; }
  ~Conn() { transport_.finish(); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  void send(const Packet& p) {
    std::vector<std::byte> bytes;
    encode(p, version_, bytes);
    handler_->on_data(bytes);
  }
  // Packets written by the broker since the last call.
  std::vector<Packet> received() {
    std::vector<Packet> out = std::move(pending_);
    pending_.clear();
    auto r = decoder_.consume(std::span(transport_.written).subspan(consumed_), [&](Packet&& p) {
      out.push_back(std::move(p));
      return true;
    });
    EXPECT_TRUE(r) << r.error().message();
    consumed_ = transport_.written.size();
    return out;
  }
  Connack connect(Connect c) {
    c.version = version_;
    send(c);
    auto got = received();
    EXPECT_FALSE(got.empty());
    if (got.empty() || !std::holds_alternative<Connack>(got.front())) return Connack{};
    // What followed the CONNACK (a resumed session's messages) is kept for received().
    pending_.assign(std::make_move_iterator(got.begin() + 1), std::make_move_iterator(got.end()));
    return std::get<Connack>(got.front());
  }
  void drop() { transport_.finish(); }  // the network connection dies
  void stall() { transport_.stalled = true; }
  // Back-pressure: a stalled peer reads everything written so far; whether the broker reads us.
  void drain() { transport_.drain(); }
  void drain_some(std::size_t bytes) { transport_.drain_some(bytes); }
  [[nodiscard]] bool reading() const { return transport_.reading; }
  [[nodiscard]] bool closed() const { return transport_.closed || transport_.finished; }
  // The broker's side of this connection (state allocated on first use is checked through it).
  [[nodiscard]] const Client& client() const { return static_cast<const Client&>(*handler_); }
  [[nodiscard]] int idle_releases() const { return transport_.idle_releases; }

 private:
  ProtocolVersion version_;
  FakeTransport transport_;
  std::unique_ptr<net::StreamHandler> handler_;
  StreamDecoder decoder_;
  std::size_t consumed_ = 0;
  std::vector<Packet> pending_;
};

inline Connect connect_packet(std::string id, std::uint16_t keep_alive = 0) {
  Connect c;
  c.client_id = std::move(id);
  c.keep_alive = keep_alive;
  return c;
}

inline Subscribe subscribe_packet(std::string filter, QoS qos = QoS::AtLeastOnce) {
  Subscribe s;
  s.packet_id = PacketId{1};
  s.subscriptions.push_back({*TopicFilter::make(std::move(filter)), {.max_qos = qos}});
  return s;
}

inline Publish publish_packet(std::string topic, std::string payload, QoS qos = QoS::AtMostOnce) {
  Publish p;
  p.topic = *TopicName::make(std::move(topic));
  p.payload = std::move(payload);
  p.qos = qos;
  if (qos != QoS::AtMostOnce) p.packet_id = PacketId{9};
  return p;
}

// Connects `c` as `id` and subscribes it to `filter`, SUBACK already read.
inline void join(Conn& c, const std::string& id, const std::string& filter, QoS qos = QoS::AtLeastOnce) {
  c.connect(connect_packet(id));
  c.send(subscribe_packet(filter, qos));
  c.received();
}

// Client "dev" connects with a will on "will/dev" and its connection dies (no DISCONNECT).
inline void connect_with_will_and_die(Broker& broker, std::uint32_t session_expiry, std::uint32_t delay) {
  Conn c(broker);
  auto p = connect_packet("dev");
  p.props.session_expiry = session_expiry;
  p.will = Will{.topic = *TopicName::make("will/dev"), .payload = "gone", .delay_interval = delay};
  c.connect(p);
  c.drop();
}

template <class P>
std::vector<P> only(const std::vector<Packet>& packets) {
  std::vector<P> out;
  for (const auto& p : packets) {
    if (const auto* x = std::get_if<P>(&p)) out.push_back(*x);
  }
  return out;
}

class BrokerTest : public ::testing::Test {
 protected:
  BrokerOptions options() {
    BrokerOptions o;
    o.connect_timeout = 5s;
    return o;
  }
  // Runs what the broker posted (in-process deliveries).
  void settle() {
    io_.restart();
    io_.poll();
  }
  core::FakeClock clock_;
  asio::io_context io_;
  std::unique_ptr<Broker> broker_ = std::make_unique<Broker>(io_, options(), clock_);
};

}  // namespace gw::broker
