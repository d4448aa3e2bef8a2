// Codec hot path: encode and decode of a QoS 1 MQTT 5 PUBLISH of 100 bytes in total, with two
// properties (Message Expiry Interval and Content Type), buffers reused between iterations.
//
//   build/bin/bench_codec --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <cstddef>
#include <vector>

#include "broker/protocol/codec.hpp"
#include "broker/protocol/stream_decoder.hpp"
#include "core/check.hpp"

namespace {

using namespace gw::broker::protocol;

Publish sample_publish() {
  Publish p;
  p.topic = TopicName::make("site/line1/temp").value();
  p.qos = gw::QoS::AtLeastOnce;
  p.packet_id = PacketId{42};
  p.props.message.message_expiry = 3600;
  p.props.message.content_type = "application/json";
  // 2 fixed header + 17 topic + 2 packet id + 25 properties + 54 payload = 100 bytes.
  p.payload = std::string(54, 'x');
  GW_CHECK(encoded_size(p, ProtocolVersion::V5) == 100);
  return p;
}

void BM_EncodePublishV5(benchmark::State& state) {
  const Publish p = sample_publish();
  std::vector<std::byte> out;
  out.reserve(256);
  for (auto _ : state) {
    out.clear();
    encode(p, ProtocolVersion::V5, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * 100);
}
BENCHMARK(BM_EncodePublishV5);

void BM_EncodedSizePublishV5(benchmark::State& state) {
  const Publish p = sample_publish();
  for (auto _ : state) {
    benchmark::DoNotOptimize(encoded_size(p, ProtocolVersion::V5));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodedSizePublishV5);

void BM_DecodePublishV5(benchmark::State& state) {
  std::vector<std::byte> bytes;
  encode(sample_publish(), ProtocolVersion::V5, bytes);
  const DecodeOptions opts{ProtocolVersion::V5, kMaxPacketSize};
  for (auto _ : state) {
    auto d = decode(bytes, opts);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * 100);
}
BENCHMARK(BM_DecodePublishV5);

// 64 packets per read, as a busy connection delivers them.
void BM_StreamDecodePublishV5(benchmark::State& state) {
  std::vector<std::byte> chunk;
  for (int i = 0; i < 64; ++i) encode(sample_publish(), ProtocolVersion::V5, chunk);
  StreamDecoder dec(DecodeOptions{ProtocolVersion::V5, kMaxPacketSize});
  for (auto _ : state) {
    dec.feed(chunk);
    while (true) {
      auto next = dec.next();
      if (!next || !*next) break;
      benchmark::DoNotOptimize(next);
    }
  }
  state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(BM_StreamDecodePublishV5);

}  // namespace
