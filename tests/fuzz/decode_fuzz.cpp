// Fuzzes the decoder in both versions (and before the version is known). Whatever decodes must
// re-encode to bytes of exactly encoded_size(), decode again to an equal packet and re-encode to
// the same bytes. StreamDecoder fed the same input in two chunks must agree with decode().
// Any mismatch traps.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "broker/protocol/codec.hpp"
#include "broker/protocol/stream_decoder.hpp"

namespace {

using gw::broker::protocol::Connect;
using gw::broker::protocol::decode;
using gw::broker::protocol::DecodeOptions;
using gw::broker::protocol::encode;
using gw::broker::protocol::encoded_size;
using gw::broker::protocol::kMaxPacketSize;
using gw::broker::protocol::Packet;
using gw::broker::protocol::ProtocolVersion;
using gw::broker::protocol::StreamDecoder;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

void round_trip(std::span<const std::byte> bytes, const DecodeOptions& opts) {
  auto first = decode(bytes, opts);
  if (!first) return;
  require(first->size > 0 && first->size <= bytes.size());
  const Packet& packet = first->packet;
  const auto* connect = std::get_if<Connect>(&packet);
  const ProtocolVersion v = connect != nullptr ? connect->version : *opts.version;

  std::vector<std::byte> out;
  encode(packet, v, out);
  require(encoded_size(packet, v) == out.size());
  // A re-encoding is canonical (shortest forms), so never longer than the input.
  require(out.size() <= first->size);

  auto second = decode(out, DecodeOptions{v, kMaxPacketSize});
  require(second.has_value());
  require(second->size == out.size());
  require(second->packet == packet);

  std::vector<std::byte> again;
  encode(second->packet, v, again);
  require(again == out);
}

// The stream decoder, fed in two pieces, returns the same packets and error as decoding the
// input packet by packet.
void stream_agrees(std::span<const std::byte> bytes, std::size_t cut) {
  const DecodeOptions opts{ProtocolVersion::V5, 4096};
  StreamDecoder stream(opts);
  stream.feed(bytes.first(cut));
  std::vector<Packet> streamed;
  std::error_code stream_error;
  const auto drain = [&] {
    while (!stream_error) {
      auto next = stream.next();
      if (!next) {
        stream_error = next.error();
        return;
      }
      if (!*next) return;
      streamed.push_back(std::move(**next));
    }
  };
  drain();
  stream.feed(bytes.subspan(cut));
  drain();

  std::size_t offset = 0;
  std::size_t index = 0;
  while (offset < bytes.size()) {
    auto d = decode(bytes.subspan(offset), opts);
    if (!d) {
      // An incomplete last packet is an error for decode() but "need more" for the stream.
      if (d.error() == gw::MqttErrc::MalformedPacket && !stream_error) {
        require(index == streamed.size());
        return;
      }
      require(stream_error == d.error());
      require(index == streamed.size());
      return;
    }
    require(index < streamed.size());
    require(streamed[index] == d->packet);
    ++index;
    offset += d->size;
  }
  require(!stream_error);
  require(index == streamed.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  round_trip(bytes, DecodeOptions{std::nullopt, kMaxPacketSize});
  round_trip(bytes, DecodeOptions{ProtocolVersion::V311, kMaxPacketSize});
  round_trip(bytes, DecodeOptions{ProtocolVersion::V5, kMaxPacketSize});
  if (size > 0) stream_agrees(bytes, data[size - 1] % (size + 1));
  return 0;
}
