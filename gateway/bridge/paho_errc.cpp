#include "gateway/bridge/paho_errc.hpp"

#include <MQTTAsync.h>

#include <string>

namespace gw::bridge {

namespace {

class PahoCategory final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "paho"; }
  [[nodiscard]] std::string message(int code) const override {
    const char* text = MQTTAsync_strerror(code);
    return text != nullptr ? std::string(text) : "paho error " + std::to_string(code);
  }
};

}  // namespace

const std::error_category& paho_category() noexcept {
  static const PahoCategory category;
  return category;
}

std::error_code make_error_code(PahoErrc e) noexcept {
  return {static_cast<int>(e), paho_category()};
}

std::error_code paho_error(int rc) noexcept {
  if (rc == MQTTASYNC_SUCCESS) return {};
  return {rc, paho_category()};
}

}  // namespace gw::bridge
