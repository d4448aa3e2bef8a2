// Store-and-forward outbox throughput on a real file (WAL, default group commit: flush when
// commit_due()). Messages carry a 100-byte payload on a 20-byte topic.
//   BM_OutboxAppend: append + flush when due (synchronous NORMAL; /1 = synchronous FULL).
//   BM_OutboxDrain/<batch>: next(batch) + ack of every row + flush when due, from a backlog.
//     Batches 1 and 4 are what the bridge asks for with a window of 20 (a refill per read).
//
//   build/bin/bench_outbox --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "core/check.hpp"
#include "core/clock.hpp"
#include "gateway/bridge/outbox.hpp"

namespace {

namespace fs = std::filesystem;
using gw::bridge::Outbox;
using gw::bridge::OutboxOptions;

// A scratch directory on the default temp file system, removed afterwards.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (fs::temp_directory_path() / "gw-bench-outbox-XXXXXX").string();
    GW_CHECK(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  [[nodiscard]] std::string file() const { return (path_ / "outbox.db").string(); }

 private:
  fs::path path_;
};

gw::Message sample() {
  gw::Message m;
  m.topic = "site/line1/dev7/temp";
  m.payload = std::string(100, 'x');
  m.qos = gw::QoS::AtLeastOnce;
  return m;
}

std::unique_ptr<Outbox> open_outbox(const ScratchDir& dir, bool synchronous_full) {
  OutboxOptions o;
  o.path = dir.file();
  o.synchronous_full = synchronous_full;
  o.max_bytes = 0;  // measure the store, not the overflow policy
  auto outbox = Outbox::open(o, gw::core::SystemClock::instance());
  GW_CHECK(outbox.has_value());
  return std::move(*outbox);
}

void BM_OutboxAppend(benchmark::State& state) {
  ScratchDir dir;
  auto outbox = open_outbox(dir, state.range(0) != 0);
  const auto m = sample();
  for (auto _ : state) {
    auto id = outbox->append("cloud", 0, m);
    GW_CHECK(id.has_value());
    benchmark::DoNotOptimize(id);
    if (outbox->commit_due()) GW_CHECK(outbox->flush().has_value());
  }
  GW_CHECK(outbox->flush().has_value());
  state.SetItemsProcessed(state.iterations());
}
// Real time: a commit waits on the disk, which CPU time would not show.
BENCHMARK(BM_OutboxAppend)->Arg(0)->Arg(1)->UseRealTime();

void fill(Outbox& outbox, int n) {
  const auto m = sample();
  for (int i = 0; i < n; ++i) {
    GW_CHECK(outbox.append("cloud", 0, m).has_value());
    if (outbox.commit_due()) GW_CHECK(outbox.flush().has_value());
  }
  GW_CHECK(outbox.flush().has_value());
}

void BM_OutboxDrain(benchmark::State& state) {
  constexpr int kBacklog = 200'000;
  ScratchDir dir;
  auto outbox = open_outbox(dir, false);
  fill(*outbox, kBacklog);
  const auto batch_size = static_cast<std::size_t>(state.range(0));
  std::int64_t drained = 0;
  for (auto _ : state) {
    auto batch = outbox->next(batch_size);
    GW_CHECK(batch.has_value());
    if (batch->empty()) {
      state.PauseTiming();
      fill(*outbox, kBacklog);
      state.ResumeTiming();
      continue;
    }
    for (const auto& stored : *batch) GW_CHECK(outbox->ack(stored.id).has_value());
    drained += static_cast<std::int64_t>(batch->size());
    if (outbox->commit_due()) GW_CHECK(outbox->flush().has_value());
  }
  GW_CHECK(outbox->flush().has_value());
  state.SetItemsProcessed(drained);
}
BENCHMARK(BM_OutboxDrain)->Arg(1)->Arg(4)->Arg(64)->Arg(256)->UseRealTime();

}  // namespace
