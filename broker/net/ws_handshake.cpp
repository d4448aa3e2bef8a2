#include "broker/net/ws_handshake.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <vector>

namespace gw::broker::net {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";  // RFC 6455 §1.3

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whether the comma-separated list `value` holds `token` (case-insensitive, RFC 7230 §7).
bool has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

// A key is the base64 of 16 bytes (§4.1): 22 base64 characters and "==".
bool valid_key(std::string_view key) {
  if (key.size() != 24 || key.substr(22) != "==") return false;
  return std::all_of(key.begin(), key.begin() + 22, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '/';
  });
}

struct Headers {
  std::optional<std::string_view> host, upgrade, key, version;
  std::string connection;  // repeated headers are joined with commas (RFC 7230 §3.2.2)
  std::string protocols;
};

}  // namespace

std::string ws_accept_key(std::string_view client_key) {
  std::string input(client_key);
  input += kGuid;
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data());
  std::array<unsigned char, 4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1> encoded{};
  const int n = EVP_EncodeBlock(encoded.data(), digest.data(), SHA_DIGEST_LENGTH);
  return {reinterpret_cast<const char*>(encoded.data()), static_cast<std::size_t>(n)};
}

std::size_t WsHandshake::feed(std::span<const std::byte> bytes) {
  if (state_ != State::NeedMore) return 0;
  const std::size_t before = head_.size();
  const std::size_t room = kMaxHeadBytes - before;
  const std::size_t take = std::min(room, bytes.size());
  head_.append(reinterpret_cast<const char*>(bytes.data()), take);
  // The terminator may straddle two reads: search from just before the new bytes.
  const auto end = head_.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
  if (end == std::string::npos) {
    if (head_.size() >= kMaxHeadBytes) {
      refuse(431, "Request Header Fields Too Large",
             "request head larger than " + std::to_string(kMaxHeadBytes) + " bytes");
      head_ = std::string();  // not `= {}`: that keeps the capacity
    }
    return take;
  }
  const std::size_t head_size = end + 4;
  evaluate(std::string_view(head_).substr(0, head_size - 2));  // keeps the last line's CRLF
  head_ = std::string();  // the head is not kept for the life of the connection (`= {}` would be)
  return head_size - before;
}

void WsHandshake::evaluate(std::string_view head) {
  // Request line: METHOD SP TARGET SP HTTP/1.1 (RFC 7230 §3.1.1).
  const auto eol = head.find("\r\n");
  const std::string_view line = head.substr(0, eol);
  head.remove_prefix(eol + 2);
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return refuse(400, "Bad Request", "malformed request line");
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1") return refuse(400, "Bad Request", "not an HTTP/1.1 request");
  if (method != "GET") return refuse(405, "Method Not Allowed", "method is not GET", "Allow: GET\r\n");
  const std::string_view path = target.substr(0, target.find('?'));
  if (path != path_) return refuse(404, "Not Found", "no WebSocket endpoint at this path");

  Headers h;
  while (!head.empty()) {
    const auto end = head.find("\r\n");
    const std::string_view field = head.substr(0, end);
    head.remove_prefix(end + 2);
    const auto colon = field.find(':');
    if (colon == std::string_view::npos || colon == 0 || field.front() == ' ' || field.front() == '\t') {
      return refuse(400, "Bad Request", "malformed header line");
    }
    const std::string_view name = field.substr(0, colon);
    const std::string_view value = trim(field.substr(colon + 1));
    if (iequals(name, "Host")) {
      h.host = value;
    } else if (iequals(name, "Upgrade")) {
      h.upgrade = value;
    } else if (iequals(name, "Connection")) {
      h.connection += std::string(value) + ",";
    } else if (iequals(name, "Sec-WebSocket-Key")) {
      h.key = value;
    } else if (iequals(name, "Sec-WebSocket-Version")) {
      h.version = value;
    } else if (iequals(name, "Sec-WebSocket-Protocol")) {
      h.protocols += std::string(value) + ",";
    }
  }
  if (!h.host) return refuse(400, "Bad Request", "no Host header");
  if (!h.upgrade || !has_token(*h.upgrade, "websocket")) {
    return refuse(400, "Bad Request", "not a WebSocket upgrade (Upgrade: websocket missing)");
  }
  if (!has_token(h.connection, "upgrade")) {
    return refuse(400, "Bad Request", "Connection header without the upgrade token");
  }
  if (!h.version || *h.version != "13") {
    return refuse(426, "Upgrade Required", "Sec-WebSocket-Version must be 13",
                  "Sec-WebSocket-Version: 13\r\n");
  }
  if (!h.key || !valid_key(*h.key)) return refuse(400, "Bad Request", "missing or malformed Sec-WebSocket-Key");
  if (has_token(h.protocols, "mqtt")) {
    subprotocol_ = "mqtt";
  } else if (has_token(h.protocols, "mqttv3.1")) {
    subprotocol_ = "mqttv3.1";
  } else {
    return refuse(400, "Bad Request", "subprotocol mqtt not offered (Sec-WebSocket-Protocol)");
  }
  state_ = State::Accepted;
  response_ = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Accept: " + ws_accept_key(*h.key) +
              "\r\nSec-WebSocket-Protocol: " + subprotocol_ + "\r\n\r\n";
}

void WsHandshake::refuse(int status, std::string_view status_text, std::string reason,
                         std::string_view extra_headers) {
  state_ = State::Refused;
  reason_ = std::move(reason);
  const std::string body = reason_ + "\n";
  response_ = "HTTP/1.1 " + std::to_string(status) + " " + std::string(status_text) +
              "\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\n" + std::string(extra_headers) + "\r\n" + body;
}

}  // namespace gw::broker::net
