#include "broker/auth/password_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>

#include "broker/auth/crypto.hpp"
#include "broker/auth/replace_file.hpp"

namespace gw::broker::auth {
namespace {

constexpr std::size_t kSaltBytes = 12;      // what mosquitto_passwd uses
constexpr std::size_t kDigestBytes = 64;    // SHA-512

enum class Kind { Sha512Salted, Pbkdf2Sha512, Scram };

struct Decoded {
  Kind kind = Kind::Pbkdf2Sha512;
  std::uint32_t iterations = 0;
  std::string salt;
  std::string digest;      // $6$ / $7$
  ScramCredential scram;   // SCRAM-SHA-*$
};

std::vector<std::string_view> split(std::string_view text, char at) {
  std::vector<std::string_view> parts;
  std::size_t from = 0;
  while (true) {
    const auto found = text.find(at, from);
    parts.push_back(text.substr(from, found == std::string_view::npos ? found : found - from));
    if (found == std::string_view::npos) return parts;
    from = found + 1;
  }
}

std::optional<std::uint32_t> iteration_count(std::string_view text) {
  std::uint32_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || n == 0 || n > kMaxIterations) {
    return std::nullopt;
  }
  return n;
}

// "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>", the form PostgreSQL stores
// (after RFC 5803), all base64.
std::optional<Decoded> decode_scram(std::string_view encoded) {
  const auto parts = split(encoded, '$');
  if (parts.size() != 3) return std::nullopt;
  const auto hash = scram_hash(parts[0]);
  const auto cost = split(parts[1], ':');
  const auto keys = split(parts[2], ':');
  if (!hash || cost.size() != 2 || keys.size() != 2) return std::nullopt;
  const auto iterations = iteration_count(cost[0]);
  auto salt = unbase64(cost[1]);
  auto stored = unbase64(keys[0]);
  auto server = unbase64(keys[1]);
  if (!iterations || !salt || salt->empty() || !stored || !server ||
      stored->size() != hash_size(*hash) || server->size() != hash_size(*hash)) {
    return std::nullopt;
  }
  Decoded d;
  d.kind = Kind::Scram;
  d.iterations = *iterations;
  d.scram = ScramCredential{*hash, *iterations, std::move(*salt), std::move(*stored),
                            std::move(*server)};
  return d;
}

// "$7$<iterations>$<salt>$<digest>", "$6$<salt>$<digest>" or a SCRAM entry.
std::optional<Decoded> decode(std::string_view encoded) {
  if (encoded.starts_with("SCRAM-")) return decode_scram(encoded);
  Decoded d;
  const auto parts = split(encoded, '$');
  // parts[0] is the empty text before the leading '$'.
  if (parts.size() < 4 || !parts[0].empty()) return std::nullopt;
  std::string_view salt;
  std::string_view digest;
  if (parts[1] == "7" && parts.size() == 5) {
    d.kind = Kind::Pbkdf2Sha512;
    const auto iterations = iteration_count(parts[2]);
    if (!iterations) return std::nullopt;
    d.iterations = *iterations;
    salt = parts[3];
    digest = parts[4];
  } else if (parts[1] == "6" && parts.size() == 4) {
    d.kind = Kind::Sha512Salted;
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

std::optional<std::string> sha512_salted(std::string_view password, std::string_view salt) {
  std::string data(password);
  data += salt;
  return digest(Hash::Sha512, data);
}

std::string encode_scram(const ScramCredential& c) {
  return std::string(scram_mechanism(c.hash)) + "$" + std::to_string(c.iterations) + ":" +
         base64(c.salt) + "$" + base64(c.stored_key) + ":" + base64(c.server_key);
}

std::string random_salt() { return random_bytes(kSaltBytes); }

std::string b64(std::string_view bytes) { return base64(bytes); }

}  // namespace

bool is_valid_user_name(std::string_view user) {
  if (user.empty() || user.size() > 65535) return false;
  return user.find_first_of(":\r\n") == std::string_view::npos;
}

bool is_valid_hash(std::string_view encoded) { return decode(encoded).has_value(); }

std::string hash_password(std::string_view password, std::uint32_t iterations,
                          PasswordScheme scheme) {
  const std::uint32_t rounds = std::clamp(iterations, kMinIterations, kMaxIterations);
  if (scheme != PasswordScheme::Pbkdf2Sha512) {
    const Hash hash = scheme == PasswordScheme::ScramSha256 ? Hash::Sha256 : Hash::Sha512;
    const auto credential = make_scram_credential(hash, password, rounds);
    if (!credential) std::abort();  // never write an entry that matches nothing or everything
    return encode_scram(*credential);
  }
  const std::string salt = random_salt();
  const auto digest = pbkdf2(Hash::Sha512, password, salt, rounds);
  if (!digest) std::abort();  // a hash that matches nothing or everything must never be written
  return "$7$" + std::to_string(rounds) + "$" + b64(salt) + "$" + b64(*digest);
}

std::string hash_like(std::string_view encoded, std::string_view password) {
  const auto d = decode(encoded);
  if (d && d->kind == Kind::Sha512Salted) {
    const std::string salt = random_salt();
    const auto digest = sha512_salted(password, salt);
    if (digest) return "$6$" + b64(salt) + "$" + b64(*digest);
  }
  if (d && d->kind == Kind::Scram) {
    return hash_password(password, d->iterations,
                         d->scram.hash == Hash::Sha256 ? PasswordScheme::ScramSha256
                                                       : PasswordScheme::ScramSha512);
  }
  return hash_password(password, d ? d->iterations : kDefaultIterations);
}

bool verify_password(std::string_view encoded, std::string_view password) {
  const auto d = decode(encoded);
  if (!d) return false;
  if (d->kind == Kind::Scram) {
    // The password is right when it yields the same StoredKey (RFC 5802 §3).
    const auto mine =
        derive_scram_credential(d->scram.hash, password, d->scram.salt, d->scram.iterations);
    return mine && equal_secret(mine->stored_key, d->scram.stored_key);
  }
  const auto digest = d->kind == Kind::Pbkdf2Sha512
                          ? pbkdf2(Hash::Sha512, password, d->salt, d->iterations)
                          : sha512_salted(password, d->salt);
  return digest && equal_secret(*digest, d->digest);
}

std::optional<ScramCredential> scram_credential(std::string_view encoded, Hash hash) {
  auto d = decode(encoded);
  if (!d || d->kind != Kind::Scram || d->scram.hash != hash) return std::nullopt;
  return std::move(d->scram);
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
                        "': not a password hash ($7$ PBKDF2-SHA512, SCRAM-SHA-256$, SCRAM-SHA-512$ or "
                        "$6$ SHA-512); plain-text passwords are not accepted: set it with `edge-gateway passwd`"});
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
                                  std::uint32_t iterations, PasswordScheme scheme) {
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
      if (password) out += std::string(user) + ":" + hash_password(*password, iterations, scheme) + "\n";
      continue;
    }
    if (!line.empty()) {
      out += line;
      out += '\n';
    }
  }
  if (!found) {
    if (!password) return fail(std::errc::invalid_argument);
    out += std::string(user) + ":" + hash_password(*password, iterations, scheme) + "\n";
  }

  return replace_file(path, out, mode, owner);
}

}  // namespace gw::broker::auth
