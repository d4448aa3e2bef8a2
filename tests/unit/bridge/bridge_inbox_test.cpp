// BridgeInbox with a LinkDriver: the bridge thread waits by running the link's handlers, what
// they report comes with the batch, and a push from another thread ends the wait. The driver here
// is a stand-in for NativeUplink's io_context (tests/unit/bridge/native_uplink_test.cpp drives the
// real one against Mosquitto): its "handlers" are events queued by the test.
#include "gateway/bridge/bridge_inbox.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace gw::bridge {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

LinkEvent event_of(LinkEvent::Kind kind) {
  LinkEvent e;
  e.kind = kind;
  e.generation = 1;
  return e;
}

// Blocks in run_one_until() until wake() or the deadline; each ready "handler" reports one event
// into the inbox, as a read of the real link does.
class FakeDriver final : public LinkDriver {
 public:
  explicit FakeDriver(BridgeInbox& inbox) : inbox_(inbox) {}

  void run_one_until(Clock::time_point deadline) override {
    std::unique_lock lock(mu_);
    ++runs_;
    cv_.wait_until(lock, deadline, [this] { return woken_ || !ready_.empty(); });
    woken_ = false;
    if (!ready_.empty()) run_one_locked(lock);
  }
  void poll() override {
    std::unique_lock lock(mu_);
    while (!ready_.empty()) run_one_locked(lock);
  }
  void wake() override {
    {
      std::lock_guard lock(mu_);
      woken_ = true;
      ++wakes_;
    }
    cv_.notify_all();
  }

  // Any thread: a handler that reports `kind` becomes ready.
  void make_ready(LinkEvent::Kind kind) {
    {
      std::lock_guard lock(mu_);
      ready_.push_back(kind);
    }
    cv_.notify_all();
  }
  int wakes() {
    std::lock_guard lock(mu_);
    return wakes_;
  }
  int runs() {
    std::lock_guard lock(mu_);
    return runs_;
  }

 private:
  void run_one_locked(std::unique_lock<std::mutex>& lock) {
    const auto kind = ready_.front();
    ready_.pop_front();
    lock.unlock();  // the handler reports without the driver's lock, as asio's do
    inbox_.on_link_event(event_of(kind));
    lock.lock();
  }

  BridgeInbox& inbox_;
  std::mutex mu_;  // guards: ready_, woken_, wakes_, runs_
  std::condition_variable cv_;
  std::deque<LinkEvent::Kind> ready_;
  bool woken_ = false;
  int wakes_ = 0;
  int runs_ = 0;
};

// Until the bridge thread waits by running the driver (bounded: a wait that never runs the driver
// fails the test, not hangs it).
void wait_for_a_run(FakeDriver& driver) {
  const auto deadline = Clock::now() + 20s;
  while (driver.runs() == 0 && Clock::now() < deadline) std::this_thread::yield();
}

LocalItem local_item() {
  return LocalItem{.route = 0, .message = std::make_shared<const Message>(Message{.topic = "t", .payload = "p"})};
}

// An inbox driven by a FakeDriver, cleared before both go.
class BridgeInboxDriver : public ::testing::Test {
 protected:
  BridgeInboxDriver() { inbox_.set_driver(&driver_); }
  ~BridgeInboxDriver() override { inbox_.set_driver(nullptr); }

  // wait_and_take() with a long timeout while another thread, once the wait runs the driver,
  // does `meanwhile`; took_ is how long the wait took.
  BridgeInbox::Batch take_while(const std::function<void()>& meanwhile) {
    std::thread other([&] {
      wait_for_a_run(driver_);
      meanwhile();
    });
    BridgeInbox::Batch batch;
    const auto start = Clock::now();
    inbox_.wait_and_take(30s, batch);
    took_ = Clock::now() - start;
    other.join();
    return batch;
  }

  BridgeInbox inbox_{16, nullptr};
  FakeDriver driver_{inbox_};
  Clock::duration took_{};
};

TEST_F(BridgeInboxDriver, WhatTheLinkReadMeanwhileComesWithTheBatchWithoutWaiting) {
  driver_.make_ready(LinkEvent::Kind::SendDone);
  driver_.make_ready(LinkEvent::Kind::SendDone);
  ASSERT_TRUE(inbox_.push_local(local_item()));

  BridgeInbox::Batch batch;
  inbox_.wait_and_take(0ns, batch);
  EXPECT_EQ(batch.local.size(), 1u);
  EXPECT_EQ(batch.events.size(), 2u) << "the ready handlers ran before the batch was taken";
  EXPECT_EQ(driver_.runs(), 0) << "nothing to wait for: the driver was only polled";
}

TEST_F(BridgeInboxDriver, WaitsByRunningTheLinkUntilItReportsSomething) {
  // The "read" completes once the wait has begun (the driver runs).
  auto batch = take_while([&] { driver_.make_ready(LinkEvent::Kind::Connected); });
  ASSERT_EQ(batch.events.size(), 1u);
  EXPECT_EQ(batch.events.front().kind, LinkEvent::Kind::Connected);
  EXPECT_LT(took_, 20s) << "the wait ended with the handler, not at its timeout";
}

TEST_F(BridgeInboxDriver, ALocalMessageFromAnotherThreadEndsTheWait) {
  auto batch = take_while([&] { EXPECT_TRUE(inbox_.push_local(local_item())); });
  EXPECT_EQ(batch.local.size(), 1u);
  EXPECT_TRUE(batch.events.empty());
  EXPECT_EQ(driver_.wakes(), 1) << "one wake for the one push into a waiting inbox";
  EXPECT_LT(took_, 20s) << "woken by the push, not by the timeout";
}

TEST_F(BridgeInboxDriver, StopEndsTheWait) {
  auto batch = take_while([&] { inbox_.request_stop(); });
  EXPECT_TRUE(batch.stop);
  EXPECT_EQ(driver_.wakes(), 1);
  EXPECT_LT(took_, 20s);
}

TEST_F(BridgeInboxDriver, AfterTheStopIsTakenOnlyAnEventEndsTheWait) {
  // The shutdown waits here for the acknowledgements of what is in flight: not in a busy loop.
  inbox_.request_stop();
  BridgeInbox::Batch batch;
  inbox_.wait_and_take(30s, batch);
  ASSERT_TRUE(batch.stop);
  EXPECT_EQ(driver_.runs(), 0);

  auto after = take_while([&] { driver_.make_ready(LinkEvent::Kind::SendDone); });
  EXPECT_TRUE(after.stop);
  EXPECT_GE(driver_.runs(), 1) << "it waited by running the link";
  ASSERT_EQ(after.events.size(), 1u);
  EXPECT_EQ(after.events.front().kind, LinkEvent::Kind::SendDone);
}

TEST_F(BridgeInboxDriver, PushesWakeNothingWhileNoOneWaits) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(inbox_.push_local(local_item()));
  EXPECT_EQ(driver_.wakes(), 0) << "the bridge thread is busy, not waiting: no wake-up to pay for";
  BridgeInbox::Batch batch;
  inbox_.wait_and_take(1s, batch);
  EXPECT_EQ(batch.local.size(), 5u);
  EXPECT_EQ(driver_.runs(), 0);
}

TEST(BridgeInboxWithoutDriver, APushEndsTheWaitOnceTheDriverIsCleared) {
  BridgeInbox inbox(16, nullptr);
  FakeDriver driver(inbox);
  inbox.set_driver(&driver);
  inbox.set_driver(nullptr);  // the link is gone: back to the condition variable
  std::thread core([&] { EXPECT_TRUE(inbox.push_local(local_item())); });
  BridgeInbox::Batch batch;
  const auto start = Clock::now();
  while (batch.local.empty() && Clock::now() - start < 20s) inbox.wait_and_take(30s, batch);
  core.join();
  EXPECT_EQ(batch.local.size(), 1u);
  EXPECT_LT(Clock::now() - start, 20s);
  EXPECT_EQ(driver.runs(), 0);
}

}  // namespace
}  // namespace gw::bridge
