// broker::SessionIndex: a session is found by its id while filed, not after; a reused slot does
// not answer for the id it held before; in-process subscriber ids are never sessions.
#include "broker/session_index.hpp"

#include <gtest/gtest.h>

namespace gw::broker {
namespace {

TEST(SessionIndex, FindsAFiledSessionByItsId) {
  SessionIndex index;
  Session a("a", index.claim(1));
  index.attach(a);
  Session b("b", index.claim(2));
  index.attach(b);
  EXPECT_EQ(index.find(a.id), &a);
  EXPECT_EQ(index.find(b.id), &b);
  EXPECT_NE(a.id, b.id);
  EXPECT_EQ(index.size(), 2U);
}

TEST(SessionIndex, ForgetsAnErasedSession) {
  SessionIndex index;
  Session a("a", index.claim(1));
  index.attach(a);
  index.erase(a.id);
  EXPECT_EQ(index.find(a.id), nullptr);
  EXPECT_EQ(index.size(), 0U);
}

TEST(SessionIndex, AReusedSlotDoesNotAnswerForTheOldId) {
  SessionIndex index;
  Session a("a", index.claim(1));
  index.attach(a);
  const SubscriberId old = a.id;
  index.erase(old);
  Session b("b", index.claim(2));  // takes a's slot
  index.attach(b);
  EXPECT_NE(b.id, old);
  EXPECT_EQ(index.find(old), nullptr);
  EXPECT_EQ(index.find(b.id), &b);
}

TEST(SessionIndex, IdsSortByCreation) {
  SessionIndex index;
  Session a("a", index.claim(5));
  index.attach(a);
  Session b("b", index.claim(6));
  index.attach(b);
  index.erase(a.id);
  Session c("c", index.claim(7));  // slot 0 again, later serial
  index.attach(c);
  EXPECT_LT(b.id, c.id);
}

TEST(SessionIndex, AnInProcessSubscriberIdIsNoSession) {
  SessionIndex index;
  Session a("a", index.claim(1));
  index.attach(a);
  // In-process subscribers take plain counter values, slot 0 included.
  EXPECT_EQ(index.find(SubscriberId{0}), nullptr);
  EXPECT_EQ(index.find(SubscriberId{1}), nullptr);
  EXPECT_EQ(index.find(SubscriberId{SessionIndex::kSessionTag | 99}), nullptr);  // no such slot
}

}  // namespace
}  // namespace gw::broker
