// gateway::ModbusCommand: see modbus_cli.hpp. This file is the glue: options, the link built from
// them, the requests and the exit codes; what is printed comes from modbus_tool.hpp.
#include "gateway/modbus_cli.hpp"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "adapters/modbus/bus.hpp"
#include "adapters/modbus/names.hpp"
#include "adapters/modbus/value_codec.hpp"
#include "config/links_section.hpp"
#include "config/units.hpp"
#include "gateway/modbus_tool.hpp"

namespace gw::gateway {
namespace {

namespace mb = adapters::modbus;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;
constexpr std::uint16_t kMaxRegisters = 125;  // Modbus limit of one read (FC 3/4)
constexpr std::uint16_t kMaxBits = 2000;      // Modbus limit of one read (FC 1/2)
constexpr std::chrono::milliseconds kMaxTimeout{std::chrono::minutes(1)};

// Set by SIGINT while a scan runs; a signal handler can reach nothing else.
std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) { g_interrupted = true; }

// Ctrl-C stops a scan between two requests (each bounded by the timeout) instead of killing it,
// so that what was found so far is still printed. The previous handler comes back afterwards.
class InterruptGuard {
 public:
  InterruptGuard() {
    g_interrupted = false;
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &previous_);
  }
  ~InterruptGuard() { sigaction(SIGINT, &previous_, nullptr); }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction previous_ {};
};

std::string where(const mb::LinkOptions& link) {
  if (link.kind == mb::LinkKind::Rtu) {
    const auto& s = link.serial;
    const char parity = s.parity == mb::Parity::Even ? 'E' : s.parity == mb::Parity::Odd ? 'O' : 'N';
    return fmt::format("{} {} {} {}{}{}", mb::name(link.kind), s.device, s.baud,
                       static_cast<int>(s.data_bits), parity, static_cast<int>(s.stop_bits));
  }
  return fmt::format("{} {}:{}", mb::name(link.kind), link.host, link.port);
}

std::string span_text(mb::Table table, std::uint16_t first, std::size_t count) {
  const auto last = static_cast<std::uint16_t>(first + count - 1);
  if (count == 1) {
    return fmt::format("{} {} ({})", mb::name(table), first, config::format_modicon_ref(table, first));
  }
  return fmt::format("{} {}..{} ({}..{})", mb::name(table), first, last,
                     config::format_modicon_ref(table, first), config::format_modicon_ref(table, last));
}

// One connected link and where its messages go.
struct Session {
  mb::LinkOptions link;
  std::unique_ptr<mb::Bus> bus;
  std::uint8_t unit = 1;
  std::ostream& out;
  std::ostream& err;
  std::string command;

  int fail(const std::string& message) const {
    err << "edge-gateway modbus " << command << ": " << message << '\n';
    return kExitFailed;
  }
  int failed_request(const std::string& what, std::error_code ec) const {
    return fail(fmt::format("unit {} {}: {}", unit, what, describe(classify(Failure{ec}))));
  }
  Result<void> read(mb::Table table, std::uint16_t address, std::span<std::uint16_t> regs) const {
    return bus->read_registers(unit, table, address, regs);
  }
};

}  // namespace

// ---- options -------------------------------------------------------------------------------------

struct ModbusArgs {
  CLI::App* modbus = nullptr;
  CLI::App* read = nullptr;
  CLI::App* write = nullptr;
  CLI::App* scan = nullptr;
  CLI::App* guess = nullptr;

  // The link.
  std::string kind;
  std::string host;
  std::uint16_t port = 502;
  std::string device;
  std::uint32_t baud = 9600;
  std::string parity = "none";
  int data_bits = 8;
  int stop_bits = 1;
  std::string timeout = "1s";
  std::string scan_timeout = "300ms";
  int unit = 1;

  // What to read or write.
  std::string table = "holding";
  std::string address;
  std::uint16_t read_count = 1;
  std::uint16_t guess_count = 2;
  std::uint16_t string_registers = 0;
  std::string value;
  std::string type;
  std::string order = "ABCD";
  std::string expect;
  std::size_t top = 10;
  std::string name = "value";
  std::string units;
  std::string from = "0";
  std::string to;
  std::uint16_t block = 1;

  [[nodiscard]] CLI::App* active() const {
    for (auto* sub : {read, write, scan, guess}) {
      if (sub->parsed()) return sub;
    }
    return read;
  }
};

namespace {

void add_link_options(CLI::App& sub, ModbusArgs& a, std::string& timeout) {
  sub.add_option("--host", a.host, "Modbus TCP device or gateway (or serial server, see --kind)");
  sub.add_option("--port", a.port, "TCP port")->capture_default_str();
  sub.add_option("--device", a.device, "Serial port for Modbus RTU: /dev/ttyUSB0");
  sub.add_option("--baud", a.baud, "RTU: bits per second")->capture_default_str();
  sub.add_option("--parity", a.parity, "RTU: none, even or odd")
      ->check(CLI::IsMember({"none", "even", "odd"}))
      ->capture_default_str();
  sub.add_option("--data-bits", a.data_bits, "RTU: data bits")
      ->check(CLI::Range(5, 8))
      ->capture_default_str();
  sub.add_option("--stop-bits", a.stop_bits, "RTU: stop bits")
      ->check(CLI::Range(1, 2))
      ->capture_default_str();
  sub.add_option("--kind", a.kind,
                 "tcp, rtu or rtu-over-tcp (RTU frames through a TCP serial server at --host); "
                 "default: tcp with --host, rtu with --device")
      ->check(CLI::IsMember({"tcp", "rtu", "rtu-over-tcp"}));
  sub.add_option("--unit", a.unit, "Unit id (slave address)")
      ->check(CLI::Range(0, 255))
      ->capture_default_str();
  sub.add_option("--timeout", timeout, "Response timeout of each request: 200ms, 1s, ...")
      ->capture_default_str();
}

void add_where_options(CLI::App& sub, ModbusArgs& a, bool bits_too) {
  sub.add_option("--table", a.table,
                 bits_too ? "holding, input, coil or discrete" : "holding or input")
      ->capture_default_str();
  sub.add_option("--address", a.address,
                 "First register: 0-based (decimal or 0x hex), or a six-digit Modicon reference "
                 "such as 400101, which also gives the table")
      ->required();
}

// ---- building the link -------------------------------------------------------------------------

std::optional<mb::LinkKind> link_kind(const ModbusArgs& a, std::string& error) {
  if (!a.host.empty() && !a.device.empty()) {
    error = "--host and --device cannot be combined: a link is TCP (--host) or serial (--device)";
    return std::nullopt;
  }
  std::string_view k = a.kind;
  if (k.empty()) k = a.device.empty() ? "tcp" : "rtu";
  const auto kind = k == "tcp" ? mb::LinkKind::Tcp
                    : k == "rtu" ? mb::LinkKind::Rtu
                                 : mb::LinkKind::RtuOverTcp;
  if (kind == mb::LinkKind::Rtu && a.device.empty()) {
    error = "Modbus RTU needs --device (the serial port)";
    return std::nullopt;
  }
  if (kind != mb::LinkKind::Rtu && a.host.empty()) {
    error = a.kind.empty() ? "give --host (Modbus TCP) or --device (Modbus RTU)"
                           : fmt::format("--kind {} needs --host", a.kind);
    return std::nullopt;
  }
  return kind;
}

std::optional<mb::LinkOptions> make_link(const ModbusArgs& a, std::string& error) {
  const auto kind = link_kind(a, error);
  if (!kind) return std::nullopt;
  CLI::App* sub = a.active();
  if (*kind != mb::LinkKind::Rtu) {
    for (const char* opt : {"--baud", "--parity", "--data-bits", "--stop-bits"}) {
      if (sub->count(opt) > 0) {
        error = fmt::format("{} applies to Modbus RTU on a serial port (--device) only", opt);
        return std::nullopt;
      }
    }
  } else if (sub->count("--port") > 0) {
    error = "--port applies to TCP links (--host) only";
    return std::nullopt;
  }
  const std::string& timeout_text = sub == a.scan ? a.scan_timeout : a.timeout;
  std::string why;
  const auto timeout = config::parse_duration(timeout_text, why);
  if (!timeout || timeout->count() == 0 || *timeout > kMaxTimeout) {
    error = fmt::format("--timeout '{}': {}", timeout_text,
                        timeout ? "1ms..1m" : why + " (e.g. 200ms, 1s)");
    return std::nullopt;
  }
  mb::LinkOptions link;
  link.name = "cli";
  link.kind = *kind;
  link.host = a.host;
  link.port = a.port;
  link.serial.device = a.device;
  link.serial.baud = a.baud;
  link.serial.parity = a.parity == "even" ? mb::Parity::Even
                       : a.parity == "odd" ? mb::Parity::Odd
                                           : mb::Parity::None;
  link.serial.data_bits = static_cast<std::uint8_t>(a.data_bits);
  link.serial.stop_bits = static_cast<std::uint8_t>(a.stop_bits);
  link.response_timeout = *timeout;
  return link;
}

// The table and first address; a Modicon reference in --address names the table itself.
std::optional<TypedAddress> resolve(const ModbusArgs& a, const std::string& address_text,
                                    std::string& error) {
  auto addr = parse_address(address_text, error);
  if (!addr) return std::nullopt;
  const bool table_given = a.active()->count("--table") > 0;
  const auto table = parse_table(a.table, error);
  if (!table) return std::nullopt;
  if (addr->table && table_given && *addr->table != *table) {
    error = fmt::format("--address {} is in table {}, but --table says {}", address_text,
                        mb::name(*addr->table), mb::name(*table));
    return std::nullopt;
  }
  if (!addr->table) addr->table = table;
  return addr;
}

bool fits(std::uint16_t address, std::size_t count, std::size_t max, std::string& error) {
  if (count == 0 || count > max) {
    error = fmt::format("--count {}: 1..{} in one request", count, max);
    return false;
  }
  if (address + count - 1 > 65535) {
    error = fmt::format("--address {} with --count {} runs past address 65535", address, count);
    return false;
  }
  return true;
}

// ---- the commands --------------------------------------------------------------------------------

int run_read(Session& s, mb::Table table, std::uint16_t address, std::uint16_t count) {
  s.out << where(s.link) << ", unit " << int{s.unit} << ": " << span_text(table, address, count)
        << '\n';
  if (mb::is_bit_table(table)) {
    std::vector<std::uint8_t> bits(count);
    if (auto r = s.bus->read_bits(s.unit, table, address, bits); !r) {
      return s.failed_request("read " + span_text(table, address, count), r.error());
    }
    s.out << format_bits(table, address, bits);
    return kExitOk;
  }
  std::vector<std::uint16_t> regs(count);
  if (auto r = s.read(table, address, regs); !r) {
    return s.failed_request("read " + span_text(table, address, count), r.error());
  }
  s.out << format_registers(table, address, regs) << format_decodings(address, regs);
  return kExitOk;
}

struct WriteSpec {
  mb::Table table = mb::Table::HoldingRegister;
  std::uint16_t address = 0;
  mb::PointOptions point;
  mb::ByteOrder order = mb::ByteOrder::ABCD;
  std::vector<std::uint16_t> regs;  // the encoded value; one 0/1 element for a coil
};

int run_write(Session& s, const WriteSpec& w) {
  const std::size_t n = w.regs.size();
  s.out << where(s.link) << ", unit " << int{s.unit} << ": write " << span_text(w.table, w.address, n)
        << '\n';
  Result<void> r = w.table == mb::Table::Coil
                       ? s.bus->write_coil(s.unit, w.address, w.regs[0] != 0,
                                           mb::WriteFunction::Single)
                       : s.bus->write_registers(s.unit, w.address, w.regs,
                                                mb::WriteFunction::Single);
  if (!r) return s.failed_request("write " + span_text(w.table, w.address, n), r.error());
  s.out << "written; read back:\n";
  if (w.table == mb::Table::Coil) {
    std::uint8_t bit = 0;
    if (auto rb = s.bus->read_bits(s.unit, w.table, w.address, {&bit, 1}); !rb) {
      return s.failed_request("read back " + span_text(w.table, w.address, 1), rb.error());
    }
    s.out << format_bits(w.table, w.address, {&bit, 1});
    return kExitOk;
  }
  std::vector<std::uint16_t> back(n);
  if (auto rb = s.read(w.table, w.address, back); !rb) {
    return s.failed_request("read back " + span_text(w.table, w.address, n), rb.error());
  }
  s.out << format_registers(w.table, w.address, back);
  const auto v = mb::decode_registers(w.point, w.order, back);
  s.out << fmt::format("value ({} {}): {}\n", mb::name(w.point.type), mb::name(w.order, w.point.type),
                       v ? format_value(*v, w.point.type) : v.error().message());
  return kExitOk;
}

int run_guess(Session& s, mb::Table table, const GuessRequest& req, std::size_t top,
              const std::string& name) {
  // One register more on each side, for candidates that are off by one (1-based manuals).
  const std::uint16_t first = req.first == 0 ? 0 : static_cast<std::uint16_t>(req.first - 1);
  const std::uint16_t last = req.last == 65535 ? 65535 : static_cast<std::uint16_t>(req.last + 1);
  std::uint16_t regs_address = first;
  std::vector<std::uint16_t> regs(last - first + 1U);
  if (auto r = s.read(table, first, regs); !r) {
    // The device may refuse the extra registers (exception 02): try the range as asked.
    regs_address = req.first;
    regs.assign(req.last - req.first + 1U, 0);
    if (auto exact = s.read(table, req.first, regs); !exact) {
      return s.failed_request("read " + span_text(table, req.first, regs.size()), exact.error());
    }
  }
  s.out << where(s.link) << ", unit " << int{s.unit} << ": "
        << span_text(table, regs_address, regs.size()) << '\n'
        << format_registers(table, regs_address, regs);
  const auto ranked = rank_candidates(regs_address, regs, req);
  if (ranked.empty()) return s.fail("no register decodes as a number");
  s.out << fmt::format("\ndecodings closest to {}", req.expect)
        << (req.tolerance > 0.0
                ? fmt::format(" (all within ±{:g} match the display; the most plausible first)",
                              req.tolerance)
                : std::string())
        << ":\n"
        << format_candidates(table, ranked, top);
  if (!ranked.front().match && ranked.front().error > 0.05) {
    s.out << "\nnote: nothing comes within 5%; check the unit, the table and the address range\n";
  }
  // The line is meant to be pasted as it is: make sure the loader takes it.
  const std::string line = point_yaml(ranked.front(), table, name);
  if (const auto problem = check_point_yaml(line); !problem.empty()) {
    return s.fail("the configuration loader refuses '" + line + "': " +
                  problem.substr(0, problem.find('\n')));
  }
  s.out << "\nconfiguration line for the best one (points: of the device):\n  " << line << '\n';
  return kExitOk;
}

// A probe of one unit or one block: a read of `count` registers or bits.
Probe probe(Session& s, mb::Table table, std::uint16_t address, std::uint16_t count) {
  std::vector<std::uint16_t> regs(mb::is_bit_table(table) ? 0 : count);
  std::vector<std::uint8_t> bits(mb::is_bit_table(table) ? count : 0);
  const auto r = mb::is_bit_table(table) ? s.bus->read_bits(s.unit, table, address, bits)
                                         : s.read(table, address, regs);
  Probe p = classify(r);
  // A gateway may drop the connection on an unknown unit: reconnect once and go on.
  if (p.kind == Probe::Kind::Broken && s.bus->open()) p.kind = Probe::Kind::NoAnswer;
  return p;
}

struct ScanSpec {
  std::vector<std::uint8_t> units;
  bool scan_units = false;
  mb::Table table = mb::Table::HoldingRegister;
  std::uint16_t from = 0;
  std::optional<std::uint16_t> to;
  std::uint16_t block = 1;
};

enum class ScanEnd { Done, Interrupted, Broken };

// Tries each unit with a one-register (or one-bit) read; `answered` gets those that answered,
// with data or with an exception, `tried` counts the units probed.
ScanEnd scan_units(Session& s, const ScanSpec& spec, std::vector<std::uint8_t>& answered,
                   std::size_t& tried) {
  s.out << fmt::format("{}: scanning {} unit(s) with a read of {}\n", where(s.link),
                       spec.units.size(), span_text(spec.table, spec.from, 1));
  s.out.flush();
  for (const std::uint8_t unit : spec.units) {
    if (g_interrupted) return ScanEnd::Interrupted;
    s.unit = unit;
    const Probe p = probe(s, spec.table, spec.from, 1);
    ++tried;
    if (p.kind == Probe::Kind::Broken) {
      s.fail(fmt::format("unit {}: {}", unit, describe(p)));
      return ScanEnd::Broken;
    }
    const bool answers = p.kind == Probe::Kind::Readable || p.kind == Probe::Kind::Exception;
    if (answers) answered.push_back(unit);
    s.out << fmt::format("unit {}: {}{}\n", unit, answers ? "answers, " : "", describe(p));
    s.out.flush();
  }
  return ScanEnd::Done;
}

// Reads spec.from..spec.to of the session's unit block by block and prints the runs of blocks
// with the same outcome, each as soon as it is complete: the progress of a long scan.
ScanEnd scan_addresses(Session& s, const ScanSpec& spec) {
  const std::uint16_t to = *spec.to;
  s.out << fmt::format("unit {}: scanning {} in blocks of {}\n", int{s.unit},
                       span_text(spec.table, spec.from, to - spec.from + 1U), spec.block);
  s.out.flush();
  std::vector<ProbeRun> runs;
  ScanEnd end = ScanEnd::Done;
  for (std::uint32_t first = spec.from; first <= to; first += spec.block) {
    if (g_interrupted) {
      end = ScanEnd::Interrupted;
      break;
    }
    const auto last = static_cast<std::uint16_t>(std::min<std::uint32_t>(first + spec.block - 1, to));
    const auto n = static_cast<std::uint16_t>(last - first + 1);
    const Probe p = probe(s, spec.table, static_cast<std::uint16_t>(first), n);
    if (add_block(runs, static_cast<std::uint16_t>(first), last, p) && runs.size() > 1) {
      s.out << "  " << format_run(spec.table, runs[runs.size() - 2]) << '\n';
      s.out.flush();
    }
    if (p.kind == Probe::Kind::Broken) {
      end = ScanEnd::Broken;
      break;
    }
  }
  if (!runs.empty()) s.out << "  " << format_run(spec.table, runs.back()) << '\n';
  return end;
}

std::string join(const std::vector<std::uint8_t>& units) {
  std::string out;
  for (const auto u : units) out += (out.empty() ? "" : ", ") + std::to_string(u);
  return out;
}

int scan_result(Session& s, ScanEnd end) {
  if (end == ScanEnd::Interrupted) {
    s.out << "interrupted\n";
    return kExitInterrupted;
  }
  return end == ScanEnd::Broken ? kExitFailed : kExitOk;
}

int run_scan(Session& s, const ScanSpec& spec) {
  InterruptGuard guard;
  std::vector<std::uint8_t> targets = spec.units;
  if (spec.scan_units) {
    std::vector<std::uint8_t> answered;
    std::size_t tried = 0;
    const ScanEnd end = scan_units(s, spec, answered, tried);
    s.out << fmt::format("{} of {} unit(s) answer{}{}\n", answered.size(), tried,
                         answered.empty() ? "" : ": ", join(answered));
    if (end != ScanEnd::Done) return scan_result(s, end);
    if (answered.empty()) return s.fail("no unit answered");
    targets = std::move(answered);
  }
  if (!spec.to) return kExitOk;
  for (const std::uint8_t unit : targets) {
    s.unit = unit;
    if (const ScanEnd end = scan_addresses(s, spec); end != ScanEnd::Done) {
      if (end == ScanEnd::Broken) s.fail(fmt::format("unit {}: connection lost", unit));
      return scan_result(s, end);
    }
  }
  return kExitOk;
}

// ---- argument checks per command -----------------------------------------------------------------

std::optional<WriteSpec> write_spec(const ModbusArgs& a, std::string& error) {
  const auto at = resolve(a, a.address, error);
  if (!at) return std::nullopt;
  WriteSpec w;
  w.table = *at->table;
  w.address = at->address;
  if (!mb::is_writable_table(w.table)) {
    error = fmt::format("table {} is read-only: only coils and holding registers can be written",
                        mb::name(w.table));
    return std::nullopt;
  }
  const bool coil = w.table == mb::Table::Coil;
  const std::string type_text = a.type.empty() ? (coil ? "bool" : "uint16") : a.type;
  const auto type = parse_data_type(type_text, error);
  const auto order = parse_byte_order(a.order, error);
  if (!type || !order) return std::nullopt;
  if (coil != (*type == mb::DataType::Bool)) {
    error = coil ? "a coil holds one bit: --type bool (or no --type)"
                 : "type bool is for coils (--table coil)";
    return std::nullopt;
  }
  const auto value = parse_value(a.value, *type, error);
  if (!value) return std::nullopt;
  w.point.type = *type;
  w.order = *order;
  w.point.length = a.string_registers;
  if (*type == mb::DataType::String && w.point.length == 0) {
    w.point.length = static_cast<std::uint16_t>(std::max<std::size_t>(1, (a.value.size() + 1) / 2));
  }
  auto regs = mb::encode_registers(w.point, w.order, *value);
  if (!regs) {
    error = fmt::format("cannot write '{}' as {}: {}", a.value, type_text, regs.error().message());
    return std::nullopt;
  }
  w.regs = std::move(*regs);
  if (!fits(w.address, w.regs.size(), coil ? 1 : 123, error)) return std::nullopt;
  return w;
}

std::optional<GuessRequest> guess_request(const ModbusArgs& a, mb::Table& table,
                                          std::string& error) {
  const auto at = resolve(a, a.address, error);
  if (!at) return std::nullopt;
  table = *at->table;
  if (mb::is_bit_table(table)) {
    error = "guess decodes registers: --table holding or input";
    return std::nullopt;
  }
  // Two registers are read beyond the range, and one request holds at most 125.
  if (!fits(at->address, a.guess_count, kMaxRegisters - 2, error)) return std::nullopt;
  if (const auto problem = check_point_yaml(point_yaml(Candidate{}, table, a.name));
      !problem.empty()) {
    error = fmt::format("--name '{}' is not a valid point name (a single topic level: letters, "
                        "digits, _ and -)",
                        a.name);
    return std::nullopt;
  }
  auto req = parse_expect(a.expect, error);
  if (!req) return std::nullopt;
  req->first = at->address;
  req->last = static_cast<std::uint16_t>(at->address + a.guess_count - 1);
  return req;
}

std::optional<ScanSpec> scan_spec(const ModbusArgs& a, std::string& error) {
  ScanSpec spec;
  spec.scan_units = !a.units.empty();
  if (!spec.scan_units && a.to.empty()) {
    error = "nothing to scan: give --units (which units answer) and/or --to (which addresses "
            "are readable)";
    return std::nullopt;
  }
  if (spec.scan_units) {
    auto units = parse_units(a.units, error);
    if (!units) return std::nullopt;
    spec.units = std::move(*units);
  } else {
    spec.units = {static_cast<std::uint8_t>(a.unit)};
  }
  const auto from = resolve(a, a.from, error);
  if (!from) return std::nullopt;
  spec.table = *from->table;
  spec.from = from->address;
  if (!a.to.empty()) {
    const auto to = parse_address(a.to, error);
    if (!to) return std::nullopt;
    if ((to->table && *to->table != spec.table) || to->address < spec.from) {
      error = fmt::format("--to {} must be in the same table as --from and not below it", a.to);
      return std::nullopt;
    }
    spec.to = to->address;
  }
  const std::uint16_t max = mb::is_bit_table(spec.table) ? kMaxBits : kMaxRegisters;
  if (a.block == 0 || a.block > max) {
    error = fmt::format("--block {}: 1..{}", a.block, max);
    return std::nullopt;
  }
  spec.block = a.block;
  return spec;
}

}  // namespace

// ---- ModbusCommand -------------------------------------------------------------------------------

ModbusCommand::ModbusCommand(CLI::App& app) : args_(std::make_unique<ModbusArgs>()) {
  ModbusArgs& a = *args_;
  a.modbus = app.add_subcommand(
      "modbus", "Commissioning: read, write, scan and decode a Modbus device from the command line");
  a.modbus->require_subcommand(1);
  a.modbus->footer("Link: --host [--port] for Modbus TCP, --device [--baud --parity --data-bits "
                   "--stop-bits] for Modbus RTU, --host with --kind rtu-over-tcp for RTU frames "
                   "through a serial device server. Guide: docs/commissioning.md");

  a.read = a.modbus->add_subcommand(
      "read", "Read registers or bits; print them raw and decoded as every type and byte order");
  add_link_options(*a.read, a, a.timeout);
  add_where_options(*a.read, a, true);
  a.read->add_option("--count", a.read_count, "Registers (1..125) or bits (1..2000)")
      ->capture_default_str();

  a.write = a.modbus->add_subcommand(
      "write", "Write a coil or a value to holding registers, then read it back");
  add_link_options(*a.write, a, a.timeout);
  add_where_options(*a.write, a, true);
  a.write->add_option("VALUE", a.value, "Value: a number, a string, or 1/0/on/off for a coil")
      ->required();
  a.write->add_option("--type", a.type, "Type as in the configuration: uint16 (default), int16, "
                                        "float32, ...; bool for coils");
  a.write->add_option("--order", a.order, "Byte order: ABCD, BADC, CDAB, DCBA")
      ->capture_default_str();
  a.write->add_option("--count", a.string_registers,
                      "Type string: registers to fill (default: enough for the text)");

  a.scan = a.modbus->add_subcommand(
      "scan", "Find the units that answer and the address ranges that are readable");
  add_link_options(*a.scan, a, a.scan_timeout);
  a.scan->add_option("--units", a.units, "Unit ids to try: 1-247, 1,3,10-20");
  a.scan->add_option("--table", a.table, "holding, input, coil or discrete")->capture_default_str();
  a.scan->add_option("--from", a.from, "First address (the one unit probes read)")
      ->capture_default_str();
  a.scan->add_option("--to", a.to, "Last address: scan from..to for readable blocks");
  a.scan->add_option("--block", a.block, "Registers (or bits) per request of an address scan")
      ->capture_default_str();

  a.guess = a.modbus->add_subcommand(
      "guess", "Find the type, byte order, scale and address that give the value on the display");
  add_link_options(*a.guess, a, a.timeout);
  add_where_options(*a.guess, a, false);
  a.guess->add_option("--count", a.guess_count, "Registers in the range (one more each side is tried)")
      ->capture_default_str();
  a.guess->add_option("--expect", a.expect, "The value the device shows")->required();
  a.guess->add_option("--top", a.top, "Candidates listed")->capture_default_str();
  a.guess->add_option("--name", a.name, "Point name in the configuration line")
      ->capture_default_str();
}

ModbusCommand::~ModbusCommand() = default;

bool ModbusCommand::parsed() const { return args_->modbus->parsed(); }

int ModbusCommand::run(std::ostream& out, std::ostream& err) {
  const ModbusArgs& a = *args_;
  CLI::App* sub = a.active();
  const std::string command = sub->get_name();
  std::string error;
  const auto usage = [&] {
    err << "edge-gateway modbus " << command << ": " << error << '\n';
    return kExitUsage;
  };

  auto link = make_link(a, error);
  if (!link) return usage();
  // Everything about the arguments is checked before the device is contacted.
  std::optional<TypedAddress> at;
  std::optional<WriteSpec> write;
  std::optional<GuessRequest> guess;
  std::optional<ScanSpec> scan;
  mb::Table guess_table = mb::Table::HoldingRegister;
  if (sub == a.read) {
    at = resolve(a, a.address, error);
    if (!at) return usage();
    const auto max = mb::is_bit_table(*at->table) ? kMaxBits : kMaxRegisters;
    if (!fits(at->address, a.read_count, max, error)) return usage();
  } else if (sub == a.write) {
    if (!(write = write_spec(a, error))) return usage();
  } else if (sub == a.guess) {
    if (!(guess = guess_request(a, guess_table, error))) return usage();
  } else if (!(scan = scan_spec(a, error))) {
    return usage();
  }

  Session s{*link, mb::make_bus(*link), static_cast<std::uint8_t>(a.unit), out, err, command};
  if (auto opened = s.bus->open(); !opened) {
    return s.fail(fmt::format("cannot open {}: {}", where(*link), opened.error().message()));
  }
  if (sub == a.read) return run_read(s, *at->table, at->address, a.read_count);
  if (sub == a.write) return run_write(s, *write);
  if (sub == a.guess) return run_guess(s, guess_table, *guess, a.top, a.name);
  return run_scan(s, *scan);
}

}  // namespace gw::gateway
