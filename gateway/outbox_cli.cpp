#include "gateway/outbox_cli.hpp"

#include <chrono>
#include <ctime>
#include <string>

#include <fmt/format.h>

#include "core/clock.hpp"
#include "gateway/bridge/outbox.hpp"

namespace gw::gateway {
namespace {

// "2026-11-27T06:10:00Z" for Unix milliseconds.
std::string utc(std::int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string age(std::int64_t since_ms, std::int64_t now_ms) {
  const std::int64_t s = (now_ms - since_ms) / 1000;
  if (s < 120) return fmt::format("{}s", s);
  if (s < 7200) return fmt::format("{}m", s / 60);
  if (s < 172800) return fmt::format("{}h", s / 3600);
  return fmt::format("{}d", s / 86400);
}

}  // namespace

int run_outbox_command(const config::Config& cfg, OutboxCommand command, std::size_t limit,
                       std::uint64_t id, std::ostream& out, std::ostream& err) {
  if (!cfg.bridge) {
    err << "edge-gateway: outbox: the configuration has no bridge section\n";
    return 2;
  }
  const auto& options = cfg.bridge->outbox;
  auto& clock = core::SystemClock::instance();
  auto opened = bridge::Outbox::open(options, clock);
  if (!opened) {
    err << "edge-gateway: outbox " << options.path << ": " << opened.error().message() << '\n';
    return 1;
  }
  bridge::Outbox& box = **opened;
  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  switch (command) {
    case OutboxCommand::Stats: {
      auto st = box.stats();
      if (!st) {
        err << "edge-gateway: outbox: " << st.error().message() << '\n';
        return 1;
      }
      out << "outbox " << options.path << '\n';
      out << fmt::format("backlog: {} message(s), {} bytes", st->rows, st->bytes);
      if (st->oldest_stored_at) {
        out << fmt::format(", oldest stored {} ({} ago)", utc(*st->oldest_stored_at),
                           age(*st->oldest_stored_at, now_ms));
      }
      out << '\n' << fmt::format("dead letters: {}\n", st->dead_letters);
      return 0;
    }
    case OutboxCommand::DeadLetters: {
      auto list = box.dead_letters(limit);
      if (!list) {
        err << "edge-gateway: outbox: " << list.error().message() << '\n';
        return 1;
      }
      if (list->empty()) {
        out << "no dead letters\n";
        return 0;
      }
      out << fmt::format("{:>8}  {:<20}  {:<16}  {:>8}  {:<40}  {}\n", "id", "died", "route",
                         "bytes", "topic", "reason");
      for (const auto& d : *list) {
        out << fmt::format("{:>8}  {:<20}  {:<16}  {:>8}  {:<40}  {}\n", d.stored.id,
                           utc(d.dead_at), d.stored.route, d.stored.message.payload.size(),
                           d.stored.message.topic, d.reason);
      }
      return 0;
    }
    case OutboxCommand::Replay: {
      auto replayed = box.replay_dead_letter(id);
      if (replayed) {
        if (auto flushed = box.flush(); !flushed) {
          err << "edge-gateway: outbox: " << flushed.error().message() << '\n';
          return 1;
        }
        out << fmt::format("dead letter {} is back in the outbox as message {}; the bridge sends "
                           "it when the uplink is up\n",
                           id, *replayed);
        return 0;
      }
      err << "edge-gateway: outbox: replay " << id << ": " << replayed.error().message() << '\n';
      return 1;
    }
  }
  return 1;
}

}  // namespace gw::gateway
