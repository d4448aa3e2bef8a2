// broker::ClientList: O(1) add and remove with each Client's index kept right, and walk()
// visiting each client once while the visit removes clients (its own or others).
#include "broker/client_list.hpp"

#include <memory>
#include <vector>

#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include "broker/broker.hpp"
#include "core/clock.hpp"
#include "tests/support/fake_transport.hpp"

namespace gw::broker {
namespace {

class ClientListTest : public ::testing::Test {
 protected:
  ClientListTest() {
    for (int i = 0; i < 7; ++i) {
      transports_.push_back(std::make_unique<test::FakeTransport>());
      clients_.push_back(std::make_unique<Client>(broker_, *transports_.back()));
    }
  }
  Client& client(int i) { return *clients_[static_cast<std::size_t>(i)]; }

  core::FakeClock clock_;
  asio::io_context io_;
  Broker broker_{io_, BrokerOptions{}, clock_};
  std::vector<std::unique_ptr<test::FakeTransport>> transports_;
  std::vector<std::unique_ptr<Client>> clients_;
};

TEST_F(ClientListTest, RemovesFromAnyPlaceAndKeepsTheOthers) {
  ClientList list;
  for (int i = 0; i < 4; ++i) list.add(client(i));
  list.remove(client(1));  // the last one moves into its place
  list.remove(client(0));
  EXPECT_EQ(list.size(), 2U);
  EXPECT_FALSE(list.contains(&client(0)));
  EXPECT_FALSE(list.contains(&client(1)));
  EXPECT_TRUE(list.contains(&client(2)));
  EXPECT_TRUE(list.contains(&client(3)));
  list.remove(client(3));  // its index followed the move
  list.remove(client(2));
  EXPECT_EQ(list.size(), 0U);
  EXPECT_TRUE(list.all().empty());
}

TEST_F(ClientListTest, WalkVisitsEachOnceWhileVisitsRemoveClients) {
  ClientList list;
  for (int i = 0; i < 6; ++i) list.add(client(i));
  std::vector<const Client*> visited;
  list.walk([&](Client& c) {
    visited.push_back(&c);
    if (&c == &client(1)) {
      list.remove(client(1));  // itself
      list.remove(client(4));  // one not visited yet: not visited at all
      list.remove(client(0));  // one visited already
      list.add(client(6));     // new during the walk: not visited
    }
  });
  const std::vector<const Client*> expected{&client(0), &client(1), &client(2), &client(3),
                                            &client(5)};
  EXPECT_EQ(visited, expected);
  EXPECT_EQ(list.size(), 4U);  // 2, 3, 5, 6
  EXPECT_TRUE(list.contains(&client(6)));
  // The holes are closed and every index is right: each can be removed.
  for (int i : {6, 2, 5, 3}) list.remove(client(i));
  EXPECT_EQ(list.size(), 0U);
  EXPECT_TRUE(list.all().empty());
}

}  // namespace
}  // namespace gw::broker
