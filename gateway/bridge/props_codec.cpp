#include "gateway/bridge/props_codec.hpp"

#include <cstdint>
#include <limits>

#include "core/check.hpp"
#include "gateway/bridge/outbox_errc.hpp"

namespace gw::bridge {
namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::uint8_t kPayloadFormat = 0x01;
constexpr std::uint8_t kContentType = 0x02;
constexpr std::uint8_t kResponseTopic = 0x04;
constexpr std::uint8_t kCorrelationData = 0x08;
constexpr std::uint8_t kUser = 0x10;
constexpr std::uint8_t kKnownFlags =
    kPayloadFormat | kContentType | kResponseTopic | kCorrelationData | kUser;

void put_u32(std::string& out, std::size_t v) {
  // Strings in a Message came from MQTT packets (at most 65535 bytes each) or from our own code;
  // 4 GiB would not fit in the row anyway.
  GW_CHECK(v <= std::numeric_limits<std::uint32_t>::max());
  out.push_back(static_cast<char>((v >> 24) & 0xff));
  out.push_back(static_cast<char>((v >> 16) & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

void put_string(std::string& out, std::string_view s) {
  put_u32(out, s.size());
  out.append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool u8(std::uint8_t& v) {
    if (in_.empty()) return false;
    v = static_cast<std::uint8_t>(in_.front());
    in_.remove_prefix(1);
    return true;
  }
  bool u32(std::uint32_t& v) {
    if (in_.size() < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(in_[i]);
    in_.remove_prefix(4);
    return true;
  }
  bool string(std::string& s) {
    std::uint32_t n = 0;
    // Longer than an MQTT string can be (MQTT 5 §1.5.4): no packet could carry it, so no row of
    // ours holds one; a damaged row, refused as such.
    if (!u32(n) || n > 65'535 || in_.size() < n) return false;
    s.assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }
  [[nodiscard]] std::size_t left() const { return in_.size(); }

 private:
  std::string_view in_;
};

}  // namespace

void encode_props(const MessageProps& props, std::string& out) {
  std::uint8_t flags = 0;
  if (props.payload_format) flags |= kPayloadFormat;
  if (props.content_type) flags |= kContentType;
  if (props.response_topic) flags |= kResponseTopic;
  if (props.correlation_data) flags |= kCorrelationData;
  if (!props.user.empty()) flags |= kUser;
  if (flags == 0) return;

  out.push_back(static_cast<char>(kVersion));
  out.push_back(static_cast<char>(flags));
  if (props.payload_format) out.push_back(static_cast<char>(*props.payload_format));
  if (props.content_type) put_string(out, *props.content_type);
  if (props.response_topic) put_string(out, *props.response_topic);
  if (props.correlation_data) put_string(out, *props.correlation_data);
  if (!props.user.empty()) {
    put_u32(out, props.user.size());
    for (const auto& u : props.user) {
      put_string(out, u.name);
      put_string(out, u.value);
    }
  }
}

Result<MessageProps> decode_props(std::string_view blob) {
  MessageProps props;
  if (blob.empty()) return props;
  const auto corrupt = [] { return fail(OutboxErrc::CorruptRow); };

  Reader r(blob);
  std::uint8_t version = 0;
  std::uint8_t flags = 0;
  if (!r.u8(version) || version != kVersion) return corrupt();
  if (!r.u8(flags) || (flags & ~kKnownFlags) != 0 || flags == 0) return corrupt();
  if ((flags & kPayloadFormat) != 0) {
    std::uint8_t pf = 0;
    if (!r.u8(pf) || pf > static_cast<std::uint8_t>(PayloadFormat::Utf8)) return corrupt();
    props.payload_format = static_cast<PayloadFormat>(pf);
  }
  const auto optional_string = [&](std::uint8_t flag, std::optional<std::string>& field) {
    if ((flags & flag) == 0) return true;
    return r.string(field.emplace());
  };
  if (!optional_string(kContentType, props.content_type)) return corrupt();
  if (!optional_string(kResponseTopic, props.response_topic)) return corrupt();
  if (!optional_string(kCorrelationData, props.correlation_data)) return corrupt();
  if ((flags & kUser) != 0) {
    std::uint32_t count = 0;
    // Each pair takes at least 8 bytes: a count beyond that is corruption, not a reason to
    // reserve gigabytes.
    if (!r.u32(count) || count == 0 || count > r.left() / 8) return corrupt();
    props.user.resize(count);
    for (auto& u : props.user) {
      if (!r.string(u.name) || !r.string(u.value)) return corrupt();
    }
  }
  if (r.left() != 0) return corrupt();
  return props;
}

}  // namespace gw::bridge
