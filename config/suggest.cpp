#include "config/suggest.hpp"

#include <algorithm>
#include <cctype>

namespace gw::config {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rolling rows are enough for the transposition term.
  std::vector<std::size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    prev2.swap(prev);
    prev.swap(cur);
  }
  return prev[b.size()];
}

std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates) {
  // Work in half-edits so that a pure case difference ranks before a real typo.
  const std::string lw = lower(word);
  const std::size_t limit = 2 * std::min(1 + word.size() / 4, word.size() > 0 ? word.size() - 1 : 0);
  std::optional<std::string> best;
  std::size_t best_cost = limit + 1;
  for (const auto& c : candidates) {
    if (c == word) continue;
    const std::size_t folded = edit_distance(lw, lower(c));
    std::size_t cost = 2 * folded + (folded == 0 ? 1 : 0);
    // "warning" for "warn", "max_packet" for "max_packet_size": a long common prefix is a
    // plausible intent even when many characters differ; it ranks between one and two edits.
    const std::string lc = lower(c);
    const std::size_t shorter = std::min(lw.size(), lc.size());
    if (shorter >= 3 && lw.compare(0, shorter, lc, 0, shorter) == 0) cost = std::min<std::size_t>(cost, 3);
    if (cost < best_cost) {
      best_cost = cost;
      best = c;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  auto m = closest_match(word, candidates);
  return m ? "; did you mean '" + *m + "'?" : std::string();
}

}  // namespace gw::config
