// broker::auth password file: users and their salted, slow password hashes, one per line, in the
// format Mosquitto's `mosquitto_passwd` writes, so an existing Mosquitto password file works
// unchanged and `edge-gateway passwd` writes files Mosquitto can read:
//
//   # comment
//   alice:$7$100000$<salt, base64>$<PBKDF2-HMAC-SHA512 digest, base64>
//   bob:$6$<salt, base64>$<SHA-512(password || salt), base64>     (legacy; read, never written)
//   carol:SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>   (all base64)
//
// SCRAM entries (also SCRAM-SHA-512$) are PostgreSQL's form of RFC 5803: they serve both a plain
// password in CONNECT and MQTT 5 enhanced authentication with SCRAM (broker/auth/scram.hpp),
// and they hold no password equivalent: a stolen file lets no one log in without cracking it.
// `$7$` entries serve plain passwords only — SCRAM from them would need the PBKDF2 digest itself,
// which would make the file a password list — and Mosquitto cannot read SCRAM lines: a file
// shared with Mosquitto keeps to `$7$`.
//
// hash_password() writes `$7$` with a fresh 12-byte salt from OpenSSL's CSPRNG and
// kDefaultIterations rounds; verify_password() compares digests in constant time
// (CRYPTO_memcmp). Plain-text passwords are not accepted: a line without a `$6$`/`$7$` hash is an
// error naming its line.
//
// Thread safety: pure functions (OpenSSL's are reentrant); PasswordTable is a value type.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/auth/scram.hpp"
#include "core/result.hpp"

namespace gw::broker::auth {

// PBKDF2 rounds for new hashes: about 50 ms on a 2020s x86 core, a few hundred ms on a
// Cortex-A53; the broker verifies off the core thread and remembers good logins, so only the
// first connect of a client and wrong passwords pay it.
inline constexpr std::uint32_t kDefaultIterations = 100'000;
inline constexpr std::uint32_t kMinIterations = 1'000;
inline constexpr std::uint32_t kMaxIterations = 100'000'000;

// user -> encoded hash ("$7$...").
using PasswordTable = std::map<std::string, std::string, std::less<>>;

struct PasswordFileError {
  std::size_t line = 0;  // 1-based
  std::string message;
};

// Parses a whole file. Every bad line is reported; the table holds the good ones.
struct ParsedPasswordFile {
  PasswordTable users;
  std::vector<PasswordFileError> errors;
};
[[nodiscard]] ParsedPasswordFile parse_password_file(std::string_view text);

// Reads and parses `path`. Errors: the file cannot be read (errno), or it has bad lines
// (std::errc::invalid_argument; `errors` lists them).
[[nodiscard]] Result<PasswordTable> load_password_file(const std::string& path,
                                                       std::vector<PasswordFileError>* errors);

// Which entry `edge-gateway passwd` writes.
enum class PasswordScheme { Pbkdf2Sha512, ScramSha256, ScramSha512 };

// A new entry for `password`: "$7$<iterations>$<salt>$<digest>" by default, or a SCRAM entry;
// iterations are clamped to kMinIterations..kMaxIterations.
[[nodiscard]] std::string hash_password(std::string_view password,
                                        std::uint32_t iterations = kDefaultIterations,
                                        PasswordScheme scheme = PasswordScheme::Pbkdf2Sha512);

// A new hash of `password` of the same kind and cost as `encoded` (for the dummy hash unknown
// users are checked against, so they cost what known users cost).
[[nodiscard]] std::string hash_like(std::string_view encoded, std::string_view password);

// True when `password` matches the entry (`$7$`, `$6$` or SCRAM). False for a malformed one.
[[nodiscard]] bool verify_password(std::string_view encoded, std::string_view password);

// The SCRAM credential of a SCRAM entry for that hash; nullopt for any other entry.
[[nodiscard]] std::optional<ScramCredential> scram_credential(std::string_view encoded, Hash hash);

// True when `encoded` has a form verify_password() understands.
[[nodiscard]] bool is_valid_hash(std::string_view encoded);

// User names may not contain ':' or line breaks and must be 1..65535 bytes of UTF-8.
[[nodiscard]] bool is_valid_user_name(std::string_view user);

// Adds or replaces `user` in the file at `path` (created with mode 0640 when missing), or removes
// it when `password` is nullopt. Comments and the other users are kept in order. The file is
// replaced atomically (written beside it, fsynced, renamed).
// Errors: I/O (errno values); the existing file has bad lines, or the user to remove is not in
// it (std::errc::invalid_argument, nothing changed).
Result<void> update_password_file(const std::string& path, std::string_view user,
                                  std::optional<std::string_view> password,
                                  std::uint32_t iterations = kDefaultIterations,
                                  PasswordScheme scheme = PasswordScheme::Pbkdf2Sha512);

}  // namespace gw::broker::auth
