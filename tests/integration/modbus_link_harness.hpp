// Shared by the modbus_*_test.cpp integration tests of adapters::modbus::Link: a LinkSink that
// records what the link emits and lets a test wait for it with a deadline, option builders with
// short timeouts (so that every test stays fast), and a synchronous wrapper around Link::write.
//
// Thread safety: RecordingSink is called on the link thread and read from the test thread (all
// state under its mutex); the builders are plain functions.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "adapters/modbus/link.hpp"
#include "adapters/modbus/options.hpp"
#include "adapters/reading.hpp"
#include "core/result.hpp"

namespace gw::test {

namespace mb = gw::adapters::modbus;
using gw::adapters::Quality;
using gw::adapters::Reading;
using gw::adapters::Value;
using namespace std::chrono_literals;

// Generous: a loaded 2-core machine may stall a thread for a while; nothing waits this long when
// the code works.
inline constexpr std::chrono::milliseconds kWait{5000};

class RecordingSink final : public mb::LinkSink {
 public:
  using Predicate =
      std::function<bool(const std::vector<Reading>&, const std::vector<mb::DeviceStatus>&)>;

  void on_readings(std::vector<Reading> readings) override {
    {
      std::lock_guard lock(mutex_);
      for (auto& r : readings) readings_.push_back(std::move(r));
    }
    changed_.notify_all();
  }
  void on_status(mb::DeviceStatus status) override {
    {
      std::lock_guard lock(mutex_);
      statuses_.push_back(std::move(status));
    }
    changed_.notify_all();
  }

  // Waits until `pred` holds for what was recorded, or `timeout` passes; the final value.
  bool wait_for(const Predicate& pred, std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return pred(readings_, statuses_); });
  }

  // The first reading of device/point at index >= `from` that satisfies `match`.
  std::optional<Reading> wait_reading(const std::string& device, const std::string& point,
                                      const std::function<bool(const Reading&)>& match,
                                      std::size_t from = 0,
                                      std::chrono::milliseconds timeout = kWait) {
    std::optional<Reading> found;
    wait_for(
        [&](const std::vector<Reading>& rs, const std::vector<mb::DeviceStatus>&) {
          for (std::size_t i = from; i < rs.size(); ++i) {
            if (rs[i].device == device && rs[i].point == point && match(rs[i])) {
              found = rs[i];
              return true;
            }
          }
          return false;
        },
        timeout);
    return found;
  }
  std::optional<Reading> wait_quality(const std::string& device, const std::string& point,
                                      Quality q, std::size_t from = 0,
                                      std::chrono::milliseconds timeout = kWait) {
    return wait_reading(
        device, point, [q](const Reading& r) { return r.quality == q; }, from, timeout);
  }
  // The first status of `device` at index >= `from` with online == `online`.
  std::optional<mb::DeviceStatus> wait_status(const std::string& device, bool online,
                                              std::size_t from = 0,
                                              std::chrono::milliseconds timeout = kWait) {
    std::optional<mb::DeviceStatus> found;
    wait_for(
        [&](const std::vector<Reading>&, const std::vector<mb::DeviceStatus>& ss) {
          for (std::size_t i = from; i < ss.size(); ++i) {
            if (ss[i].device == device && ss[i].online == online) {
              found = ss[i];
              return true;
            }
          }
          return false;
        },
        timeout);
    return found;
  }

  std::vector<Reading> readings() const {
    std::lock_guard lock(mutex_);
    return readings_;
  }
  std::vector<Reading> readings_of(const std::string& device, const std::string& point) const {
    std::lock_guard lock(mutex_);
    std::vector<Reading> out;
    std::copy_if(readings_.begin(), readings_.end(), std::back_inserter(out),
                 [&](const Reading& r) { return r.device == device && r.point == point; });
    return out;
  }
  std::vector<mb::DeviceStatus> statuses_of(const std::string& device) const {
    std::lock_guard lock(mutex_);
    std::vector<mb::DeviceStatus> out;
    std::copy_if(statuses_.begin(), statuses_.end(), std::back_inserter(out),
                 [&](const mb::DeviceStatus& s) { return s.device == device; });
    return out;
  }
  std::size_t reading_count() const {
    std::lock_guard lock(mutex_);
    return readings_.size();
  }
  std::size_t status_count() const {
    std::lock_guard lock(mutex_);
    return statuses_.size();
  }

 private:
  mutable std::mutex mutex_;  // guards: readings_, statuses_
  std::condition_variable changed_;
  std::vector<Reading> readings_;
  std::vector<mb::DeviceStatus> statuses_;
};

inline mb::PointOptions make_point(std::string name, mb::Table table, std::uint16_t address,
                                   mb::DataType type,
                                   std::optional<mb::ByteOrder> order = std::nullopt) {
  mb::PointOptions p;
  p.name = std::move(name);
  p.table = table;
  p.address = address;
  p.type = type;
  p.byte_order = order;
  return p;
}

inline mb::PointOptions holding(std::string name, std::uint16_t address,
                                mb::DataType type = mb::DataType::Uint16) {
  return make_point(std::move(name), mb::Table::HoldingRegister, address, type);
}

// Polls every 50 ms, backs off from 100 ms to 400 ms.
inline mb::DeviceOptions make_device(std::string name, std::uint8_t unit,
                                     std::vector<mb::PointOptions> points) {
  mb::DeviceOptions d;
  d.name = std::move(name);
  d.unit_id = unit;
  d.poll_interval = 50ms;
  d.backoff_initial = 100ms;
  d.backoff_max = 400ms;
  d.points = std::move(points);
  return d;
}

// Modbus TCP to 127.0.0.1:port; 200 ms response timeout, reconnects from 50 ms to 200 ms.
inline mb::LinkOptions tcp_link(std::uint16_t port, std::vector<mb::DeviceOptions> devices) {
  mb::LinkOptions l;
  l.name = "plc";
  l.kind = mb::LinkKind::Tcp;
  l.host = "127.0.0.1";
  l.port = port;
  l.response_timeout = 200ms;
  l.reconnect_initial = 50ms;
  l.reconnect_max = 200ms;
  l.devices = std::move(devices);
  return l;
}

// Queues a write and waits (with a deadline) for its outcome.
inline gw::Result<Value> write_and_wait(mb::Link& link, std::string device, std::string point,
                                        Value value, std::chrono::milliseconds timeout = kWait) {
  auto done = std::make_shared<std::promise<gw::Result<Value>>>();
  auto outcome = done->get_future();
  auto queued = link.write(
      mb::WriteCommand{.device = std::move(device), .point = std::move(point), .value = value},
      [done](gw::Result<Value> r) { done->set_value(std::move(r)); });
  if (!queued) return gw::Failure{queued.error()};
  if (outcome.wait_for(timeout) != std::future_status::ready) {
    ADD_FAILURE() << "write not answered within " << timeout.count() << " ms";
    return gw::Failure{std::make_error_code(std::errc::timed_out)};
  }
  return outcome.get();
}

// Lets the per-point write rate limit (Link::kMinWriteInterval) pass after a write that has
// completed. A time window is the behaviour here, so this waits it out; it synchronises nothing.
inline void wait_out_write_rate_limit() {
  std::this_thread::sleep_for(mb::Link::kMinWriteInterval + 5ms);
}

}  // namespace gw::test
