// Topic matching throughput for the broker's subscription index and retained store, with an
// industrial-shaped tree: site/line{n}/machine{m}/{point}.
//
// Reproduce: cmake --build build --target bench_topic_tree && build/bin/bench_topic_tree
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "broker/retained_store.hpp"
#include "broker/subscription_aggregator.hpp"
#include "broker/topic_tree.hpp"

// Counts heap allocations so that each benchmark can show "no allocation per match in the steady
// state" (STYLE.md, Hot paths) as a number: allocs/iter. Replacing the global allocation
// functions is the one place malloc/free are called directly: there is no other way to count.
namespace {
std::size_t g_allocations = 0;  // benchmarks here run single-threaded
}  // namespace

// GCC 12 flags free() in a replaced operator delete once it inlines it next to a new-expression
// (-Wmismatched-new-delete); here the pair is malloc/free by construction.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace {

using gw::broker::Match;
using gw::broker::RetainedMatch;
using gw::broker::RetainedStore;
using gw::broker::SubscriberId;
using gw::broker::SubscriptionAggregator;
using gw::broker::SubscriptionOptions;
using gw::broker::TopicTree;

constexpr int kLines = 20;
constexpr int kMachines = 50;
const char* const kPoints[] = {"temp",  "pressure", "speed",     "state",  "alarm",
                               "count", "power",    "vibration", "torque", "setpoint"};
constexpr int kPointCount = 10;

std::string topic_of(int line, int machine, int point) {
  return "site/line" + std::to_string(line) + "/machine" + std::to_string(machine) + "/" +
         kPoints[point];
}

// 10,000 exact subscriptions (one per point), plus the wildcard ones an HMI or historian would
// hold: one per machine (line/machine/#), one per line and point (line/+/point), a few global ones.
TopicTree build_tree(std::size_t& subscriptions) {
  TopicTree tree;
  std::uint64_t next = 1;
  SubscriptionOptions o;
  o.max_qos = gw::QoS::AtLeastOnce;
  for (int l = 0; l < kLines; ++l) {
    for (int m = 0; m < kMachines; ++m) {
      for (int p = 0; p < kPointCount; ++p)
        tree.subscribe(topic_of(l, m, p), SubscriberId{next++}, o);
      tree.subscribe("site/line" + std::to_string(l) + "/machine" + std::to_string(m) + "/#",
                     SubscriberId{next++}, o);
    }
    for (int p = 0; p < kPointCount; ++p) {
      tree.subscribe("site/line" + std::to_string(l) + "/+/" + kPoints[p], SubscriberId{next++}, o);
    }
  }
  tree.subscribe("site/#", SubscriberId{next++}, o);
  tree.subscribe("site/+/+/alarm", SubscriberId{next++}, o);
  tree.subscribe("$share/historian/site/#", SubscriberId{next++}, o);
  tree.subscribe("$share/historian/site/#", SubscriberId{next++}, o);
  tree.subscribe("$SYS/#", SubscriberId{next++}, o);
  subscriptions = tree.size();
  return tree;
}

// Reports heap allocations per iteration of the timed loop; created just before it.
class AllocationCounter {
 public:
  explicit AllocationCounter(benchmark::State& state) : state_(state), start_(g_allocations) {}
  ~AllocationCounter() {
    state_.counters["allocs/iter"] =
        static_cast<double>(g_allocations - start_) / static_cast<double>(state_.iterations());
  }
  AllocationCounter(const AllocationCounter&) = delete;
  AllocationCounter& operator=(const AllocationCounter&) = delete;

 private:
  benchmark::State& state_;
  std::size_t start_;
};

std::vector<std::string> all_topics() {
  std::vector<std::string> topics;
  for (int l = 0; l < kLines; ++l) {
    for (int m = 0; m < kMachines; ++m) {
      for (int p = 0; p < kPointCount; ++p) topics.push_back(topic_of(l, m, p));
    }
  }
  return topics;
}

void BM_TopicTreeMatchVisitor(benchmark::State& state) {
  std::size_t subs = 0;
  TopicTree tree = build_tree(subs);
  const auto topics = all_topics();
  std::size_t i = 0;
  std::size_t yielded = 0;
  const AllocationCounter allocs(state);
  for (auto _ : state) {
    tree.match(topics[i], [&](const Match&) { ++yielded; });
    i = (i + 7919) % topics.size();  // a prime stride: no cache-friendly sequential walk
  }
  benchmark::DoNotOptimize(yielded);
  state.counters["subscriptions"] = static_cast<double>(subs);
  state.counters["matches/publish"] =
      static_cast<double>(yielded) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TopicTreeMatchVisitor);

void BM_TopicTreeMatchIntoBuffer(benchmark::State& state) {
  std::size_t subs = 0;
  TopicTree tree = build_tree(subs);
  const auto topics = all_topics();
  std::vector<Match> out;
  std::size_t i = 0;
  const AllocationCounter allocs(state);
  for (auto _ : state) {
    tree.match(topics[i], out);
    benchmark::DoNotOptimize(out.data());
    i = (i + 7919) % topics.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TopicTreeMatchIntoBuffer);

void BM_TopicTreeMatchAndAggregate(benchmark::State& state) {
  std::size_t subs = 0;
  TopicTree tree = build_tree(subs);
  const auto topics = all_topics();
  SubscriptionAggregator agg;
  std::size_t i = 0;
  const AllocationCounter allocs(state);
  for (auto _ : state) {
    agg.reset(std::nullopt);
    tree.match(topics[i], agg.visitor());
    benchmark::DoNotOptimize(agg.finish().data());
    i = (i + 7919) % topics.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TopicTreeMatchAndAggregate);

void BM_TopicTreeMatchNoSubscriber(benchmark::State& state) {
  std::size_t subs = 0;
  TopicTree tree = build_tree(subs);
  const std::string topic = "plant2/line3/machine4/temp";
  std::size_t yielded = 0;
  const AllocationCounter allocs(state);
  for (auto _ : state) tree.match(topic, [&](const Match&) { ++yielded; });
  benchmark::DoNotOptimize(yielded);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TopicTreeMatchNoSubscriber);

void BM_TopicTreeSubscribeUnsubscribe(benchmark::State& state) {
  std::size_t subs = 0;
  TopicTree tree = build_tree(subs);
  SubscriptionOptions o;
  const AllocationCounter allocs(state);
  for (auto _ : state) {
    tree.subscribe("site/line7/machine9999/newpoint", SubscriberId{1'000'000}, o);
    tree.unsubscribe("site/line7/machine9999/newpoint", SubscriberId{1'000'000});
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TopicTreeSubscribeUnsubscribe);

// A new subscription collecting its retained messages from 10,000 retained topics.
void BM_RetainedStoreMatch(benchmark::State& state) {
  RetainedStore store;
  const auto now = std::chrono::steady_clock::time_point(std::chrono::hours(1));
  for (const auto& t : all_topics()) {
    auto m = std::make_shared<gw::Message>();
    m->topic = t;
    m->payload = R"({"value": 21.5, "quality": "good", "ts": 1764097200123})";
    m->retain = true;
    store.retain(std::move(m), now);
  }
  const std::vector<std::string> filters = {"site/line3/machine7/temp", "site/line3/machine7/#",
                                            "site/line3/+/alarm", "site/+/+/alarm"};
  const auto& filter = filters[static_cast<std::size_t>(state.range(0))];
  std::size_t yielded = 0;
  const AllocationCounter allocs(state);
  for (auto _ : state) store.match(filter, now, [&](const RetainedMatch&) { ++yielded; });
  benchmark::DoNotOptimize(yielded);
  state.SetLabel(filter);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RetainedStoreMatch)->DenseRange(0, 3);

}  // namespace
