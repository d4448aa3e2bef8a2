// Spelling suggestions for unknown keys and enum words: "did you mean 'max_packet_size'?".
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gw::config {

// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent
// transpositions each cost 1 ("recieve" → "receive" is 1).
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a plausible typo (distance at
// most 1 + |word|/4 and less than |word|; case differences count as half an edit, so
// "kib" → "KiB"; one being a prefix of at least 3 characters of the other counts as 1.5 edits, so
// "warning" → "warn"). Ties go to the earlier candidate.
[[nodiscard]] std::optional<std::string> closest_match(std::string_view word,
                                                       const std::vector<std::string>& candidates);

// "; did you mean 'X'?" or "" — ready to append to a message.
[[nodiscard]] std::string did_you_mean(std::string_view word,
                                       const std::vector<std::string>& candidates);

}  // namespace gw::config
