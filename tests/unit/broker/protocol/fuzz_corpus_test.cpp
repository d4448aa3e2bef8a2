// The fuzzers' seed corpora (tests/fuzz/corpus/): every seed must be valid, so that fuzzing
// starts from inputs that reach deep into the decoder. With GW_WRITE_FUZZ_CORPUS=1 in the
// environment the seeds are (re)written from the packets below.
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "codec_test_support.hpp"
#include "tests/support/process.hpp"

namespace gw::broker::protocol::test {
namespace {

namespace fs = std::filesystem;

fs::path corpus_dir(const char* name) {
  // From the source tree, not from __FILE__: a compiler cache that rewrites absolute paths
  // (ccache base_dir) makes __FILE__ relative, and the test skipped without a word.
  return fs::path(gw::test::source_dir()) / "tests" / "fuzz" / "corpus" / name;
}

std::vector<std::pair<std::string, std::vector<std::byte>>> decode_seeds() {
  std::vector<std::pair<std::string, std::vector<std::byte>>> seeds;
  const auto add = [&](std::string name, const Packet& p, ProtocolVersion v) {
    seeds.emplace_back(std::move(name), encoded(p, v));
  };
  Connect c;
  c.client_id = "sensor-1";
  c.keep_alive = 30;
  c.username = "u";
  c.password = "p";
  c.props.session_expiry = 60;
  c.props.receive_maximum = 10;
  c.props.authentication_method = "SCRAM";
  c.props.authentication_data = "d";
  Will w;
  w.topic = topic("dev/status");
  w.payload = "offline";
  w.qos = QoS::AtLeastOnce;
  w.retain = true;
  w.delay_interval = 5;
  w.props.content_type = "text/plain";
  c.will = w;
  add("connect_v5", c, V5);
  c.version = V311;
  add("connect_v311", c, V311);
  Connack ca;
  ca.props.maximum_qos = QoS::AtLeastOnce;
  ca.props.assigned_client_id = "auto-1";
  ca.props.topic_alias_maximum = 10;
  add("connack_v5", ca, V5);
  Publish p;
  p.topic = topic("site/line1/temp");
  p.payload = "{\"value\":21.5}";
  p.qos = QoS::AtLeastOnce;
  p.packet_id = PacketId{7};
  p.props.message.message_expiry = 3600;
  p.props.message.content_type = "application/json";
  p.props.message.user = {{"unit", "C"}};
  p.props.topic_alias = 3;
  p.props.subscription_ids = {1, 300};
  add("publish_v5", p, V5);
  add("publish_v311", p, V311);
  add("puback_v5", Puback{PacketId{7}, PubackReason::QuotaExceeded, AckProps{"full", {}}}, V5);
  add("pubrel_v5", Pubrel{PacketId{7}, PubrelReason::Success, {}}, V5);
  Subscribe s;
  s.packet_id = PacketId{2};
  s.props.subscription_id = 4;
  s.subscriptions.push_back({filter("$share/g/site/+/temp"), {QoS::AtLeastOnce, false, true, {}}});
  s.subscriptions.push_back({filter("cmd/#"), {QoS::ExactlyOnce, true, false, RetainHandling::DoNotSend}});
  add("subscribe_v5", s, V5);
  add("subscribe_v311", s, V311);
  add("suback_v5", Suback{PacketId{2}, {SubackReason::GrantedQoS1, SubackReason::NotAuthorized}, {}}, V5);
  Unsubscribe u;
  u.packet_id = PacketId{3};
  u.filters.push_back(filter("cmd/#"));
  add("unsubscribe_v5", u, V5);
  add("unsuback_v5", Unsuback{PacketId{3}, {UnsubackReason::NoSubscriptionExisted}, {}}, V5);
  Disconnect d{DisconnectReason::ServerMoved, {}};
  d.props.server_reference = "other:1883";
  add("disconnect_v5", d, V5);
  Auth a{AuthReason::ContinueAuthentication, {}};
  a.props.authentication_method = "SCRAM";
  a.props.authentication_data = "xyz";
  add("auth_v5", a, V5);
  add("pingreq", Pingreq{}, V5);
  return seeds;
}

const std::vector<std::pair<std::string, std::string>>& topic_seeds() {
  // Input format of fuzz_topic_filter: filter, a NUL byte, topic name.
  static const std::vector<std::pair<std::string, std::string>> seeds = {
      {"plus", std::string("a/+/c\0a/b/c", 11)},
      {"hash", std::string("sport/#\0sport", 13)},
      {"dollar", std::string("#\0$SYS/x", 8)},
      {"shared", std::string("$share/g/a/#\0a/b", 16)},
  };
  return seeds;
}

template <class Bytes>
void write_file(const fs::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::byte> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(chars.size());
  std::memcpy(out.data(), chars.data(), chars.size());
  return out;
}

TEST(FuzzCorpus, SeedsAreValidPackets) {
  const bool write = std::getenv("GW_WRITE_FUZZ_CORPUS") != nullptr;
  const auto dir = corpus_dir("decode");
  if (write) {
    for (const auto& [name, bytes] : decode_seeds()) write_file(dir / name, bytes);
    for (const auto& [name, text] : topic_seeds()) write_file(corpus_dir("topic_filter") / name, text);
  }
  if (!fs::exists(dir)) GTEST_SKIP() << "no corpus at " << dir;
  for (const auto& [name, expected] : decode_seeds()) {
    SCOPED_TRACE(name);
    const auto bytes = read_file(dir / name);
    EXPECT_EQ(to_hex(bytes), to_hex(expected));
    const auto v = name.ends_with("v311") ? V311 : V5;
    auto d = decode(bytes, opts(v));
    ASSERT_TRUE(d) << d.error().message();
    EXPECT_EQ(d->size, bytes.size());
  }
}

}  // namespace
}  // namespace gw::broker::protocol::test
