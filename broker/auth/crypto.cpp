#include "broker/auth/crypto.hpp"

#include <climits>
#include <cstdlib>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace gw::broker::auth {
namespace {

const EVP_MD* md(Hash hash) { return hash == Hash::Sha256 ? EVP_sha256() : EVP_sha512(); }

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

bool fits_int(std::size_t n) { return n <= static_cast<std::size_t>(INT_MAX); }

}  // namespace

std::size_t hash_size(Hash hash) { return hash == Hash::Sha256 ? 32 : 64; }

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes(data),
                                  static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

std::optional<std::string> unbase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0 || !fits_int(text.size())) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int len = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes(text),
                                  static_cast<int>(text.size()));
  if (len < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t size = static_cast<std::size_t>(len);
  if (text.ends_with("==")) {
    size -= 2;
  } else if (text.ends_with('=')) {
    size -= 1;
  }
  out.resize(size);
  return out;
}

std::optional<std::string> digest(Hash hash, std::string_view data) {
  std::string out(hash_size(hash), '\0');
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
                 md(hash), nullptr) != 1 ||
      len != out.size()) {
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> hmac(Hash hash, std::string_view key, std::string_view data) {
  if (!fits_int(key.size())) return std::nullopt;
  std::string out(hash_size(hash), '\0');
  unsigned int len = 0;
  if (HMAC(md(hash), key.data(), static_cast<int>(key.size()), bytes(data), data.size(),
           reinterpret_cast<unsigned char*>(out.data()), &len) == nullptr ||
      len != out.size()) {
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> pbkdf2(Hash hash, std::string_view password, std::string_view salt,
                                  std::uint32_t iterations) {
  if (!fits_int(password.size()) || !fits_int(salt.size()) || iterations == 0 ||
      iterations > static_cast<std::uint32_t>(INT_MAX)) {
    return std::nullopt;
  }
  std::string out(hash_size(hash), '\0');
  // nullopt when OpenSSL refuses (e.g. a FIPS provider's minimum salt length).
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), bytes(salt),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), md(hash),
                        static_cast<int>(out.size()),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    return std::nullopt;
  }
  return out;
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (!fits_int(n) ||
      RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    std::abort();
  }
  return out;
}

bool equal_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace gw::broker::auth
