// broker::persistence::Journal: the broker's changes since the last flush, coalesced, waiting to
// be written behind by a StateStore in one transaction per flush window.
//
// Coalescing: the last change per key wins (a session, a subscription by client id and filter,
// a message by key, a retained message by topic). A message put and removed within one window
// never reaches the disk; a session that ends drops every pending change of its own.
//
// Bound: at most `max_changes` pending entries. When the store writes more slowly than the broker
// changes (a slow or stalled disk) and the bound is reached, the journal drops its entries and
// reports overflowed(): the broker then writes one full snapshot once the store is idle again,
// so memory stays bounded by the broker's own state and nothing is silently skipped.
//
// Session rows are not copied here: the journal records which sessions changed, and the broker
// builds their rows when it flushes (so ten changes to one session cost one row).
//
// Ownership: shares the messages it holds with the broker's queues.
// Thread safety: core thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "broker/persistence/persisted_state.hpp"

namespace gw::broker::persistence {

class Journal {
 public:
  static constexpr std::size_t kDefaultMaxChanges = 100'000;
  explicit Journal(std::size_t max_changes = kDefaultMaxChanges) : max_changes_(max_changes) {}

  // The session row (anything but subscriptions and messages) changed or must be deleted; the
  // broker decides which at flush time.
  void session_changed(std::string_view client_id);
  // The session ended: its row, subscriptions and messages go.
  void session_ended(std::string_view client_id);
  void subscription_set(std::string_view client_id, std::string_view filter,
                        const SubscriptionOptions& options);
  void subscription_removed(std::string_view client_id, std::string_view filter);
  // `fresh`: the key was assigned by this change (nothing on disk yet).
  void message_put(std::string_view client_id, PersistedMessage message, bool fresh);
  void message_removed(std::uint64_t key);
  void retained_set(std::shared_ptr<const Message> message, std::int64_t stored_at_ms);
  void retained_removed(std::string_view topic);

  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] bool empty() const { return size() == 0; }
  // The bound was reached and the entries dropped: only a full snapshot can bring the store up
  // to date. Further changes are ignored until clear_overflow().
  [[nodiscard]] bool overflowed() const { return overflowed_; }
  void clear_overflow() { overflowed_ = false; }
  [[nodiscard]] std::uint64_t overflows() const { return overflows_; }

  // Moves everything pending into a batch; `dirty_sessions` receives the sessions whose rows
  // the caller must write (or delete). The journal is empty afterwards.
  JournalBatch take(std::set<std::string>& dirty_sessions);
  void clear();

 private:
  void check_bound();

  struct PendingMessage {
    std::string client_id;
    std::optional<PersistedMessage> put;  // nullopt: remove
    bool on_disk = false;  // a row may exist: a remove must reach the store
  };
  std::size_t max_changes_;
  bool overflowed_ = false;
  std::uint64_t overflows_ = 0;
  std::set<std::string, std::less<>> dirty_sessions_;
  std::set<std::string, std::less<>> ended_sessions_;
  // (client id, filter) -> options; nullopt: removed.
  std::map<std::pair<std::string, std::string>, std::optional<SubscriptionOptions>, std::less<>>
      subscriptions_;
  std::unordered_map<std::uint64_t, PendingMessage> messages_;
  // topic -> message; nullopt: removed.
  std::map<std::string, std::optional<PersistedRetained>, std::less<>> retained_;
};

}  // namespace gw::broker::persistence
