#include "gateway/app.hpp"

#include <csignal>
#include <sstream>
#include <string>

#include <asio/io_context.hpp>
#include <fmt/format.h>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include "broker/server.hpp"
#include "core/clock.hpp"
#include "core/heap_trim.hpp"
#include "core/log.hpp"
#include "core/message.hpp"
#include "gateway/bridge/bridge.hpp"
#include "gateway/broker_store/broker_state_store.hpp"
#include "gateway/field_router.hpp"
#include "gateway/metrics.hpp"
#include "gateway/metrics_server.hpp"
#include "gateway/service_notifier.hpp"
#include "gateway/sys_topics.hpp"

namespace gw::gateway {

struct App::Impl {
  Impl(config::Config c, std::string p)
      : cfg(std::move(c)), path(std::move(p)), log(core::make_logger("gateway")) {}

  void wait_for_signal() {
    signals.async_wait([this](std::error_code ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        reload();
        wait_for_signal();
        return;
      }
      log->info("signal {} received, stopping", sig);
      if (notifier) notifier->stopping();
      // Polling stops first, so every reading taken is routed before the broker closes; then the
      // bridge flushes its outbox and says offline upstream (bounded by bridge.stop_timeout).
      if (metrics) metrics->stop();
      if (sys) sys->stop();
      heap_trim.cancel();
      if (field) field->stop();
      publish_status(cfg.gateway.effective_status_topic(), kOffline);
      if (bridge) bridge->stop();
      if (broker) {
        broker->stop();
        broker->broker().shutdown();
      }
      // Bounded grace for the DISCONNECTs to leave; then the loop ends whatever is pending.
      grace.expires_after(kShutdownGrace);
      grace.async_wait([this](std::error_code) { io.stop(); });
    });
  }

  // SIGHUP: re-read the file; apply what can change without a restart.
  void reload() {
    log->info("SIGHUP: reloading {}", path);
    if (notifier) notifier->reloading();
    config::Diagnostics diag(path);
    auto next = config::load_file(path, diag);
    std::istringstream lines(diag.format());
    for (std::string line; std::getline(lines, line);) {
      if (diag.has_errors()) {
        log->error("reload: {}", line);
      } else {
        log->warn("reload: {}", line);
      }
    }
    if (!next) {
      log->error("reload: {} has {} error(s); the running configuration stays", path,
                 diag.error_count());
      if (notifier) notifier->reloaded();
      return;
    }
    if (next->broker.listeners != cfg.broker.listeners) {
      if (auto ok = broker->reload_listeners(next->broker.listeners); ok) {
        cfg.broker.listeners = next->broker.listeners;
      } else {
        log->error("reload: listeners unchanged: {}", ok.error().message());
      }
    }
    // Certificates are re-read whether or not their names changed: renewing one is a new file
    // under the same name, then a reload. A listener whose new files fail keeps its old ones.
    broker->reload_tls();
    // The password file is re-read whether or not its name changed: adding a user is an edit of
    // the file, then a reload.
    if (const auto& file = next->broker.password_file; !file.empty()) {
      if (auto ok = broker->reload_users(file); ok) {
        cfg.broker.password_file = file;
      } else {
        log->error("reload: users unchanged: {}", ok.error().message());
      }
    } else if (!cfg.broker.password_file.empty()) {
      log->warn("reload: removing broker.password_file takes effect at the next restart");
    }
    config::Config wanted = *next;
    wanted.broker.listeners = cfg.broker.listeners;
    wanted.broker.password_file = cfg.broker.password_file;
    if (!(wanted.broker == cfg.broker)) {
      log->warn("reload: broker settings other than listeners take effect at the next restart");
    }
    if (next->gateway.log_level != cfg.gateway.log_level || next->gateway.data_dir != cfg.gateway.data_dir) {
      log->warn("reload: gateway.log_level and gateway.data_dir take effect at the next restart");
    }
    if (next->bridge != cfg.bridge) reload_bridge(next->bridge);
    if (next->metrics != cfg.metrics) {
      log->warn("reload: metrics settings take effect at the next restart");
    }
    field->reconfigure(next->gateway, next->links, next->instruments);
    if (next->gateway.effective_status_topic() != cfg.gateway.effective_status_topic()) {
      publish_status(cfg.gateway.effective_status_topic(), "");  // clear the old retained status
      publish_status(next->gateway.effective_status_topic(), kOnline);
    }
    cfg.gateway.id = next->gateway.id;
    cfg.gateway.topic = next->gateway.topic;
    cfg.gateway.payload = next->gateway.payload;
    cfg.gateway.status_topic = next->gateway.status_topic;
    cfg.links = next->links;
    cfg.instruments = next->instruments;
    const auto& r = field->last_reload();
    log->info("reload done: {} link(s) kept, {} started, {} stopped", r.kept, r.started, r.stopped);
    if (notifier) notifier->reloaded();
  }

  config::Config cfg;
  std::string path;
  std::shared_ptr<spdlog::logger> log;
  // Declared before everything that uses it, so it is destroyed last.
  asio::io_context io{1};
  asio::signal_set signals{io, SIGINT, SIGTERM, SIGHUP};
  asio::steady_timer grace{io};
  static constexpr std::chrono::milliseconds kShutdownGrace{300};
  // Before the broker, which writes to it until it is destroyed.
  std::unique_ptr<BrokerStateStore> broker_store;
  std::unique_ptr<broker::Server> broker;
  std::unique_ptr<FieldRouter> field;
  std::unique_ptr<bridge::Bridge> bridge;
  std::unique_ptr<ServiceNotifier> notifier;

  // A changed bridge (routes, servers, limits) is restarted with its new options. Both steps run
  // on the core thread, which also routes local messages, so no message published meanwhile can
  // slip between the old bridge's subscriptions and the new one's; the outbox file keeps the
  // backlog (stop() commits what was accepted) and the new bridge sends it, mapped by the new
  // routes.
  void reload_bridge(const std::optional<bridge::BridgeOptions>& next) {
    if (bridge) {
      bridge->stop();
      bridge.reset();
    }
    cfg.bridge = next;
    if (!next) {
      log->info("reload: bridge removed");
      return;
    }
    bridge = std::make_unique<bridge::Bridge>(io, broker->broker(), *next,
                                              core::SystemClock::instance());
    if (auto started = bridge->start(); !started) {
      log->error("reload: bridge cannot start: {}", started.error().message());
      bridge.reset();
      return;
    }
    log->info("reload: bridge restarted with the new settings");
  }

  // The gateway's own retained status on the local broker ("" payload: clears it).
  static constexpr const char* kOnline = R"({"status":"online"})";
  static constexpr const char* kOffline = R"({"status":"offline"})";
  void publish_status(const std::string& topic, const char* payload) {
    if (topic.empty() || !broker) return;
    Message m{.topic = topic, .payload = payload, .qos = QoS::AtLeastOnce, .retain = true};
    if (payload[0] != '\0') m.props.content_type = "application/json";
    broker->broker().publish(std::move(m));
  }

  // Every module's counters, copied on the core thread.
  MetricsSnapshot snapshot() const {
    MetricsSnapshot m;
    m.gateway_id = cfg.gateway.id;
    m.version = GW_VERSION;
    m.uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                started_at);
    m.now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    m.broker = broker->broker().stats();
    m.sessions = broker->broker().session_count();
    m.retained = broker->broker().retained_count();
    m.subscriptions = broker->broker().subscription_count();
    if (field) {
      const auto& f = field->stats();
      m.field = {.published = f.published,
                 .dropped = f.dropped,
                 .commands = f.commands,
                 .command_errors = f.command_errors};
      m.links = field->link_metrics();
    }
    if (bridge) m.bridge = bridge->stats();
    return m;
  }

  // The one-line summary for systemd's STATUS=.
  ServiceNotifier::Health health() const {
    return {.healthy = true, .summary = health_summary(snapshot())};
  }

  // The HTTP endpoint, when configured. False if it cannot bind.
  bool start_metrics() {
    if (!cfg.metrics.enabled) return true;
    metrics = std::make_unique<MetricsServer>(
        io, cfg.metrics,
        MetricsServer::Routes{
            {"/metrics", [this] { return Page{kPrometheusType, render_prometheus(snapshot())}; }},
            {"/status", [this] { return Page{kPlainType, render_status(snapshot())}; }},
        });
    if (auto ok = metrics->start(); !ok) {
      log->error("start-up failed: metrics endpoint {}:{}: {}", cfg.metrics.address,
                 cfg.metrics.port, ok.error().message());
      return false;
    }
    return true;
  }

  std::chrono::steady_clock::time_point started_at = std::chrono::steady_clock::now();
  std::unique_ptr<MetricsServer> metrics;

  // $SYS/ statistics (broker.sys_interval; 0 = none), from the same snapshot as the metrics.
  void start_sys_topics() {
    if (cfg.broker.sys_interval.count() == 0) return;
    sys = std::make_unique<SysTopics>(io, broker->broker(), core::SystemClock::instance(),
                                      cfg.broker.sys_interval, [this] { return snapshot(); });
    sys->start();
  }
  std::unique_ptr<SysTopics> sys;

  // Freed heap memory that stayed resident after a burst goes back to the kernel, so the RSS
  // follows the work rather than its high water (core/heap_trim.hpp).
  static constexpr std::chrono::seconds kHeapTrimInterval{10};
  static constexpr std::size_t kHeapTrimThreshold = 4 * 1024 * 1024;
  asio::steady_timer heap_trim{io};
  core::HeapTrimmer heap_trimmer{kHeapTrimThreshold};
  void arm_heap_trim() {
    heap_trim.expires_after(kHeapTrimInterval);
    heap_trim.async_wait([this](std::error_code ec) {
      if (ec) return;
      const auto started = std::chrono::steady_clock::now();
      if (const auto r = heap_trimmer.maybe_trim(); r.trimmed) {
        const std::size_t before = r.before.anon_resident;
        const std::size_t after = r.after.anon_resident;
        const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now() - started);
        log->debug("returned {} KiB of freed heap memory to the kernel ({} KiB were free) in {} us",
                   (before > after ? before - after : 0) / 1024, r.before.free / 1024,
                   took.count());
      }
      arm_heap_trim();
    });
  }
};

App::App(config::Config cfg, std::string config_path)
    : impl_(std::make_unique<Impl>(std::move(cfg), std::move(config_path))) {}
App::~App() = default;

int App::run() {
  auto& s = *impl_;
  s.wait_for_signal();
  s.broker = std::make_unique<broker::Server>(s.io, s.cfg.broker, core::SystemClock::instance());
  if (const auto& p = s.cfg.broker.persistence; p.enabled) {
    // Restored before the listeners open, so no client can see the broker without its state.
    broker::persistence::PersistedState state;
    auto store = BrokerStateStore::open(p, core::SystemClock::instance(), state);
    if (!store) {
      s.log->error("start-up failed: broker persistence {}: {}", p.path, store.error().message());
      return 1;
    }
    s.broker_store = std::move(*store);
    s.broker->broker().enable_persistence(*s.broker_store, std::move(state), p.commit_window);
  }
  if (auto started = s.broker->start(); !started) {
    s.log->error("start-up failed: broker: {}", started.error().message());
    return 1;
  }
  s.field = std::make_unique<FieldRouter>(s.io, s.broker->broker(), s.cfg.gateway,
                                          s.cfg.links, s.cfg.instruments);
  if (auto started = s.field->start(); !started) {
    s.log->error("start-up failed: field links: {}", started.error().message());
    return 1;
  }
  if (s.cfg.bridge) {
    s.bridge = std::make_unique<bridge::Bridge>(s.io, s.broker->broker(), *s.cfg.bridge,
                                                core::SystemClock::instance());
    if (auto started = s.bridge->start(); !started) {
      s.log->error("start-up failed: bridge: {}", started.error().message());
      return 1;
    }
  }
  if (!s.start_metrics()) return 1;
  s.start_sys_topics();
  s.arm_heap_trim();
  s.publish_status(s.cfg.gateway.effective_status_topic(), Impl::kOnline);
  s.log->info("edge-gateway '{}' started: {} field link(s){}", s.cfg.gateway.id,
              s.cfg.links.size() + s.cfg.instruments.size(),
              s.cfg.bridge ? ", bridge" : "");
  // READY=1 only now: listeners bound, links started.
  s.notifier = std::make_unique<ServiceNotifier>(s.io, [&s] { return s.health(); });
  s.notifier->ready();
  s.io.run();
  if (s.metrics) s.metrics->stop();
  if (s.sys) s.sys->stop();
  s.field->stop();
  if (s.bridge) s.bridge->stop();
  s.broker->stop();
  // Connections closed during the shutdown grace changed their sessions after shutdown()'s flush.
  s.broker->broker().flush_persistence();
  s.log->info("stopped");
  return 0;
}

}  // namespace gw::gateway
