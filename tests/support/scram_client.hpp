// Test support: the client side of one SCRAM exchange (RFC 5802 §3; SCRAM-SHA-256 is RFC 7677),
// computed with the broker's crypto primitives, for tests and fuzzers that drive the broker's
// enhanced authentication in process. (The integration tests use their own independent client,
// tests/integration/python/scram_client.py, so that the server is not checked against itself.)
//
// Thread safety: a value type; one exchange per object.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "broker/auth/crypto.hpp"

namespace gw::test {

class ScramClient {
 public:
  ScramClient(broker::auth::Hash hash, std::string user, std::string password,
              std::string nonce = "fyko+d2lbbFgONRv9qkxdawL")
      : hash_(hash), user_(std::move(user)), password_(std::move(password)),
        nonce_(std::move(nonce)) {}

  // client-first-message: "n,,n=<user>,r=<nonce>".
  [[nodiscard]] std::string first() const { return "n,," + bare(); }

  // client-final-message for `server_first` ("r=...,s=...,i=..."); empty when it does not parse.
  // Afterwards expected_final() is the server-final-message a genuine server sends.
  std::string final_for(const std::string& server_first) {
    namespace a = broker::auth;
    const auto s = server_first.find(",s=");
    const auto i = server_first.find(",i=");
    if (!server_first.starts_with("r=") || s == std::string::npos || i == std::string::npos ||
        i < s || i + 3 >= server_first.size()) {
      return {};
    }
    const std::string nonce = server_first.substr(2, s - 2);
    const auto salt = a::unbase64(server_first.substr(s + 3, i - s - 3));
    std::uint32_t iterations = 0;
    for (const char c : server_first.substr(i + 3)) {
      if (c < '0' || c > '9' || iterations > 10'000'000) return {};
      iterations = iterations * 10 + static_cast<std::uint32_t>(c - '0');
    }
    const auto salted = a::pbkdf2(hash_, password_, salt.value_or(""), iterations);
    if (!salted) return {};
    const auto client_key = a::hmac(hash_, *salted, "Client Key");
    const auto stored_key = a::digest(hash_, *client_key);
    const std::string without_proof = "c=biws,r=" + nonce;
    const std::string message = bare() + "," + server_first + "," + without_proof;
    const auto signature = a::hmac(hash_, *stored_key, message);
    std::string proof(client_key->size(), '\0');
    for (std::size_t k = 0; k < proof.size(); ++k) {
      proof[k] = static_cast<char>((*client_key)[k] ^ (*signature)[k]);
    }
    const auto server_key = a::hmac(hash_, *salted, "Server Key");
    expected_final_ = "v=" + a::base64(*a::hmac(hash_, *server_key, message));
    return without_proof + ",p=" + a::base64(proof);
  }
  [[nodiscard]] const std::string& expected_final() const { return expected_final_; }

 private:
  [[nodiscard]] std::string bare() const { return "n=" + user_ + ",r=" + nonce_; }
  broker::auth::Hash hash_;
  std::string user_;
  std::string password_;
  std::string nonce_;
  std::string expected_final_;
};

}  // namespace gw::test
