#include "broker/protocol/topic_filter.hpp"

#include <algorithm>

#include "broker/protocol/topic_name.hpp"
#include "broker/protocol/utf8.hpp"
#include "core/mqtt_errc.hpp"

namespace gw::broker::protocol {
namespace {

constexpr std::string_view kSharePrefix = "$share/";

// Checks the wildcard placement rules of a (non-shared) filter.
bool valid_plain_filter(std::string_view f) {
  if (f.empty()) return false;  // MQTT 5 §4.7.3 [MQTT-4.7.3-1]
  for (std::size_t i = 0; i < f.size(); ++i) {
    const char c = f[i];
    if (c != '+' && c != '#') continue;
    const bool level_starts = i == 0 || f[i - 1] == '/';
    const bool level_ends = i + 1 == f.size() || f[i + 1] == '/';
    // MQTT 5 §4.7.1.3 [MQTT-4.7.1-2]: '+' occupies an entire level.
    if (c == '+' && !(level_starts && level_ends)) return false;
    // MQTT 5 §4.7.1.2 [MQTT-4.7.1-1]: '#' is alone in its level and that level is the last.
    if (c == '#' && !(level_starts && i + 1 == f.size())) return false;
  }
  return true;
}

}  // namespace

Result<TopicFilter> TopicFilter::make(std::string text) {
  if (text.empty() || text.size() > kMaxTopicLength) return fail(MqttErrc::TopicFilterInvalid);
  if (!is_valid_mqtt_utf8(text)) return fail(MqttErrc::TopicFilterInvalid);
  const std::string_view all = text;
  std::uint32_t offset = 0;
  if (all.starts_with(kSharePrefix)) {
    // MQTT 5 §4.8.2: "$share/{ShareName}/{filter}". [MQTT-4.8.2-1]: the ShareName is at least
    // one character and contains no '/', '+' or '#'. [MQTT-4.8.2-2]: it is followed by '/' and a
    // Topic Filter.
    const auto rest = all.substr(kSharePrefix.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0) return fail(MqttErrc::TopicFilterInvalid);
    if (rest.substr(0, slash).find_first_of("+#") != std::string_view::npos) {
      return fail(MqttErrc::TopicFilterInvalid);
    }
    offset = static_cast<std::uint32_t>(kSharePrefix.size() + slash + 1);
  }
  if (!valid_plain_filter(all.substr(offset))) return fail(MqttErrc::TopicFilterInvalid);
  return TopicFilter(std::move(text), offset);
}

std::string_view TopicFilter::share_name() const noexcept {
  if (!is_shared()) return {};
  return std::string_view(text_).substr(kSharePrefix.size(),
                                         filter_offset_ - kSharePrefix.size() - 1);
}

bool TopicFilter::has_wildcards() const noexcept {
  return filter().find_first_of("+#") != std::string_view::npos;
}

bool matches(const TopicFilter& filter, std::string_view topic) noexcept {
  const std::string_view f = filter.filter();
  // MQTT 5 §4.7.2 [MQTT-4.7.2-1]: a filter starting with a wildcard does not match topics that
  // start with '$'.
  if (!topic.empty() && topic.front() == '$' && (f.front() == '+' || f.front() == '#')) {
    return false;
  }
  std::size_t fi = 0;
  std::size_t ti = 0;
  while (true) {
    // Both positions are at the start of a level.
    if (fi < f.size() && f[fi] == '#') return true;  // matches this level and everything below
    const std::size_t f_end = std::min(f.find('/', fi), f.size());
    const std::size_t t_end = std::min(topic.find('/', ti), topic.size());
    const std::string_view f_level = f.substr(fi, f_end - fi);
    if (f_level != "+" && f_level != topic.substr(ti, t_end - ti)) return false;
    const bool f_done = f_end == f.size();
    const bool t_done = t_end == topic.size();
    if (t_done) {
      // "a/#" also matches "a": the '#' stands for the parent level too (MQTT 5 §4.7.1.2).
      return f_done || f.substr(f_end) == "/#";
    }
    if (f_done) return false;
    fi = f_end + 1;
    ti = t_end + 1;
  }
}

}  // namespace gw::broker::protocol
