#include "gateway/bridge/bridge.hpp"

#include <atomic>
#include <map>
#include <system_error>
#include <utility>
#include <vector>

#include <asio/post.hpp>

#include "broker/local_client.hpp"
#include "broker/protocol/topic_filter.hpp"
#include "core/log.hpp"
#include "gateway/bridge/bridge_inbox.hpp"
#include "gateway/bridge/bridge_loop.hpp"
#include "gateway/bridge/outbox.hpp"

namespace gw::bridge {

// The core thread's side: the LocalClient and the downstream routes. Shared with the work posted
// from Paho threads, which holds it weakly and does nothing once the Bridge is gone.
struct CoreSide {
  CoreSide(broker::Broker& broker, std::shared_ptr<spdlog::logger> log_)
      : client(broker, "bridge"), log(std::move(log_)) {}

  broker::LocalClient client;  // upstream subscriptions (No Local) and downstream publishes
  std::shared_ptr<spdlog::logger> log;
  std::vector<std::pair<broker::protocol::TopicFilter, const DownstreamRoute*>> downstream;
  std::vector<std::string> local_filters;  // subscribed upstream filters
  bool open = false;                        // accepting downstream messages
  std::size_t capacity = 0;
  std::atomic<std::size_t> pending{0};      // posted, not yet run
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> published{0};
  std::atomic<std::uint64_t> dropped{0};

  // Core thread.
  void publish_downstream(Message&& m) {
    if (!open) {
      dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    for (const auto& [filter, route] : downstream) {
      if (!broker::protocol::matches(filter, m.topic)) continue;
      auto topic = route->local.apply(m.topic);
      if (!topic) {
        dropped.fetch_add(1, std::memory_order_relaxed);
        log->warn("downstream route {}: {} maps to an invalid local topic", route->name, m.topic);
        return;
      }
      m.topic = std::move(*topic);
      if (client.publish(std::move(m))) {
        published.fetch_add(1, std::memory_order_relaxed);
      } else {
        dropped.fetch_add(1, std::memory_order_relaxed);
      }
      return;  // the first matching route wins: one local copy per remote message
    }
    dropped.fetch_add(1, std::memory_order_relaxed);
  }
};

namespace {

bool valid_options(const BridgeOptions& o) {
  if (o.servers.empty() || o.max_inflight == 0 || o.queue_capacity == 0) return false;
  if (o.reconnect_initial.count() <= 0 || o.reconnect_initial > o.reconnect_max) return false;
  std::map<std::string, int> names;
  for (const auto& r : o.upstream) {
    if (r.name.empty() || ++names[r.name] > 1) return false;
  }
  return true;
}

}  // namespace

Bridge::Bridge(asio::io_context& core, broker::Broker& broker, BridgeOptions options, core::Clock& clock)
    : core_(core), broker_(broker), options_(std::move(options)), clock_(clock) {}

Bridge::~Bridge() { stop(); }

Result<void> Bridge::start() {
  if (started_ || !valid_options(options_)) return fail(std::errc::invalid_argument);
  auto log = core::make_logger("bridge/" + (options_.client_id.empty() ? std::string("uplink") : options_.client_id));

  // Check every filter before anything is opened, so a bad one leaves nothing behind.
  std::vector<std::pair<broker::protocol::TopicFilter, const DownstreamRoute*>> downstream;
  for (const auto& route : options_.downstream) {
    auto filter = broker::protocol::TopicFilter::make(route.remote_filter);
    if (!filter) return fail(filter.error());
    downstream.emplace_back(std::move(*filter), &route);
  }
  std::map<std::string, std::vector<std::uint32_t>> by_filter;  // routes sharing a filter
  for (std::uint32_t i = 0; i < options_.upstream.size(); ++i) {
    auto filter = broker::protocol::TopicFilter::make(options_.upstream[i].local_filter);
    if (!filter) return fail(filter.error());
    if (filter->is_shared()) return fail(std::errc::invalid_argument);
    by_filter[options_.upstream[i].local_filter].push_back(i);
  }

  auto outbox = Outbox::open(options_.outbox, clock_);
  if (!outbox) {
    log->error("cannot open the outbox {}: {}", options_.outbox.path, outbox.error().message());
    return fail(outbox.error());
  }

  core_side_ = std::make_shared<CoreSide>(broker_, log);
  core_side_->downstream = std::move(downstream);
  core_side_->capacity = options_.downstream_capacity;
  core_side_->open = true;

  // Paho thread → core: bounded by `pending`, and nothing runs once the Bridge is gone.
  std::weak_ptr<CoreSide> weak = core_side_;
  asio::io_context& io = core_;
  inbox_ = std::make_shared<BridgeInbox>(options_.queue_capacity, [weak, &io](Message&& m) {
    auto side = weak.lock();
    if (!side) return;
    side->received.fetch_add(1, std::memory_order_relaxed);
    if (side->pending.fetch_add(1) >= side->capacity) {
      side->pending.fetch_sub(1);
      side->dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    asio::post(io, [weak, m = std::move(m)]() mutable {
      auto s = weak.lock();
      if (!s) return;
      s->pending.fetch_sub(1);
      s->publish_downstream(std::move(m));
    });
  });

  for (auto& [filter, routes] : by_filter) {
    auto handler = [inbox = inbox_, routes = routes](const std::shared_ptr<const Message>& m) {
      for (auto route : routes) inbox->push_local(LocalItem{route, m});
    };
    auto ok = core_side_->client.subscribe(filter, std::move(handler),
                                           broker::LocalClient::SubscribeOptions{.no_local = true, .send_retained = false});
    if (!ok) {
      core_side_.reset();
      return fail(ok.error());
    }
    core_side_->local_filters.push_back(filter);
  }

  // Back-pressure: the inbox is the local subscriptions' backlog. The broker pauses the network
  // publishers feeding it above half its capacity; the bridge thread, once it has taken the
  // queue, tells the core, which resumes them under a quarter. A bridge thread making no progress
  // (a failing disk) is declared stuck after broker.max_backpressure_wait, and the inbox refuses
  // and counts what does not fit, as without back-pressure.
  inbox_->set_on_progress([weak, &io] {
    asio::post(io, [weak] {
      if (auto side = weak.lock()) side->client.on_backlog_progress();
    });
  });
  core_side_->client.set_backlog(inbox_);

  loop_ = std::make_unique<BridgeLoop>(options_, clock_, std::move(*outbox), inbox_, log);
  thread_ = std::thread([loop = loop_.get()] { loop->run(); });
  started_ = true;
  log->info("started: {} upstream and {} downstream route(s), outbox {}", options_.upstream.size(),
            options_.downstream.size(), options_.outbox.path);
  return {};
}

void Bridge::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  // No new local messages; downstream ones still queued on the core are dropped (counted).
  for (const auto& filter : core_side_->local_filters) core_side_->client.unsubscribe(filter);
  core_side_->client.set_backlog(nullptr);  // publishers waiting on the inbox resume
  core_side_->open = false;
  inbox_->request_stop();
  if (thread_.joinable()) thread_.join();
}

BridgeStats Bridge::stats() const {
  BridgeStats s = loop_ ? loop_->snapshot() : BridgeStats{};
  if (inbox_) s.dropped_queue_full = inbox_->dropped_full();
  if (core_side_) {
    s.downstream_received = core_side_->received.load();
    s.downstream_published = core_side_->published.load();
    s.downstream_dropped = core_side_->dropped.load();
  }
  return s;
}

}  // namespace gw::bridge
