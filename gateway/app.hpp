// gateway::App: the running gateway. Owns the core io_context (one thread: the broker, timers and
// routing run there) and every module started from the configuration.
//
// SIGHUP reloads the configuration file: an invalid file is reported (every error) and the running
// configuration stays; a valid one restarts only the field links that changed and reconciles the
// broker's listeners (sessions, connections and unchanged links are untouched). Other broker
// settings and the log level take effect at the next restart; the reload says so.
//
// Thread safety: construct, run() and destroy on the main thread; run() blocks until SIGINT or
// SIGTERM.
#pragma once

#include <memory>
#include <string>

#include "config/config.hpp"

namespace gw::gateway {

class App {
 public:
  // `config_path` is re-read on SIGHUP.
  App(config::Config cfg, std::string config_path);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Starts every module, runs the core loop until a stop signal, shuts down in order.
  // Returns the process exit code: 0 after a clean stop, 1 if start-up failed.
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gw::gateway
