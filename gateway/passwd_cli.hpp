// gateway::passwd command: `edge-gateway passwd FILE USER [--delete] [--iterations N]
// [--scheme pbkdf2-sha512|scram-sha-256|scram-sha-512]` adds or
// changes a user of the broker's password file (broker.password_file), or removes one. The file
// format is Mosquitto's, so `mosquitto_passwd` and this command can edit the same file.
//
// The password is never taken from the command line (it would show in `ps` and the shell
// history): from a terminal it is prompted for twice with echo off; otherwise it is the first
// line of standard input (for scripts: `printf '%s\n' "$PW" | edge-gateway passwd FILE USER`).
// A running gateway picks the change up on SIGHUP (`systemctl reload edge-gateway`).
//
// Thread safety: runs on the main thread of a command-line invocation.
#pragma once

#include <cstdint>
#include <istream>
#include <ostream>
#include <string>

#include "broker/auth/password_file.hpp"

namespace gw::gateway {

struct PasswdRequest {
  std::string file;
  std::string user;
  bool remove = false;
  std::uint32_t iterations = 0;  // 0 = the default
  broker::auth::PasswordScheme scheme = broker::auth::PasswordScheme::Pbkdf2Sha512;
};

// Exit code: 0 done, 1 the file could not be read or written, 2 bad input (user name, empty or
// mismatched password, a malformed existing file, no such user to delete).
int run_passwd_command(const PasswdRequest& request, std::istream& in, std::ostream& out,
                       std::ostream& err);

}  // namespace gw::gateway
