#include "gateway/passwd_cli.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iterator>
#include <optional>

#include "broker/auth/password_file.hpp"

namespace gw::gateway {
namespace {

namespace auth = broker::auth;

constexpr int kExitOk = 0;
constexpr int kExitIo = 1;
constexpr int kExitInput = 2;

// The terminal's settings while echo is off, so that a signal (Ctrl-C at the prompt, a kill)
// can give the user their echo back before the process dies. Only the prompt sets them.
int g_echo_tty = -1;
termios g_echo_saved{};
constexpr int kPromptSignals[] = {SIGINT, SIGTERM, SIGQUIT, SIGHUP};

extern "C" void restore_echo_and_die(int sig) {
  // tcsetattr, signal and raise are async-signal-safe.
  if (g_echo_tty >= 0) ::tcsetattr(g_echo_tty, TCSAFLUSH, &g_echo_saved);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

// One line typed on the terminal with echo off; nullopt when the terminal cannot be used.
// Echo comes back however the prompt ends: a line, end of input, or a terminating signal.
std::optional<std::string> prompt(int tty, const char* text) {
  (void)::write(tty, text, std::char_traits<char>::length(text));
  termios saved{};
  if (::tcgetattr(tty, &saved) != 0) return std::nullopt;
  termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  g_echo_tty = tty;
  g_echo_saved = saved;
  struct sigaction restore{};
  restore.sa_handler = restore_echo_and_die;
  sigemptyset(&restore.sa_mask);
  struct sigaction previous[std::size(kPromptSignals)]{};
  for (std::size_t i = 0; i < std::size(kPromptSignals); ++i) {
    ::sigaction(kPromptSignals[i], &restore, &previous[i]);
  }
  std::optional<std::string> line;
  if (::tcsetattr(tty, TCSAFLUSH, &quiet) == 0) {
    line.emplace();
    char c = 0;
    while (::read(tty, &c, 1) == 1 && c != '\n') *line += c;
    ::tcsetattr(tty, TCSAFLUSH, &saved);
  }
  for (std::size_t i = 0; i < std::size(kPromptSignals); ++i) {
    ::sigaction(kPromptSignals[i], &previous[i], nullptr);
  }
  g_echo_tty = -1;
  return line;
}

std::optional<std::string> read_password(std::istream& in, std::ostream& err) {
  if (::isatty(STDIN_FILENO) == 0) {
    std::string line;
    if (!std::getline(in, line)) return std::string();
    if (line.ends_with('\r')) line.pop_back();
    return line;
  }
  const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (tty < 0) {
    err << "edge-gateway passwd: cannot open the terminal to ask for the password\n";
    return std::nullopt;
  }
  auto first = prompt(tty, "Password: ");
  auto second = first ? prompt(tty, "Password again: ") : std::nullopt;
  ::close(tty);
  if (!first || !second) {
    err << "edge-gateway passwd: cannot read the password from the terminal\n";
    return std::nullopt;
  }
  if (*first != *second) {
    err << "edge-gateway passwd: the passwords do not match\n";
    return std::nullopt;
  }
  return first;
}

}  // namespace

int run_passwd_command(const PasswdRequest& request, std::istream& in, std::ostream& out,
                       std::ostream& err) {
  if (!auth::is_valid_user_name(request.user)) {
    err << "edge-gateway passwd: a user name is 1..65535 bytes without ':' or line breaks\n";
    return kExitInput;
  }
  const std::uint32_t iterations =
      request.iterations == 0 ? auth::kDefaultIterations : request.iterations;
  if (iterations < auth::kMinIterations || iterations > auth::kMaxIterations) {
    err << "edge-gateway passwd: --iterations must be " << auth::kMinIterations << ".."
        << auth::kMaxIterations << '\n';
    return kExitInput;
  }
  std::optional<std::string> password;
  if (!request.remove) {
    password = read_password(in, err);
    if (!password) return kExitInput;
    if (password->empty()) {
      err << "edge-gateway passwd: empty password refused\n";
      return kExitInput;
    }
  }
  // Say precisely what is wrong with an existing file before touching it.
  std::vector<auth::PasswordFileError> errors;
  auto current = auth::load_password_file(request.file, &errors);
  if (!current && !errors.empty()) {
    for (const auto& e : errors) err << request.file << ':' << e.line << ": " << e.message << '\n';
    return kExitInput;
  }
  if (request.remove && (!current || !current->contains(request.user))) {
    err << "edge-gateway passwd: no user '" << request.user << "' in " << request.file << '\n';
    return kExitInput;
  }
  const bool existed = current && current->contains(request.user);
  auto done = auth::update_password_file(
      request.file, request.user,
      password ? std::optional<std::string_view>(*password) : std::nullopt, iterations,
      request.scheme);
  if (!done) {
    err << "edge-gateway passwd: cannot update " << request.file << ": "
        << done.error().message() << '\n';
    return kExitIo;
  }
  out << (request.remove ? "removed" : existed ? "changed" : "added") << " user '" << request.user
      << "' in " << request.file
      << "; a running gateway applies it on reload (systemctl reload edge-gateway)\n";
  return kExitOk;
}

}  // namespace gw::gateway
