// gateway topic templates: where readings, device status and commands live, from
// `gateway.topic` (default "{gateway}/{device}/{point}").
//
//   expand_topic("{gateway}/{device}/{point}", {"plant-1", "bus1", "boiler", "temp"})
//       → "plant-1/boiler/temp"                         a point's readings (per_point payload)
//   expand_topic(t, {.., .point = ""})  → "plant-1/boiler"  the device's topic (per_device
//                                                         payload); its status is ".../status"
//   command_filter(t, "plant-1") → "plant-1/+/+/set"     what the gateway subscribes to
//   match_topic(t, "plant-1/boiler/temp") → {device "boiler", point "temp"}
//
// Placeholders are whole levels: {gateway}, {link}, {device}, {point}; {device} and {point} are
// required and {point} is the last level, so every point has its own topic and a device's topics
// share a prefix. Other levels are literal (no wildcards).
//
// Header-only so that config/ can validate a template without linking the gateway.
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gw::gateway {

struct TopicParts {
  std::string_view gateway;
  std::string_view link;
  std::string_view device;
  std::string_view point;  // empty: the {point} level is left out (the device's topic)
};

namespace topic_detail {
inline std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t from = 0;
  while (true) {
    const auto slash = s.find('/', from);
    out.push_back(s.substr(from, slash == std::string_view::npos ? slash : slash - from));
    if (slash == std::string_view::npos) return out;
    from = slash + 1;
  }
}
}  // namespace topic_detail

inline std::string expand_topic(std::string_view tmpl, const TopicParts& p) {
  std::string out;
  bool first = true;
  for (const auto level : topic_detail::split(tmpl)) {
    std::string_view value = level;
    if (level == "{gateway}") {
      value = p.gateway;
    } else if (level == "{link}") {
      value = p.link;
    } else if (level == "{device}") {
      value = p.device;
    } else if (level == "{point}") {
      if (p.point.empty()) continue;
      value = p.point;
    }
    if (!first) out += '/';
    first = false;
    out += value;
  }
  return out;
}

// The filter matching every command topic (`<point topic>/set`) of gateway `gateway`.
inline std::string command_filter(std::string_view tmpl, std::string_view gateway) {
  return expand_topic(tmpl, {.gateway = gateway, .link = "+", .device = "+", .point = "+"}) +
         "/set";
}

// The device and point of a point topic made by this template for `gateway`; nullopt when the
// topic has another shape. The views point into `topic`.
inline std::optional<TopicParts> match_topic(std::string_view tmpl, std::string_view gateway,
                                             std::string_view topic) {
  const auto t = topic_detail::split(tmpl);
  const auto l = topic_detail::split(topic);
  if (t.size() != l.size()) return std::nullopt;
  TopicParts p{.gateway = gateway};
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == "{gateway}") {
      if (l[i] != gateway) return std::nullopt;
    } else if (t[i] == "{link}") {
      p.link = l[i];
    } else if (t[i] == "{device}") {
      p.device = l[i];
    } else if (t[i] == "{point}") {
      p.point = l[i];
    } else if (t[i] != l[i]) {
      return std::nullopt;
    }
  }
  if (p.device.empty() || p.point.empty()) return std::nullopt;
  return p;
}

// Why `tmpl` is not a usable template, or nullopt when it is.
inline std::optional<std::string> check_topic_template(std::string_view tmpl) {
  const auto levels = topic_detail::split(tmpl);
  int device = 0;
  int point = 0;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const auto level = levels[i];
    if (level == "{device}") {
      ++device;
    } else if (level == "{point}") {
      ++point;
      if (i + 1 != levels.size()) return "{point} must be the last level";
    } else if (level == "{gateway}" || level == "{link}") {
      continue;
    } else if (level.find_first_of("{}") != std::string_view::npos) {
      return "'" + std::string(level) +
             "': placeholders are whole levels: {gateway}, {link}, {device}, {point}";
    } else if (level.find_first_of("+#") != std::string_view::npos) {
      return "wildcards (+, #) are not allowed in a topic";
    } else if (level.empty()) {
      return "empty topic level";
    }
  }
  if (device != 1) return "needs {device} exactly once";
  if (point != 1) return "needs {point} exactly once, as the last level";
  if (levels.front().starts_with('$')) return "a topic starting with '$' is reserved";
  return std::nullopt;
}

}  // namespace gw::gateway
