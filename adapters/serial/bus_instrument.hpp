// adapters::serial::BusInstrument: a serial instrument in request/response mode on a shared RS-485
// bus — a Modbus RTU link (modbus::Link) that also lists `instruments:`. It has no port and no
// thread of its own: the bus link's thread runs its requests and commands as jobs of the link's
// one schedule and lends it the line (modbus::Bus::raw_write / raw_read) for one transaction at a
// time, after the inter-frame gap and with stale input drained (docs/serial.md, "Mixed buses").
//
// A transaction sends the request (or a command's rendered bytes) and reads frames until the
// answer is complete or its timeout passes. Frames are judged as on an InstrumentLink: a bad
// checksum is BadCrc, a frame that matches no pattern BadDecode, no complete answer BadTimeout,
// each for the points of the patterns the request was waiting for; a frame of another pattern is
// taken as data meanwhile. Nothing that arrives outside the transaction is read here, so a late or
// garbled answer of this instrument never reaches a Modbus slave's transaction and vice versa.
//
//   BusInstrument scale(options.instruments[0].instrument);   // validated (options_validation.hpp)
//   auto out = scale.request(0, bus);          // out.readings, out.error (the device failed)
//   scale.filter(out.readings, now);           // the points' publish policies
//
// Ownership: owns its compiled patterns and commands, its framer and its publish filters; borrows
// the Bus for the duration of a call. Thread safety: none; used by the bus link's thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "adapters/modbus/bus.hpp"
#include "adapters/modbus/link.hpp"
#include "adapters/publish_filter.hpp"
#include "adapters/reading.hpp"
#include "adapters/serial/command_template.hpp"
#include "adapters/serial/compiled_command.hpp"
#include "adapters/serial/framer.hpp"
#include "adapters/serial/line_parser.hpp"
#include "adapters/serial/options.hpp"
#include "adapters/serial/regex.hpp"
#include "core/result.hpp"

namespace gw::adapters::serial {

class BusInstrument {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using SystemTime = std::chrono::system_clock::time_point;

  struct Outcome {
    std::vector<Reading> readings;  // unfiltered, good and bad
    // Set when the device failed the transaction: a SerialErrc (Timeout, BadChecksum, NoMatch,
    // ...), or the Bus's error when the line itself failed (modbus::is_connection_error tells).
    std::error_code error;
  };

  // Precondition: validate(options) is empty; a pattern that does not compile aborts (GW_CHECK).
  explicit BusInstrument(serial::InstrumentOptions options);

  // Runs request `i` of options().requests on `bus`.
  Outcome request(std::size_t i, modbus::Bus& bus);

  // Runs the command for `command.point`; the confirmed value, or SerialErrc::UnknownPoint,
  // WrongType, OutOfRange, Timeout, CommandRejected, BadChecksum, or the Bus's error. `readings`
  // receives the confirmed value of a point that is also read, and data frames that came meanwhile.
  Result<Value> command(const modbus::WriteCommand& command, modbus::Bus& bus,
                        std::vector<Reading>& readings);

  // Drops the readings the points' publish policies hold back.
  void filter(std::vector<Reading>& readings, TimePoint now);

  // Every point of the instrument, bad with `ec` (the line went down).
  [[nodiscard]] std::vector<Reading> all_bad(std::error_code ec, SystemTime ts) const;

  [[nodiscard]] const serial::InstrumentOptions& options() const { return opts_; }

 private:
  struct Command : CompiledCommand {
    std::size_t options = 0;  // index into opts_.commands
  };

  std::optional<std::size_t> match(std::string_view frame);
  Reading blank(std::size_t p, std::size_t q, SystemTime ts) const;
  void bad_pattern(std::size_t p, std::error_code ec, SystemTime ts,
                   std::vector<Reading>& out) const;
  void data(std::size_t p, SystemTime ts, std::vector<Reading>& out);
  // Reads from `bus` until `deadline` (or the framer's idle deadline) into frames_.
  Result<void> read_frames(modbus::Bus& bus, TimePoint deadline);

  serial::InstrumentOptions opts_;
  Framer framer_;
  std::vector<LineParser> parsers_;
  std::vector<std::vector<PublishFilter>> filters_;  // per pattern, per point
  std::vector<Command> commands_;
  std::vector<Result<Value>> values_;  // reused per frame
  std::vector<std::string> frames_;    // reused per read
};

}  // namespace gw::adapters::serial
