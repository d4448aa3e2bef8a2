#include "tests/support/modbus_test_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <modbus/modbus.h>

namespace gw::test {
namespace {

// Short enough that stop() is prompt; requests wake the poll, not this.
constexpr int kPollMs = 20;
// An RTU frame is complete when the line has been silent this long (a generous stand-in for the
// 3.5-character gap, which a pty does not keep).
constexpr int kRtuFrameGapMs = 20;
// MBAP header: transaction id, protocol id, length, unit id; the function code follows.
constexpr int kTcpHeaderLength = 7;

struct MappingFree {
  void operator()(modbus_mapping_t* m) const { modbus_mapping_free(m); }
};
using MappingPtr = std::unique_ptr<modbus_mapping_t, MappingFree>;

[[noreturn]] void fail_errno(const std::string& what) {
  throw std::runtime_error(what + ": " + modbus_strerror(errno));
}

bool is_read(std::uint8_t fc) {
  return fc == MODBUS_FC_READ_COILS || fc == MODBUS_FC_READ_DISCRETE_INPUTS ||
         fc == MODBUS_FC_READ_HOLDING_REGISTERS || fc == MODBUS_FC_READ_INPUT_REGISTERS ||
         fc == MODBUS_FC_WRITE_AND_READ_REGISTERS;
}

// Length of the RTU request starting at b[0] (unit, function, ...), CRC included; 0 when more
// bytes are needed to tell, -1 for a function this server does not frame.
int rtu_request_length(const std::vector<std::uint8_t>& b) {
  if (b.size() < 2) return 0;
  switch (b[1]) {
    case MODBUS_FC_READ_COILS:
    case MODBUS_FC_READ_DISCRETE_INPUTS:
    case MODBUS_FC_READ_HOLDING_REGISTERS:
    case MODBUS_FC_READ_INPUT_REGISTERS:
    case MODBUS_FC_WRITE_SINGLE_COIL:
    case MODBUS_FC_WRITE_SINGLE_REGISTER: return 8;
    case MODBUS_FC_WRITE_MULTIPLE_COILS:
    case MODBUS_FC_WRITE_MULTIPLE_REGISTERS: return b.size() < 7 ? 0 : 9 + b[6];
    case MODBUS_FC_MASK_WRITE_REGISTER: return 10;
    case MODBUS_FC_WRITE_AND_READ_REGISTERS: return b.size() < 11 ? 0 : 13 + b[10];
    default: return -1;
  }
}

}  // namespace

std::uint16_t modbus_crc16(std::span<const std::uint8_t> bytes) {
  std::uint16_t crc = 0xFFFF;
  for (const std::uint8_t b : bytes) {
    crc ^= b;
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 1U) != 0 ? static_cast<std::uint16_t>((crc >> 1) ^ 0xA001)
                            : static_cast<std::uint16_t>(crc >> 1);
    }
  }
  return crc;
}

std::vector<std::uint8_t> with_crc(std::vector<std::uint8_t> frame) {
  const std::uint16_t crc = modbus_crc16(frame);
  frame.push_back(static_cast<std::uint8_t>(crc & 0xFF));
  frame.push_back(static_cast<std::uint8_t>(crc >> 8));
  return frame;
}

struct ModbusTestServer::Unit {
  MappingPtr mapping;
  bool silent = false;
  std::uint8_t exception = 0;
  std::chrono::milliseconds delay{0};
  std::set<std::uint16_t> refused;
  std::set<std::uint8_t> refused_functions;
  std::vector<Request> log;
};

void ModbusTestServer::ModbusFree::operator()(modbus_t* ctx) const {
  modbus_close(ctx);
  modbus_free(ctx);
}

ModbusTestServer::ModbusTestServer(std::vector<std::uint8_t> units) {
  for (const std::uint8_t id : units) {
    auto u = std::make_unique<Unit>();
    u->mapping.reset(modbus_mapping_new(kTableSize, kTableSize, kTableSize, kTableSize));
    if (!u->mapping) fail_errno("modbus_mapping_new");
    units_[id] = std::move(u);
  }
}

ModbusTestServer::~ModbusTestServer() { stop(); }

void ModbusTestServer::start_tcp(std::uint16_t port) {
  mode_ = Mode::Tcp;
  port_ = port;
  start();
}

void ModbusTestServer::start_rtu(std::string path, int baud) {
  mode_ = Mode::Rtu;
  device_ = std::move(path);
  baud_ = baud;
  start();
}

void ModbusTestServer::restart() {
  stop();
  start();
}

void ModbusTestServer::start() {
  if (thread_.joinable()) throw std::logic_error("ModbusTestServer already running");
  {
    std::lock_guard lock(mutex_);
    stop_ = false;
  }
  if (mode_ == Mode::Tcp) {
    ctx_.reset(modbus_new_tcp("127.0.0.1", port_));
    if (!ctx_) fail_errno("modbus_new_tcp");
    // modbus_tcp_listen sets SO_REUSEADDR, so a restart gets the same port back.
    listener_.reset(modbus_tcp_listen(ctx_.get(), 8));
    if (!listener_) fail_errno("modbus_tcp_listen");
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      fail_errno("getsockname");
    }
    port_ = ntohs(addr.sin_port);
  } else if (mode_ == Mode::Rtu) {
    ctx_.reset(modbus_new_rtu(device_.c_str(), baud_, 'N', 8, 1));
    if (!ctx_) fail_errno("modbus_new_rtu");
    if (modbus_connect(ctx_.get()) != 0) fail_errno("modbus_connect " + device_);
    // Whatever the master sent while nobody listened is not a request to us.
    ::tcflush(modbus_get_socket(ctx_.get()), TCIOFLUSH);
  } else {
    throw std::logic_error("ModbusTestServer: start_tcp or start_rtu first");
  }
  thread_ = std::thread([this] { run(); });
}

void ModbusTestServer::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
  clients_.clear();
  listener_.reset();
  ctx_.reset();
}

void ModbusTestServer::run() {
  if (mode_ == Mode::Tcp) {
    serve_tcp();
  } else {
    serve_rtu();
  }
  {
    // Nobody waits for a drop that can no longer happen.
    std::lock_guard lock(mutex_);
    done_gen_ = drop_gen_;
  }
  changed_.notify_all();
}

void ModbusTestServer::serve_tcp() {
  std::vector<std::uint8_t> req(MODBUS_TCP_MAX_ADU_LENGTH);
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stop_) break;
      if (drop_gen_ != done_gen_) {
        clients_.clear();
        done_gen_ = drop_gen_;
        changed_.notify_all();
      }
    }
    std::vector<pollfd> fds{{listener_.get(), POLLIN, 0}};
    for (const UniqueFd& c : clients_) fds.push_back({c.get(), POLLIN, 0});
    if (::poll(fds.data(), fds.size(), kPollMs) <= 0) continue;
    std::vector<bool> closed(clients_.size(), false);
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      modbus_set_socket(ctx_.get(), fds[i].fd);
      const int rc = modbus_receive(ctx_.get(), req.data());
      if (rc < 0) {
        closed[i - 1] = true;
      } else if (rc > 0) {
        handle(req.data(), rc, kTcpHeaderLength);
      }
    }
    modbus_set_socket(ctx_.get(), -1);
    for (std::size_t i = closed.size(); i-- > 0;) {
      if (closed[i]) clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if ((fds[0].revents & POLLIN) != 0) {
      UniqueFd c(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (c) {
        clients_.push_back(std::move(c));
        std::lock_guard lock(mutex_);
        ++accepted_;
      }
    }
  }
  clients_.clear();
}

void ModbusTestServer::serve_rtu() {
  const int fd = modbus_get_socket(ctx_.get());
  std::vector<std::uint8_t> buf;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stop_) break;
    }
    pollfd p{fd, POLLIN, 0};
    const int rc = ::poll(&p, 1, buf.empty() ? kPollMs : kRtuFrameGapMs);
    if (rc == 0) {
      buf.clear();  // silence ends a frame: an incomplete one is noise
      continue;
    }
    if (rc < 0) continue;
    std::uint8_t chunk[512];
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) continue;
    buf.insert(buf.end(), chunk, chunk + n);
    for (;;) {
      const int len = rtu_request_length(buf);
      if (len < 0) {
        buf.clear();
        break;
      }
      if (len == 0 || buf.size() < static_cast<std::size_t>(len)) break;
      const auto size = static_cast<std::size_t>(len);
      const std::uint16_t got = static_cast<std::uint16_t>(buf[size - 2] | buf[size - 1] << 8);
      if (modbus_crc16(std::span(buf).first(size - 2)) != got) {
        buf.clear();
        break;
      }
      modbus_set_slave(ctx_.get(), buf[0]);
      handle(buf.data(), len, 1);
      buf.erase(buf.begin(), buf.begin() + len);
    }
  }
}

void ModbusTestServer::handle(const std::uint8_t* req, int length, int header) {
  const std::uint8_t unit = req[header - 1];
  const std::uint8_t fc = req[header];
  Request r;
  r.function = fc;
  r.address = static_cast<std::uint16_t>(req[header + 1] << 8 | req[header + 2]);
  r.count = 1;
  if (is_read(fc) || fc == MODBUS_FC_WRITE_MULTIPLE_COILS ||
      fc == MODBUS_FC_WRITE_MULTIPLE_REGISTERS) {
    r.count = static_cast<std::uint16_t>(req[header + 3] << 8 | req[header + 4]);
  }
  r.at = std::chrono::steady_clock::now();

  std::unique_lock lock(mutex_);
  Unit* u = find(unit);
  if (u == nullptr) return;  // no such slave on this bus: nobody answers
  u->log.push_back(r);
  changed_.notify_all();
  if (u->silent) return;
  if (u->delay.count() > 0) {
    if (changed_.wait_for(lock, u->delay, [&] { return stop_; })) return;
  }
  if (u->exception != 0) {
    modbus_reply_exception(ctx_.get(), req, u->exception);
    return;
  }
  if (u->refused_functions.count(fc) != 0) {
    modbus_reply_exception(ctx_.get(), req, MODBUS_EXCEPTION_ILLEGAL_FUNCTION);
    return;
  }
  if (is_read(fc)) {
    const auto first = u->refused.lower_bound(r.address);
    if (first != u->refused.end() && *first < r.address + r.count) {
      modbus_reply_exception(ctx_.get(), req, MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS);
      return;
    }
  }
  modbus_reply(ctx_.get(), req, length, u->mapping.get());
}

ModbusTestServer::Unit* ModbusTestServer::find(std::uint8_t unit) {
  const auto it = units_.find(unit);
  return it == units_.end() ? nullptr : it->second.get();
}

ModbusTestServer::Unit& ModbusTestServer::get(std::uint8_t unit) {
  Unit* u = find(unit);
  if (u == nullptr) throw std::out_of_range("ModbusTestServer: no unit " + std::to_string(unit));
  return *u;
}

const ModbusTestServer::Unit& ModbusTestServer::get(std::uint8_t unit) const {
  return const_cast<ModbusTestServer*>(this)->get(unit);
}

void ModbusTestServer::set_registers(std::uint8_t unit, std::uint16_t address,
                                     std::vector<std::uint16_t> values) {
  std::lock_guard lock(mutex_);
  Unit& u = get(unit);
  for (std::size_t i = 0; i < values.size(); ++i) u.mapping->tab_registers[address + i] = values[i];
}

void ModbusTestServer::set_input_registers(std::uint8_t unit, std::uint16_t address,
                                           std::vector<std::uint16_t> values) {
  std::lock_guard lock(mutex_);
  Unit& u = get(unit);
  for (std::size_t i = 0; i < values.size(); ++i) {
    u.mapping->tab_input_registers[address + i] = values[i];
  }
}

void ModbusTestServer::set_coil(std::uint8_t unit, std::uint16_t address, bool on) {
  std::lock_guard lock(mutex_);
  get(unit).mapping->tab_bits[address] = on ? 1 : 0;
}

void ModbusTestServer::set_discrete_input(std::uint8_t unit, std::uint16_t address, bool on) {
  std::lock_guard lock(mutex_);
  get(unit).mapping->tab_input_bits[address] = on ? 1 : 0;
}

std::vector<std::uint16_t> ModbusTestServer::registers(std::uint8_t unit, std::uint16_t address,
                                                       std::size_t count) const {
  std::lock_guard lock(mutex_);
  const Unit& u = get(unit);
  return {u.mapping->tab_registers + address, u.mapping->tab_registers + address + count};
}

bool ModbusTestServer::coil(std::uint8_t unit, std::uint16_t address) const {
  std::lock_guard lock(mutex_);
  return get(unit).mapping->tab_bits[address] != 0;
}

void ModbusTestServer::set_silent(std::uint8_t unit, bool silent) {
  std::lock_guard lock(mutex_);
  get(unit).silent = silent;
}

void ModbusTestServer::set_exception(std::uint8_t unit, std::uint8_t code) {
  std::lock_guard lock(mutex_);
  get(unit).exception = code;
}

void ModbusTestServer::set_delay(std::uint8_t unit, std::chrono::milliseconds delay) {
  std::lock_guard lock(mutex_);
  get(unit).delay = delay;
}

void ModbusTestServer::refuse_reads_at(std::uint8_t unit, std::uint16_t address) {
  std::lock_guard lock(mutex_);
  get(unit).refused.insert(address);
}

void ModbusTestServer::refuse_function(std::uint8_t unit, std::uint8_t function) {
  std::lock_guard lock(mutex_);
  get(unit).refused_functions.insert(function);
}

void ModbusTestServer::drop_connections() {
  std::unique_lock lock(mutex_);
  if (!thread_.joinable() || mode_ != Mode::Tcp) return;
  const std::uint64_t gen = ++drop_gen_;
  changed_.wait(lock, [&] { return done_gen_ >= gen; });
}

std::vector<ModbusTestServer::Request> ModbusTestServer::requests(std::uint8_t unit) const {
  std::lock_guard lock(mutex_);
  return get(unit).log;
}

std::size_t ModbusTestServer::count_locked(std::uint8_t unit, std::uint8_t function) const {
  const auto& log = get(unit).log;
  if (function == 0) return log.size();
  return static_cast<std::size_t>(std::count_if(
      log.begin(), log.end(), [&](const Request& r) { return r.function == function; }));
}

std::size_t ModbusTestServer::request_count(std::uint8_t unit, std::uint8_t function) const {
  std::lock_guard lock(mutex_);
  return count_locked(unit, function);
}

bool ModbusTestServer::wait_for_requests(std::uint8_t unit, std::size_t n,
                                         std::chrono::milliseconds timeout,
                                         std::uint8_t function) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return count_locked(unit, function) >= n; });
}

std::size_t ModbusTestServer::connections() const {
  std::lock_guard lock(mutex_);
  return accepted_;
}

}  // namespace gw::test
