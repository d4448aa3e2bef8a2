// adapters::serial options: one serial instrument (a weigh scale, a gas analyser, a GPS) on its own
// port, described entirely by configuration: the port settings, how the byte stream is cut into
// frames, how a frame's checksum is checked, which regular expressions turn a frame into point
// values, which requests are sent on a schedule and which commands a writable point sends.
//
// The pipeline for every byte that arrives, and the vocabulary used below:
//
//   port bytes ─► Framer (FramingOptions) ─► frame ─► checksum check (ChecksumOptions)
//              ─► first PatternOptions whose regex matches ─► its points' captures ─► Readings
//
// A *frame* is the bytes of one message as they were on the wire, with one exception: the
// delimiter of Delimiter framing is removed (it separates frames, it is part of none). Start and
// end bytes, length bytes and checksum fields all stay in the frame; checksums and patterns are
// defined on it. docs/serial.md shows each framing and checksum with bytes.
//
// config/ parses these from YAML (`kind: serial`); adapters/serial/options_validation.hpp says
// what it must reject (every key's range is stated here). The link relies on a validated struct
// and never clamps.
//
// Ownership: plain value types. Thread safety: value types; read-only after start-up.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gw::adapters::serial {

// ---- port ------------------------------------------------------------------------------------

enum class Parity : std::uint8_t { None, Even, Odd };
enum class FlowControl : std::uint8_t { None, RtsCts, XonXoff };

struct PortOptions {
  std::string device;  // "/dev/ttyUSB0", or a stable udev link such as /dev/serial/by-id/...
  // One of the POSIX rates 50..4000000 that termios names (B9600, B115200, ...); others are
  // rejected by validation.
  std::uint32_t baud = 9600;
  Parity parity = Parity::None;
  std::uint8_t data_bits = 8;  // 5..8
  std::uint8_t stop_bits = 1;  // 1..2
  FlowControl flow_control = FlowControl::None;
  // Discard whatever the driver buffered before the port was opened (tcflush(TCIFLUSH)), so a
  // stale half line from before a restart is not taken for an answer.
  bool flush_on_open = true;

  friend bool operator==(const PortOptions&, const PortOptions&) = default;
};

// ---- framing ---------------------------------------------------------------------------------

enum class FramingKind : std::uint8_t {
  // A frame ends at `delimiter` (e.g. "\r\n"), which is removed. Empty frames (two delimiters in
  // a row) are skipped.
  Delimiter,
  // A frame runs from `start` to `end` inclusive, then `trailer` more bytes (e.g. a BCC after
  // ETX). Bytes outside a frame are discarded and counted.
  StartEnd,
  // Every `length` bytes are a frame.
  FixedLength,
  // Bytes [0, length_offset) are a header (its first byte is `start` when set), the byte at
  // `length_offset` is N, then come N * length_unit body bytes and `trailer` bytes (e.g. a CRC):
  // frame length = length_offset + 1 + N * length_unit + trailer.
  LengthByte,
  // A frame is whatever arrived before the line went quiet for `silence`.
  Silence,
};

struct FramingOptions {
  FramingKind kind = FramingKind::Delimiter;
  std::string delimiter = "\r\n";         // Delimiter: 1..8 bytes
  std::optional<std::uint8_t> start;      // StartEnd: required (e.g. 0x02 STX); LengthByte: optional sync byte
  std::uint8_t end = 0x03;                // StartEnd (e.g. 0x03 ETX)
  std::uint16_t trailer = 0;              // StartEnd, LengthByte: bytes after the end byte / body
  std::uint16_t length = 0;               // FixedLength: 1..max_frame
  std::uint16_t length_offset = 0;        // LengthByte: index of the length byte
  std::uint8_t length_unit = 1;           // LengthByte: 1..255 body bytes per unit of N
  // Silence: the gap that ends a frame (> 0). Other kinds: when > 0, a partial frame followed by
  // this much silence is discarded (and counted), so one lost byte cannot shift every later
  // fixed-length frame; 0 keeps partial frames until more bytes come.
  std::chrono::milliseconds silence{0};
  // Longest frame accepted, in bytes (1..65535). A longer one is discarded and counted: up to the
  // next delimiter (Delimiter), the next start byte (StartEnd, LengthByte with `start`), or one
  // byte at a time until a plausible header is found (LengthByte without `start`); Silence drops
  // the excess until the next gap. A runaway device therefore cannot exhaust memory.
  std::size_t max_frame = 1024;

  friend bool operator==(const FramingOptions&, const FramingOptions&) = default;
};

// ---- checksums -------------------------------------------------------------------------------

enum class ChecksumKind : std::uint8_t {
  None,
  Xor,          // XOR of the covered bytes (8 bits)
  Sum8,         // sum of the covered bytes mod 256
  Lrc,          // Modbus ASCII LRC: two's complement of the sum mod 256 (covered + LRC = 0)
  Crc16Modbus,  // CRC-16/MODBUS: poly 0x8005 reflected (0xA001), init 0xFFFF; check 0x4B37
  Crc16Ccitt,   // CRC-16/CCITT-FALSE (IBM-3740): poly 0x1021, init 0xFFFF, not reflected; check 0x29B1
  Crc16Xmodem,  // CRC-16/XMODEM: poly 0x1021, init 0x0000, not reflected; check 0x31C3
  Crc16Kermit,  // CRC-16/KERMIT ("CCITT true"): poly 0x1021 reflected, init 0; check 0x2189
  // NMEA 0183: XOR of the bytes between the leading '$' (or '!') and '*', sent as two hex digits
  // after the '*', at the end of the frame: "$GPGGA,...*47". Fixed layout: the covered-region
  // fields of ChecksumOptions must keep their defaults.
  Nmea,
};

enum class ChecksumEncoding : std::uint8_t {
  AsciiHex,  // 2 (8-bit kinds) or 4 (CRC-16) hex digits, most significant first; any case accepted
  Binary,    // 1 or 2 bytes, order per ChecksumOptions::big_endian
};

// Where the checksum sits in the frame and which bytes it covers. Frame layout, from the end:
//
//   [skip_leading bytes][covered bytes ...][separator][checksum field][trailing bytes]
//
// e.g. Modbus ASCII ":010300000001FB" (CRLF removed by Delimiter framing): Lrc, AsciiHex,
// skip_leading 1, hex_data; STX "data" ETX BCC: Xor, Binary, skip_leading 1 (ETX covered);
// STX "data" BCC ETX: skip_leading 1, trailing 1.
struct ChecksumOptions {
  ChecksumKind kind = ChecksumKind::None;
  ChecksumEncoding encoding = ChecksumEncoding::AsciiHex;
  // Binary CRC-16 only: high byte first. nullopt = the kind's convention: low byte first for
  // Crc16Modbus and Crc16Kermit, high byte first for Crc16Ccitt and Crc16Xmodem.
  std::optional<bool> big_endian;
  std::uint16_t skip_leading = 0;  // bytes at the start of the frame not covered
  std::uint16_t trailing = 0;      // bytes after the checksum field (not covered)
  std::string separator;           // bytes between the covered bytes and the field (not covered)
  // The covered bytes are ASCII hex pairs and the checksum is computed over the bytes they encode
  // (Modbus ASCII). An odd count or a non-hex character makes the frame bad.
  bool hex_data = false;

  friend bool operator==(const ChecksumOptions&, const ChecksumOptions&) = default;
};

// ---- parsing ---------------------------------------------------------------------------------

enum class ValueType : std::uint8_t {
  Number,   // decimal text ("-12.5", "1e3", "+7") → double
  Integer,  // decimal (or hex with base 16) text → int64
  Bool,     // one of true_values / false_values (case-insensitive)
  String,   // the captured bytes as they are
};

struct PointOptions {
  std::string name;     // unique within the instrument; a single topic level
  std::string capture;  // named group of its pattern; empty = `name`
  ValueType type = ValueType::Number;
  std::uint8_t base = 10;  // Integer only: 10 or 16
  // Published value = parsed * scale + offset, then rounded to `decimals` places when set
  // (Number and Integer). An Integer point with a scale or offset other than 1/0, or with
  // decimals, is published as a double, like a Modbus point.
  double scale = 1.0;
  double offset = 0.0;
  std::optional<std::uint8_t> decimals;  // 0..15
  std::string unit;                      // engineering unit, informational
  // Bool only, compared case-insensitively; a capture in neither list is a BadDecode reading.
  std::vector<std::string> true_values{"1", "true", "on", "yes"};
  std::vector<std::string> false_values{"0", "false", "off", "no"};

  // Publish policy, as for Modbus points (adapters/publish_filter.hpp).
  double deadband = 0.0;  // >= 0; 0 = any change
  bool deadband_percent = false;
  std::optional<std::chrono::milliseconds> heartbeat;  // nullopt = the instrument's
  std::chrono::milliseconds min_interval{0};

  friend bool operator==(const PointOptions&, const PointOptions&) = default;
};

// One kind of frame the instrument sends. The regex (PCRE2 syntax, no UTF mode: it matches bytes)
// is searched for in the frame (anchor it with ^ and $ to match all of it); its named groups
// `(?<name>...)` hold the points' text. An unset or empty group makes that point BadDecode.
struct PatternOptions {
  std::string name;   // unique within the instrument; RequestOptions::expect refers to it
  std::string regex;  // every point's capture must be a named group of it
  std::vector<PointOptions> points;

  friend bool operator==(const PatternOptions&, const PatternOptions&) = default;
};

// ---- request/response ------------------------------------------------------------------------

// A request sent every `interval`; it is answered when frames matching every pattern named in
// `expect` have arrived (any one pattern when `expect` is empty). A frame that matches no pattern,
// or fails its checksum, answers it badly (BadDecode / BadCrc for the expected patterns' points);
// no complete answer within the timeout makes them BadTimeout. Frames matching other patterns
// (a device that also streams) are taken as data meanwhile.
struct RequestOptions {
  std::string send;  // bytes sent as they are (YAML "W\r" escapes become bytes in config/)
  std::chrono::milliseconds interval{std::chrono::seconds(1)};  // > 0
  std::optional<std::chrono::milliseconds> timeout;  // nullopt = the instrument's response_timeout
  std::vector<std::string> expect;                   // pattern names

  friend bool operator==(const RequestOptions&, const RequestOptions&) = default;
};

// A writable point: a command on `<topic>/set` renders `send` with the value (command_template.hpp:
// "{value}", "{value:.2f}", "{value:d}", "{value:x}", "{{" and "}}") and sends it. The first frame
// that matches `reply` is success; with a named group `(?<value>...)` the value it holds (parsed
// as `type` with `scale`/`offset` applied) is the confirmed value, else the value sent. A frame
// that matches `reply_error`, or matches neither `reply` nor a data pattern, or a bad checksum, is
// failure; so is silence until the timeout.
struct CommandOptions {
  std::string point;  // the name commands address; may equal a pattern point, which then gets the
                      // confirmed value as a reading
  ValueType type = ValueType::Number;
  std::string send;         // template
  std::string reply;        // regex; required
  std::string reply_error;  // regex; empty = none
  std::optional<std::chrono::milliseconds> timeout;  // nullopt = the instrument's response_timeout
  double scale = 1.0;   // of the confirmed value, as for points
  double offset = 0.0;
  // Inclusive range of the commanded engineering value; a command outside it is refused.
  std::optional<double> min;
  std::optional<double> max;

  friend bool operator==(const CommandOptions&, const CommandOptions&) = default;
};

// ---- the instrument --------------------------------------------------------------------------

struct InstrumentOptions {
  std::string link;  // link name (unique within the gateway), Reading::link
  std::string name;  // device name (a single topic level), Reading::device and DeviceStatus::device
  PortOptions port;
  FramingOptions framing;
  ChecksumOptions checksum;
  std::vector<PatternOptions> patterns;  // tried in order; the first match takes the frame
  std::vector<RequestOptions> requests;  // request/response mode when not empty
  std::vector<CommandOptions> commands;

  // Streaming mode: the device talks on its own. At least one of streaming and requests.
  bool streaming = false;
  // Streaming: no good frame for this long makes every point BadTimeout and reopens the port.
  std::chrono::milliseconds stream_timeout{std::chrono::seconds(5)};
  // Request/command answers must be complete within this long unless they say otherwise.
  std::chrono::milliseconds response_timeout{std::chrono::seconds(1)};
  // Silence kept after an answer (or a timeout) before the next request or command is sent.
  std::chrono::milliseconds turnaround_delay{0};
  // This many failed requests in a row (timeouts, garbage, bad checksums) count as a lost device:
  // the port is closed and reopened with backoff. 0 = never for request failures.
  std::uint32_t reopen_after_failures = 3;
  // Reopening: exponential from initial to max, with jitter; reset by the first good frame.
  std::chrono::milliseconds reconnect_initial{std::chrono::milliseconds(500)};
  std::chrono::milliseconds reconnect_max{std::chrono::seconds(30)};
  // An unchanged good value is published again after this long (points may override).
  std::chrono::milliseconds heartbeat{std::chrono::minutes(1)};

  friend bool operator==(const InstrumentOptions&, const InstrumentOptions&) = default;
};

}  // namespace gw::adapters::serial
