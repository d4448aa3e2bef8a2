// broker::SessionIndex: finds a Session by its SubscriberId (what the topic tree hands back) in
// a vector of slots instead of a hash table: 8 bytes per session where a hash node and its bucket
// took 40. A session's id carries its slot, so that the lookup is one index and one comparison.
//
// A session id is kSessionTag | serial << 32 | slot: the tag keeps it apart from the ids of
// in-process subscribers (plain counter values), and the serial (the broker's subscriber counter
// when the session was created) keeps a reused slot from answering for an id it no longer holds.
// Ids still sort by creation among sessions.
//
// Ownership: borrows the Sessions (the broker's sessions_ owns them).
// Thread safety: core thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "broker/session.hpp"
#include "broker/subscription.hpp"

namespace gw::broker {

class SessionIndex {
 public:
  static constexpr std::uint64_t kSessionTag = std::uint64_t{1} << 63;

  // An id for a session about to be created, in a free slot; `serial` is the broker's subscriber
  // counter. attach() the session before the next claim().
  [[nodiscard]] SubscriberId claim(std::uint64_t serial) {
    std::uint32_t slot = 0;
    if (free_.empty()) {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back(nullptr);
    } else {
      slot = free_.back();
      free_.pop_back();
    }
    return SubscriberId{kSessionTag | (serial & 0x7FFF'FFFF) << 32 | slot};
  }
  // Files the session under its id (from claim()).
  void attach(Session& session) {
    slots_[slot(session.id)] = &session;
    ++size_;
  }
  // The session with this id, or nullptr (an in-process subscriber's id, an ended session).
  [[nodiscard]] Session* find(SubscriberId id) const {
    const auto raw = static_cast<std::uint64_t>(id);
    if ((raw & kSessionTag) == 0 || slot(id) >= slots_.size()) return nullptr;
    Session* session = slots_[slot(id)];
    return session != nullptr && session->id == id ? session : nullptr;
  }
  // Forgets the session with this id (which must be filed); its slot is reused.
  void erase(SubscriberId id) {
    slots_[slot(id)] = nullptr;
    free_.push_back(slot(id));
    --size_;
  }
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  static std::uint32_t slot(SubscriberId id) {
    return static_cast<std::uint32_t>(static_cast<std::uint64_t>(id) & 0xFFFF'FFFF);
  }

  std::vector<Session*> slots_;     // nullptr: free
  std::vector<std::uint32_t> free_;  // free slots, reused last-freed first
  std::size_t size_ = 0;
};

}  // namespace gw::broker
