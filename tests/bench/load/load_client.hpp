// LoadClient: one MQTT client connection of the load generator: a non-blocking TCP socket, an
// output buffer of encoded packets and the framing of what arrives, all with the project's codec
// (broker/protocol). What to send and how to react is LoadRun's business.
//
// Ownership: owns its socket (closed by the destructor) and buffers.
// Thread safety: none; one thread.
#pragma once

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <system_error>
#include <vector>

#include "broker/protocol/codec.hpp"
#include "core/result.hpp"

namespace gw::bench {

class LoadClient {
 public:
  enum class Role : std::uint8_t { Publisher, Subscriber, Idle };
  enum class State : std::uint8_t { Idle, Connecting, AwaitConnack, AwaitSuback, Ready, Closed };

  LoadClient(Role role, std::uint32_t index, broker::protocol::ProtocolVersion version);
  ~LoadClient();
  LoadClient(const LoadClient&) = delete;
  LoadClient& operator=(const LoadClient&) = delete;

  // Opens a non-blocking socket (TCP_NODELAY) and starts connecting to `addr`.
  // Errors: errno of socket() or connect() (other than EINPROGRESS).
  Result<void> start_connect(const sockaddr_in& addr);
  // Completes the connect once the socket is writable. Errors: the socket's SO_ERROR.
  Result<void> finish_connect();

  // Appends the encoding of `packet` to the output buffer.
  void queue(const broker::protocol::Packet& packet) {
    broker::protocol::encode(packet, version_, out_);
  }
  // The output buffer, for appending encoded packets directly (publishers).
  [[nodiscard]] std::vector<std::byte>& out() { return out_; }
  [[nodiscard]] std::size_t out_pending() const { return out_.size() - out_sent_; }

  // Sends as much of the output buffer as the socket takes; clears `writable` on EAGAIN.
  // Errors: errno of send().
  Result<void> flush();

  // Reads what the socket has (at most `max_reads` reads; clears `readable` on EAGAIN) and calls
  // `on_packet(Packet&&)` for each complete packet.
  // Errors: errno of recv(); std::errc::connection_reset on EOF; codec errors (MqttErrc).
  template <class F>
  Result<void> read(int max_reads, F&& on_packet);

  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] Role role() const { return role_; }
  [[nodiscard]] std::uint32_t index() const { return index_; }

  State state = State::Idle;
  bool readable = false;  // edge-triggered: set by EPOLLIN, cleared when recv() says EAGAIN
  bool writable = false;  // set by EPOLLOUT, cleared when send() says EAGAIN

 private:
  // Decodes every complete packet in in_[in_start_, in_end_). Errors: codec errors (MqttErrc).
  template <class F>
  Result<void> decode_buffered(F& on_packet);
  Result<void> recv_some(bool& got_eagain);

  Role role_;
  std::uint32_t index_;
  broker::protocol::ProtocolVersion version_;
  broker::protocol::DecodeOptions decode_options_;
  int fd_ = -1;
  std::vector<std::byte> in_;
  std::size_t in_start_ = 0;
  std::size_t in_end_ = 0;
  std::vector<std::byte> out_;
  std::size_t out_sent_ = 0;
};

template <class F>
Result<void> LoadClient::read(int max_reads, F&& on_packet) {
  for (int i = 0; i < max_reads && readable; ++i) {
    bool eagain = false;
    if (auto r = recv_some(eagain); !r) return r;
    if (eagain) {
      readable = false;
      break;
    }
    if (auto r = decode_buffered(on_packet); !r) return r;
  }
  return {};
}

template <class F>
Result<void> LoadClient::decode_buffered(F& on_packet) {
  namespace p = broker::protocol;
  while (in_end_ > in_start_) {
    const std::span<const std::byte> avail(in_.data() + in_start_, in_end_ - in_start_);
    auto header = p::parse_fixed_header(avail, decode_options_.maximum_packet_size);
    if (!header) return Failure{header.error()};
    if (!*header) break;
    const std::size_t size = (*header)->packet_size();
    if (size > avail.size()) {
      if (size > in_.size()) in_.resize(size);  // a packet larger than the buffer: grow once
      break;
    }
    auto decoded = p::decode(avail.first(size), decode_options_);
    if (!decoded) return Failure{decoded.error()};
    in_start_ += size;
    on_packet(std::move(decoded->packet));
  }
  if (in_start_ == in_end_) {
    in_start_ = in_end_ = 0;
  }
  return {};
}

}  // namespace gw::bench
