#include "broker/net/ws_transport.hpp"

#include <array>

#include <asio/post.hpp>

namespace gw::broker::net {

namespace {
std::span<const std::byte> as_bytes(const std::string& s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}
}  // namespace

WsTransport::WsTransport(asio::any_io_executor executor, Transport& inner,
                         const WebSocketOptions& options, std::uint32_t max_frame_payload,
                         std::shared_ptr<SharedReadBuffer> unmask_buffer, OnFailure on_failure)
    : executor_(std::move(executor)),
      inner_(inner),
      handshake_(options.path),
      decoder_(max_frame_payload),
      unmask_buffer_(std::move(unmask_buffer)),
      on_failure_(std::move(on_failure)) {}

WsTransport::~WsTransport() { *alive_ = false; }

void WsTransport::write(std::span<const std::byte> bytes) {
  if (state_ == State::Closing) return;
  queued_.insert(queued_.end(), bytes.begin(), bytes.end());
  if (state_ == State::Open) schedule_flush();
}

void WsTransport::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  // At the end of this loop pass, like TcpConnection: every packet the broker produced in it
  // goes out in one binary frame rather than one frame per packet.
  asio::post(executor_, [this, alive = alive_] {
    if (!*alive) return;
    flush_scheduled_ = false;
    flush();
  });
}

void WsTransport::flush() {
  if (state_ != State::Open || queued_.empty()) return;
  WsFrameHeader header;
  const std::size_t n = write_ws_frame_header(header, WsOpcode::Binary, queued_.size());
  // Two writes into the inner transport's queue leave in its one write of this pass.
  inner_.write(std::span<const std::byte>(header.data(), n));
  inner_.write(queued_);
  if (queued_.capacity() > kKeepQueueCapacity) {
    // A burst's buffer is not kept by a connection that goes quiet (`= {}` would keep it).
    queued_ = std::vector<std::byte>();
  } else {
    queued_.clear();
  }
}

void WsTransport::send_close(std::uint16_t code) {
  WsFrameHeader header;
  const std::size_t n = write_ws_frame_header(header, WsOpcode::Close, 2);
  const std::array<std::byte, 2> body{static_cast<std::byte>(code >> 8), static_cast<std::byte>(code)};
  inner_.write(std::span<const std::byte>(header.data(), n));
  inner_.write(body);
}

void WsTransport::close() {
  if (state_ == State::Closing) return;
  if (state_ == State::Open) {
    flush();
    // RFC 6455 §7.1.2: the server starts the closing handshake, then closes TCP after it; the
    // inner transport waits (bounded) for the client's FIN.
    send_close(static_cast<std::uint16_t>(WsCloseCode::Normal));
  }
  state_ = State::Closing;
  queued_ = std::vector<std::byte>();
  inner_.close();
}

void WsTransport::abort() {
  state_ = State::Closing;
  queued_ = std::vector<std::byte>();
  inner_.abort();
}

void WsTransport::on_data(std::span<const std::byte> data) {
  switch (state_) {
    case State::Closing:
      return;
    case State::Open:
      on_frames(data);
      return;
    case State::Handshake:
      break;
  }
  const std::size_t used = handshake_.feed(data);
  switch (handshake_.state()) {
    case WsHandshake::State::NeedMore:
      return;
    case WsHandshake::State::Refused:
      inner_.write(as_bytes(handshake_.response()));
      state_ = State::Closing;
      if (on_failure_) on_failure_(FailureKind::Handshake, inner_.peer(), handshake_.reason());
      inner_.close();
      return;
    case WsHandshake::State::Accepted:
      inner_.write(as_bytes(handshake_.response()));
      state_ = State::Open;
      if (!queued_.empty()) schedule_flush();
      if (used < data.size()) on_frames(data.subspan(used));
      return;
  }
}

void WsTransport::on_frames(std::span<const std::byte> data) {
  auto consumed = decoder_.consume(data, unmask_buffer_->bytes, *this);
  if (consumed || state_ != State::Open) return;
  if (on_failure_) on_failure_(FailureKind::Framing, inner_.peer(), decoder_.reason());
  state_ = State::Closing;
  queued_ = std::vector<std::byte>();
  send_close(static_cast<std::uint16_t>(consumed.error().value()));
  inner_.close();
}

void WsTransport::on_ws_binary(std::span<const std::byte> payload) {
  if (state_ == State::Open && handler_) handler_->on_data(payload);
}

void WsTransport::on_ws_ping(std::span<const std::byte> payload) {
  if (state_ != State::Open) return;
  WsFrameHeader header;
  const std::size_t n = write_ws_frame_header(header, WsOpcode::Pong, payload.size());
  inner_.write(std::span<const std::byte>(header.data(), n));
  inner_.write(payload);
}

void WsTransport::on_ws_close(std::uint16_t code, std::string_view /*reason*/) {
  if (state_ != State::Open) return;
  // RFC 6455 §5.5.1: answer with a Close, echoing the status code. Data the broker queued may go
  // first: no data frame may follow our Close, but none has been sent yet.
  flush();
  send_close(code == static_cast<std::uint16_t>(WsCloseCode::NoStatus)
                 ? static_cast<std::uint16_t>(WsCloseCode::Normal)
                 : code);
  state_ = State::Closing;
  queued_ = std::vector<std::byte>();
  inner_.close();
}

void WsTransport::on_closed(std::error_code ec) {
  state_ = State::Closing;
  if (handler_) handler_->on_closed(ec);
}

}  // namespace gw::broker::net
