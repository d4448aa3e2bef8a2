#include "tests/support/mosquitto_process.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>

namespace gw::test {

using namespace std::chrono_literals;

namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

}  // namespace

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr = loopback(0);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind to port 0 failed");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool accepts_connections(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr = loopback(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

MosquittoProcess::MosquittoProcess(MosquittoOptions options) : options_(options) {
  config_ = (dir_.path() / "mosquitto.conf").string();
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_port();
    if (options_.tls) {
      do {
        plain_port_ = free_port();
      } while (plain_port_ == port_);
    }
    write_config();
    if (try_start(5s)) return;
  }
  throw std::runtime_error("mosquitto did not start: " + output());
}

MosquittoProcess::~MosquittoProcess() { kill(); }

void MosquittoProcess::write_config() {
  std::string conf;
  // As root, mosquitto switches to the user "mosquitto" before it loads the TLS files, and that
  // user cannot read the tests' private temporary directories: keep the invoking user.
  if (options_.tls && ::geteuid() == 0) conf += "user root\n";
  conf += "listener " + std::to_string(port_) + " 127.0.0.1\n";
  conf += "allow_anonymous true\n";
  conf += "persistence false\n";
  // No per-client queue limit: a test counts every message, so the cloud must not drop any.
  conf += "max_queued_messages 0\n";
  if (options_.max_packet_size) conf += "max_packet_size " + std::to_string(*options_.max_packet_size) + "\n";
  if (options_.max_inflight_messages) {
    conf += "max_inflight_messages " + std::to_string(*options_.max_inflight_messages) + "\n";
  }
  if (options_.max_qos) conf += "max_qos " + std::to_string(*options_.max_qos) + "\n";
  if (options_.retain_available) conf += std::string("retain_available ") + (*options_.retain_available ? "true" : "false") + "\n";
  // Listener options (max_qos, the TLS files...) belong to the last `listener` line above them.
  if (options_.tls) {
    const MosquittoTls& tls = *options_.tls;
    conf += "cafile " + tls.ca_file + "\n";
    conf += "certfile " + tls.cert_file + "\n";
    conf += "keyfile " + tls.key_file + "\n";
    conf += std::string("require_certificate ") + (tls.require_certificate ? "true" : "false") + "\n";
    conf += "listener " + std::to_string(plain_port_) + " 127.0.0.1\n";
  }
  dir_.write("mosquitto.conf", conf);
}

bool MosquittoProcess::try_start(std::chrono::milliseconds timeout) {
  process_ = std::make_unique<Process>(std::vector<std::string>{"mosquitto", "-c", config_});
  // Either it listens, or it exits (EADDRINUSE: someone took the port between bind and start).
  const bool up = wait_until([this] {
    return !process_->running() || (accepts_connections(port_) && accepts_connections(plain_port()));
  }, timeout);
  if (up && process_->running()) return true;
  process_.reset();
  return false;
}

void MosquittoProcess::start() {
  if (running()) return;
  // The port was ours a moment ago; retry briefly in case a TIME_WAIT or a racing test holds it.
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (try_start(5s)) return;
  }
  throw std::runtime_error("mosquitto did not restart on port " + std::to_string(port_));
}

void MosquittoProcess::stop() {
  if (!process_) return;
  process_->signal(SIGCONT);  // a paused process would not act on SIGTERM
  process_->signal(SIGTERM);
  process_->wait(5s);
  process_.reset();
}

void MosquittoProcess::kill() {
  if (!process_) return;
  process_->signal(SIGKILL);  // also ends a paused process
  process_->wait(5s);
  process_.reset();
}

void MosquittoProcess::pause() {
  if (process_) process_->signal(SIGSTOP);
}

void MosquittoProcess::resume() {
  if (process_) process_->signal(SIGCONT);
}

bool MosquittoProcess::running() const { return process_ && process_->running(); }

std::string MosquittoProcess::output() const { return process_ ? process_->output() : std::string(); }

}  // namespace gw::test
