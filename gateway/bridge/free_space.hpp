// FreeSpaceProbe: how much disk the outbox may still use, behind an interface so that tests can
// drive the min_free_disk limit without filling a disk (as core::Clock does for time).
//
// Ownership: the Outbox borrows a probe, which must outlive it.
// Thread safety: StatvfsProbe is stateless and safe from any thread; implementations used by an
// Outbox are only called from its owning thread.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.hpp"

namespace gw::bridge {

class FreeSpaceProbe {
 public:
  virtual ~FreeSpaceProbe() = default;
  // Bytes available to an unprivileged writer on the file system holding `directory`.
  // Errors: the errno of the failed call (generic category).
  [[nodiscard]] virtual Result<std::uint64_t> available(const std::string& directory) const = 0;
};

class StatvfsProbe final : public FreeSpaceProbe {
 public:
  [[nodiscard]] Result<std::uint64_t> available(const std::string& directory) const override;
  static const StatvfsProbe& instance();
};

}  // namespace gw::bridge
