// broker::auth::ScramServer: the server side of one SCRAM exchange (RFC 5802; SCRAM-SHA-256 is
// RFC 7677), sans-I/O: it reads the client's messages and writes the server's, and the broker
// carries them in MQTT 5 CONNECT/AUTH/CONNACK Authentication Data (MQTT 5 §4.12).
//
//   client-first   n,,n=user,r=<client nonce>            -> client_first(): the user name
//   server-first   r=<nonces>,s=<salt>,i=<iterations>    <- server_first(credential)
//   client-final   c=biws,r=<nonces>,p=<proof>           -> client_final(): "v=<signature>"
//
// The server keeps no password: a credential is the salt, the iteration count, StoredKey and
// ServerKey (RFC 5802 §3). Someone who reads the password file can pretend to be this server but
// cannot log in as the user. Channel binding is not supported (there is no -PLUS mechanism), so a
// client that demands it ("p=") is refused; one that merely supports it ("y") is accepted.
// Authorization identities other than the user itself are refused.
//
// Errors: std::errc::invalid_argument for a message that does not follow the grammar or an
// exchange out of order; std::errc::not_supported for channel binding or another authorization
// identity; std::errc::permission_denied for a wrong proof (wrong password or unknown user —
// indistinguishable to the client). problem() says which rule failed, for the log.
//
// Thread safety: one exchange per object; not shared.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "broker/auth/crypto.hpp"
#include "core/result.hpp"

namespace gw::broker::auth {

// What the server holds for one user and one hash.
struct ScramCredential {
  Hash hash = Hash::Sha256;
  std::uint32_t iterations = 0;
  std::string salt;        // raw bytes
  std::string stored_key;  // H(HMAC(SaltedPassword, "Client Key"))
  std::string server_key;  // HMAC(SaltedPassword, "Server Key")
  friend bool operator==(const ScramCredential&, const ScramCredential&) = default;
};

// "SCRAM-SHA-256" / "SCRAM-SHA-512": the MQTT Authentication Method names.
[[nodiscard]] std::string_view scram_mechanism(Hash hash);
// The hash for a mechanism name; nullopt for anything else (including the -PLUS variants).
[[nodiscard]] std::optional<Hash> scram_hash(std::string_view mechanism);

// A credential for `password` with a fresh random salt. nullopt only if OpenSSL fails.
[[nodiscard]] std::optional<ScramCredential> make_scram_credential(Hash hash,
                                                                   std::string_view password,
                                                                   std::uint32_t iterations);
// The credential for a known salt (tests, and verifying a plain password against a SCRAM entry).
[[nodiscard]] std::optional<ScramCredential> derive_scram_credential(Hash hash,
                                                                     std::string_view password,
                                                                     std::string salt,
                                                                     std::uint32_t iterations);
// A credential no password matches, with a salt that is the same for the same user name and
// `key` (a per-process secret), so that probing user names learns nothing from the salt.
[[nodiscard]] ScramCredential fake_scram_credential(Hash hash, std::string_view user,
                                                    std::string_view key,
                                                    std::uint32_t iterations);

class ScramServer {
 public:
  // `server_nonce` is for tests with published vectors; empty = 18 random bytes, base64.
  explicit ScramServer(Hash hash, std::string server_nonce = {});

  [[nodiscard]] Hash hash() const { return hash_; }

  // Reads client-first-message; returns the user name (escapes `=2C`/`=3D` decoded).
  Result<std::string> client_first(std::string_view message);
  // server-first-message for the user's credential (or a fake one for an unknown user).
  // Precondition: client_first() succeeded.
  std::string server_first(const ScramCredential& credential);
  // Reads client-final-message and checks the proof; returns server-final-message.
  Result<std::string> client_final(std::string_view message);

  // The exchange ended with a verified proof.
  [[nodiscard]] bool authenticated() const { return step_ == Step::Done; }
  // The user name from client-first (empty before).
  [[nodiscard]] const std::string& user() const { return user_; }
  // Why the last call failed, in a few words ("the nonce does not continue the client's").
  [[nodiscard]] const std::string& problem() const { return problem_; }

 private:
  enum class Step { ClientFirst, ServerFirst, ClientFinal, Done, Failed };

  Hash hash_;
  Step step_ = Step::ClientFirst;
  std::string server_nonce_;
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string nonce_;  // client nonce + server nonce
  std::string server_first_;
  std::string user_;
  ScramCredential credential_;
  std::string problem_;

  Failure refuse(std::errc code, std::string problem);
};

}  // namespace gw::broker::auth
