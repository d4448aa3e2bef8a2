// adapters::serial errors: what can go wrong between a serial instrument's bytes and a Reading or
// a command's outcome, in the "serial" error category, plus the helpers that tell the link what a
// failure means for quality and for the port. Port failures themselves are system errno values
// (std::generic_category / std::system_category: ENOENT when the device vanished, EIO, ...).
//
// Thread safety: reentrant.
#pragma once

#include <system_error>

#include "adapters/reading.hpp"

namespace gw::adapters::serial {

enum class SerialErrc {
  Timeout = 1,       // no (complete) answer within the timeout
  Silent,            // a streaming device sent no good frame within stream_timeout
  BadChecksum,       // the frame's checksum does not match its bytes
  BadChecksumField,  // the frame is too short for its checksum, or the field is not hex
  NoMatch,           // the frame matches no pattern (garbage)
  EmptyCapture,      // the point's group is unset or empty in the frame
  BadNumber,         // the captured text is not a number / integer / bool of the point's type
  OutOfRange,        // an integer that does not fit, or a command value outside min..max
  WrongType,         // a command value of a type the command cannot send
  CommandRejected,   // the device answered a command with something other than its reply
  PortClosed,        // the device end went away (hang-up, end of file)
  UnsupportedBaud,   // the baud rate is not one termios can set
  UnknownPoint,      // no such device or command point on this link
  QueueFull,         // too many writes waiting
  Stopped,           // the link is stopping
  NotConnected,      // the port is not open
};
[[nodiscard]] const std::error_category& serial_category();
[[nodiscard]] std::error_code make_error_code(SerialErrc e);

// The quality of a point whose reading failed with `ec`.
[[nodiscard]] Quality quality_of(std::error_code ec);

// True when the port itself is broken (device unplugged, hang-up, I/O error): the link closes it
// and reopens with backoff. Timeouts and bad frames are not.
[[nodiscard]] bool is_connection_error(std::error_code ec);

}  // namespace gw::adapters::serial

template <>
struct std::is_error_code_enum<gw::adapters::serial::SerialErrc> : std::true_type {};
