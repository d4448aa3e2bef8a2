#include "adapters/modbus/rtu_over_tcp_bus.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include <modbus/modbus.h>

#include "adapters/modbus/modbus_error.hpp"
#include "core/unique_fd.hpp"

namespace gw::adapters::modbus {
namespace {

using Clock = std::chrono::steady_clock;

Failure error(int err) { return Failure{modbus_error(err)}; }

// Waits until `fd` is ready for `events` or `deadline` passes. ETIMEDOUT on the deadline.
Result<void> wait_ready(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return error(ETIMEDOUT);
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(left.count()) + 1);
    if (rc > 0) return {};
    if (rc < 0 && errno != EINTR) return error(errno);
  }
}

class RtuOverTcpBus final : public Bus {
 public:
  explicit RtuOverTcpBus(const LinkOptions& link) : link_(link) {}

  Result<void> open() override {
    close();
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(link_.port);
    if (::getaddrinfo(link_.host.c_str(), port.c_str(), &hints, &found) != 0 || !found) {
      return error(EHOSTUNREACH);
    }
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, &::freeaddrinfo);
    int last = ECONNREFUSED;
    for (const addrinfo* ai = found; ai; ai = ai->ai_next) {
      UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
      if (fd.get() < 0) {
        last = errno;
        continue;
      }
      const int one = 1;
      ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
          last = errno;
          continue;
        }
        if (auto ready = wait_ready(fd.get(), POLLOUT, Clock::now() + link_.response_timeout);
            !ready) {
          last = ETIMEDOUT;
          continue;
        }
        int soerr = 0;
        socklen_t len = sizeof soerr;
        ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &soerr, &len);
        if (soerr != 0) {
          last = soerr;
          continue;
        }
      }
      fd_ = std::move(fd);
      return {};
    }
    return error(last);
  }

  void close() override { fd_.reset(); }
  bool is_open() const override { return fd_.get() >= 0; }

  Result<void> read_bits(std::uint8_t unit, Table table, std::uint16_t address,
                         std::span<std::uint8_t> bits) override {
    const std::uint8_t fc = table == Table::Coil ? 0x01 : 0x02;
    const auto n = static_cast<std::uint16_t>(bits.size());
    // Answer PDU: function, byte count, the bits.
    GW_TRY(rsp, transact(unit, {fc, hi(address), lo(address), hi(n), lo(n)},
                         2U + (n + 7U) / 8U));
    if (rsp[2] != (n + 7) / 8) return error(EMBBADDATA);
    for (std::size_t i = 0; i < bits.size(); ++i) bits[i] = (rsp[3 + i / 8] >> (i % 8)) & 1U;
    return {};
  }

  Result<void> read_registers(std::uint8_t unit, Table table, std::uint16_t address,
                              std::span<std::uint16_t> regs) override {
    const std::uint8_t fc = table == Table::HoldingRegister ? 0x03 : 0x04;
    const auto n = static_cast<std::uint16_t>(regs.size());
    // Answer PDU: function, byte count, the registers.
    GW_TRY(rsp, transact(unit, {fc, hi(address), lo(address), hi(n), lo(n)}, 2U + 2U * n));
    if (rsp[2] != 2 * n) return error(EMBBADDATA);
    for (std::size_t i = 0; i < regs.size(); ++i) {
      regs[i] = static_cast<std::uint16_t>(rsp[3 + 2 * i] << 8 | rsp[4 + 2 * i]);
    }
    return {};
  }

  Result<void> write_coil(std::uint8_t unit, std::uint16_t address, bool on,
                          WriteFunction fc) override {
    if (fc == WriteFunction::Multiple) {
      // FC 15, one coil: quantity 1, one data byte with the coil in bit 0.
      std::vector<std::uint8_t> req{0x0F, hi(address), lo(address), 0, 1, 1,
                                    on ? std::uint8_t{1} : std::uint8_t{0}};
      GW_TRY(rsp, transact(unit, req, 5));  // function, address, quantity
      return echo_matches(std::span(req).first(5), rsp);
    }
    std::vector<std::uint8_t> req{0x05, hi(address), lo(address), on ? std::uint8_t{0xFF} : std::uint8_t{0}, 0};
    GW_TRY(rsp, transact(unit, req, req.size()));  // the request PDU echoed
    return echo_matches(req, rsp);
  }

  Result<void> write_registers(std::uint8_t unit, std::uint16_t address,
                               std::span<const std::uint16_t> regs, WriteFunction fc) override {
    if (regs.size() == 1 && fc == WriteFunction::Single) {
      std::vector<std::uint8_t> req{0x06, hi(address), lo(address), hi(regs[0]), lo(regs[0])};
      GW_TRY(rsp, transact(unit, req, req.size()));  // the request PDU echoed
      return echo_matches(req, rsp);
    }
    const auto n = static_cast<std::uint16_t>(regs.size());
    std::vector<std::uint8_t> req{0x10, hi(address), lo(address), hi(n), lo(n),
                                  static_cast<std::uint8_t>(2 * n)};
    for (auto r : regs) {
      req.push_back(hi(r));
      req.push_back(lo(r));
    }
    GW_TRY(rsp, transact(unit, req, 5));  // function, address, quantity
    return echo_matches(std::span(req).first(5), rsp);
  }

  Result<void> mask_write(std::uint8_t unit, std::uint16_t address, std::uint16_t and_mask,
                          std::uint16_t or_mask) override {
    std::vector<std::uint8_t> req{0x16,         hi(address),  lo(address), hi(and_mask),
                                  lo(and_mask), hi(or_mask), lo(or_mask)};
    GW_TRY(rsp, transact(unit, req, req.size()));  // the request PDU echoed
    return echo_matches(req, rsp);
  }

  Result<void> write_and_read(std::uint8_t unit, std::uint16_t write_address,
                              std::span<const std::uint16_t> write, std::uint16_t read_address,
                              std::span<std::uint16_t> read) override {
    const auto nw = static_cast<std::uint16_t>(write.size());
    const auto nr = static_cast<std::uint16_t>(read.size());
    std::vector<std::uint8_t> req{0x17,          hi(read_address), lo(read_address),
                                  hi(nr),        lo(nr),           hi(write_address),
                                  lo(write_address), hi(nw),       lo(nw),
                                  static_cast<std::uint8_t>(2 * nw)};
    for (auto r : write) {
      req.push_back(hi(r));
      req.push_back(lo(r));
    }
    GW_TRY(rsp, transact(unit, req, 2U + 2U * nr));  // function, byte count, registers
    if (rsp[2] != 2 * nr) return error(EMBBADDATA);
    for (std::size_t i = 0; i < read.size(); ++i) {
      read[i] = static_cast<std::uint16_t>(rsp[3 + 2 * i] << 8 | rsp[4 + 2 * i]);
    }
    return {};
  }

  std::chrono::microseconds character_time() const override { return std::chrono::microseconds{0}; }

 private:
  static std::uint8_t hi(std::uint16_t v) { return static_cast<std::uint8_t>(v >> 8); }
  static std::uint8_t lo(std::uint16_t v) { return static_cast<std::uint8_t>(v & 0xFF); }

  static Result<void> echo_matches(std::span<const std::uint8_t> req,
                                   const std::vector<std::uint8_t>& rsp) {
    // rsp = unit, then the echoed PDU.
    if (rsp.size() < req.size() + 1) return error(EMBBADDATA);
    for (std::size_t i = 0; i < req.size(); ++i) {
      if (rsp[i + 1] != req[i]) return error(EMBBADDATA);
    }
    return {};
  }

  // Sends unit + pdu + CRC and reads the answer: unit, function, then `pdu_len` - 1 more bytes of
  // PDU (an exception answer is 2 PDU bytes), then the CRC. Returns unit + PDU without the CRC.
  Result<std::vector<std::uint8_t>> transact(std::uint8_t unit, std::vector<std::uint8_t> pdu,
                                             std::size_t pdu_len) {
    if (!is_open()) return error(ENOTCONN);
    drain();
    std::vector<std::uint8_t> frame;
    frame.reserve(pdu.size() + 3);
    frame.push_back(unit);
    frame.insert(frame.end(), pdu.begin(), pdu.end());
    const std::uint16_t crc = crc16_modbus(frame);
    frame.push_back(lo(crc));
    frame.push_back(hi(crc));
    const auto deadline = Clock::now() + link_.response_timeout;
    GW_TRY_VOID(send_all(frame, deadline));

    std::vector<std::uint8_t> rsp;
    GW_TRY_VOID(receive(rsp, 2, deadline));
    const bool exception = (rsp[1] & 0x80) != 0;
    const std::size_t total = 1 + (exception ? 2 : pdu_len) + 2;
    GW_TRY_VOID(receive(rsp, total, deadline));
    const std::uint16_t got = static_cast<std::uint16_t>(rsp[total - 2] | rsp[total - 1] << 8);
    if (crc16_modbus(std::span(rsp).first(total - 2)) != got) return error(EMBBADCRC);
    if (rsp[0] != unit || (rsp[1] & 0x7F) != pdu[0]) return error(EMBBADDATA);
    if (exception) {
      if (rsp[2] == 0 || rsp[2] > MODBUS_EXCEPTION_GATEWAY_TARGET) return error(EMBBADEXC);
      return error(MODBUS_ENOBASE + rsp[2]);
    }
    rsp.resize(total - 2);
    return rsp;
  }

  Result<void> send_all(std::span<const std::uint8_t> bytes, Clock::time_point deadline) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n > 0) {
        bytes = bytes.subspan(static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        GW_TRY_VOID(wait_ready(fd_.get(), POLLOUT, deadline));
        continue;
      }
      return error(n < 0 ? errno : EPIPE);
    }
    return {};
  }

  Result<void> receive(std::vector<std::uint8_t>& into, std::size_t want,
                       Clock::time_point deadline) {
    while (into.size() < want) {
      std::uint8_t buf[260];
      const std::size_t room = std::min(sizeof buf, want - into.size());
      const ssize_t n = ::recv(fd_.get(), buf, room, 0);
      if (n > 0) {
        into.insert(into.end(), buf, buf + n);
        continue;
      }
      if (n == 0) return error(ECONNRESET);
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return error(errno);
      GW_TRY_VOID(wait_ready(fd_.get(), POLLIN, deadline));
    }
    return {};
  }

  // Discards bytes left from an earlier, late or garbled answer.
  void drain() override {
    std::uint8_t buf[256];
    while (::recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT) > 0) {
    }
  }

  LinkOptions link_;
  UniqueFd fd_;
};

}  // namespace

std::uint16_t crc16_modbus(std::span<const std::uint8_t> bytes) {
  std::uint16_t crc = 0xFFFF;
  for (const std::uint8_t b : bytes) {
    crc ^= b;
    for (int i = 0; i < 8; ++i) crc = (crc & 1U) ? static_cast<std::uint16_t>((crc >> 1) ^ 0xA001) : static_cast<std::uint16_t>(crc >> 1);
  }
  return crc;
}

std::unique_ptr<Bus> make_rtu_over_tcp_bus(const LinkOptions& link) {
  return std::make_unique<RtuOverTcpBus>(link);
}

}  // namespace gw::adapters::modbus
