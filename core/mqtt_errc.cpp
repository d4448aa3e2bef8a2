#include "core/mqtt_errc.hpp"

#include <string>

namespace gw {
namespace {

class MqttCategory final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "mqtt"; }
  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<MqttErrc>(value)) {
      case MqttErrc::UnspecifiedError: return "unspecified error";
      case MqttErrc::MalformedPacket: return "malformed packet";
      case MqttErrc::ProtocolError: return "protocol error";
      case MqttErrc::ImplementationSpecificError: return "implementation specific error";
      case MqttErrc::UnsupportedProtocolVersion: return "unsupported protocol version";
      case MqttErrc::ClientIdentifierNotValid: return "client identifier not valid";
      case MqttErrc::BadUserNameOrPassword: return "bad user name or password";
      case MqttErrc::NotAuthorized: return "not authorized";
      case MqttErrc::ServerUnavailable: return "server unavailable";
      case MqttErrc::ServerBusy: return "server busy";
      case MqttErrc::Banned: return "banned";
      case MqttErrc::ServerShuttingDown: return "server shutting down";
      case MqttErrc::BadAuthenticationMethod: return "bad authentication method";
      case MqttErrc::KeepAliveTimeout: return "keep alive timeout";
      case MqttErrc::SessionTakenOver: return "session taken over";
      case MqttErrc::TopicFilterInvalid: return "topic filter invalid";
      case MqttErrc::TopicNameInvalid: return "topic name invalid";
      case MqttErrc::PacketIdentifierInUse: return "packet identifier in use";
      case MqttErrc::PacketIdentifierNotFound: return "packet identifier not found";
      case MqttErrc::ReceiveMaximumExceeded: return "receive maximum exceeded";
      case MqttErrc::TopicAliasInvalid: return "topic alias invalid";
      case MqttErrc::PacketTooLarge: return "packet too large";
      case MqttErrc::MessageRateTooHigh: return "message rate too high";
      case MqttErrc::QuotaExceeded: return "quota exceeded";
      case MqttErrc::AdministrativeAction: return "administrative action";
      case MqttErrc::PayloadFormatInvalid: return "payload format invalid";
      case MqttErrc::RetainNotSupported: return "retain not supported";
      case MqttErrc::QosNotSupported: return "QoS not supported";
      case MqttErrc::UseAnotherServer: return "use another server";
      case MqttErrc::ServerMoved: return "server moved";
      case MqttErrc::SharedSubscriptionsNotSupported: return "shared subscriptions not supported";
      case MqttErrc::ConnectionRateExceeded: return "connection rate exceeded";
      case MqttErrc::MaximumConnectTime: return "maximum connect time";
      case MqttErrc::SubscriptionIdentifiersNotSupported:
        return "subscription identifiers not supported";
      case MqttErrc::WildcardSubscriptionsNotSupported:
        return "wildcard subscriptions not supported";
    }
    return "unknown MQTT reason code " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& mqtt_category() noexcept {
  static const MqttCategory category;
  return category;
}

std::error_code make_error_code(MqttErrc e) noexcept {
  return {static_cast<int>(e), mqtt_category()};
}

MqttErrc to_mqtt_errc(std::error_code ec) noexcept {
  if (ec.category() == mqtt_category()) return static_cast<MqttErrc>(ec.value());
  return MqttErrc::UnspecifiedError;
}

}  // namespace gw
