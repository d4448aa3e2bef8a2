#include "adapters/serial/serial_error.hpp"

#include <string>

namespace gw::adapters::serial {
namespace {

class SerialCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "serial"; }
  std::string message(int value) const override {
    switch (static_cast<SerialErrc>(value)) {
      case SerialErrc::Timeout: return "no response (timeout)";
      case SerialErrc::Silent: return "no frame from the device (silent)";
      case SerialErrc::BadChecksum: return "bad checksum";
      case SerialErrc::BadChecksumField: return "frame too short for its checksum, or not hex";
      case SerialErrc::NoMatch: return "frame matches no pattern";
      case SerialErrc::EmptyCapture: return "no value in the frame for this point";
      case SerialErrc::BadNumber: return "captured text is not a value of the point's type";
      case SerialErrc::OutOfRange: return "value out of range";
      case SerialErrc::WrongType: return "value of the wrong type for this command";
      case SerialErrc::CommandRejected: return "the device did not confirm the command";
      case SerialErrc::PortClosed: return "serial port closed by the device end";
      case SerialErrc::UnsupportedBaud: return "baud rate not supported";
      case SerialErrc::UnknownPoint: return "no such device or command on this link";
      case SerialErrc::QueueFull: return "too many writes waiting for this link";
      case SerialErrc::Stopped: return "the link is stopping";
      case SerialErrc::NotConnected: return "the serial port is not open";
    }
    return "unknown serial error";
  }
};

}  // namespace

const std::error_category& serial_category() {
  static const SerialCategory category;
  return category;
}

std::error_code make_error_code(SerialErrc e) { return {static_cast<int>(e), serial_category()}; }

Quality quality_of(std::error_code ec) {
  if (ec.category() != serial_category()) return Quality::BadConnection;
  switch (static_cast<SerialErrc>(ec.value())) {
    case SerialErrc::Timeout:
    case SerialErrc::Silent: return Quality::BadTimeout;
    case SerialErrc::BadChecksum:
    case SerialErrc::BadChecksumField: return Quality::BadCrc;
    case SerialErrc::NoMatch:
    case SerialErrc::EmptyCapture:
    case SerialErrc::BadNumber:
    case SerialErrc::OutOfRange:
    case SerialErrc::WrongType:
    case SerialErrc::CommandRejected: return Quality::BadDecode;
    case SerialErrc::UnsupportedBaud: return Quality::BadConfig;
    case SerialErrc::PortClosed:
    case SerialErrc::NotConnected:
    case SerialErrc::UnknownPoint:
    case SerialErrc::QueueFull:
    case SerialErrc::Stopped: return Quality::BadConnection;
  }
  return Quality::BadConnection;
}

bool is_connection_error(std::error_code ec) {
  if (ec.category() != serial_category()) return true;  // errno from open/read/write/termios
  return ec == SerialErrc::PortClosed || ec == SerialErrc::UnsupportedBaud;
}

}  // namespace gw::adapters::serial
