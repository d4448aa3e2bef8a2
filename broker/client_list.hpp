// broker::ClientList: every connection the broker has accepted and not yet seen close, as a
// vector of pointers with each Client's own index in it: 8 bytes per connection where a hash-set
// node and its bucket took 40. Adding and removing are O(1) (removal moves the last entry into
// the hole); contains() is a linear scan, for consistency checks only.
//
// tick() may close clients while it walks the list: during walk() a removal leaves a null hole
// instead of moving an entry, so that every client present when the walk began is visited once
// unless it is removed first; the holes are closed when the walk ends.
//
// Ownership: borrows the Clients (each is owned by its connection).
// Thread safety: core thread only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "broker/client.hpp"
#include "core/check.hpp"

namespace gw::broker {

class ClientList {
 public:
  void add(Client& client) {
    client.list_index_ = static_cast<std::uint32_t>(clients_.size());
    clients_.push_back(&client);
  }
  void remove(Client& client) {
    const std::uint32_t i = client.list_index_;
    GW_CHECK(i < clients_.size() && clients_[i] == &client);
    --size_adjust_;
    if (walking_) {
      clients_[i] = nullptr;
      return;
    }
    ++size_adjust_;
    clients_[i] = clients_.back();
    clients_[i]->list_index_ = i;
    clients_.pop_back();
  }
  [[nodiscard]] std::size_t size() const {
    return static_cast<std::size_t>(static_cast<std::ptrdiff_t>(clients_.size()) + size_adjust_);
  }
  // Linear: for consistency checks, not for data paths.
  [[nodiscard]] bool contains(const Client* client) const {
    return client != nullptr &&
           std::find(clients_.begin(), clients_.end(), client) != clients_.end();
  }
  // The clients, outside walk() (no holes then).
  [[nodiscard]] std::span<Client* const> all() const { return clients_; }

  // Calls f(Client&) for each client present now; f may add or remove clients (added ones are
  // not visited, removed ones not any more).
  template <class F>
  void walk(F&& f) {
    GW_CHECK(!walking_);
    walking_ = true;
    const std::size_t n = clients_.size();
    for (std::size_t i = 0; i < n; ++i) {
      if (Client* c = clients_[i]) f(*c);
    }
    walking_ = false;
    if (size_adjust_ == 0) return;
    std::erase(clients_, nullptr);
    for (std::size_t i = 0; i < clients_.size(); ++i) {
      clients_[i]->list_index_ = static_cast<std::uint32_t>(i);
    }
    size_adjust_ = 0;
  }

 private:
  std::vector<Client*> clients_;
  std::ptrdiff_t size_adjust_ = 0;  // minus the holes left by removals during walk()
  bool walking_ = false;
};

}  // namespace gw::broker
