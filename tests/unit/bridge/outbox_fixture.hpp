// Test support for the outbox tests: a temp directory holding the file, a fake clock and a fake
// free-space probe, and message builders.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/message.hpp"
#include "gateway/bridge/free_space.hpp"
#include "gateway/bridge/outbox.hpp"
#include "gateway/bridge/outbox_options.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::bridge::test {

class FakeDisk final : public FreeSpaceProbe {
 public:
  Result<std::uint64_t> available(const std::string&) const override {
    ++calls;
    if (fails) return fail(std::errc::io_error);
    return free;
  }
  std::uint64_t free = std::numeric_limits<std::uint64_t>::max() / 2;
  bool fails = false;
  mutable int calls = 0;
};

inline Message make_message(std::string topic, std::string payload, QoS qos = QoS::AtLeastOnce) {
  Message m;
  m.topic = std::move(topic);
  m.payload = std::move(payload);
  m.qos = qos;
  return m;
}

// Every field of Message set, binary payload and correlation data included.
inline Message full_message() {
  Message m;
  m.topic = "site/line1/temp";
  m.payload = std::string("\x00\x01\xff{\"v\":21.5}", 14);
  m.qos = QoS::ExactlyOnce;
  m.retain = true;
  m.props.payload_format = PayloadFormat::Utf8;
  m.props.message_expiry = 3600;
  m.props.content_type = "application/json";
  m.props.response_topic = "site/line1/temp/reply";
  m.props.correlation_data = std::string("\x00\xde\xad\xbe\xef", 5);
  m.props.user = {{"unit", "C"}, {"unit", "K"}, {"", ""}, {"k\xc3\xa9y", "v"}};
  return m;
}

class OutboxTest : public ::testing::Test {
 protected:
  [[nodiscard]] OutboxOptions options() const {
    OutboxOptions o;
    o.path = path();
    return o;
  }
  [[nodiscard]] std::string path() const { return (dir_.path() / "outbox.db").string(); }

  std::unique_ptr<Outbox> open(const OutboxOptions& o) {
    auto outbox = Outbox::open(o, clock_, disk_);
    if (!outbox) {
      ADD_FAILURE() << "open: " << outbox.error().message();
      return nullptr;
    }
    return std::move(*outbox);
  }
  std::unique_ptr<Outbox> open() { return open(options()); }

  // Appends and returns the id, failing the test on error.
  static std::uint64_t add(Outbox& outbox, const Message& m, int priority = 0,
                           std::string_view route = "cloud") {
    auto id = outbox.append(route, priority, m);
    EXPECT_TRUE(id) << id.error().message();
    return id ? *id : 0;
  }

  static std::vector<std::uint64_t> ids(const std::vector<StoredMessage>& batch) {
    std::vector<std::uint64_t> out;
    for (const auto& m : batch) out.push_back(m.id);
    return out;
  }
  static std::vector<std::uint64_t> next_ids(Outbox& outbox, std::size_t max) {
    auto batch = outbox.next(max);
    EXPECT_TRUE(batch) << batch.error().message();
    return batch ? ids(*batch) : std::vector<std::uint64_t>{};
  }
  static OutboxStats stats_of(Outbox& outbox) {
    auto s = outbox.stats();
    EXPECT_TRUE(s) << s.error().message();
    return s ? *s : OutboxStats{};
  }

  gw::test::TempDir dir_;
  core::FakeClock clock_;
  FakeDisk disk_;
};

}  // namespace gw::bridge::test
