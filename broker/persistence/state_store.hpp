// broker::persistence::StateStore: where the broker writes its state behind (see Journal) and
// reads it back at start-up. The broker knows only this interface; the gateway provides the
// SQLite implementation, whose writer thread keeps disk I/O off the core thread.
//
// Ownership: the caller owns the store and keeps it alive while the broker uses it.
// Thread safety: idle(), submit() and take_failed() are called on the core thread and must not
// block on I/O; wait_idle() blocks and is for a clean shutdown only.
#pragma once

#include "broker/persistence/persisted_state.hpp"

namespace gw::broker::persistence {

class StateStore {
 public:
  virtual ~StateStore() = default;
  // True when the writer can take a batch (the previous one is written).
  [[nodiscard]] virtual bool idle() = 0;
  // Queues one batch for writing in one transaction. Precondition: idle().
  virtual void submit(JournalBatch&& batch) = 0;
  // True once after a batch could not be written: the file no longer matches the broker, which
  // then sends a full snapshot (JournalBatch::replace_all).
  [[nodiscard]] virtual bool take_failed() = 0;
  // Blocks until every submitted batch is written (clean shutdown).
  virtual void wait_idle() = 0;
};

}  // namespace gw::broker::persistence
