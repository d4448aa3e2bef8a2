#include "broker/net/openssl_util.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <openssl/err.h>

namespace gw::broker::net {

namespace {

int key_password(char* buf, int size, int /*rwflag*/, void* user) {
  const auto* password = static_cast<const std::string*>(user);
  if (password == nullptr || password->empty() || password->size() > static_cast<std::size_t>(size)) {
    return 0;
  }
  std::memcpy(buf, password->data(), password->size());
  return static_cast<int>(password->size());
}

}  // namespace

unsigned long take_openssl_error() {
  unsigned long last = 0;
  while (const unsigned long e = ERR_get_error()) last = e;
  return last;
}

std::string openssl_reason_text(unsigned long e) {
  if (e == 0) return "unknown OpenSSL error";
  const char* reason = ERR_reason_error_string(e);
  return reason != nullptr ? reason : "OpenSSL error " + std::to_string(e);
}

std::optional<std::string> unreadable(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (in) return std::nullopt;
  return "cannot read '" + path + "': " + std::strerror(errno);
}

int use_private_key_file(SSL_CTX* ctx, const std::string& key_file, const std::string& password) {
  SSL_CTX_set_default_passwd_cb(ctx, key_password);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, const_cast<std::string*>(&password));
  const int loaded = SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr);
  return loaded;
}

}  // namespace gw::broker::net
