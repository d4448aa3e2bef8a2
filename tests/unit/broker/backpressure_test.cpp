// Back-pressure (broker/backpressure.hpp): a network publisher that takes a subscriber past the
// high-water mark is no longer read until the subscriber drains; a subscriber that makes no
// progress for max_backpressure_wait is stuck and holds nobody back any more.
#include <gtest/gtest.h>

#include "broker/local_client.hpp"
#include "tests/unit/broker/broker_fixture.hpp"

namespace gw::broker {
namespace {

class Backpressure : public ::testing::Test {
 protected:
  static BrokerOptions small_queues() {
    BrokerOptions o;
    o.max_packet_size = 1024;
    o.max_queued_bytes = 4096;  // high water 2048, low water 1024
    o.max_queued_messages = 1000;
    o.max_backpressure_wait = 1s;
    return o;
  }
  void SetUp() override { broker_ = std::make_unique<Broker>(io_, small_queues(), clock_); }
  void make_broker(BrokerOptions o) { broker_ = std::make_unique<Broker>(io_, std::move(o), clock_); }

  // Publishes 100-byte QoS `qos` messages on `topic` from `pub` until it is paused (at most
  // `limit`); returns how many it sent.
  static int publish_until_paused(Conn& pub, const std::string& topic, QoS qos = QoS::AtMostOnce,
                                  int limit = 1000) {
    int sent = 0;
    while (pub.reading() && sent < limit) {
      pub.send(publish_packet(topic, std::string(100, 'x'), qos));
      ++sent;
    }
    return sent;
  }
  void expect_consistent() { EXPECT_EQ(broker_->check_invariants(), ""); }

  core::FakeClock clock_;
  asio::io_context io_;
  std::unique_ptr<Broker> broker_;
};

TEST_F(Backpressure, PublisherIsPausedAtHighWaterAndResumedWhenTheSubscriberDrains) {
  Conn slow(*broker_);
  join(slow, "slow", "t", QoS::AtMostOnce);
  slow.stall();
  Conn pub(*broker_);
  pub.connect(connect_packet("pub"));

  const int sent = publish_until_paused(pub, "t");
  EXPECT_FALSE(pub.reading());
  // Paused once the subscriber's unwritten bytes passed 2048 (about 20 messages), not before.
  EXPECT_GT(sent, 15);
  EXPECT_LT(sent, 25);
  EXPECT_EQ(broker_->stats().backpressure_pauses, 1U);
  EXPECT_EQ(broker_->stats().dropped_queue_full, 0U);
  expect_consistent();

  slow.drain();  // the write completes: under the low-water mark
  EXPECT_TRUE(pub.reading());
  expect_consistent();
  EXPECT_EQ(only<Publish>(slow.received()).size(), static_cast<std::size_t>(sent));
}

// The per-client state is allocated when a pair is made and released at the tick after it is
// idle again: an idle connection carries none (docs/performance.md "Per-connection memory").
TEST_F(Backpressure, StateIsAllocatedOnFirstPauseKeptWhileStuckAndReleasedAtTheTickWhenIdle) {
  Conn slow(*broker_);
  join(slow, "slow", "t", QoS::AtMostOnce);
  slow.stall();
  Conn pub(*broker_);
  pub.connect(connect_packet("pub"));
  pub.send(publish_packet("t", std::string(100, 'x')));  // under the mark: no pair yet
  broker_->tick();
  EXPECT_FALSE(slow.client().has_backpressure_state());
  EXPECT_FALSE(pub.client().has_backpressure_state());

  publish_until_paused(pub, "t");
  ASSERT_FALSE(pub.reading());
  EXPECT_TRUE(slow.client().has_backpressure_state());
  EXPECT_TRUE(pub.client().has_backpressure_state());
  EXPECT_TRUE(pub.client().backpressure().paused());
  EXPECT_EQ(slow.client().backpressure().waiters.size(), 1U);
  broker_->tick();  // still paired: kept
  EXPECT_TRUE(pub.client().has_backpressure_state());

  // Stuck: the publisher is released, but the subscriber must remember that it is stuck.
  clock_.advance(1s);
  broker_->tick();
  ASSERT_TRUE(pub.reading());
  EXPECT_TRUE(slow.client().backpressure().stuck);
  broker_->tick();
  EXPECT_TRUE(slow.client().has_backpressure_state());
  EXPECT_TRUE(slow.client().backpressure().stuck);
  EXPECT_FALSE(pub.client().has_backpressure_state());
  pub.send(publish_packet("t", std::string(100, 'x')));
  EXPECT_TRUE(pub.reading()) << "a stuck subscriber paused a publisher";
  expect_consistent();

  // Drained: no longer stuck, and gone at the next tick; the next pause allocates it again.
  slow.drain();
  broker_->tick();
  EXPECT_FALSE(slow.client().has_backpressure_state());
  EXPECT_FALSE(slow.client().backpressure().stuck);
  publish_until_paused(pub, "t");
  EXPECT_FALSE(pub.reading());
  EXPECT_TRUE(slow.client().has_backpressure_state());
  EXPECT_EQ(broker_->stats().backpressure_pauses, 2U);
  slow.drain();
  EXPECT_TRUE(pub.reading());
  broker_->tick();
  EXPECT_FALSE(slow.client().has_backpressure_state());
  EXPECT_FALSE(pub.client().has_backpressure_state());
  expect_consistent();
}

TEST_F(Backpressure, OneStuckSubscriberDelaysOthersOnlyUntilTheWaitThenItsOverflowIsDropped) {
  Conn stuck(*broker_);
  join(stuck, "stuck", "t", QoS::AtMostOnce);
  stuck.stall();
  Conn live(*broker_);
  join(live, "live", "t", QoS::AtMostOnce);
  Conn pub(*broker_);
  pub.connect(connect_packet("pub"));

  int sent = publish_until_paused(pub, "t");
  ASSERT_FALSE(pub.reading());
  clock_.advance(999ms);
  broker_->tick();
  EXPECT_FALSE(pub.reading()) << "released before max_backpressure_wait";
  clock_.advance(1ms);
  broker_->tick();
  EXPECT_TRUE(pub.reading());
  EXPECT_EQ(broker_->stats().backpressure_stuck, 1U);
  expect_consistent();

  // From now on the stuck one pauses nobody: the publisher goes on, its overflow is dropped.
  for (int i = 0; i < 100; ++i, ++sent) pub.send(publish_packet("t", std::string(100, 'x')));
  EXPECT_TRUE(pub.reading());
  EXPECT_EQ(broker_->stats().backpressure_pauses, 1U);
  EXPECT_GT(broker_->stats().dropped_queue_full, 50U);
  EXPECT_EQ(only<Publish>(live.received()).size(), static_cast<std::size_t>(sent));
  expect_consistent();

  // Once it caught up it is an ordinary subscriber again, and pauses publishers again.
  stuck.drain();
  publish_until_paused(pub, "t");
  EXPECT_FALSE(pub.reading());
  EXPECT_EQ(broker_->stats().backpressure_pauses, 2U);
  expect_consistent();
}

TEST_F(Backpressure, ProgressBelowTheHighWaterMarkKeepsASlowSubscriberFromBeingStuck) {
  Conn slow(*broker_);
  join(slow, "slow", "t", QoS::AtMostOnce);
  slow.stall();
  Conn pub(*broker_);
  pub.connect(connect_packet("pub"));
  for (int round = 0; round < 5; ++round) {
    publish_until_paused(pub, "t");
    ASSERT_FALSE(pub.reading());
    clock_.advance(900ms);  // slow, but it makes progress within the wait every time
    broker_->tick();
    slow.drain();
    ASSERT_TRUE(pub.reading());
  }
  EXPECT_EQ(broker_->stats().backpressure_stuck, 0U);
  EXPECT_EQ(broker_->stats().backpressure_pauses, 5U);
  EXPECT_EQ(broker_->stats().dropped_queue_full, 0U);
}

TEST_F(Backpressure, SeveralPublishersAndSubscribersAreEachPairedOnceAndResumeWhenAllDrained) {
  Conn s1(*broker_);
  join(s1, "s1", "t", QoS::AtMostOnce);
  s1.stall();
  Conn s2(*broker_);
  join(s2, "s2", "t", QoS::AtMostOnce);
  s2.stall();
  Conn p1(*broker_);
  p1.connect(connect_packet("p1"));
  Conn p2(*broker_);
  p2.connect(connect_packet("p2"));

  publish_until_paused(p1, "t");
  ASSERT_FALSE(p1.reading());
  // p2's first message finds both subscribers over the mark; the bytes of a read batch that
  // were already taken keep arriving: each pair is still recorded once.
  for (int i = 0; i < 10; ++i) p2.send(publish_packet("t", std::string(100, 'x')));
  p1.send(publish_packet("t", std::string(100, 'x')));
  EXPECT_FALSE(p2.reading());
  EXPECT_EQ(broker_->stats().backpressure_pauses, 2U);
  expect_consistent();

  s1.drain();  // s2 is still over: both keep waiting on it
  EXPECT_FALSE(p1.reading());
  EXPECT_FALSE(p2.reading());
  expect_consistent();
  s2.drain();
  EXPECT_TRUE(p1.reading());
  EXPECT_TRUE(p2.reading());
  expect_consistent();
  EXPECT_EQ(broker_->stats().dropped_queue_full, 0U);
}

TEST_F(Backpressure, Qos1QueueOverHalfOfMaxQueuedMessagesPausesAndAcknowledgementsResume) {
  auto o = small_queues();
  o.max_queued_bytes = 1024 * 1024;
  o.max_queued_messages = 20;  // high water: more than 10 queued; low water: 5
  o.max_inflight = 4;
  make_broker(o);
  Conn sub(*broker_);
  join(sub, "sub", "t", QoS::AtLeastOnce);  // reads everything, acknowledges nothing yet
  Conn pub(*broker_);
  pub.connect(connect_packet("pub"));

  const int sent = publish_until_paused(pub, "t", QoS::AtLeastOnce);
  EXPECT_FALSE(pub.reading());
  EXPECT_EQ(sent, 4 + 11);  // 4 in flight, then the 11th queued one crosses the mark
  EXPECT_EQ(only<Puback>(pub.received()).size(), static_cast<std::size_t>(sent));
  expect_consistent();

  // The subscriber acknowledges what it has; each PUBACK lets a queued message out.
  std::size_t delivered = 0;
  for (int round = 0; round < 10 && !pub.reading(); ++round) {
    for (const auto& p : only<Publish>(sub.received())) {
      ++delivered;
      sub.send(Puback{.packet_id = p.packet_id});
    }
  }
  EXPECT_TRUE(pub.reading());
  expect_consistent();
  for (int round = 0; round < 10; ++round) {
    for (const auto& p : only<Publish>(sub.received())) {
      ++delivered;
      sub.send(Puback{.packet_id = p.packet_id});
    }
  }
  EXPECT_EQ(delivered, static_cast<std::size_t>(sent));
  EXPECT_EQ(broker_->stats().dropped_queue_full, 0U);
}

TEST_F(Backpressure, TwoClientsPublishingToEachOtherAreNeverBothPaused) {
  auto o = small_queues();
  o.max_queued_bytes = 1024 * 1024;
  o.max_queued_messages = 20;  // high water: more than 10 queued
  o.max_inflight = 4;
  make_broker(o);
  // Each reads what it is sent but acknowledges nothing: only reading its PUBACKs would drain it.
  Conn a(*broker_);
  join(a, "a", "to-a", QoS::AtLeastOnce);
  Conn b(*broker_);
  join(b, "b", "to-b", QoS::AtLeastOnce);

  publish_until_paused(a, "to-b", QoS::AtLeastOnce);
  ASSERT_FALSE(a.reading());  // a waits on b
  expect_consistent();
  // Now b fills a's queue: a is read again (only reading its acknowledgements drains it), and
  // b waits on a instead.
  publish_until_paused(b, "to-a", QoS::AtLeastOnce);
  EXPECT_TRUE(a.reading());
  EXPECT_FALSE(b.reading());
  expect_consistent();
  // a's acknowledgements are read and drain it, which resumes b.
  for (int round = 0; round < 10 && !b.reading(); ++round) {
    for (const auto& p : only<Publish>(a.received())) a.send(Puback{.packet_id = p.packet_id});
  }
  EXPECT_TRUE(a.reading());
  EXPECT_TRUE(b.reading());
  expect_consistent();
  EXPECT_EQ(broker_->stats().backpressure_stuck, 0U);
  EXPECT_EQ(broker_->stats().dropped_queue_full, 0U);
}

TEST_F(Backpressure, PausedPublisherKeepAliveDoesNotExpireAndRestartsOnResume) {
  auto o = small_queues();
  o.max_backpressure_wait = 60s;
  make_broker(o);
  Conn slow(*broker_);
  join(slow, "slow", "t", QoS::AtMostOnce);
  slow.stall();
  Conn pub(*broker_);
  pub.connect(connect_packet("pub", /*keep_alive=*/60));
  publish_until_paused(pub, "t");
  ASSERT_FALSE(pub.reading());
  for (int i = 0; i < 29; ++i) {  // 29 s of silence that we caused (1.5 x 60 s would be 90)
    clock_.advance(1s);
    broker_->tick();
  }
  EXPECT_FALSE(pub.closed());
  ASSERT_FALSE(pub.reading());
  slow.drain();
  ASSERT_TRUE(pub.reading());
  clock_.advance(89s);
  broker_->tick();
  EXPECT_FALSE(pub.closed());
  clock_.advance(1s);  // 1.5 x 60 s after it was read again
  broker_->tick();
  EXPECT_TRUE(pub.closed());
}

// A subscriber that keeps making a little progress is never stuck by max_backpressure_wait, and
// in-process publishers (never paused) keep it over high water; the network publisher, whose
// PINGREQ is not read while paused, is resumed at half its Keep Alive.
TEST_F(Backpressure, PausedPublisherIsResumedAtHalfItsKeepAliveThoughTheSubscriberProgresses) {
  Conn slow(*broker_);
  join(slow, "slow", "t", QoS::AtMostOnce);
  slow.stall();
  LocalClient local(*broker_, "adapter");
  Conn pub(*broker_);
  pub.connect(connect_packet("pub", /*keep_alive=*/10));
  publish_until_paused(pub, "t");
  ASSERT_FALSE(pub.reading());
  const auto one_second = [&] {
    clock_.advance(1s);
    for (int i = 0; i < 3; ++i) {  // about 330 bytes in
      ASSERT_TRUE(local.publish(Message{.topic = "t", .payload = std::string(100, 'x')}));
    }
    slow.drain_some(350);  // a little more out: progress, far above low water
    broker_->tick();
  };
  for (int s = 0; s < 4; ++s) one_second();
  EXPECT_FALSE(pub.reading()) << "resumed before half its keep alive";
  EXPECT_EQ(broker_->stats().backpressure_stuck, 0U) << "progress must keep it from being stuck";
  one_second();  // 5 s paused
  EXPECT_TRUE(pub.reading());
  EXPECT_EQ(broker_->stats().backpressure_stuck, 1U);
  EXPECT_TRUE(slow.client().backpressure().stuck);
  EXPECT_FALSE(pub.closed());
  pub.send(publish_packet("t", std::string(100, 'x')));
  EXPECT_TRUE(pub.reading()) << "a subscriber treated as stuck paused the publisher again";
  expect_consistent();
  // Drained: it pauses publishers again.
  slow.drain();
  publish_until_paused(pub, "t");
  EXPECT_FALSE(pub.reading());
  expect_consistent();
}

TEST_F(Backpressure, PausedPublisherWithoutKeepAliveStaysPausedWhileTheSubscriberProgresses) {
  Conn slow(*broker_);
  join(slow, "slow", "t", QoS::AtMostOnce);
  slow.stall();
  LocalClient local(*broker_, "adapter");
  Conn pub(*broker_);
  pub.connect(connect_packet("pub", /*keep_alive=*/0));
  publish_until_paused(pub, "t");
  for (int s = 0; s < 60; ++s) {
    clock_.advance(1s);
    ASSERT_TRUE(local.publish(Message{.topic = "t", .payload = std::string(100, 'x')}));
    slow.drain_some(120);
    broker_->tick();
  }
  EXPECT_FALSE(pub.reading());
  EXPECT_EQ(broker_->stats().backpressure_stuck, 0U);
  expect_consistent();
}

TEST_F(Backpressure, InProcessPublishersAreNeverPausedAndDropAsBefore) {
  Conn slow(*broker_);
  join(slow, "slow", "t", QoS::AtMostOnce);
  slow.stall();
  LocalClient local(*broker_, "adapter");
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(local.publish(Message{.topic = "t", .payload = std::string(100, 'x')}));
  }
  EXPECT_EQ(broker_->stats().backpressure_pauses, 0U);
  EXPECT_GT(broker_->stats().dropped_queue_full, 50U);
  expect_consistent();
}

TEST_F(Backpressure, OffDropsAtOnceAsWithoutIt) {
  auto o = small_queues();
  o.max_backpressure_wait = 0s;
  make_broker(o);
  Conn slow(*broker_);
  join(slow, "slow", "t", QoS::AtMostOnce);
  slow.stall();
  Conn pub(*broker_);
  pub.connect(connect_packet("pub"));
  EXPECT_EQ(publish_until_paused(pub, "t", QoS::AtMostOnce, 100), 100);
  EXPECT_TRUE(pub.reading());
  EXPECT_GT(broker_->stats().dropped_queue_full, 50U);
}

TEST_F(Backpressure, SubscriberThatLeavesReleasesItsPublishersAndAPublisherThatLeavesIsForgotten) {
  Conn slow(*broker_);
  join(slow, "slow", "t", QoS::AtMostOnce);
  slow.stall();
  Conn p1(*broker_);
  p1.connect(connect_packet("p1"));
  auto p2 = std::make_unique<Conn>(*broker_);
  p2->connect(connect_packet("p2"));
  publish_until_paused(p1, "t");
  p2->send(publish_packet("t", "x"));
  ASSERT_FALSE(p1.reading());
  ASSERT_FALSE(p2->reading());
  p2->drop();  // a paused publisher's connection dies
  p2.reset();
  expect_consistent();
  slow.drop();  // the subscriber goes: nobody to wait for
  EXPECT_TRUE(p1.reading());
  expect_consistent();
}

TEST_F(Backpressure, ClientSubscribedToItsOwnTopicIsNotPausedForItself) {
  Conn self(*broker_);
  join(self, "self", "t", QoS::AtMostOnce);
  self.stall();
  EXPECT_EQ(publish_until_paused(self, "t", QoS::AtMostOnce, 100), 100);
  EXPECT_EQ(broker_->stats().backpressure_pauses, 0U);
  expect_consistent();
}

// --- An in-process subscriber with a queue of its own (LocalBacklog), as the bridge's inbox ---

// A bounded queue that refuses and counts when full, taken by hand as the bridge thread would.
class FakeBacklog final : public LocalBacklog {
 public:
  explicit FakeBacklog(std::size_t capacity) : capacity_(capacity) {}
  [[nodiscard]] std::size_t size() const override { return items.size(); }
  [[nodiscard]] std::size_t capacity() const override { return capacity_; }
  void request_progress() override { progress_wanted = true; }

  void push(const std::shared_ptr<const Message>& m) {
    if (items.size() >= capacity_) {
      ++refused;
      return;
    }
    items.push_back(m);
  }
  // The consumer takes `n` messages; answers a progress request as BridgeInbox does.
  void take(std::size_t n, LocalClient& client) {
    items.erase(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(std::min(n, items.size())));
    if (progress_wanted) {
      progress_wanted = false;
      client.on_backlog_progress();
    }
  }

  std::vector<std::shared_ptr<const Message>> items;
  std::size_t refused = 0;
  bool progress_wanted = false;

 private:
  std::size_t capacity_;
};

class LocalBacklogPressure : public Backpressure {
 protected:
  void SetUp() override {
    Backpressure::SetUp();
    bridge_ = std::make_unique<LocalClient>(*broker_, "bridge");
    backlog_ = std::make_shared<FakeBacklog>(100);  // high water 50, low water 25
    ASSERT_TRUE(bridge_->subscribe("up/#", [b = backlog_](const auto& m) { b->push(m); }));
    bridge_->set_backlog(backlog_);
  }
  void TearDown() override { bridge_.reset(); }

  std::unique_ptr<LocalClient> bridge_;
  std::shared_ptr<FakeBacklog> backlog_;
};

TEST_F(LocalBacklogPressure, PublisherIsPausedOverHalfAndResumedUnderAQuarterAfterTheConsumerTakes) {
  Conn pub(*broker_);
  pub.connect(connect_packet("pub"));
  // Not yet handed over when it is paused: the broker counts its own local queue as backlog.
  EXPECT_EQ(publish_until_paused(pub, "up/a", QoS::AtLeastOnce), 51);
  EXPECT_EQ(broker_->stats().backpressure_pauses, 1U);
  EXPECT_TRUE(backlog_->progress_wanted);
  expect_consistent();
  io_.poll();  // the handlers run: everything routed is in the queue, nothing refused
  EXPECT_EQ(backlog_->items.size(), 51U);
  EXPECT_EQ(backlog_->refused, 0U);
  EXPECT_EQ(only<Puback>(pub.received()).size(), 51U);

  backlog_->take(20, *bridge_);  // 31 left: over low water
  EXPECT_FALSE(pub.reading());
  EXPECT_TRUE(backlog_->progress_wanted) << "the next take must be reported again";
  broker_->tick();
  EXPECT_FALSE(pub.reading());
  backlog_->take(6, *bridge_);  // 25 left
  EXPECT_TRUE(pub.reading());
  EXPECT_FALSE(backlog_->progress_wanted);
  expect_consistent();

  // Many rounds: every message acknowledged reaches the queue, none refused.
  int sent = 51;
  for (int round = 0; round < 20; ++round) {
    sent += publish_until_paused(pub, "up/a", QoS::AtLeastOnce);
    ASSERT_FALSE(pub.reading());
    io_.poll();
    backlog_->take(backlog_->items.size(), *bridge_);
    ASSERT_TRUE(pub.reading());
    expect_consistent();
  }
  EXPECT_EQ(backlog_->refused, 0U);
  EXPECT_EQ(broker_->stats().backpressure_pauses, 21U);
  EXPECT_EQ(only<Puback>(pub.received()).size(), static_cast<std::size_t>(sent - 51));
}

TEST_F(LocalBacklogPressure, TickResumesWhenTheConsumerTookTheQueueBeforeTheRequest) {
  Conn pub(*broker_);
  pub.connect(connect_packet("pub"));
  publish_until_paused(pub, "up/a");
  io_.poll();
  backlog_->items.clear();  // taken without looking at the request: no progress report
  EXPECT_FALSE(pub.reading());
  broker_->tick();
  EXPECT_TRUE(pub.reading());
  expect_consistent();
}

TEST_F(LocalBacklogPressure, ConsumerWithoutProgressIsStuckAfterTheWaitThenItsOverflowIsRefused) {
  Conn pub(*broker_);
  pub.connect(connect_packet("pub"));
  publish_until_paused(pub, "up/a");
  io_.poll();
  clock_.advance(999ms);
  broker_->tick();
  EXPECT_FALSE(pub.reading()) << "released before max_backpressure_wait";
  clock_.advance(1ms);
  broker_->tick();
  EXPECT_TRUE(pub.reading());
  EXPECT_EQ(broker_->stats().backpressure_stuck, 1U);
  expect_consistent();

  // Stuck: it pauses nobody, and what does not fit its queue is refused there (as without).
  for (int i = 0; i < 100; ++i) pub.send(publish_packet("up/a", "x"));
  io_.poll();
  EXPECT_TRUE(pub.reading());
  EXPECT_EQ(broker_->stats().backpressure_pauses, 1U);
  EXPECT_EQ(backlog_->refused, 51U);
  expect_consistent();

  // Once it has caught up it pauses publishers again.
  backlog_->take(100, *bridge_);
  broker_->tick();
  publish_until_paused(pub, "up/a");
  EXPECT_FALSE(pub.reading());
  EXPECT_EQ(broker_->stats().backpressure_pauses, 2U);
  expect_consistent();
}

TEST_F(LocalBacklogPressure, ProgressWithinTheWaitKeepsASlowConsumerFromBeingStuck) {
  Conn pub(*broker_);
  pub.connect(connect_packet("pub"));
  publish_until_paused(pub, "up/a");
  io_.poll();
  for (int round = 0; round < 5; ++round) {
    clock_.advance(900ms);
    backlog_->take(4, *bridge_);  // slow, but the backlog goes down within every wait
    broker_->tick();
    ASSERT_FALSE(pub.reading()) << round;
  }
  EXPECT_EQ(broker_->stats().backpressure_stuck, 0U);
  expect_consistent();
}

// The keep-alive cap on a pause does not declare the bridge's hand-off queue stuck: that would
// refuse messages on their way into the outbox. The publisher keeps waiting for it.
TEST_F(LocalBacklogPressure, KeepAliveCapDoesNotDeclareTheHandOffQueueStuck) {
  Conn pub(*broker_);
  pub.connect(connect_packet("pub", /*keep_alive=*/4));
  publish_until_paused(pub, "up/a", QoS::AtLeastOnce);
  io_.poll();
  for (int round = 0; round < 5; ++round) {  // 4.5 s paused: past half its keep alive
    clock_.advance(900ms);
    backlog_->take(1, *bridge_);  // slow, but progress within every wait
    broker_->tick();
    ASSERT_FALSE(pub.reading()) << round;
  }
  EXPECT_EQ(broker_->stats().backpressure_stuck, 0U);
  EXPECT_FALSE(pub.closed());
  backlog_->take(backlog_->items.size(), *bridge_);
  EXPECT_TRUE(pub.reading());
  EXPECT_EQ(backlog_->refused, 0U);
  expect_consistent();
}

TEST_F(LocalBacklogPressure, InProcessPublishersAreNeverPaused) {
  LocalClient adapter(*broker_, "adapter");
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(adapter.publish(Message{.topic = "up/a", .payload = "x"}));
  io_.poll();
  EXPECT_EQ(broker_->stats().backpressure_pauses, 0U);
  EXPECT_EQ(backlog_->refused, 100U);
  expect_consistent();
}

TEST_F(LocalBacklogPressure, RemovingTheBacklogOrTheSubscriberReleasesAndAGonePublisherIsForgotten) {
  Conn p1(*broker_);
  p1.connect(connect_packet("p1"));
  auto p2 = std::make_unique<Conn>(*broker_);
  p2->connect(connect_packet("p2"));
  publish_until_paused(p1, "up/a");
  p2->send(publish_packet("up/a", "x"));
  ASSERT_FALSE(p1.reading());
  ASSERT_FALSE(p2->reading());
  p2->drop();
  p2.reset();
  expect_consistent();
  bridge_->set_backlog(nullptr);
  EXPECT_TRUE(p1.reading());
  expect_consistent();

  bridge_->set_backlog(backlog_);
  io_.poll();
  backlog_->take(100, *bridge_);
  publish_until_paused(p1, "up/a");
  ASSERT_FALSE(p1.reading());
  bridge_.reset();  // the LocalClient goes: its subscriptions and backlog with it
  EXPECT_TRUE(p1.reading());
  expect_consistent();
}

TEST_F(LocalBacklogPressure, NetworkAndLocalSubscribersBothHoldThePublisherUntilBothDrain) {
  Conn pub(*broker_);
  pub.connect(connect_packet("pub"));
  publish_until_paused(pub, "up/a");  // paused for the local backlog
  Conn slow(*broker_);
  join(slow, "slow", "up/a", QoS::AtMostOnce);
  slow.stall();
  // The rest of a read batch: it takes the network subscriber over its high water too.
  for (int i = 0; i < 30; ++i) pub.send(publish_packet("up/a", std::string(100, 'x')));
  io_.poll();
  EXPECT_EQ(broker_->stats().backpressure_pauses, 1U);
  expect_consistent();
  backlog_->take(100, *bridge_);
  EXPECT_FALSE(pub.reading()) << "still waiting on the network subscriber";
  expect_consistent();
  slow.drain();
  EXPECT_TRUE(pub.reading());
  EXPECT_EQ(backlog_->refused, 0U);
  expect_consistent();
}

}  // namespace
}  // namespace gw::broker
