#include "gateway/field_router.hpp"

#include <algorithm>
#include <chrono>

#include <asio/post.hpp>
#include <nlohmann/json.hpp>

#include "adapters/modbus/bus_budget.hpp"
#include "adapters/modbus/names.hpp"
#include "core/log.hpp"
#include "gateway/reading_message.hpp"
#include "gateway/topic_template.hpp"

namespace gw::gateway {
namespace {

using adapters::Quality;
using adapters::Reading;
using adapters::Value;
// ordered_json: members in the documented order ({"value", "quality", "ts"}), not sorted.
using json = nlohmann::ordered_json;

std::int64_t unix_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// A command payload: a bare JSON value or {"value": ...}. Numbers keep their kind.
std::optional<Value> parse_command(std::string_view payload, std::string& error) {
  json j = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    error = "payload is not JSON (expected a value or {\"value\": ...})";
    return std::nullopt;
  }
  if (j.is_object()) {
    auto it = j.find("value");
    if (it == j.end()) {
      error = "object payload without a \"value\" member";
      return std::nullopt;
    }
    j = *it;
  }
  if (j.is_boolean()) return Value{j.get<bool>()};
  if (j.is_number_unsigned()) return Value{j.get<std::uint64_t>()};
  if (j.is_number_integer()) return Value{j.get<std::int64_t>()};
  if (j.is_number_float()) return Value{j.get<double>()};
  if (j.is_string()) return Value{j.get<std::string>()};
  error = "the value must be a number, a boolean or a string";
  return std::nullopt;
}

// A reload of one kind of link: those whose options are unchanged move over from `current`
// untouched; the others are created (not started). What is left in `current` is stopped.
template <class Link, class Options, class NameOf>
std::vector<std::unique_ptr<Link>> keep_or_create(std::vector<std::unique_ptr<Link>>& current,
                                                  std::vector<Options> wanted,
                                                  adapters::modbus::LinkSink& sink,
                                                  FieldRouter::ReloadSummary& summary,
                                                  spdlog::logger& log, NameOf name_of) {
  std::vector<std::unique_ptr<Link>> next;
  for (auto& options : wanted) {
    const auto same = std::find_if(current.begin(), current.end(), [&](const auto& l) {
      return l && l->options() == options;
    });
    if (same != current.end()) {
      next.push_back(std::move(*same));
      ++summary.kept;
      continue;
    }
    next.push_back(std::make_unique<Link>(std::move(options), sink));
    ++summary.started;
  }
  for (auto& old : current) {
    if (!old) continue;
    log.info("field: stopping link '{}' (changed or removed)", name_of(old->options()));
    old->stop();
    ++summary.stopped;
  }
  return next;
}

// InstrumentStats in the terms of a Modbus link: a request is a read transaction, and a frame
// that could not be used (bad checksum, no pattern) or an answer that never came is an error.
adapters::modbus::LinkStats link_stats(const adapters::serial::InstrumentLink& link) {
  const adapters::serial::InstrumentStats s = link.stats();
  adapters::modbus::LinkStats out;
  out.requests = s.requests;
  out.errors = s.timeouts + s.bad_checksums + s.unmatched;
  out.timeouts = s.timeouts;
  out.writes = s.writes;
  out.write_errors = s.write_errors;
  out.reconnects = s.reopens;
  out.readings = s.readings;
  adapters::modbus::DeviceStats d{.name = link.options().name,
                                  .requests = s.requests,
                                  .errors = out.errors};
  d.errors_by_quality[static_cast<std::size_t>(Quality::BadTimeout)] = s.timeouts;
  d.errors_by_quality[static_cast<std::size_t>(Quality::BadCrc)] = s.bad_checksums;
  d.errors_by_quality[static_cast<std::size_t>(Quality::BadDecode)] = s.unmatched + s.decode_errors;
  out.devices.push_back(std::move(d));
  return out;
}

}  // namespace

FieldRouter::FieldRouter(asio::io_context& core, broker::Broker& broker, const GatewayOptions& gateway,
                         std::vector<adapters::modbus::LinkOptions> links,
                         std::vector<adapters::serial::InstrumentOptions> instruments)
    : core_(core),
      broker_(broker),
      id_(gateway.id),
      topic_(gateway.topic),
      payload_(gateway.payload),
      client_(broker, "field"),
      log_(core::make_logger("gateway")) {
  for (auto& options : links) {
    links_.push_back(std::make_unique<adapters::modbus::Link>(std::move(options), *this));
  }
  for (auto& options : instruments) {
    instruments_.push_back(
        std::make_unique<adapters::serial::InstrumentLink>(std::move(options), *this));
  }
  index_devices();
}

void FieldRouter::index_devices() {
  by_device_.clear();
  link_of_.clear();
  for (const auto& link : links_) {
    for (const auto& dev : link->options().devices) {
      by_device_.emplace(dev.name, link.get());
      link_of_.emplace(dev.name, link->options().name);
    }
    for (const auto& bi : link->options().instruments) {
      by_device_.emplace(bi.instrument.name, link.get());
      link_of_.emplace(bi.instrument.name, link->options().name);
    }
  }
  for (const auto& instrument : instruments_) {
    by_device_.emplace(instrument->options().name, instrument.get());
    link_of_.emplace(instrument->options().name, instrument->options().link);
  }
}

FieldRouter::~FieldRouter() { stop(); }

std::string FieldRouter::point_topic(std::string_view device, std::string_view point) const {
  const auto link = link_of_.find(device);
  return expand_topic(topic_, {.gateway = id_,
                               .link = link == link_of_.end() ? std::string_view() : link->second,
                               .device = device,
                               .point = point});
}

std::string FieldRouter::device_topic(std::string_view device) const {
  return point_topic(device, {});
}

Result<void> FieldRouter::start() {
  GW_TRY_VOID(client_.subscribe(command_filter(topic_, id_),
                                [this](const std::shared_ptr<const Message>& m) { on_command(m); }));
  for (auto& link : links_) link->start();
  for (auto& instrument : instruments_) instrument->start();
  started_ = true;
  return {};
}

void FieldRouter::reconfigure(const GatewayOptions& gateway,
                              std::vector<adapters::modbus::LinkOptions> links,
                              std::vector<adapters::serial::InstrumentOptions> instruments) {
  last_reload_ = {};
  payload_ = gateway.payload;
  if (gateway.id != id_ || gateway.topic != topic_) {
    client_.unsubscribe(command_filter(topic_, id_));
    id_ = gateway.id;
    topic_ = gateway.topic;
    // config/ validated the id (a topic level) and the template, so the filter is valid.
    (void)client_.subscribe(command_filter(topic_, id_),
                            [this](const std::shared_ptr<const Message>& m) { on_command(m); });
  }
  links_ = keep_or_create(links_, std::move(links), *this, last_reload_, *log_,
                          [](const auto& o) { return o.name; });
  instruments_ = keep_or_create(instruments_, std::move(instruments), *this, last_reload_, *log_,
                                [](const auto& o) { return o.link; });
  index_devices();
  // Forget the status of devices that are gone; restarted links report theirs afresh.
  for (auto it = status_.begin(); it != status_.end();) {
    if (!by_device_.contains(it->first)) {
      if (it->second.online) --online_;
      it = status_.erase(it);
    } else {
      ++it;
    }
  }
  if (started_) {
    for (auto& link : links_) {
      if (!link->running()) link->start();
    }
    for (auto& instrument : instruments_) {
      if (!instrument->running()) instrument->start();
    }
  }
}

void FieldRouter::stop() {
  for (auto& link : links_) link->stop();
  for (auto& instrument : instruments_) instrument->stop();
}

void FieldRouter::on_readings(std::vector<Reading> readings) {
  const auto n = static_cast<std::int64_t>(readings.size());
  if (pending_.fetch_add(n) + n > kMaxPendingReadings) {
    pending_.fetch_sub(n);
    // Counted here, logged by the core when it catches up (never from a link thread per value).
    dropped_ += static_cast<std::uint64_t>(n);
    return;
  }
  asio::post(core_, [this, rs = std::move(readings), n]() {
    pending_.fetch_sub(n);
    if (const auto d = dropped_.exchange(0); d > 0) {
      stats_.dropped += d;
      log_->warn("field: {} readings dropped: the core thread fell behind", d);
    }
    if (payload_ == GatewayOptions::Payload::PerDevice) {
      publish_device(rs);
      return;
    }
    for (const auto& r : rs) publish_reading(r);
  });
}

void FieldRouter::publish_device(const std::vector<Reading>& readings) {
  // A link hands over one device's readings per call; group anyway, in order of appearance.
  std::vector<std::string_view> devices;
  for (const auto& r : readings) {
    if (std::find(devices.begin(), devices.end(), r.device) == devices.end()) {
      devices.push_back(r.device);
    }
  }
  for (const auto device : devices) {
    std::vector<Reading> mine;
    for (const auto& r : readings) {
      if (r.device == device) mine.push_back(r);
    }
    if (auto ok = client_.publish(device_message(device_topic(device), mine)); !ok) {
      log_->warn("field: cannot publish {}: {}", device, ok.error().message());
      continue;
    }
    ++stats_.published;
  }
}

void FieldRouter::publish_reading(const Reading& r) {
  Message m = reading_message(point_topic(r.device, r.point), r);
  if (auto ok = client_.publish(std::move(m)); !ok) {
    log_->warn("field: cannot publish {}/{}: {}", r.device, r.point, ok.error().message());
    return;
  }
  ++stats_.published;
}

void FieldRouter::on_status(adapters::modbus::DeviceStatus status) {
  asio::post(core_, [this, s = std::move(status)]() {
    DeviceState& state = status_[s.device];
    if (state.online != s.online) {
      state.online = s.online;
      online_ = s.online ? online_ + 1 : online_ - 1;
    }
    state.error = s.online ? std::string() : s.error;
    json j;
    j["status"] = s.online ? "online" : "offline";
    if (!s.online) j["error"] = s.error;
    j["link"] = s.link;
    j["ts"] = unix_ms(s.ts);
    Message m{.topic = device_topic(s.device) + "/status",
              .payload = j.dump(),
              .qos = QoS::AtLeastOnce,
              .retain = true};
    m.props.content_type = "application/json";
    (void)client_.publish(std::move(m));
  });
}

std::vector<LinkMetrics> FieldRouter::link_metrics() const {
  std::vector<LinkMetrics> out;
  out.reserve(links_.size() + instruments_.size());
  const auto health = [this](const std::string& device) {
    DeviceHealth h{.name = device, .online = std::nullopt, .error = {}};
    if (const auto it = status_.find(device); it != status_.end()) {
      h.online = it->second.online;
      h.error = it->second.error;
    }
    return h;
  };
  for (const auto& link : links_) {
    const auto& o = link->options();
    LinkMetrics m{.name = o.name,
                  .kind = std::string(adapters::modbus::name(o.kind)),
                  .planned_utilisation = adapters::modbus::bus_utilisation(o),
                  .stats = link->stats(),
                  .devices = {}};
    for (const auto& dev : o.devices) m.devices.push_back(health(dev.name));
    for (const auto& bi : o.instruments) m.devices.push_back(health(bi.instrument.name));
    out.push_back(std::move(m));
  }
  for (const auto& instrument : instruments_) {
    const auto& o = instrument->options();
    out.push_back(LinkMetrics{.name = o.link,
                              .kind = "serial",
                              .planned_utilisation = 0.0,
                              .stats = link_stats(*instrument),
                              .devices = {health(o.name)}});
  }
  return out;
}

void FieldRouter::on_command(const std::shared_ptr<const Message>& m) {
  ++stats_.commands;
  // <point topic>/set: the subscription's filter guarantees the "/set" and the level count.
  std::string_view topic = m->topic;
  topic.remove_suffix(4);
  const auto parts = match_topic(topic_, id_, topic);
  if (!parts) {
    ++stats_.command_errors;
    log_->warn("field: command on '{}' ignored: not a point topic of this gateway", m->topic);
    return;
  }
  const std::string device(parts->device);
  const std::string point(parts->point);
  const std::string result_topic = std::string(topic) + "/set/result";

  const auto refuse = [&](const std::string& why) {
    ++stats_.command_errors;
    log_->warn("field: command for {}/{} refused: {}", device, point, why);
    reply(*m, result_topic, json{{"ok", false}, {"error", why}}.dump());
  };
  const auto it = by_device_.find(device);
  if (it == by_device_.end()) return refuse("no device named '" + device + "'");
  std::string error;
  auto value = parse_command(m->payload, error);
  if (!value) return refuse(error);

  auto command = std::make_shared<const Message>(*m);
  adapters::modbus::WriteCommand write{.device = device, .point = point, .value = std::move(*value)};
  auto done = [this, command, result_topic](Result<Value> r) {
    // Link thread: hand the outcome to the core.
    asio::post(core_, [this, command, result_topic, r = std::move(r)]() {
      json j;
      if (r) {
        j = json{{"ok", true},
                 {"value", value_to_json(*r)},
                 {"ts", unix_ms(std::chrono::system_clock::now())}};
      } else {
        ++stats_.command_errors;
        j = json{{"ok", false}, {"error", r.error().message()}};
      }
      reply(*command, result_topic, j.dump());
    });
  };
  auto queued = std::visit(
      [&](auto* link) { return link->write(std::move(write), std::move(done)); }, it->second);
  if (!queued) refuse(queued.error().message());
}

void FieldRouter::reply(const Message& command, const std::string& topic, std::string payload) {
  Message m{.topic = command.props.response_topic.value_or(topic),
            .payload = std::move(payload),
            .qos = QoS::AtLeastOnce};
  m.props.correlation_data = command.props.correlation_data;
  m.props.content_type = "application/json";
  if (auto ok = client_.publish(std::move(m)); !ok) {
    log_->warn("field: cannot reply on {}: {}", topic, ok.error().message());
  }
}

}  // namespace gw::gateway
