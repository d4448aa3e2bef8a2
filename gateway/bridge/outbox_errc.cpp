#include "gateway/bridge/outbox_errc.hpp"

#include <string>

namespace gw::bridge {
namespace {

class OutboxCategory final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "outbox"; }
  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<OutboxErrc>(value)) {
      case OutboxErrc::Full: return "outbox full (overflow policy drop_newest)";
      case OutboxErrc::DiskFull: return "free disk space below min_free_disk";
      case OutboxErrc::MessageTooLarge: return "message larger than the outbox max_bytes";
      case OutboxErrc::NotFound: return "no such outbox row";
      case OutboxErrc::CorruptRow: return "outbox row cannot be decoded";
      case OutboxErrc::SchemaTooNew: return "outbox file written by a newer version";
      case OutboxErrc::NotAnOutbox: return "file is a SQLite database but not an outbox";
      case OutboxErrc::WalUnavailable: return "outbox file cannot use write-ahead logging";
      case OutboxErrc::InvalidOptions: return "invalid outbox options";
    }
    return "unknown outbox error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& outbox_category() noexcept {
  static const OutboxCategory category;
  return category;
}

std::error_code make_error_code(OutboxErrc e) noexcept {
  return {static_cast<int>(e), outbox_category()};
}

}  // namespace gw::bridge
