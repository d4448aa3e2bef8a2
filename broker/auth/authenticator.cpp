#include "broker/auth/authenticator.hpp"

#include <algorithm>
#include <map>
#include <string_view>

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace gw::broker::auth {
namespace {

// Empty when OpenSSL fails; an empty MAC is never remembered and never matches.
std::string hmac_sha256(const std::string& key, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           reinterpret_cast<unsigned char*>(out.data()), &len) == nullptr) {
    return {};
  }
  out.resize(len);
  return out;
}

// A hash of the kind and cost most users have, for unknown users to be checked against.
std::string dummy_for(const PasswordTable& users) {
  constexpr std::string_view kNobody = "not a password of anyone";
  if (users.empty()) return hash_password(kNobody);
  std::map<std::string_view, std::size_t> costs;  // "$7$<iterations>" or "$6" -> users
  for (const auto& [name, hash] : users) {
    const auto end = hash.starts_with("$7$") ? hash.find('$', 3) : 2;
    ++costs[std::string_view(hash).substr(0, end)];
  }
  const auto common = std::max_element(costs.begin(), costs.end(), [](const auto& a, const auto& b) {
                        return a.second < b.second;
                      })->first;
  for (const auto& [name, hash] : users) {
    if (hash.starts_with(common)) return hash_like(hash, kNobody);
  }
  return hash_password(kNobody);
}

}  // namespace

Authenticator::Authenticator(asio::io_context& core, core::Clock& clock, PasswordTable users,
                             SaltKeySource salt_key)
    : core_(core),
      clock_(clock),
      users_(std::make_shared<const PasswordTable>(std::move(users))),
      key_(32, '\0'),
      dummy_hash_(dummy_for(*users_)) {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key_.data()), static_cast<int>(key_.size())) !=
      1) {
    std::abort();  // no entropy: nothing safe to do
  }
  fake_salt_key_ = hmac_sha256(key_, "fake SCRAM salt");
  if (fake_salt_key_.empty()) std::abort();  // HMAC of in-memory bytes failed: OpenSSL is broken
  salt_key_source_ = std::move(salt_key);
  index_scram();
  worker_ = std::jthread([this](std::stop_token stop) { work(stop); });
}

Authenticator::~Authenticator() {
  *alive_ = false;
  worker_.request_stop();
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

bool Authenticator::throttled(const std::string& peer_address) const {
  const auto it = failures_.find(peer_address);
  if (it == failures_.end()) return false;
  const auto now = clock_.steady();
  return now - it->second.last <= kFailureWindow && now < it->second.blocked_until;
}

bool Authenticator::refuse_if_throttled(const std::string& peer_address, Done& done) {
  const auto now = clock_.steady();
  if (auto it = failures_.find(peer_address); it != failures_.end()) {
    if (now - it->second.last > kFailureWindow) {
      failures_.erase(it);
    } else if (now < it->second.blocked_until) {
      // A guesser gets no CPU: refused when the current delay is over, without verifying.
      ++stats_.throttled;
      ++stats_.refused;
      refuse_later(std::chrono::duration_cast<std::chrono::milliseconds>(
                       it->second.blocked_until - now),
                   std::move(done));
      return true;
    }
  }
  return false;
}

void Authenticator::check(std::string user, std::string password, const std::string& peer_address,
                          Done done) {
  if (refuse_if_throttled(peer_address, done)) return;
  if (pending_ >= kMaxPending) {
    ++stats_.busy;
    asio::post(core_, [done = std::move(done)] { done(Outcome::Busy); });
    return;
  }
  ++pending_;
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(Job{users_, std::move(user), std::move(password), peer_address, std::move(done)});
  }
  wake_.notify_one();
}

void Authenticator::replace_users(PasswordTable users) {
  users_ = std::make_shared<const PasswordTable>(std::move(users));
  index_scram();
  std::string dummy = dummy_for(*users_);
  std::lock_guard lock(mutex_);
  dummy_hash_ = std::move(dummy);
  std::erase_if(remembered_, [&](const auto& entry) {
    const auto it = users_->find(entry.first);
    return it == users_->end() || it->second != entry.second.hash;
  });
}

void Authenticator::work(std::stop_token stop) {
  const std::weak_ptr<bool> alive = alive_;
  while (true) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      // Stopping: queued checks are abandoned (their connections are going away too), not
      // worked through, so shutdown does not wait for a queue of PBKDF2s.
      if (!wake_.wait(lock, stop, [&] { return !jobs_.empty(); }) || stop.stop_requested()) {
        return;
      }
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    const bool ok = verify(job);
    asio::post(core_, [this, alive, ok, address = std::move(job.address),
                       done = std::move(job.done)]() mutable {
      const auto still = alive.lock();
      if (!still || !*still) return;
      finish(address, ok, std::move(done));
    });
  }
}

bool Authenticator::verify(const Job& job) {
  const auto it = job.users->find(job.user);
  const bool known = it != job.users->end();
  std::string hash;
  {
    std::lock_guard lock(mutex_);  // dummy_hash_ changes on reload
    hash = known ? it->second : dummy_hash_;
  }
  const std::string mac = hmac_sha256(key_, job.password);
  if (known && !mac.empty()) {
    std::lock_guard lock(mutex_);
    const auto r = remembered_.find(job.user);
    if (r != remembered_.end() && r->second.hash == hash && r->second.mac.size() == mac.size() &&
        CRYPTO_memcmp(r->second.mac.data(), mac.data(), mac.size()) == 0) {
      return true;
    }
  }
  const bool ok = verify_password(hash, job.password) && known;
  if (ok && !mac.empty()) {
    std::lock_guard lock(mutex_);
    remembered_[job.user] = Remembered{hash, mac};
  }
  return ok;
}

void Authenticator::finish(const std::string& address, bool ok, Done done) {
  --pending_;
  if (ok) {
    // The address's failures stay until they age out: a valid account must not reset the
    // throttle for guesses at other accounts from the same address.
    ++stats_.accepted;
    done(Outcome::Accepted);
    return;
  }
  record_failure(address, std::move(done));
}

void Authenticator::scram_refused(const std::string& peer_address, Done done) {
  record_failure(peer_address, std::move(done));
}

void Authenticator::record_failure(const std::string& address, Done done) {
  ++stats_.refused;
  const auto now = clock_.steady();
  if (failures_.size() >= kMaxTrackedAddresses) {
    std::erase_if(failures_, [&](const auto& e) { return now - e.second.last > kFailureWindow; });
    if (failures_.size() >= kMaxTrackedAddresses) failures_.clear();
  }
  Failures& f = failures_[address];
  if (now - f.last > kFailureWindow) f.count = 0;
  ++f.count;
  f.last = now;
  const auto shift = std::min<std::uint32_t>(f.count - 1, 16);
  const auto delay = std::min<std::chrono::milliseconds>(kFailureDelay * (1LL << shift),
                                                         kMaxFailureDelay);
  f.blocked_until = now + delay;
  refuse_later(delay, std::move(done));
}

void Authenticator::index_scram() {
  for (const Hash hash : {Hash::Sha256, Hash::Sha512}) {
    std::map<std::uint32_t, std::size_t> costs;  // iterations -> users
    for (const auto& [name, encoded] : *users_) {
      if (const auto c = auth::scram_credential(encoded, hash)) ++costs[c->iterations];
    }
    const auto by_users = [](const auto& a, const auto& b) { return a.second < b.second; };
    const auto common = std::max_element(costs.begin(), costs.end(), by_users);
    scram_iterations_[hash == Hash::Sha256 ? 0 : 1] = common == costs.end() ? 0 : common->first;
  }
  // The kept key is read (or made) only once there are SCRAM users to look like.
  if (!salt_key_loaded_ && (scram_iterations_[0] != 0 || scram_iterations_[1] != 0)) {
    salt_key_loaded_ = true;
    if (salt_key_source_) {
      if (const std::string kept = salt_key_source_(); !kept.empty()) {
        std::string derived = hmac_sha256(kept, "fake SCRAM salt");
        if (derived.empty()) std::abort();  // as in the constructor
        fake_salt_key_ = std::move(derived);
      }
    }
  }
}

bool Authenticator::offers(Hash hash) const {
  return scram_iterations_[hash == Hash::Sha256 ? 0 : 1] != 0;
}

ScramCredential Authenticator::scram_credential(std::string_view user, Hash hash) const {
  if (const auto it = users_->find(user); it != users_->end()) {
    if (auto c = auth::scram_credential(it->second, hash)) return std::move(*c);
  }
  const std::uint32_t iterations = scram_iterations_[hash == Hash::Sha256 ? 0 : 1];
  return fake_scram_credential(hash, user, fake_salt_key_,
                               iterations != 0 ? iterations : kDefaultIterations);
}

void Authenticator::refuse_later(std::chrono::milliseconds delay, Done done) {
  auto timer = std::make_shared<asio::steady_timer>(core_, delay);
  const std::weak_ptr<bool> alive = alive_;
  timer->async_wait([timer, alive, done = std::move(done)](std::error_code) {
    const auto still = alive.lock();
    if (!still || !*still) return;
    done(Outcome::BadCredentials);
  });
}

}  // namespace gw::broker::auth
