#include "gateway/simulator.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numbers>
#include <vector>

#include <modbus/modbus.h>

namespace gw::gateway {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop = true; }

struct ModbusFree {
  void operator()(modbus_t* c) const { modbus_free(c); }
};
struct MappingFree {
  void operator()(modbus_mapping_t* m) const { modbus_mapping_free(m); }
};

void put_float_abcd(std::uint16_t* regs, float v) {
  const auto bits = std::bit_cast<std::uint32_t>(v);
  regs[0] = static_cast<std::uint16_t>(bits >> 16);
  regs[1] = static_cast<std::uint16_t>(bits & 0xFFFF);
}

// Writes the time-dependent values into the image; writable registers are left alone.
void update(modbus_mapping_t& m, double t) {
  using std::numbers::pi;
  const double temperature = 21.0 + 4.0 * std::sin(2 * pi * t / 60.0);
  const double pressure = 1.2 + 0.05 * std::sin(2 * pi * t / 17.0);
  put_float_abcd(&m.tab_registers[0], static_cast<float>(temperature));
  std::uint16_t p[2];
  put_float_abcd(p, static_cast<float>(pressure));
  m.tab_registers[2] = p[1];  // CDAB: low word first
  m.tab_registers[3] = p[0];
  m.tab_registers[4] = static_cast<std::uint16_t>(1450 + static_cast<int>(t) % 10);
  const auto energy = static_cast<std::uint32_t>(t);
  m.tab_registers[6] = static_cast<std::uint16_t>(energy >> 16);
  m.tab_registers[7] = static_cast<std::uint16_t>(energy & 0xFFFF);
  m.tab_input_registers[0] = static_cast<std::uint16_t>(50.0 + 40.0 * std::sin(2 * pi * t / 45.0));
  m.tab_input_bits[0] = temperature > 24.0 ? 1 : 0;
}

}  // namespace

int run_simulator(const std::string& address, std::uint16_t port) {
  std::unique_ptr<modbus_t, ModbusFree> ctx(modbus_new_tcp(address.c_str(), port));
  std::unique_ptr<modbus_mapping_t, MappingFree> map(modbus_mapping_new(16, 16, 32, 16));
  if (!ctx || !map) {
    std::fprintf(stderr, "simulate: %s\n", modbus_strerror(errno));
    return 1;
  }
  map->tab_registers[5] = 215;  // setpoint 21.5 °C
  map->tab_bits[0] = 1;         // pump on
  const char serial[] = "SIM-0001";
  for (int i = 0; i < 4; ++i) {
    map->tab_registers[10 + i] =
        static_cast<std::uint16_t>(static_cast<unsigned char>(serial[2 * i]) << 8 |
                                   static_cast<unsigned char>(serial[2 * i + 1]));
  }

  const int listener = modbus_tcp_listen(ctx.get(), 8);
  if (listener < 0) {
    std::fprintf(stderr, "simulate: cannot listen on %s:%u: %s\n", address.c_str(), port,
                 modbus_strerror(errno));
    return 1;
  }
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&bound), &len);
  std::printf("simulator listening on %s:%u\n", address.c_str(), ntohs(bound.sin_port));
  std::fflush(stdout);

  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  const auto start = std::chrono::steady_clock::now();
  std::vector<pollfd> fds{{listener, POLLIN, 0}};
  std::vector<std::uint8_t> query(MODBUS_TCP_MAX_ADU_LENGTH);
  while (!g_stop) {
    if (::poll(fds.data(), fds.size(), 200) < 0) continue;  // EINTR on a signal
    for (std::size_t i = fds.size(); i-- > 0;) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == listener) {
        const int client = ::accept(listener, nullptr, nullptr);
        if (client >= 0) fds.push_back({client, POLLIN, 0});
        continue;
      }
      modbus_set_socket(ctx.get(), fds[i].fd);
      const int n = modbus_receive(ctx.get(), query.data());
      if (n > 0) {
        update(*map, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        modbus_reply(ctx.get(), query.data(), n, map.get());
      } else if (n < 0) {
        ::close(fds[i].fd);
        fds.erase(fds.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
  }
  for (const auto& p : fds) ::close(p.fd);
  std::printf("simulator stopped\n");
  return 0;
}

}  // namespace gw::gateway
