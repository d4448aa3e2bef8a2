#include "broker/client.hpp"

#include <type_traits>
#include <utility>

#include <asio/error.hpp>

#include "broker/broker.hpp"
#include "broker/protocol/utf8.hpp"
#include "broker/session.hpp"

namespace gw::broker {

using namespace protocol;

// One Client per connection: docs/performance.md "Per-connection memory". 200 bytes is a
// 208-byte malloc chunk (glibc, 64-bit); a new field that crosses it costs 16 bytes per idle
// connection, so check that it has to be inline.
static_assert(sizeof(void*) != 8 || sizeof(Client) <= 200, "Client grew past 200 bytes");

Client::Client(Broker& broker, net::Transport& transport)
    : broker_(broker),
      transport_(transport),
      decoder_(DecodeOptions{.version = std::nullopt,
                             .maximum_packet_size = broker.options().max_packet_size}),
      created_(broker.clock().steady()),
      last_packet_(created_) {}

Client::~Client() = default;

void Client::on_data(std::span<const std::byte> data) {
  if (closing_) return;
  broker_.count_bytes_received(data.size());
  // One clock read per read batch: every packet in it arrived at the same time. Only complete
  // packets count for keep alive: a client trickling the bytes of one packet is not "alive".
  const auto now = broker_.clock().steady();
  auto consumed = decoder_.consume(data, [this, now](Packet&& packet) {
    last_packet_ = now;
    handle(std::move(packet));
    return !closing_;
  });
  // Acknowledgements may have drained this subscriber's queue.
  if (!closing_ && (!backpressure().waiters.empty() || backpressure().stuck)) {
    broker_.on_subscriber_progress(*this);
  }
  if (consumed || closing_) return;
  const auto code = to_mqtt_errc(consumed.error());
  if (!connected_ && enhanced_auth_ != nullptr) {
    // A broken packet in an enhanced authentication exchange (an AUTH with Authentication Data
    // but no method, say) ends it like any other protocol error there: CONNACK 0x82 (MQTT 5
    // §4.13.1 allows a CONNACK before the close). It is logged there.
    if (enhanced_auth_->refusing) {  // the refusal is on its way; the connection ends now
      broker_.count_protocol_error();
      broker_.log().info("client {}: {}", peer(), consumed.error().message());
    } else {
      broker_.on_auth_protocol_error(*this, consumed.error().message());
    }
    close();  // closed already, unless a refusal was on its way
    return;
  }
  if (!connected_) {
    broker_.count_protocol_error();
    if (decoder_.options().version &&
        decoder_.failed_packet_type() == static_cast<std::uint8_t>(PacketType::Connect)) {
      // A second CONNECT while the first is being verified [MQTT-3.1.0-2]: a Protocol Error,
      // however it is broken (not 0x84, which answers a first CONNECT).
      broker_.log().info("client {}: second CONNECT before CONNACK ({})", peer(),
                         consumed.error().message());
      if (version_ == ProtocolVersion::V5) send(Connack{.reason = ConnackReason::ProtocolError});
      close();
      return;
    }
    if (code == MqttErrc::UnsupportedProtocolVersion) {
      // MQTT 5 §3.1.2.2 [MQTT-3.1.2-2]: answer in a form the client can read, then close.
      const auto level = decoder_.refused_protocol_level().value_or(4);
      const auto form = level >= 5 ? ProtocolVersion::V5 : ProtocolVersion::V311;
      auto& out = broker_.encode_buffer();
      out.clear();
      encode(Connack{.reason = ConnackReason::UnsupportedProtocolVersion}, form, out);
      transport_.write(out);
    }
    broker_.log().info("client {}: refused before CONNECT: {}", peer(), consumed.error().message());
    close();
    return;
  }
  if (decoder_.failed_packet_type() == static_cast<std::uint8_t>(PacketType::Connect)) {
    // MQTT 5 §3.1 [MQTT-3.1.0-2]: a second CONNECT is a Protocol Error, however it is broken (the
    // codec's own code for it, 0x84 for a protocol level it refuses, is not a DISCONNECT code).
    broker_.log().info("client {}: second CONNECT ({})", peer(), consumed.error().message());
    disconnect(DisconnectReason::ProtocolError, "second CONNECT");
    return;
  }
  broker_.log().info("client {}: {}", peer(), consumed.error().message());
  // Every code the codec gives for other packets is a DISCONNECT Reason Code [MQTT-3.14.2-1];
  // anything else would be a codec bug, which must still not reach the client.
  disconnect(is_disconnect_reason(static_cast<std::uint8_t>(code))
                 ? static_cast<DisconnectReason>(code)
                 : DisconnectReason::UnspecifiedError);
}

void Client::release_held() {
  if (!held_) return;
  auto held = std::move(held_->packets);
  held_.reset();
  for (auto& packet : held) {
    if (closing_) return;
    handle(std::move(packet));
  }
}

void Client::handle(Packet&& packet) {
  if (!connected_ && enhanced_auth_) {
    // MQTT 5 §3.1.2.11.9 [MQTT-3.1.2-30]: until its CONNACK, a client that named an
    // Authentication Method sends only AUTH or DISCONNECT.
    if (auto* auth = std::get_if<Auth>(&packet)) {
      broker_.on_auth(*this, std::move(*auth));
    } else if (std::holds_alternative<Disconnect>(packet)) {
      close();
    } else {
      broker_.on_auth_protocol_error(*this, "packet other than AUTH before CONNACK");
    }
    return;
  }
  if (connected_ && enhanced_auth_ && enhanced_auth_->refusing) {
    // A failed re-authentication: its DISCONNECT 0x87 comes after the failure delay, and until
    // then nothing more is served on the old authorisation [MQTT-4.12.1-2].
    return;
  }
  if (!connected_ && auth_ticket_ != 0) {
    // CONNECT is being verified: keep what follows it for later.
    if (!held_) held_ = std::make_unique<Held>();
    if (const auto* p = std::get_if<Publish>(&packet)) {
      held_->bytes += p->topic.str().size() + p->payload.size();
    }
    if (held_->packets.size() >= kMaxHeldPackets || held_->bytes > kMaxHeldBytes) {
      broker_.log().info("client {}: more than {} packets or {} bytes before CONNACK; closing",
                         peer(), kMaxHeldPackets, kMaxHeldBytes);
      close();
      return;
    }
    held_->packets.push_back(std::move(packet));
    return;
  }
  if (!connected_) {
    // The decoder only lets a CONNECT through before the version is known [MQTT-3.1.0-1].
    auto* connect = std::get_if<Connect>(&packet);
    if (connect == nullptr) {
      close();
      return;
    }
    version_ = connect->version;
    // MQTT 5 §3.1.2.11.4 [MQTT-3.1.2-24]: the limit holds for every packet from here on, the
    // CONNACK and any AUTH of an enhanced authentication included.
    if (connect->props.maximum_packet_size) {
      maximum_packet_size_ = *connect->props.maximum_packet_size;
    }
    broker_.on_connect(*this, std::move(*connect));
    return;
  }
  std::visit(
      Overloaded{
          [&](Connect&) {
            // MQTT 5 §3.1 [MQTT-3.1.0-2]: a second CONNECT is a Protocol Error.
            disconnect(DisconnectReason::ProtocolError, "second CONNECT");
          },
          [&](Publish& p) { on_publish(std::move(p)); },
          [&](Puback& p) { broker_.on_puback(*this, p); },
          [&](Pubrec& p) { broker_.on_pubrec(*this, p); },
          [&](Pubrel& p) { broker_.on_pubrel(*this, p); },
          [&](Pubcomp& p) { broker_.on_pubcomp(*this, p); },
          [&](Subscribe& s) { broker_.on_subscribe(*this, std::move(s)); },
          [&](Unsubscribe& u) { broker_.on_unsubscribe(*this, std::move(u)); },
          [&](Pingreq&) { send(Pingresp{}); },
          [&](Disconnect& d) {
            if (!broker_.on_disconnect(*this, d)) {
              // [MQTT-3.14.2-2]: a Session Expiry Interval in DISCONNECT when CONNECT had 0.
              disconnect(DisconnectReason::ProtocolError, "session expiry set on DISCONNECT after 0");
              return;
            }
            close();
          },
          [&](Auth& a) {
            // MQTT 5 §4.12 [MQTT-4.12.0-7]: AUTH only after a CONNECT with an Authentication
            // Method; from any other client it is a Protocol Error.
            if (enhanced_auth_) {
              broker_.on_auth(*this, std::move(a));
              return;
            }
            disconnect(DisconnectReason::ProtocolError, "AUTH without enhanced authentication");
          },
          [&](auto&) {
            // CONNACK, SUBACK, UNSUBACK, PINGRESP are server-to-client packets.
            disconnect(DisconnectReason::ProtocolError, "server-to-client packet received");
          },
      },
      packet);
}

void Client::on_publish(Publish&& publish) {
  const auto& opts = broker_.options();
  if (version_ == ProtocolVersion::V5) {
    // MQTT 5 §3.3.4 [MQTT-3.3.4-6]: a client's PUBLISH must not carry Subscription Identifiers.
    if (!publish.props.subscription_ids.empty()) {
      disconnect(DisconnectReason::ProtocolError, "subscription identifier in PUBLISH");
      return;
    }
    if (publish.props.topic_alias) {
      const auto alias = *publish.props.topic_alias;
      // MQTT 5 §3.3.2.3.4 [MQTT-3.3.2-9]: not above the Topic Alias Maximum we announced.
      if (alias > opts.topic_alias_maximum) {
        disconnect(DisconnectReason::TopicAliasInvalid, "topic alias above maximum");
        return;
      }
      if (publish.topic.empty()) {
        const TopicName* known = nullptr;
        if (aliases_) {
          if (auto it = aliases_->in.find(alias); it != aliases_->in.end()) known = &it->second;
        }
        if (known == nullptr) {
          // MQTT 5 §3.3.2.3.4: an alias the client never set is a Protocol Error.
          disconnect(DisconnectReason::ProtocolError, "unknown topic alias");
          return;
        }
        publish.topic = *known;
      } else {
        aliases().in.insert_or_assign(alias, publish.topic);
      }
      publish.props.topic_alias.reset();  // aliases are per connection, never forwarded
    }
  }
  // MQTT 5 §3.2.2.3.4 [MQTT-3.2.2-12]: QoS above the announced Maximum QoS.
  if (publish.qos > opts.maximum_qos) {
    disconnect(DisconnectReason::QosNotSupported, "QoS above maximum");
    return;
  }
  // MQTT 5 §3.2.2.3.5 [MQTT-3.2.2-15]: RETAIN when Retain Available is 0.
  if (publish.retain && !opts.retain_available) {
    disconnect(DisconnectReason::RetainNotSupported, "retain not available");
    return;
  }
  // MQTT 5 §3.3.2.3.2: a payload announced as UTF-8 must be UTF-8; refuse it in the ack.
  if (publish.props.message.payload_format == PayloadFormat::Utf8 &&
      !is_valid_mqtt_utf8(publish.payload)) {
    if (publish.qos == QoS::AtLeastOnce) {
      send(Puback{.packet_id = publish.packet_id, .reason = PubackReason::PayloadFormatInvalid});
    } else if (publish.qos == QoS::ExactlyOnce) {
      send(Pubrec{.packet_id = publish.packet_id, .reason = PubrecReason::PayloadFormatInvalid});
    }
    return;
  }
  broker_.on_publish(*this, std::move(publish));
}

bool Client::send(const Packet& packet) {
  if (closing_) return false;
  // MQTT 5 §3.1.2.11.4 [MQTT-3.1.2-24]: no packet larger than the client's Maximum Packet Size.
  // Only optional parts can be given up: a DISCONNECT's Reason String, and the properties of a
  // refusing CONNACK (its Server Reference among them). Anything else that does not fit is not
  // sent (a SUBACK for thousands of filters to a client that allows a few bytes); the caller of
  // an AUTH that does not fit ends the exchange (broker_enhanced_auth.cpp). A successful CONNACK
  // never gets here: finish_connect() trims or refuses it first.
  if (maximum_packet_size_ < kMaxPacketSize && encoded_size(packet, version_) > maximum_packet_size_) {
    if (const auto* d = std::get_if<Disconnect>(&packet); d != nullptr && d->props.reason_string) {
      Disconnect bare = *d;
      bare.props.reason_string.reset();
      return send(bare);
    }
    if (const auto* c = std::get_if<Connack>(&packet);
        c != nullptr && c->reason != ConnackReason::Success && c->props != ConnackProps{}) {
      return send(Connack{.reason = c->reason});
    }
    broker_.log().warn("client {}: {} of {} bytes exceeds its maximum packet size {}, not sent",
                       peer(), static_cast<int>(type_of(packet)), encoded_size(packet, version_),
                       maximum_packet_size_);
    return false;
  }
  auto& out = broker_.encode_buffer();
  out.clear();
  encode(packet, version_, out);
  return write_out();
}

Client::SendResult Client::send(const PublishView& publish) {
  if (closing_ || stuck_) return SendResult::NotWritable;
  PublishView view = publish;
  // MQTT 5 §3.3.2.3.4: a client that announced a Topic Alias Maximum gets aliases: the topic
  // once with its alias, then the alias alone. New topics beyond the maximum go out in full.
  std::optional<std::pair<std::string, std::uint16_t>> new_alias;
  if (topic_alias_maximum_ > 0) {
    auto& out_aliases = aliases().out;
    if (auto it = out_aliases.find(view.message.topic); it != out_aliases.end()) {
      view.topic_alias = it->second;
      view.omit_topic = true;
    } else if (out_aliases.size() < std::min(topic_alias_maximum_, kMaxOutboundAliases) &&
               view.message.topic.size() <= kMaxAliasedTopic) {
      const auto alias = static_cast<std::uint16_t>(out_aliases.size() + 1);
      view.topic_alias = alias;
      new_alias.emplace(view.message.topic, alias);
    }
  }
  // MQTT 5 §3.1.2.11.4 [MQTT-3.1.2-25]: never larger than the client's Maximum Packet Size, nor
  // than a packet can be (a client without a maximum of its own).
  if ((maximum_packet_size_ < kMaxPacketSize || broker_.copies_may_outgrow_packets()) &&
      encoded_size(view, version_) > maximum_packet_size_) {
    return SendResult::TooLarge;
  }
  if (new_alias) aliases_->out.insert(std::move(*new_alias));  // only once actually sent
  auto& out = broker_.encode_buffer();
  out.clear();
  encode(view, version_, out);
  write_out();
  return SendResult::Sent;
}

bool Client::write_out() {  // sends what was just encoded into the broker's encode buffer
  if (stuck_) return false;
  transport_.write(broker_.encode_buffer());
  broker_.count_bytes_sent(broker_.encode_buffer().size());
  // A client that stops reading cannot make us buffer without bound: QoS 0 deliveries stop at
  // max_queued_bytes (Broker::deliver), and anything that still piles up past twice that
  // (acknowledgements to a flooding publisher that never reads) ends the connection — on the
  // next tick, not here, where the caller may still be working on its session.
  if (transport_.pending_bytes() > 2 * broker_.options().max_queued_bytes) {
    broker_.log().warn("client {}: not reading ({} bytes unsent), disconnecting", peer(),
                       transport_.pending_bytes());
    stuck_ = true;
  }
  return true;
}

void Client::disconnect(DisconnectReason reason, std::string reason_string) {
  if (closing_) return;
  // Every connection ended for what the client sent is counted, whether the codec or a
  // session rule caught it (not keep-alive, takeover or shutdown, which are not its errors).
  if (reason != DisconnectReason::KeepAliveTimeout && reason != DisconnectReason::SessionTakenOver &&
      reason != DisconnectReason::ServerShuttingDown &&
      static_cast<std::uint8_t>(reason) >= 0x80) {
    broker_.count_protocol_error();
  }
  if (version_ == ProtocolVersion::V5 && connected_) {
    Disconnect d{.reason = reason};
    if (request_problem_information_ && !reason_string.empty()) {
      d.props.reason_string = std::move(reason_string);
    }
    send(d);
  }
  close();
}

void Client::close() {
  if (closing_) return;
  closing_ = true;
  // The network connection ends here, not when the transport reports on_closed() (that waits for
  // the peer's FIN, up to the linger time). Detach the session now (MQTT 5 §4.1: the session
  // outlives the connection): messages routed meanwhile are queued for the next connection
  // instead of being handed to a connection that sends nothing more, and the will of a
  // server-closed connection is published now [MQTT-3.1.2-8], not after the linger.
  broker_.forget_backpressure(*this);
  if (session_ != nullptr) {
    Session* session = std::exchange(session_, nullptr);
    broker_.on_client_closed(*this, *session);
  }
  transport_.close();
}

void Client::accept_connect(Session& session, const Negotiated& n) {
  connected_ = true;
  session_ = &session;
  keep_alive_s_ = n.keep_alive_s;
  receive_maximum_ = n.receive_maximum;
  maximum_packet_size_ = n.maximum_packet_size;
  topic_alias_maximum_ = n.topic_alias_maximum;
  request_problem_information_ = n.request_problem_information;
}

void Client::on_tick(std::chrono::steady_clock::time_point now) {
  if (closing_) return;
  if (stuck_) {
    abort();
    return;
  }
  if (!connected_) {
    // MQTT 5 §3.1.4: a connection that does not send CONNECT in reasonable time is closed.
    if (now - created_ >= broker_.options().connect_timeout) {
      broker_.log().info("client {}: no CONNECT within {} ms, closing", peer(),
                         broker_.options().connect_timeout.count());
      close();
    }
    return;
  }
  broker_.check_backpressure(*this, now);
  // Released here, not where it became idle: the Broker's back-pressure code holds references
  // to it while it pairs and releases clients.
  if (backpressure_ && backpressure_->idle()) backpressure_.reset();
  transport_.release_idle_buffers();
  // MQTT 5 §3.1.2.10 [MQTT-3.1.2-22]: disconnect after one and a half Keep Alive periods
  // without a control packet from the client; not while we do not read it (back-pressure).
  if (keep_alive_s_ != 0 && !backpressure().paused() &&
      now - last_packet_ >= std::chrono::milliseconds(std::uint32_t{keep_alive_s_} * 1500)) {
    broker_.log().info("client {}: keep alive timeout ({} s)", peer(), keep_alive_s_);
    disconnect(DisconnectReason::KeepAliveTimeout);
  }
}

void Client::abort() {
  closing_ = true;
  broker_.forget_backpressure(*this);
  transport_.abort();
}

void Client::on_written() {
  if (!closing_ && (!backpressure().waiters.empty() || backpressure().stuck)) {
    broker_.on_subscriber_progress(*this);
  }
}

void Client::on_closed(std::error_code ec) {
  closing_ = true;
  broker_.forget_backpressure(*this);
  if (ec && ec != asio::error::eof) {
    broker_.log().debug("client {}: connection error: {}", peer(), ec.message());
  }
  broker_.on_client_gone(*this);
  if (session_ != nullptr) {
    Session* session = std::exchange(session_, nullptr);
    broker_.on_client_closed(*this, *session);
  }
}

}  // namespace gw::broker
