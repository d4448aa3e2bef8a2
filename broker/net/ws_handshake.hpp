// net::WsHandshake: the server side of the RFC 6455 §4.2 opening handshake, sans-I/O. Fed the
// bytes a client sends first, it collects the HTTP/1.1 request head, checks it, and produces the
// response: "101 Switching Protocols" with Sec-WebSocket-Accept and the MQTT subprotocol, or an
// error status with a one-line reason as its body.
//
// Checks, each with its answer: a head larger than kMaxHeadBytes (431), a request line that is not
// "GET <target> HTTP/1.1" (400; another method 405), a path other than the listener's (404; any
// query string is ignored), no Host (400), no "Upgrade: websocket" or no "upgrade" token in
// Connection (400), Sec-WebSocket-Version other than 13 (426, announcing 13 as §4.4 asks), a
// Sec-WebSocket-Key that is not 16 bytes in base64 (400), no MQTT subprotocol offered (400).
// MQTT 5 §6 [MQTT-6.0.0-3] / MQTT 3.1.1 §6: the client offers "mqtt" and the server echoes it;
// "mqttv3.1" (offered by clients of the MQTT 3.1 era) is accepted too when "mqtt" is not offered.
//
// Ownership: owns the head it has collected until done. Thread safety: none; one connection.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace gw::broker::net {

// RFC 6455 §4.2.2: base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
[[nodiscard]] std::string ws_accept_key(std::string_view client_key);

class WsHandshake {
 public:
  static constexpr std::size_t kMaxHeadBytes = 8 * 1024;

  enum class State { NeedMore, Accepted, Refused };

  explicit WsHandshake(std::string path) : path_(std::move(path)) {}

  // Consumes bytes up to the end of the request head and returns how many it used; bytes after
  // the head (frames a client sent without waiting for the 101) are left to the caller. Call
  // again with more bytes while state() is NeedMore.
  std::size_t feed(std::span<const std::byte> bytes);

  [[nodiscard]] State state() const { return state_; }
  // The full HTTP response to send (Accepted or Refused).
  [[nodiscard]] const std::string& response() const { return response_; }
  // Why the request was refused, for the log and the response body; empty when accepted.
  [[nodiscard]] const std::string& reason() const { return reason_; }
  // The subprotocol echoed ("mqtt" or "mqttv3.1") once accepted.
  [[nodiscard]] const std::string& subprotocol() const { return subprotocol_; }

 private:
  void evaluate(std::string_view head);
  void refuse(int status, std::string_view status_text, std::string reason,
              std::string_view extra_headers = {});

  std::string path_;
  std::string head_;
  State state_ = State::NeedMore;
  std::string response_;
  std::string reason_;
  std::string subprotocol_;
};

}  // namespace gw::broker::net
