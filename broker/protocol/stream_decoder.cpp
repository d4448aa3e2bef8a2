#include "broker/protocol/stream_decoder.hpp"

namespace gw::broker::protocol {

void StreamDecoder::feed(std::span<const std::byte> bytes) {
  if (error_) return;  // the connection is being closed; do not grow
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  } else if (start_ > 0 && start_ >= buffer_.size() / 2) {
    // Drop consumed bytes so the buffer does not creep; at most one partial packet is moved.
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(start_));
    start_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

Result<std::optional<Packet>> StreamDecoder::next() {
  if (error_) return Failure{error_};
  const std::span<const std::byte> pending(buffer_.data() + start_, buffer_.size() - start_);
  auto header = parse_fixed_header(pending, options_.maximum_packet_size);
  if (!header) {
    error_ = header.error();
    return Failure{error_};
  }
  if (!*header || pending.size() < (*header)->packet_size()) return std::optional<Packet>{};
  auto decoded = decode(pending.first((*header)->packet_size()), options_);
  if (!decoded) {
    error_ = decoded.error();
    if (error_ == MqttErrc::UnsupportedProtocolVersion) refused_level_ = peek_protocol_level(pending);
    return Failure{error_};
  }
  start_ += decoded->size;
  if (start_ == buffer_.size()) {
    buffer_.clear();  // keeps capacity
    start_ = 0;
  }
  if (!options_.version) {
    if (const auto* c = std::get_if<Connect>(&decoded->packet)) options_.version = c->version;
  }
  return std::optional<Packet>{std::move(decoded->packet)};
}

}  // namespace gw::broker::protocol
