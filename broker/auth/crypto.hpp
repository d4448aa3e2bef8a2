// broker::auth crypto helpers: the few OpenSSL primitives the password file and SCRAM share —
// base64 without line breaks, SHA-2 digests, HMAC, PBKDF2 and random bytes — as small functions
// over std::string bytes, so neither caller repeats OpenSSL's calling conventions.
//
// Every function that can fail returns nullopt rather than a zeroed buffer: a digest that any
// input would match must never reach a comparison.
//
// Thread safety: pure functions (OpenSSL's are reentrant).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gw::broker::auth {

enum class Hash { Sha256, Sha512 };

// Output size of `hash` in bytes (32 or 64).
[[nodiscard]] std::size_t hash_size(Hash hash);

// Standard base64 with padding and no line breaks.
[[nodiscard]] std::string base64(std::string_view bytes);
// The bytes of standard padded base64; nullopt for anything else (line breaks, bad length).
[[nodiscard]] std::optional<std::string> unbase64(std::string_view text);

[[nodiscard]] std::optional<std::string> digest(Hash hash, std::string_view data);
[[nodiscard]] std::optional<std::string> hmac(Hash hash, std::string_view key,
                                              std::string_view data);
// PBKDF2-HMAC with an output of hash_size(hash) bytes (SCRAM's Hi(), Mosquitto's `$7$`).
[[nodiscard]] std::optional<std::string> pbkdf2(Hash hash, std::string_view password,
                                                std::string_view salt, std::uint32_t iterations);
// From OpenSSL's CSPRNG; aborts when it has no entropy (nothing safe can follow).
[[nodiscard]] std::string random_bytes(std::size_t n);

// Constant-time comparison; false when the sizes differ.
[[nodiscard]] bool equal_secret(std::string_view a, std::string_view b);

}  // namespace gw::broker::auth
