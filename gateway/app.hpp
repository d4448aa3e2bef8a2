// gateway::App: the running gateway. Owns the core io_context (one thread: the broker, timers and
// routing run there) and every module started from the configuration.
//
// Thread safety: construct, run() and destroy on the main thread; run() blocks until SIGINT or
// SIGTERM.
#pragma once

#include <memory>

#include "config/config.hpp"

namespace gw::gateway {

class App {
 public:
  explicit App(config::Config cfg);
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
