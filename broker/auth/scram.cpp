#include "broker/auth/scram.hpp"

#include <cstdlib>
#include <vector>

#include "core/check.hpp"

namespace gw::broker::auth {
namespace {

constexpr std::size_t kNonceBytes = 18;
constexpr std::size_t kSaltBytes = 16;

// Splits at ','; attribute values never contain one (RFC 5802 §5.1: saslname escapes it).
std::vector<std::string_view> fields(std::string_view message) {
  std::vector<std::string_view> out;
  std::size_t from = 0;
  while (true) {
    const auto at = message.find(',', from);
    out.push_back(message.substr(from, at == std::string_view::npos ? at : at - from));
    if (at == std::string_view::npos) return out;
    from = at + 1;
  }
}

// The value of "<name>=<value>", or nullopt when the field is another attribute.
std::optional<std::string_view> attribute(std::string_view field, char name) {
  if (field.size() < 2 || field[0] != name || field[1] != '=') return std::nullopt;
  return field.substr(2);
}

// RFC 5802 §5.1 saslname: ',' is sent as "=2C" and '=' as "=3D"; any other '=' is malformed.
std::optional<std::string> unescape_saslname(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '=') {
      out += s[i];
      continue;
    }
    const std::string_view esc = s.substr(i + 1, 2);
    if (esc == "2C") {
      out += ',';
    } else if (esc == "3D") {
      out += '=';
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  return out;
}

// printable = %x21-2B / %x2D-7E (RFC 5802 §7): no ',' and no spaces or controls.
bool printable_nonce(std::string_view nonce) {
  if (nonce.empty()) return false;
  for (const char c : nonce) {
    if (c < 0x21 || c > 0x7E || c == ',') return false;
  }
  return true;
}

std::string xor_bytes(std::string_view a, std::string_view b) {
  std::string out(a.size(), '\0');
  for (std::size_t i = 0; i < a.size(); ++i) out[i] = static_cast<char>(a[i] ^ b[i]);
  return out;
}

}  // namespace

std::string_view scram_mechanism(Hash hash) {
  return hash == Hash::Sha256 ? "SCRAM-SHA-256" : "SCRAM-SHA-512";
}

std::optional<Hash> scram_hash(std::string_view mechanism) {
  if (mechanism == "SCRAM-SHA-256") return Hash::Sha256;
  if (mechanism == "SCRAM-SHA-512") return Hash::Sha512;
  return std::nullopt;
}

std::optional<ScramCredential> derive_scram_credential(Hash hash, std::string_view password,
                                                       std::string salt,
                                                       std::uint32_t iterations) {
  const auto salted = pbkdf2(hash, password, salt, iterations);
  if (!salted) return std::nullopt;
  const auto client_key = hmac(hash, *salted, "Client Key");
  const auto server_key = hmac(hash, *salted, "Server Key");
  if (!client_key || !server_key) return std::nullopt;
  auto stored_key = digest(hash, *client_key);
  if (!stored_key) return std::nullopt;
  return ScramCredential{hash, iterations, std::move(salt), std::move(*stored_key),
                         std::move(*server_key)};
}

std::optional<ScramCredential> make_scram_credential(Hash hash, std::string_view password,
                                                     std::uint32_t iterations) {
  return derive_scram_credential(hash, password, random_bytes(kSaltBytes), iterations);
}

ScramCredential fake_scram_credential(Hash hash, std::string_view user, std::string_view key,
                                      std::uint32_t iterations) {
  auto salt = hmac(hash, key, user);
  if (!salt) std::abort();  // HMAC of in-memory bytes cannot fail short of a broken OpenSSL
  salt->resize(kSaltBytes);
  // Random keys: no proof can match them (the chance is that of guessing a SHA-2 preimage).
  return ScramCredential{hash, iterations, std::move(*salt), random_bytes(hash_size(hash)),
                         random_bytes(hash_size(hash))};
}

ScramServer::ScramServer(Hash hash, std::string server_nonce)
    : hash_(hash),
      server_nonce_(server_nonce.empty() ? base64(random_bytes(kNonceBytes))
                                         : std::move(server_nonce)) {}

Failure ScramServer::refuse(std::errc code, std::string problem) {
  step_ = Step::Failed;
  problem_ = std::move(problem);
  return fail(code);
}

Result<std::string> ScramServer::client_first(std::string_view message) {
  if (step_ != Step::ClientFirst) {
    return refuse(std::errc::invalid_argument, "client-first-message out of order");
  }
  // gs2-header = gs2-cbind-flag "," [ authzid ] ","
  const auto parts = fields(message);
  if (parts.size() < 4) {
    return refuse(std::errc::invalid_argument, "client-first-message has too few attributes");
  }
  const std::string_view cbind = parts[0];
  if (cbind.starts_with("p=")) {
    return refuse(std::errc::not_supported, "channel binding is not supported");
  }
  if (cbind != "n" && cbind != "y") {
    return refuse(std::errc::invalid_argument, "gs2 header must start with n, y or p=");
  }
  if (parts[2].starts_with("m=")) {
    return refuse(std::errc::not_supported, "mandatory extensions are not supported");
  }
  const auto name = attribute(parts[2], 'n');
  const auto nonce = attribute(parts[3], 'r');
  if (!name || name->empty()) return refuse(std::errc::invalid_argument, "no user name (n=)");
  if (!nonce || !printable_nonce(*nonce)) {
    return refuse(std::errc::invalid_argument, "no printable client nonce (r=)");
  }
  auto user = unescape_saslname(*name);
  if (!user) return refuse(std::errc::invalid_argument, "bad escape in the user name");
  if (!parts[1].empty()) {
    const auto authzid = attribute(parts[1], 'a');
    auto as = authzid ? unescape_saslname(*authzid) : std::nullopt;
    if (!as) return refuse(std::errc::invalid_argument, "malformed authorization identity");
    if (*as != *user) {
      return refuse(std::errc::not_supported, "acting as another user is not supported");
    }
  }
  const std::size_t bare_at = parts[0].size() + 1 + parts[1].size() + 1;
  gs2_header_ = std::string(message.substr(0, bare_at));
  client_first_bare_ = std::string(message.substr(bare_at));
  nonce_ = std::string(*nonce) + server_nonce_;
  user_ = std::move(*user);
  step_ = Step::ServerFirst;
  return user_;
}

std::string ScramServer::server_first(const ScramCredential& credential) {
  GW_ASSERT(step_ == Step::ServerFirst && credential.hash == hash_);
  credential_ = credential;
  server_first_ = "r=" + nonce_ + ",s=" + base64(credential_.salt) +
                  ",i=" + std::to_string(credential_.iterations);
  step_ = Step::ClientFinal;
  return server_first_;
}

Result<std::string> ScramServer::client_final(std::string_view message) {
  if (step_ != Step::ClientFinal) {
    return refuse(std::errc::invalid_argument, "client-final-message out of order");
  }
  // client-final-message-without-proof "," proof; the proof is always the last attribute.
  const auto last = message.rfind(',');
  if (last == std::string_view::npos) {
    return refuse(std::errc::invalid_argument, "client-final-message has no proof");
  }
  const std::string_view without_proof = message.substr(0, last);
  const auto proof_b64 = attribute(message.substr(last + 1), 'p');
  const auto parts = fields(without_proof);
  const auto binding = attribute(parts[0], 'c');
  const auto nonce = parts.size() >= 2 ? attribute(parts[1], 'r') : std::nullopt;
  if (!binding || !nonce || !proof_b64) {
    return refuse(std::errc::invalid_argument, "client-final-message needs c=, r= and p=");
  }
  // Without channel binding, c= carries exactly the gs2 header the client sent first.
  if (*binding != base64(gs2_header_)) {
    return refuse(std::errc::invalid_argument, "channel binding data does not repeat the header");
  }
  if (*nonce != nonce_) {
    return refuse(std::errc::invalid_argument, "the nonce does not continue the exchange's");
  }
  const auto proof = unbase64(*proof_b64);
  if (!proof || proof->size() != hash_size(hash_)) {
    return refuse(std::errc::invalid_argument, "the proof is not a base64 digest");
  }
  const std::string auth_message =
      client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
  const auto client_signature = hmac(hash_, credential_.stored_key, auth_message);
  const auto server_signature = hmac(hash_, credential_.server_key, auth_message);
  if (!client_signature || !server_signature) {
    return refuse(std::errc::permission_denied, "HMAC failed");
  }
  // ClientKey = ClientProof XOR ClientSignature; it is right when H(ClientKey) = StoredKey.
  const auto stored = digest(hash_, xor_bytes(*proof, *client_signature));
  if (!stored || credential_.stored_key.size() != stored->size() ||
      !equal_secret(*stored, credential_.stored_key)) {
    return refuse(std::errc::permission_denied, "wrong proof");
  }
  step_ = Step::Done;
  return "v=" + base64(*server_signature);
}

}  // namespace gw::broker::auth
