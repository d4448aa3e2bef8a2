// Fuzzes TopicName::make, TopicFilter::make and matches(). Input: filter text, a NUL byte, topic
// text. Checks the factories' invariants and compares matches() with a simple reference matcher
// built on split levels. Any mismatch traps.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "broker/protocol/topic_filter.hpp"
#include "broker/protocol/topic_name.hpp"
#include "broker/protocol/utf8.hpp"

namespace {

using gw::broker::protocol::is_valid_mqtt_utf8;
using gw::broker::protocol::TopicFilter;
using gw::broker::protocol::TopicName;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

std::vector<std::string_view> levels(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const auto slash = s.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, slash - start));
    start = slash + 1;
  }
}

bool reference_match(std::string_view filter, std::string_view topic) {
  if (topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#'))) return false;
  const auto f = levels(filter);
  const auto t = levels(topic);
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] == "#") return true;  // matches the parent level too (i == t.size())
    if (i >= t.size()) return false;
    if (f[i] != "+" && f[i] != t[i]) return false;
  }
  return f.size() == t.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  const std::string filter_text(input.substr(0, nul));
  const std::string topic_text(nul == std::string_view::npos ? std::string_view{}
                                                             : input.substr(nul + 1));

  auto name = TopicName::make(topic_text);
  if (name) {
    require(!name->empty() && name->str() == topic_text);
    require(topic_text.find_first_of("+#") == std::string::npos);
    require(is_valid_mqtt_utf8(topic_text));
    // Every topic name but a "$share/..." one is also a filter that matches exactly itself.
    if (!topic_text.starts_with("$share/")) {
      auto as_filter = TopicFilter::make(topic_text);
      require(as_filter.has_value());
      require(!as_filter->has_wildcards());
      require(matches(*as_filter, name->view()));
    }
  }

  auto filter = TopicFilter::make(filter_text);
  if (filter) {
    require(filter->str() == filter_text);
    require(is_valid_mqtt_utf8(filter_text));
    require(!filter->filter().empty());
    if (filter->is_shared()) {
      const auto share = filter->share_name();
      require(!share.empty() && share.find_first_of("/+#") == std::string_view::npos);
      require("$share/" + std::string(share) + "/" + std::string(filter->filter()) == filter_text);
    } else {
      require(filter->share_name().empty() && filter->filter() == filter_text);
    }
    if (name) {
      const bool got = matches(*filter, name->view());
      require(got == reference_match(filter->filter(), name->view()));
      if (!filter->has_wildcards()) require(got == (filter->filter() == name->view()));
    }
  }
  return 0;
}
