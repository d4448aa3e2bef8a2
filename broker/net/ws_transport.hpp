// net::WsTransport: MQTT over WebSocket (RFC 6455; MQTT 5 §6) as a layer over another transport.
// Towards the broker it is a net::Transport; towards the transport it wraps (TCP today, TLS for
// wss) it is the net::StreamHandler. It answers the opening handshake, then unwraps the client's
// binary frames into the byte stream the broker decodes, and wraps what the broker writes in
// binary frames: everything queued in one loop pass leaves as one frame.
//
// Framing and the handshake are the sans-I/O WsFrameDecoder and WsHandshake; this class only
// moves bytes between them, the inner transport and the handler.
//
// Lifetime: the inner transport owns this object (as its handler) and this object owns the
// broker's handler, so the reference to the inner transport stays valid and the broker's handler
// outlives nothing it refers to. The broker's connect_timeout covers the handshake: the handler
// is created at accept, before the upgrade request has arrived, and closes a connection that has
// not sent CONNECT in time, whether the handshake finished or not.
//
// Thread safety: core thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <asio/any_io_executor.hpp>

#include "broker/net/shared_read_buffer.hpp"
#include "broker/net/transport.hpp"
#include "broker/net/ws_frame.hpp"
#include "broker/net/ws_handshake.hpp"
#include "broker/options.hpp"

namespace gw::broker::net {

class WsTransport final : public Transport, public StreamHandler, private WsFrameSink {
 public:
  enum class FailureKind : std::uint8_t { Handshake, Framing };
  // Told once per connection that ends for what the client sent, with the reason (for counting and
  // a rate-limited log line).
  using OnFailure = std::function<void(FailureKind, const std::string& peer, std::string_view why)>;

  // `unmask_buffer`: scratch for unmasking, shared by the connections of the core thread.
  // `max_frame_payload`: the broker's max_packet_size (larger frames close with 1009).
  WsTransport(asio::any_io_executor executor, Transport& inner, const WebSocketOptions& options,
              std::uint32_t max_frame_payload, std::shared_ptr<SharedReadBuffer> unmask_buffer,
              OnFailure on_failure);
  ~WsTransport() override;
  WsTransport(const WsTransport&) = delete;
  WsTransport& operator=(const WsTransport&) = delete;

  // Takes the broker's handler. Call once, before the inner transport starts reading.
  void start(std::unique_ptr<StreamHandler> handler) { handler_ = std::move(handler); }

  // Transport (towards the broker)
  void write(std::span<const std::byte> bytes) override;
  // Sends what is queued and a Close frame (1000), then closes the inner transport.
  void close() override;
  void abort() override;
  [[nodiscard]] std::size_t pending_bytes() const override {
    return queued_.size() + inner_.pending_bytes();
  }
  [[nodiscard]] const std::string& peer() const override { return inner_.peer(); }
  [[nodiscard]] const std::string& peer_address() const override { return inner_.peer_address(); }
  [[nodiscard]] bool peer_is_loopback() const override { return inner_.peer_is_loopback(); }
  void set_reading(bool on) override { inner_.set_reading(on); }
  void release_idle_buffers() override { inner_.release_idle_buffers(); }
  // wss://: the client certificate's identity is the TLS layer's below.
  [[nodiscard]] std::optional<std::string> tls_identity() const override {
    return inner_.tls_identity();
  }

  // StreamHandler (from the inner transport)
  void on_data(std::span<const std::byte> data) override;
  void on_closed(std::error_code ec) override;
  void on_written() override {
    if (handler_) handler_->on_written();
  }

 private:
  enum class State : std::uint8_t { Handshake, Open, Closing };

  void on_ws_binary(std::span<const std::byte> payload) override;
  void on_ws_ping(std::span<const std::byte> payload) override;
  void on_ws_close(std::uint16_t code, std::string_view reason) override;

  void on_frames(std::span<const std::byte> data);
  void flush();  // queued MQTT bytes -> one binary frame on the inner transport
  void send_close(std::uint16_t code);
  void schedule_flush();

  static constexpr std::size_t kKeepQueueCapacity = 64 * 1024;

  asio::any_io_executor executor_;
  Transport& inner_;
  State state_ = State::Handshake;
  WsHandshake handshake_;
  WsFrameDecoder decoder_;
  std::shared_ptr<SharedReadBuffer> unmask_buffer_;
  OnFailure on_failure_;
  std::unique_ptr<StreamHandler> handler_;
  std::vector<std::byte> queued_;  // MQTT bytes for the next binary frame
  bool flush_scheduled_ = false;
  // Shared with a posted flush so that it does nothing once this object is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gw::broker::net
