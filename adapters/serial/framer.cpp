#include "adapters/serial/framer.hpp"

#include <utility>

namespace gw::adapters::serial {

Framer::Framer(FramingOptions options) : opts_(std::move(options)) {}

void Framer::feed(std::string_view bytes, TimePoint now, std::vector<std::string>& frames) {
  if (bytes.empty()) return;
  last_byte_ = now;
  switch (opts_.kind) {
    case FramingKind::Delimiter: feed_delimiter(bytes, frames); return;
    case FramingKind::StartEnd: feed_start_end(bytes, frames); return;
    case FramingKind::FixedLength: feed_fixed(bytes, frames); return;
    case FramingKind::LengthByte: feed_length_byte(bytes, frames); return;
    case FramingKind::Silence: feed_silence(bytes); return;
  }
}

std::optional<Framer::TimePoint> Framer::idle_deadline() const {
  const bool waiting = !buf_.empty() || (discarding_ && opts_.kind == FramingKind::Silence);
  if (!waiting || opts_.silence.count() <= 0) return std::nullopt;
  return last_byte_ + opts_.silence;
}

void Framer::on_idle(std::vector<std::string>& frames) {
  if (opts_.kind == FramingKind::Silence) {
    if (discarding_) {
      discarding_ = false;
      buf_.clear();  // counted when dropped
      return;
    }
    if (!buf_.empty()) emit(std::exchange(buf_, {}), frames);
    return;
  }
  if (!buf_.empty()) {
    if (!discarding_) ++stats_.partial;
    discard(buf_.size());
    buf_.clear();
  }
  // An over-long line stays discarded up to its delimiter even across a pause.
  if (opts_.kind != FramingKind::Delimiter) discarding_ = false;
  in_frame_ = false;
  after_end_ = false;
  trailer_left_ = 0;
}

void Framer::reset() {
  buf_.clear();
  discarding_ = false;
  in_frame_ = false;
  after_end_ = false;
  trailer_left_ = 0;
}

void Framer::emit(std::string frame, std::vector<std::string>& frames) {
  ++stats_.frames;
  frames.push_back(std::move(frame));
}

// ---- Delimiter ---------------------------------------------------------------------------------

void Framer::feed_delimiter(std::string_view bytes, std::vector<std::string>& frames) {
  const std::string& delim = opts_.delimiter;
  // A delimiter may straddle two reads: search from where one could have started.
  std::size_t search = buf_.size() >= delim.size() - 1 ? buf_.size() - (delim.size() - 1) : 0;
  buf_.append(bytes);
  std::size_t begin = 0;  // start of the unconsumed bytes
  for (;;) {
    const std::size_t at = buf_.find(delim, std::max(search, begin));
    if (at == std::string::npos) break;
    const std::size_t len = at - begin;
    if (discarding_) {
      discard(len);  // the rest of an over-long line
      discarding_ = false;
    } else if (len > opts_.max_frame) {
      ++stats_.oversize;
      discard(len);
    } else if (len > 0) {
      emit(buf_.substr(begin, len), frames);
    }
    begin = at + delim.size();
  }
  buf_.erase(0, begin);
  // No delimiter yet: keep at most max_frame bytes plus a delimiter's possible first bytes.
  const std::size_t keep_tail = delim.size() - 1;
  if (!discarding_ && buf_.size() > opts_.max_frame + keep_tail) {
    ++stats_.oversize;
    discarding_ = true;
  }
  if (discarding_ && buf_.size() > keep_tail) {
    discard(buf_.size() - keep_tail);
    buf_.erase(0, buf_.size() - keep_tail);
  }
}

// ---- StartEnd ----------------------------------------------------------------------------------

void Framer::feed_start_end(std::string_view bytes, std::vector<std::string>& frames) {
  const auto start = static_cast<char>(opts_.start.value_or(0x02));
  const auto end = static_cast<char>(opts_.end);
  for (const char c : bytes) {
    if (!in_frame_) {
      if (c == start) {
        in_frame_ = true;
        buf_.assign(1, c);
      } else {
        discard(1);  // noise between frames
      }
      continue;
    }
    if (!after_end_ && c == start) {
      // A new frame starts before the old one ended (its end byte was lost): resynchronise here.
      ++stats_.partial;
      discard(buf_.size());
      buf_.assign(1, c);
      continue;
    }
    buf_.push_back(c);
    if (buf_.size() > opts_.max_frame) {
      ++stats_.oversize;
      discard(buf_.size());
      buf_.clear();
      in_frame_ = false;
      after_end_ = false;
      continue;
    }
    if (after_end_) {
      if (--trailer_left_ > 0) continue;
    } else if (c == end) {
      if (opts_.trailer > 0) {
        after_end_ = true;
        trailer_left_ = opts_.trailer;
        continue;
      }
    } else {
      continue;
    }
    emit(std::exchange(buf_, {}), frames);
    in_frame_ = false;
    after_end_ = false;
  }
}

// ---- FixedLength -------------------------------------------------------------------------------

void Framer::feed_fixed(std::string_view bytes, std::vector<std::string>& frames) {
  buf_.append(bytes);
  std::size_t begin = 0;
  while (buf_.size() - begin >= opts_.length) {
    emit(buf_.substr(begin, opts_.length), frames);
    begin += opts_.length;
  }
  buf_.erase(0, begin);
}

// ---- LengthByte --------------------------------------------------------------------------------

void Framer::feed_length_byte(std::string_view bytes, std::vector<std::string>& frames) {
  buf_.append(bytes);
  std::size_t begin = 0;
  for (;;) {
    if (opts_.start) {
      const std::size_t s = buf_.find(static_cast<char>(*opts_.start), begin);
      const std::size_t skip = (s == std::string::npos ? buf_.size() : s) - begin;
      discard(skip);
      begin += skip;
    }
    if (buf_.size() - begin <= opts_.length_offset) break;
    const auto n = static_cast<std::uint8_t>(buf_[begin + opts_.length_offset]);
    const std::size_t total =
        opts_.length_offset + 1 + std::size_t{n} * opts_.length_unit + opts_.trailer;
    if (total > opts_.max_frame) {
      // Not a plausible header: drop its first byte and look for the next one.
      ++stats_.oversize;
      discard(1);
      ++begin;
      continue;
    }
    if (buf_.size() - begin < total) break;
    emit(buf_.substr(begin, total), frames);
    begin += total;
  }
  buf_.erase(0, begin);
}

// ---- Silence -----------------------------------------------------------------------------------

void Framer::feed_silence(std::string_view bytes) {
  if (discarding_) {
    discard(bytes.size());
    return;
  }
  buf_.append(bytes);
  if (buf_.size() > opts_.max_frame) {
    ++stats_.oversize;
    discard(buf_.size());
    buf_.clear();
    discarding_ = true;
  }
}

}  // namespace gw::adapters::serial
