// broker::auth::Authenticator: checks a CONNECT's user name and password against the password
// table without stalling the broker.
//
//   Authenticator auth(io, clock, std::move(users));
//   auth.check("alice", "secret", "192.0.2.7", [](Authenticator::Outcome o) { ... });  // on io
//
// PBKDF2 is slow on purpose, so hashes are verified on the authenticator's own worker thread and
// the outcome is posted back to the core io_context. A successful login is remembered as an
// HMAC-SHA256 of the password under a per-process random key, so a client that reconnects (or a
// whole plant reconnecting after a network blip) costs one fast MAC, not one PBKDF2 each; the
// memory holds no password and no reusable hash. Unknown users cost the same as known ones (a
// dummy hash is verified), so timing does not reveal which users exist.
//
// Repeated failures from one address are slowed down: the refusal of the n-th failure within
// kFailureWindow is delayed by kFailureDelay * 2^(n-1), at most kMaxFailureDelay; while such a
// delay runs, further attempts from that address are refused after it without being verified
// (no CPU for a password guesser). Failures age out after kFailureWindow; a success does not
// clear them (one valid account must not reset the throttle for guesses at others). At most
// kMaxPending checks wait at once; beyond that the outcome is Busy at once.
//
// Ownership: owns its worker thread (joined on destruction; outcomes not delivered yet are
// dropped) and its timers. Thread safety: core thread only, except the worker it owns.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <asio/io_context.hpp>

#include "broker/auth/password_file.hpp"
#include "broker/auth/scram.hpp"
#include "core/clock.hpp"

namespace gw::broker::auth {

class Authenticator {
 public:
  enum class Outcome : std::uint8_t { Accepted, BadCredentials, Busy };
  using Done = std::function<void(Outcome)>;

  static constexpr std::size_t kMaxPending = 64;
  static constexpr std::chrono::milliseconds kFailureDelay{200};
  static constexpr std::chrono::milliseconds kMaxFailureDelay{10'000};
  static constexpr std::chrono::minutes kFailureWindow{5};
  // Addresses with recent failures that are tracked; beyond it the stale ones are forgotten,
  // then all (throttling fails open, authentication never does).
  static constexpr std::size_t kMaxTrackedAddresses = 4096;

  // Gives the key of unknown users' fake SCRAM salts kept across restarts
  // (broker/auth/salt_key.hpp), or "" when there is none. Called once, on the core thread, when
  // the table first has SCRAM entries; until then (and when absent or "") the key is one made
  // for this process, so fake salts change at every start.
  using SaltKeySource = std::function<std::string()>;

  Authenticator(asio::io_context& core, core::Clock& clock, PasswordTable users,
                SaltKeySource salt_key = {});
  ~Authenticator();
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  // `done` runs later on the core io_context, exactly once unless the Authenticator is destroyed
  // first.
  void check(std::string user, std::string password, const std::string& peer_address, Done done);

  // A reloaded password file; checks already queued use the table they started with. Remembered
  // logins of users whose hash changed or who are gone stop matching at once.
  void replace_users(PasswordTable users);
  [[nodiscard]] std::size_t user_count() const { return users_->size(); }

  // --- MQTT 5 enhanced authentication with SCRAM (broker/broker_enhanced_auth.cpp) ---
  // The exchange runs on the core thread: the server side of SCRAM costs a few HMACs (the client
  // pays the PBKDF2). Its outcomes count, and its failures slow the address down, exactly as
  // password checks do.

  // True when some user has a SCRAM entry for `hash`, so the mechanism is offered.
  [[nodiscard]] bool offers(Hash hash) const;
  // The credential of `user` for `hash`: a fake one (fake_scram_credential, at the iteration
  // count most SCRAM entries of that hash have) for an unknown user or one whose entry is not a
  // SCRAM entry of that hash, so the server-first-message does not tell them apart.
  [[nodiscard]] ScramCredential scram_credential(std::string_view user, Hash hash) const;
  // True while failures from `peer_address` are being slowed down.
  [[nodiscard]] bool throttled(const std::string& peer_address) const;
  // When failures from `peer_address` are being slowed down: true, and `done(BadCredentials)`
  // runs when the current delay is over (counted as refused and throttled). False otherwise
  // (`done` is not called).
  bool refuse_if_throttled(const std::string& peer_address, Done& done);
  // A finished exchange: a success is counted; a failure is counted, slows the address down,
  // and `done(BadCredentials)` runs after the delay.
  void scram_accepted() { ++stats_.accepted; }
  void scram_refused(const std::string& peer_address, Done done);

  struct Stats {
    std::uint64_t accepted = 0;
    std::uint64_t refused = 0;  // wrong user or password, including throttled attempts
    std::uint64_t throttled = 0;
    std::uint64_t busy = 0;
  };
  [[nodiscard]] const Stats& stats() const { return stats_; }

 private:
  struct Job {
    std::shared_ptr<const PasswordTable> users;
    std::string user;
    std::string password;
    std::string address;
    Done done;
  };
  struct Failures {
    std::uint32_t count = 0;
    std::chrono::steady_clock::time_point last{};
    std::chrono::steady_clock::time_point blocked_until{};
  };

  void work(std::stop_token stop);
  bool verify(const Job& job);  // worker thread
  void finish(const std::string& address, bool ok, Done done);  // core thread
  void refuse_later(std::chrono::milliseconds delay, Done done);
  void record_failure(const std::string& address, Done done);  // core thread
  void index_scram();  // scram_iterations_ from users_

  asio::io_context& core_;
  core::Clock& clock_;
  std::shared_ptr<const PasswordTable> users_;
  std::map<std::string, Failures, std::less<>> failures_;
  std::size_t pending_ = 0;  // core thread: checks not finished yet
  Stats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // core thread

  // Worker side.
  std::mutex mutex_;  // guards: jobs_, remembered_
  std::condition_variable_any wake_;
  std::deque<Job> jobs_;
  struct Remembered {
    std::string hash;  // the table entry it was verified against
    std::string mac;   // HMAC-SHA256(key_, password)
  };
  std::map<std::string, Remembered, std::less<>> remembered_;
  std::string key_;  // random, per process
  std::string dummy_hash_;  // guarded by mutex_: of the kind and cost most users have
  std::jthread worker_;
  // Core thread: per hash (Sha256, Sha512), the most common iteration count of the SCRAM entries,
  // 0 when there are none (the mechanism is not offered).
  std::uint32_t scram_iterations_[2] = {0, 0};
  // Keys the fake salts of unknown users; derived from the salt key kept on disk, or from key_,
  // so that the salts a client can see reveal nothing about the MACs of remembered logins.
  std::string fake_salt_key_;
  SaltKeySource salt_key_source_;  // core thread
  bool salt_key_loaded_ = false;
};

}  // namespace gw::broker::auth
