#include "broker/net/ws_close_code.hpp"

#include <string>

namespace gw::broker::net {

namespace {
class WsCategory final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "websocket"; }
  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<WsCloseCode>(value)) {
      case WsCloseCode::Normal: return "normal closure";
      case WsCloseCode::GoingAway: return "going away";
      case WsCloseCode::ProtocolError: return "WebSocket protocol error";
      case WsCloseCode::UnsupportedData: return "unsupported data (text frame)";
      case WsCloseCode::NoStatus: return "no status code";
      case WsCloseCode::InvalidPayload: return "invalid frame payload";
      case WsCloseCode::PolicyViolation: return "policy violation";
      case WsCloseCode::MessageTooBig: return "frame too big";
    }
    return "WebSocket close code " + std::to_string(value);
  }
};
}  // namespace

const std::error_category& ws_category() noexcept {
  static const WsCategory category;
  return category;
}

std::error_code make_error_code(WsCloseCode c) noexcept {
  return {static_cast<int>(c), ws_category()};
}

}  // namespace gw::broker::net
