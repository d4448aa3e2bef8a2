// adapters::serial::Framer: every framing kind, fed whole, byte by byte and split at awkward
// places, with garbage between frames, over-long frames (discarded, counted, and the next frame
// still found) and silence (ending Silence frames, discarding partial ones).
#include "adapters/serial/framer.hpp"

#include <gtest/gtest.h>

namespace gw::adapters::serial {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using Frames = std::vector<std::string>;

const Framer::TimePoint t0{std::chrono::seconds(100)};

Frames feed(Framer& f, std::string_view bytes, Framer::TimePoint at = t0) {
  Frames out;
  f.feed(bytes, at, out);
  return out;
}

Frames feed_bytewise(Framer& f, std::string_view bytes) {
  Frames out;
  for (std::size_t i = 0; i < bytes.size(); ++i) f.feed(bytes.substr(i, 1), t0, out);
  return out;
}

FramingOptions delimited(std::string delim = "\r\n", std::size_t max = 1024) {
  FramingOptions o;
  o.kind = FramingKind::Delimiter;
  o.delimiter = std::move(delim);
  o.max_frame = max;
  return o;
}

// ---- Delimiter -------------------------------------------------------------------------------

TEST(SerialFramer, DelimiterSplitsLinesAndDropsTheDelimiter) {
  Framer f(delimited());
  EXPECT_EQ(feed(f, "  12.345 kg\r\nsecond\r\nthird"), (Frames{"  12.345 kg", "second"}));
  EXPECT_EQ(f.buffered(), 5U);
  EXPECT_EQ(feed(f, "\r\n"), (Frames{"third"}));
  EXPECT_EQ(f.stats().frames, 3U);
  EXPECT_EQ(f.stats().discarded_bytes, 0U);
}

TEST(SerialFramer, DelimiterFoundWhenSplitAcrossReads) {
  Framer f(delimited());
  EXPECT_TRUE(feed(f, "abc\r").empty());
  EXPECT_EQ(feed(f, "\ndef\r"), (Frames{"abc"}));
  EXPECT_EQ(feed(f, "\n"), (Frames{"def"}));
  Framer g(delimited());
  EXPECT_EQ(feed_bytewise(g, "one\r\ntwo\r\n"), (Frames{"one", "two"}));
}

TEST(SerialFramer, DelimiterSkipsEmptyFramesAndKeepsLoneCr) {
  Framer f(delimited());
  EXPECT_EQ(feed(f, "\r\n\r\na\rb\r\n"), (Frames{"a\rb"}));
}

TEST(SerialFramer, OverlongLineIsDiscardedUpToNextDelimiterAndCounted) {
  Framer f(delimited("\n", 8));
  // Arrives in pieces: the first piece already exceeds max_frame.
  EXPECT_TRUE(feed(f, "0123456789").empty());
  EXPECT_LE(f.buffered(), 8U);
  EXPECT_TRUE(feed(f, std::string(5000, 'x')).empty());
  EXPECT_LE(f.buffered(), 8U);  // bounded memory while discarding
  EXPECT_EQ(feed(f, "tail\ngood\n"), (Frames{"good"}));
  EXPECT_EQ(f.stats().oversize, 1U);
  EXPECT_EQ(f.stats().discarded_bytes, 10U + 5000U + 4U);
  // Whole in one read, and exactly max_frame is fine.
  EXPECT_EQ(feed(f, "123456789\n12345678\n"), (Frames{"12345678"}));
  EXPECT_EQ(f.stats().oversize, 2U);
}

TEST(SerialFramer, MultiByteDelimiterAtMaxFrameIsNotOverlong) {
  Framer f(delimited("\r\n", 4));
  EXPECT_TRUE(feed(f, "abcd\r").empty());  // 4 bytes + half a delimiter
  EXPECT_EQ(feed(f, "\n"), (Frames{"abcd"}));
  EXPECT_EQ(f.stats().oversize, 0U);
}

// ---- StartEnd --------------------------------------------------------------------------------

FramingOptions stx_etx(std::uint16_t trailer = 0, std::size_t max = 64) {
  FramingOptions o;
  o.kind = FramingKind::StartEnd;
  o.start = 0x02;
  o.end = 0x03;
  o.trailer = trailer;
  o.max_frame = max;
  return o;
}

TEST(SerialFramer, StartEndKeepsStartAndEndAndDiscardsNoiseBetweenFrames) {
  Framer f(stx_etx());
  EXPECT_EQ(feed(f, "noise\x02" "12.5\x03\r\n\x02" "7\x03"s),
            (Frames{"\x02" "12.5\x03"s, "\x02" "7\x03"s}));
  EXPECT_EQ(f.stats().discarded_bytes, 7U);  // "noise" and CRLF
}

TEST(SerialFramer, StartEndTakesTrailerBytesEvenWhenTheyLookLikeStart) {
  Framer f(stx_etx(1));
  EXPECT_EQ(feed_bytewise(f, "\x02" "AB\x03\x02" "\x02" "C\x03\x7F"s),
            (Frames{"\x02" "AB\x03\x02"s, "\x02" "C\x03\x7F"s}));
}

TEST(SerialFramer, StartEndResynchronisesOnStartByteAfterLostEnd) {
  Framer f(stx_etx());
  EXPECT_EQ(feed(f, "\x02" "lost\x02" "ok\x03"s), (Frames{"\x02" "ok\x03"s}));
  EXPECT_EQ(f.stats().partial, 1U);
}

TEST(SerialFramer, StartEndDiscardsOverlongFrameAndFindsNextStart) {
  Framer f(stx_etx(0, 8));
  EXPECT_EQ(feed(f, "\x02" "0123456789abc\x03\x02" "ok\x03"s), (Frames{"\x02" "ok\x03"s}));
  EXPECT_EQ(f.stats().oversize, 1U);
}

// ---- FixedLength -----------------------------------------------------------------------------

TEST(SerialFramer, FixedLengthCutsEveryNBytesAcrossReads) {
  FramingOptions o;
  o.kind = FramingKind::FixedLength;
  o.length = 4;
  Framer f(o);
  EXPECT_EQ(feed(f, "abcdef"), (Frames{"abcd"}));
  EXPECT_EQ(feed(f, "ghijkl"), (Frames{"efgh", "ijkl"}));
}

TEST(SerialFramer, FixedLengthResynchronisesAfterSilenceWhenConfigured) {
  FramingOptions o;
  o.kind = FramingKind::FixedLength;
  o.length = 4;
  o.silence = 20ms;
  Framer f(o);
  Frames out;
  f.feed("ab", t0, out);  // a frame that lost its last two bytes
  ASSERT_TRUE(f.idle_deadline());
  EXPECT_EQ(*f.idle_deadline(), t0 + 20ms);
  f.on_idle(out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(f.stats().partial, 1U);
  EXPECT_FALSE(f.idle_deadline());
  f.feed("wxyz", t0 + 50ms, out);
  EXPECT_EQ(out, (Frames{"wxyz"}));
}

// ---- LengthByte ------------------------------------------------------------------------------

FramingOptions length_byte() {
  // 0xAA sync, address, N, N body bytes, 2 CRC bytes.
  FramingOptions o;
  o.kind = FramingKind::LengthByte;
  o.start = 0xAA;
  o.length_offset = 2;
  o.trailer = 2;
  o.max_frame = 16;
  return o;
}

TEST(SerialFramer, LengthByteReadsHeaderBodyAndTrailer) {
  Framer f(length_byte());
  const std::string a = "\xAA\x01\x03" "abc" "\x11\x22"s;
  const std::string b = "\xAA\x02\x00" "\x33\x44"s;  // empty body
  EXPECT_EQ(feed_bytewise(f, "junk" + a + b), (Frames{a, b}));
  EXPECT_EQ(f.stats().discarded_bytes, 4U);
}

TEST(SerialFramer, LengthByteDropsImplausibleLengthAndResynchronises) {
  Framer f(length_byte());
  const std::string good = "\xAA\x01\x01" "z" "\x11\x22"s;
  EXPECT_EQ(feed(f, "\xAA\x01\xF0" + good), (Frames{good}));  // 0xF0 body > max_frame
  EXPECT_EQ(f.stats().oversize, 1U);
}

TEST(SerialFramer, LengthByteCountsUnitsWithoutSyncByte) {
  FramingOptions o;
  o.kind = FramingKind::LengthByte;
  o.length_offset = 0;
  o.length_unit = 2;  // N words
  Framer f(o);
  EXPECT_EQ(feed(f, "\x02" "abcd" "\x01" "xy"s), (Frames{"\x02" "abcd"s, "\x01" "xy"s}));
}

// ---- Silence ---------------------------------------------------------------------------------

TEST(SerialFramer, SilenceEndsTheFrameAfterTheGap) {
  FramingOptions o;
  o.kind = FramingKind::Silence;
  o.silence = 30ms;
  o.max_frame = 8;
  Framer f(o);
  Frames out;
  EXPECT_FALSE(f.idle_deadline());
  f.feed("\x01\x03", t0, out);
  f.feed("\x02\x00"s, t0 + 10ms, out);
  EXPECT_EQ(*f.idle_deadline(), t0 + 40ms);  // from the last byte
  EXPECT_TRUE(out.empty());
  f.on_idle(out);
  EXPECT_EQ(out, (Frames{"\x01\x03\x02\x00"s}));
  // Over-long: discarded until the next gap, and the frame after it is whole.
  out.clear();
  f.feed("0123456789", t0 + 100ms, out);
  f.feed("more", t0 + 110ms, out);
  ASSERT_TRUE(f.idle_deadline());
  f.on_idle(out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(f.stats().oversize, 1U);
  f.feed("ok", t0 + 200ms, out);
  f.on_idle(out);
  EXPECT_EQ(out, (Frames{"ok"}));
}

TEST(SerialFramer, ResetForgetsPartialFrameWithoutCounting) {
  Framer f(delimited());
  EXPECT_TRUE(feed(f, "partial").empty());
  f.reset();
  EXPECT_EQ(feed(f, "next\r\n"), (Frames{"next"}));
  EXPECT_EQ(f.stats().discarded_bytes, 0U);
}

}  // namespace
}  // namespace gw::adapters::serial
