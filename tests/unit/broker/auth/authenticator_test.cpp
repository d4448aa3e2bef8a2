#include "broker/auth/authenticator.hpp"

#include <optional>

#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include "core/clock.hpp"

namespace gw::broker::auth {
namespace {

using namespace std::chrono_literals;
using Outcome = Authenticator::Outcome;

class AuthenticatorTest : public ::testing::Test {
 protected:
  AuthenticatorTest() : auth_(io_, clock_, {{"alice", hash_password("right", 1000)}}) {}

  // Runs the io_context until the outcome arrives (bounded).
  std::optional<Outcome> check(const std::string& user, const std::string& password,
                               const std::string& address = "192.0.2.1") {
    std::optional<Outcome> out;
    auth_.check(user, password, address, [&](Outcome o) { out = o; });
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!out && std::chrono::steady_clock::now() < deadline) {
      io_.restart();  // run_for() returns at once while nothing is queued yet
      io_.run_for(10ms);
    }
    return out;
  }

  asio::io_context io_;
  core::FakeClock clock_;
  Authenticator auth_;
};

TEST_F(AuthenticatorTest, AcceptsTheRightPasswordAndRefusesWrongOnesAndUnknownUsers) {
  EXPECT_EQ(check("alice", "right"), Outcome::Accepted);
  EXPECT_EQ(check("alice", "right"), Outcome::Accepted);  // remembered: the fast path
  EXPECT_EQ(check("alice", "wrong", "192.0.2.2"), Outcome::BadCredentials);
  EXPECT_EQ(check("mallory", "right", "192.0.2.3"), Outcome::BadCredentials);
  EXPECT_EQ(auth_.stats().accepted, 2U);
  EXPECT_EQ(auth_.stats().refused, 2U);
}

TEST_F(AuthenticatorTest, SlowsDownRepeatedFailuresFromOneAddressAndForgetsThemOnSuccess) {
  const auto timed = [&](const std::string& pw) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto o = check("alice", pw);
    return std::pair{o, std::chrono::steady_clock::now() - t0};
  };
  // Lower bounds only: a loaded machine may take longer, never shorter.
  auto [o1, t1] = timed("wrong");
  EXPECT_EQ(o1, Outcome::BadCredentials);
  EXPECT_GE(t1, Authenticator::kFailureDelay);
  // The next attempt, while the first delay has (on the injected clock) not passed: refused
  // without being verified, even with the right password.
  auto [o2, t2] = timed("right");
  EXPECT_EQ(o2, Outcome::BadCredentials);
  EXPECT_EQ(auth_.stats().throttled, 1U);
  clock_.advance(Authenticator::kFailureDelay);
  auto [o3, t3] = timed("wrong");
  EXPECT_EQ(o3, Outcome::BadCredentials);
  EXPECT_GE(t3, 2 * Authenticator::kFailureDelay);  // the second failure doubles the delay
  // Another address is not affected.
  EXPECT_EQ(check("alice", "right", "192.0.2.99"), Outcome::Accepted);
  clock_.advance(2 * Authenticator::kFailureDelay);
  EXPECT_EQ(check("alice", "right"), Outcome::Accepted);
  // A success does not reset the address: the third failure waits four times the first delay.
  auto [o4, t4] = timed("wrong");
  EXPECT_EQ(o4, Outcome::BadCredentials);
  EXPECT_GE(t4, 4 * Authenticator::kFailureDelay);
  // They age out.
  clock_.advance(Authenticator::kFailureWindow + 1s);
  auto [o5, t5] = timed("wrong");
  EXPECT_EQ(o5, Outcome::BadCredentials);
  EXPECT_LT(t5, 2 * Authenticator::kFailureDelay);
}

TEST_F(AuthenticatorTest, AReloadedTableReplacesPasswordsAtOnce) {
  EXPECT_EQ(check("alice", "right"), Outcome::Accepted);
  auth_.replace_users({{"alice", hash_password("new", 1000)}, {"bob", hash_password("b", 1000)}});
  EXPECT_EQ(auth_.user_count(), 2U);
  EXPECT_EQ(check("alice", "right", "192.0.2.5"), Outcome::BadCredentials)
      << "a remembered login must not outlive its password";
  EXPECT_EQ(check("alice", "new"), Outcome::Accepted);
  EXPECT_EQ(check("bob", "b"), Outcome::Accepted);
}

}  // namespace
}  // namespace gw::broker::auth
