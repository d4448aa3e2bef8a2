// PahoErrc: the return codes of the Paho MQTT C asynchronous client (MQTTAsync.h,
// MQTTASYNC_FAILURE ... ) as a std::error_code in the "paho" domain; message() is
// MQTTAsync_strerror's text.
//   if (ec == gw::bridge::PahoErrc::Disconnected) ...
//
// Thread safety: the category is immutable and safe from any thread.
#pragma once

#include <system_error>

namespace gw::bridge {

// The values are Paho's own (negative), so a code converts either way with a cast.
enum class PahoErrc : int {
  Failure = -1,
  PersistenceError = -2,
  Disconnected = -3,
  MaxMessagesInflight = -4,
  BadUtf8String = -5,
  NullParameter = -6,
  TopicnameTruncated = -7,
  BadStructure = -8,
  BadQos = -9,
  NoMoreMsgids = -10,
  OperationIncomplete = -11,
  MaxBufferedMessages = -12,
  SslNotSupported = -13,
  BadProtocol = -14,
  BadMqttOption = -15,
  WrongMqttVersion = -16,
  ZeroLengthWillTopic = -17,
  CommandIgnored = -18,
  MaxBufferedZero = -19,
};

[[nodiscard]] const std::error_category& paho_category() noexcept;
[[nodiscard]] std::error_code make_error_code(PahoErrc e) noexcept;
// A Paho return code (MQTTASYNC_*) as an error_code; MQTTASYNC_SUCCESS gives an empty one.
[[nodiscard]] std::error_code paho_error(int rc) noexcept;

}  // namespace gw::bridge

template <>
struct std::is_error_code_enum<gw::bridge::PahoErrc> : std::true_type {};
