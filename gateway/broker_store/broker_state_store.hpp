// gateway::BrokerStateStore: the broker's persistence store (broker/persistence/state_store.hpp)
// in a SQLite file, usually <gateway.data_dir>/broker.db. See docs/operations.md, "Broker state
// across restarts".
//
// Writing. Batches come from the broker's journal, one per commit window, and are written by the
// store's own thread in one transaction each (WAL; synchronous NORMAL or FULL), so the core
// thread never waits for the disk. One batch is written at a time; while it is, the broker keeps
// coalescing into its journal. A failed transaction is rolled back, logged and reported through
// take_failed(), after which the broker sends a full snapshot.
//
// Opening. open() creates the file and its schema, or checks an existing one (PRAGMA
// application_id "GWBS", user_version = schema version; an older version would be migrated
// here, a newer one is refused). A file that is not a SQLite database, is corrupt, belongs to
// something else or holds rows that do not decode is moved aside to `<path>.corrupt-<unix ms>`
// (with its -wal and -shm files), logged as an error, and replaced by an empty store: the broker
// starts with empty state rather than not at all.
//
// Ownership: owns the connection and the writer thread. Thread safety: the StateStore calls as
// documented there; load() before the first submit(), on the thread that opened the store.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <spdlog/logger.h>

#include "broker/options.hpp"
#include "broker/persistence/state_store.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "gateway/bridge/statement.hpp"

namespace gw::gateway {

class BrokerStateStore final : public broker::persistence::StateStore {
  struct Key {
    explicit Key() = default;
  };

 public:
  static constexpr std::int64_t kSchemaVersion = 1;

  // Opens (or creates) options.path and reads what it holds into `state`.
  // Errors: std::errc::invalid_argument for an empty path; sqlite SQLITE_CANTOPEN (missing or unwritable directory), SQLITE_READONLY,
  // SQLITE_BUSY (another process holds it for over 5 s), SQLITE_IOERR...; "broker-store"
  // SchemaTooNew ("written by a newer version") for a schema newer than this build. Corrupt or foreign files are not
  // errors (see above).
  static Result<std::unique_ptr<BrokerStateStore>> open(
      const broker::PersistenceOptions& options, const core::Clock& clock,
      broker::persistence::PersistedState& state);

  ~BrokerStateStore() override;  // writes what was submitted, then stops the thread
  BrokerStateStore(const BrokerStateStore&) = delete;
  BrokerStateStore& operator=(const BrokerStateStore&) = delete;

  [[nodiscard]] bool idle() override;
  void submit(broker::persistence::JournalBatch&& batch) override;
  [[nodiscard]] bool take_failed() override;
  void wait_idle() override;

  // Transactions committed and failed so far (any thread).
  [[nodiscard]] std::uint64_t commits();
  [[nodiscard]] std::uint64_t failures();
  // The file that was moved aside at open(), if any.
  [[nodiscard]] const std::optional<std::string>& moved_aside() const { return moved_aside_; }

  BrokerStateStore(Key, bridge::DbPtr db, std::shared_ptr<spdlog::logger> log);

 private:
  Result<void> write(const broker::persistence::JournalBatch& batch);
  void run(const std::stop_token& stop);

  bridge::DbPtr db_;  // used by the writer thread once it runs
  std::shared_ptr<spdlog::logger> log_;
  std::optional<std::string> moved_aside_;
  std::mutex mutex_;  // guards: pending_, writing_, failed_, commits_, failures_
  std::condition_variable_any changed_;
  std::optional<broker::persistence::JournalBatch> pending_;
  bool writing_ = false;
  bool failed_ = false;
  std::uint64_t commits_ = 0;
  std::uint64_t failures_ = 0;
  std::jthread thread_;  // last: started after everything it uses
};

}  // namespace gw::gateway
