#include "broker/protocol/stream_decoder.hpp"

#include <algorithm>

namespace gw::broker::protocol {
namespace {
// A buffer grown past this by a large packet is released once empty rather than kept.
constexpr std::size_t kKeepBufferCapacity = 16 * 1024;
// The longest fixed header: type byte and four Remaining Length bytes (MQTT 5 §2.1.1).
constexpr std::size_t kMaxHeaderSize = 5;
}  // namespace

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

void StreamDecoder::top_up(std::size_t size) {
  const std::size_t have = buffer_.size() - start_;
  if (have >= size) return;
  const std::size_t take = std::min(size - have, input_.size());
  buffer_.insert(buffer_.end(), input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(take));
  input_ = input_.subspan(take);
}

Result<std::optional<Packet>> StreamDecoder::fail_with(std::error_code ec,
                                                       std::span<const std::byte> pending) {
  error_ = ec;
  if (!pending.empty()) failed_type_ = static_cast<std::uint8_t>(pending.front()) >> 4;
  if (error_ == MqttErrc::UnsupportedProtocolVersion) refused_level_ = peek_protocol_level(pending);
  return Failure{error_};
}

Result<std::optional<Packet>> StreamDecoder::finish(Result<Decoded> decoded,
                                                    std::span<const std::byte> pending) {
  if (!decoded) return fail_with(decoded.error(), pending);
  if (!options_.version) {
    if (const auto* c = std::get_if<Connect>(&decoded->packet)) options_.version = c->version;
  }
  return std::optional<Packet>{std::move(decoded->packet)};
}

Result<std::optional<Packet>> StreamDecoder::next() {
  if (error_) return Failure{error_};

  if (start_ < buffer_.size()) {
    // Buffered bytes first: fed ones, or a split packet completed with just the input it needs.
    std::optional<FixedHeader> header;
    for (;;) {
      const std::span<const std::byte> pending(buffer_.data() + start_, buffer_.size() - start_);
      auto parsed = parse_fixed_header(pending, options_.maximum_packet_size);
      if (!parsed) return fail_with(parsed.error(), pending);
      header = *parsed;
      if (header || pending.size() >= kMaxHeaderSize || input_.empty()) break;
      top_up(pending.size() + 1);
    }
    if (!header) return std::optional<Packet>{};
    top_up(header->packet_size());
    if (buffer_.size() - start_ < header->packet_size()) return std::optional<Packet>{};
    const std::span<const std::byte> packet(buffer_.data() + start_, header->packet_size());
    auto result = finish(decode(packet, options_), packet);
    if (!result) return result;
    start_ += packet.size();
    if (start_ == buffer_.size()) {
      start_ = 0;
      buffer_.clear();
      // A new vector, not `= {}` (an empty initializer_list, which keeps the capacity).
      if (buffer_.capacity() > kKeepBufferCapacity) buffer_ = std::vector<std::byte>();
    }
    return result;
  }

  // Nothing buffered: decode straight from the borrowed input (consume()).
  auto parsed = parse_fixed_header(input_, options_.maximum_packet_size);
  if (!parsed) return fail_with(parsed.error(), input_);
  const auto& header = *parsed;
  if (!header || input_.size() < header->packet_size()) {
    // A partial packet (or nothing): keep it for the next read.
    buffer_.assign(input_.begin(), input_.end());
    start_ = 0;
    input_ = {};
    return std::optional<Packet>{};
  }
  const auto packet = input_.first(header->packet_size());
  auto result = finish(decode(packet, options_), packet);
  if (result) input_ = input_.subspan(packet.size());
  return result;
}

}  // namespace gw::broker::protocol
