#include "broker/auth/password_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace gw::broker::auth {
namespace {

constexpr std::size_t kSaltBytes = 12;      // what mosquitto_passwd uses
constexpr std::size_t kDigestBytes = 64;    // SHA-512

std::string base64(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data,
                                  static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

// Standard base64 with padding, no line breaks; nullopt on anything else.
std::optional<std::string> unbase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int len = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()),
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

struct Decoded {
  int kind = 0;  // 6 or 7
  std::uint32_t iterations = 0;
  std::string salt;
  std::string digest;
};

// "$7$<iterations>$<salt>$<digest>" or "$6$<salt>$<digest>".
std::optional<Decoded> decode(std::string_view encoded) {
  Decoded d;
  std::vector<std::string_view> parts;
  std::size_t from = 0;
  while (true) {
    const auto at = encoded.find('$', from);
    parts.push_back(encoded.substr(from, at == std::string_view::npos ? at : at - from));
    if (at == std::string_view::npos) break;
    from = at + 1;
  }
  // parts[0] is the empty text before the leading '$'.
  if (parts.size() < 4 || !parts[0].empty()) return std::nullopt;
  std::string_view salt;
  std::string_view digest;
  if (parts[1] == "7" && parts.size() == 5) {
    d.kind = 7;
    const auto [end, ec] =
        std::from_chars(parts[2].data(), parts[2].data() + parts[2].size(), d.iterations);
    if (ec != std::errc{} || end != parts[2].data() + parts[2].size() || d.iterations == 0 ||
        d.iterations > kMaxIterations) {
      return std::nullopt;
    }
    salt = parts[3];
    digest = parts[4];
  } else if (parts[1] == "6" && parts.size() == 4) {
    d.kind = 6;
    salt = parts[2];
    digest = parts[3];
  } else {
    return std::nullopt;
  }
  auto s = unbase64(salt);
  auto h = unbase64(digest);
  if (!s || !h || s->empty() || h->size() != kDigestBytes) return std::nullopt;
  d.salt = std::move(*s);
  d.digest = std::move(*h);
  return d;
}

// nullopt when OpenSSL refuses (e.g. a FIPS provider's minimum salt length): never an all-zero
// digest that any password would match.
std::optional<std::string> pbkdf2(std::string_view password, std::string_view salt,
                                  std::uint32_t iterations) {
  std::string out(kDigestBytes, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha512(),
                        static_cast<int>(kDigestBytes),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> sha512_salted(std::string_view password, std::string_view salt) {
  std::string out(kDigestBytes, '\0');
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned int len = 0;
  const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha512(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, password.data(), password.size()) == 1 &&
                  EVP_DigestUpdate(ctx, salt.data(), salt.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()), &len) == 1 &&
                  len == kDigestBytes;
  EVP_MD_CTX_free(ctx);
  if (!ok) return std::nullopt;
  return out;
}

std::string random_salt() {
  std::string salt(kSaltBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) != 1) {
    std::abort();  // no entropy: nothing safe to do
  }
  return salt;
}

std::string b64(std::string_view bytes) {
  return base64(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::error_code errno_code() { return {errno, std::generic_category()}; }

}  // namespace

bool is_valid_user_name(std::string_view user) {
  if (user.empty() || user.size() > 65535) return false;
  return user.find_first_of(":\r\n") == std::string_view::npos;
}

bool is_valid_hash(std::string_view encoded) { return decode(encoded).has_value(); }

std::string hash_password(std::string_view password, std::uint32_t iterations) {
  const std::uint32_t rounds = std::clamp(iterations, kMinIterations, kMaxIterations);
  const std::string salt = random_salt();
  const auto digest = pbkdf2(password, salt, rounds);
  if (!digest) std::abort();  // a hash that matches nothing or everything must never be written
  return "$7$" + std::to_string(rounds) + "$" + b64(salt) + "$" + b64(*digest);
}

std::string hash_like(std::string_view encoded, std::string_view password) {
  const auto d = decode(encoded);
  if (d && d->kind == 6) {
    const std::string salt = random_salt();
    const auto digest = sha512_salted(password, salt);
    if (digest) return "$6$" + b64(salt) + "$" + b64(*digest);
  }
  return hash_password(password, d ? d->iterations : kDefaultIterations);
}

bool verify_password(std::string_view encoded, std::string_view password) {
  const auto d = decode(encoded);
  if (!d) return false;
  const auto digest =
      d->kind == 7 ? pbkdf2(password, d->salt, d->iterations) : sha512_salted(password, d->salt);
  return digest && CRYPTO_memcmp(digest->data(), d->digest.data(), kDigestBytes) == 0;
}

ParsedPasswordFile parse_password_file(std::string_view text) {
  ParsedPasswordFile out;
  std::size_t line_no = 0;
  std::size_t from = 0;
  while (from < text.size()) {
    const auto end = text.find('\n', from);
    std::string_view line = text.substr(from, end == std::string_view::npos ? end : end - from);
    from = end == std::string_view::npos ? text.size() : end + 1;
    ++line_no;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      out.errors.push_back({line_no, "expected 'user:hash'"});
      continue;
    }
    const std::string_view user = line.substr(0, colon);
    const std::string_view hash = line.substr(colon + 1);
    if (!is_valid_user_name(user)) {
      out.errors.push_back({line_no, "empty user name"});
      continue;
    }
    if (!is_valid_hash(hash)) {
      out.errors.push_back(
          {line_no, "user '" + std::string(user) +
                        "': not a password hash ($7$ PBKDF2-SHA512 or $6$ SHA-512); plain-text "
                        "passwords are not accepted: set it with `edge-gateway passwd`"});
      continue;
    }
    if (!out.users.emplace(user, hash).second) {
      out.errors.push_back({line_no, "user '" + std::string(user) + "' is listed twice"});
    }
  }
  return out;
}

Result<PasswordTable> load_password_file(const std::string& path,
                                         std::vector<PasswordFileError>* errors) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(errno != 0 ? errno_code() : std::make_error_code(std::errc::io_error));
  std::ostringstream text;
  text << in.rdbuf();
  auto parsed = parse_password_file(text.str());
  if (!parsed.errors.empty()) {
    if (errors != nullptr) *errors = std::move(parsed.errors);
    return fail(std::errc::invalid_argument);
  }
  return std::move(parsed.users);
}

Result<void> update_password_file(const std::string& path, std::string_view user,
                                  std::optional<std::string_view> password,
                                  std::uint32_t iterations) {
  if (!is_valid_user_name(user)) return fail(std::errc::invalid_argument);
  std::string text;
  mode_t mode = 0640;
  std::optional<std::pair<uid_t, gid_t>> owner;  // kept: the service reads it as its own group
  {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::ostringstream all;
      all << in.rdbuf();
      text = all.str();
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0) {
        mode = st.st_mode & 07777;
        owner.emplace(st.st_uid, st.st_gid);
      }
    } else if (errno != ENOENT) {
      return fail(errno_code());
    }
  }
  if (!parse_password_file(text).errors.empty()) return fail(std::errc::invalid_argument);

  // Rewrite line by line: the user's line is replaced (or dropped), the rest kept verbatim.
  std::string out;
  bool found = false;
  std::size_t from = 0;
  while (from < text.size()) {
    const auto end = text.find('\n', from);
    const std::string_view line =
        std::string_view(text).substr(from, end == std::string::npos ? end : end - from);
    from = end == std::string::npos ? text.size() : end + 1;
    const auto colon = line.find(':');
    if (!line.starts_with('#') && colon != std::string_view::npos && line.substr(0, colon) == user) {
      found = true;
      if (password) out += std::string(user) + ":" + hash_password(*password, iterations) + "\n";
      continue;
    }
    if (!line.empty()) {
      out += line;
      out += '\n';
    }
  }
  if (!found) {
    if (!password) return fail(std::errc::invalid_argument);
    out += std::string(user) + ":" + hash_password(*password, iterations) + "\n";
  }

  // Beside the file, never through a link someone left there; a stale one from a crash is
  // replaced.
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0 && errno == EEXIST && ::unlink(tmp.c_str()) == 0) {
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  }
  if (fd < 0) return fail(errno_code());
  (void)::fchmod(fd, mode);  // O_CREAT's mode is filtered by the umask
  if (owner && ::fchown(fd, owner->first, owner->second) != 0) {
    const auto ec = errno_code();
    ::close(fd);
    ::unlink(tmp.c_str());
    return fail(ec);
  }
  std::size_t written = 0;
  while (written < out.size()) {
    const ssize_t n = ::write(fd, out.data() + written, out.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const auto ec = errno_code();
      ::close(fd);
      ::unlink(tmp.c_str());
      return fail(ec);
    }
    written += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  const std::error_code sync_error = synced ? std::error_code() : errno_code();
  if (::close(fd) != 0 || !synced) {
    const auto ec = synced ? errno_code() : sync_error;
    ::unlink(tmp.c_str());
    return fail(ec);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const auto ec = errno_code();
    ::unlink(tmp.c_str());
    return fail(ec);
  }
  // The rename itself survives a power cut only once the directory is on disk.
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

}  // namespace gw::broker::auth
