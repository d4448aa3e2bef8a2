#include "config/document.hpp"

#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>

#include <yaml-cpp/eventhandler.h>

namespace gw::config {
namespace {

// yaml-cpp counts lines at '\n' and columns in bytes for UTF-8 input; so do we.
YAML::Mark mark_at(std::string_view text, std::size_t offset) {
  int line = 0;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  YAML::Mark mark;  // its (pos, line, column) constructor is private
  mark.pos = static_cast<int>(offset);
  mark.line = line;
  mark.column = static_cast<int>(offset - line_start);
  return mark;
}

// yaml-cpp may point one past the end of the input after reading its end-of-input marker;
// diagnostics point inside the file.
YAML::Mark clamp(std::string_view text, const YAML::Mark& mark) {
  if (mark.line < 0 || mark.column < 0) return mark;
  const YAML::Mark end = mark_at(text, text.size());
  if (mark.line > end.line || (mark.line == end.line && mark.column > end.column)) return end;
  return mark;
}

// The offset of the first byte that is not part of well-formed UTF-8 (or is NUL), or npos.
std::size_t first_bad_byte(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b == 0) return i;
    if (b < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
      cp = b & 0x1Fu;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      cp = b & 0x0Fu;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      cp = b & 0x07u;
    } else {
      return i;
    }
    if (i + len > text.size()) return i;
    for (std::size_t k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xC0u) != 0x80u) return i;
      cp = (cp << 6) | (c & 0x3Fu);
    }
    // Overlong forms, UTF-16 surrogates and code points beyond Unicode are not UTF-8.
    const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return i;
    i += len;
  }
  return std::string_view::npos;
}

bool check_encoding(std::string_view text, Diagnostics& diag) {
  const std::size_t bad = first_bad_byte(text);
  if (bad == std::string_view::npos) return true;
  const bool utf16_or_32 = text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF") ||
                           text.starts_with(std::string_view("\0\0\xFE\xFF", 4)) ||
                           (text.size() >= 2 && (text[0] == '\0' || text[1] == '\0'));
  if (utf16_or_32) {
    diag.error(YAML::Mark::null_mark(), "the file is UTF-16 or UTF-32; save it as UTF-8");
  } else if (text[bad] == '\0') {
    diag.error(mark_at(text, bad), "the file contains a NUL byte; a configuration file is UTF-8 text");
  } else {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(text[bad]));
    diag.error(mark_at(text, bad),
               std::string("the file is not valid UTF-8 (byte ") + hex + " here); save it as UTF-8");
  }
  return false;
}

struct TooDeep {
  YAML::Mark mark;
};

// Walks the events of every document without building nodes: counts documents, bounds the
// nesting and finds quoted strings that are never closed.
class Checker final : public YAML::EventHandler {
 public:
  Checker(std::string_view text, Diagnostics& diag) : text_(text), diag_(diag) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ == 2) {
      diag_.error(clamp(text_, mark), "a second YAML document starts here; put everything in one");
    }
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    check_closed(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    enter(mark);
  }
  void OnSequenceEnd() override { --depth_; }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    enter(mark);
  }
  void OnMapEnd() override { --depth_; }

  [[nodiscard]] int documents() const { return documents_; }
  [[nodiscard]] bool unclosed_quote() const { return unclosed_quote_; }

 private:
  void enter(const YAML::Mark& mark) {
    if (++depth_ > kMaxDepth) throw TooDeep{mark};
  }

  // yaml-cpp 0.7 ends a quoted string that is still open at the end of the file without an
  // error when a line break precedes the end, so `data_dir: "/srv` followed by more keys would
  // silently become one long string. A scalar that starts with a quote must contain its closing
  // quote.
  void check_closed(const YAML::Mark& mark) {
    if (mark.pos < 0 || static_cast<std::size_t>(mark.pos) >= text_.size()) return;
    const auto start = static_cast<std::size_t>(mark.pos);
    const char quote = text_[start];
    if (quote != '"' && quote != '\'') return;  // plain, block, or a tag/anchor comes first
    std::size_t i = start + 1;
    while (i < text_.size()) {
      const char c = text_[i];
      if (quote == '"' && c == '\\') {
        i += 2;
      } else if (c == quote) {
        // In single quotes '' is an escaped quote.
        if (quote == '\'' && i + 1 < text_.size() && text_[i + 1] == '\'') {
          i += 2;
        } else {
          return;
        }
      } else {
        ++i;
      }
    }
    unclosed_quote_ = true;
    diag_.error(mark, std::string("YAML syntax error: this quoted string is never closed (add the "
                                  "closing ") + quote + ")");
  }

  std::string_view text_;
  Diagnostics& diag_;
  int documents_ = 0;
  int depth_ = 0;
  bool unclosed_quote_ = false;
};

// The first tab in the leading whitespace of line `line` (0-based), or npos.
std::size_t tab_in_indentation(std::string_view text, int line) {
  std::size_t start = 0;
  for (int l = 0; l < line; ++l) {
    start = text.find('\n', start);
    if (start == std::string_view::npos) return start;
    ++start;
  }
  for (std::size_t i = start; i < text.size() && (text[i] == ' ' || text[i] == '\t'); ++i) {
    if (text[i] == '\t') return i;
  }
  return std::string_view::npos;
}

// yaml-cpp quotes the offending character in some messages, which may be a control character
// or its own end-of-input marker (0x04): show those as \xNN.
std::string printable(std::string_view msg) {
  std::string out;
  for (char c : msg) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", u);
      out += hex;
    } else {
      out += c;
    }
  }
  return out;
}

// yaml-cpp's message, with a hint where it alone leaves the reader guessing.
void report_syntax_error(std::string_view text, const YAML::ParserException& e, Diagnostics& diag) {
  for (int line = e.mark.line; line >= 0 && line >= e.mark.line - 1; --line) {
    if (const std::size_t tab = tab_in_indentation(text, line); tab != std::string_view::npos) {
      diag.error(mark_at(text, tab),
                 "YAML syntax error: a tab in the indentation; YAML indents with spaces only");
      return;
    }
  }
  std::string msg = printable(e.msg);
  // yaml-cpp reads its end-of-input marker (0x04) as the character after a final backslash.
  const bool eof_after_escape =
      e.msg.starts_with(YAML::ErrorMsg::INVALID_ESCAPE) && e.msg.ends_with('\x04');
  if (msg == YAML::ErrorMsg::EOF_IN_SCALAR || eof_after_escape) {
    msg = "the file ends inside a quoted string (a closing quote is missing)";
  } else if (msg == YAML::ErrorMsg::END_OF_MAP_FLOW) {
    msg += " (a '{' is not closed)";
  } else if (msg == YAML::ErrorMsg::END_OF_SEQ_FLOW) {
    msg += " (a '[' is not closed)";
  } else if (msg == YAML::ErrorMsg::END_OF_MAP || msg == YAML::ErrorMsg::END_OF_SEQ) {
    msg += " (check the indentation of this line)";
  } else if (msg == YAML::ErrorMsg::MAP_VALUE) {
    msg += " (check the indentation; a value containing ': ' needs quotes)";
  }
  diag.error(clamp(text, e.mark), "YAML syntax error: " + msg);
}

}  // namespace

std::optional<YAML::Node> parse_document(std::string_view text, Diagnostics& diag) {
  if (!check_encoding(text, diag)) return std::nullopt;
  try {
    // A first pass over the events only, so that nothing deeper than kMaxDepth is ever built.
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    Checker checker(text, diag);
    while (checker.documents() < 2 && parser.HandleNextDocument(checker)) {
    }
    // An unclosed quote swallowed the rest of the file: nothing after it can be checked.
    if (checker.unclosed_quote()) return std::nullopt;
    return YAML::Load(std::string(text));
  } catch (const TooDeep& e) {
    diag.error(clamp(text, e.mark), "nesting deeper than " + std::to_string(kMaxDepth) +
                           " levels; a configuration never needs that many");
  } catch (const YAML::ParserException& e) {
    report_syntax_error(text, e, diag);
  } catch (const YAML::Exception& e) {
    diag.error(clamp(text, e.mark), printable(e.msg));
  } catch (const std::exception& e) {
    diag.error(YAML::Mark::null_mark(), std::string("cannot load the configuration: ") + e.what());
  }
  return std::nullopt;
}

}  // namespace gw::config
