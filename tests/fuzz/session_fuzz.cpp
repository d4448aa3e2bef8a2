// Fuzzes one broker session with a sequence of packets, not a single one. The input is a script:
// its first byte chooses the fuzzed client's CONNECT (version, Clean Start, will, keep alive),
// which is sent first; the rest is a list of steps: raw bytes for the fuzzed client's connection
// (whole packets, fragments or several at once), clock advances with a tick, the connection
// dropping and the session resuming on a new one, and a second client, subscribed to everything,
// acknowledging what it received or stalling. A third connection speaks MQTT 5 enhanced
// authentication (SCRAM, §4.12): CONNECT with a SCRAM method for a known, unknown or
// password-only user (possibly taking over the fuzzed client's session), the right or a broken
// client-final, re-authentication, and AUTH packets with fuzzed fields (a step of bytes with the
// top bit of its op set). The broker runs with small limits so that queues, in-flight windows and
// the limits themselves are reached.
//
// After every step: the broker's own consistency check (Broker::check_invariants) holds, and
// every byte it wrote to either client decodes as packets of that client's version. Crashes,
// leaks and undefined behaviour are the sanitizers' (ASan, UBSan, LSan). Any violation traps.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <asio/io_context.hpp>

#include "broker/auth/password_file.hpp"
#include "broker/broker.hpp"
#include "broker/protocol/codec.hpp"
#include "broker/protocol/stream_decoder.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "tests/support/fake_transport.hpp"
#include "tests/support/scram_client.hpp"

namespace {

using namespace gw::broker;
using namespace gw::broker::protocol;
using gw::QoS;
using gw::test::FakeTransport;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

// Reads the fuzzer's script.
class Script {
 public:
  explicit Script(std::span<const std::uint8_t> data) : data_(data) {}
  [[nodiscard]] bool done() const { return pos_ >= data_.size(); }
  std::uint8_t byte() { return done() ? 0 : data_[pos_++]; }
  std::span<const std::byte> bytes(std::size_t n) {
    n = std::min(n, data_.size() - pos_);
    const auto* p = reinterpret_cast<const std::byte*>(data_.data() + pos_);
    pos_ += n;
    return {p, n};
  }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
};

// One client connection, with a check that everything the broker sent it is well formed.
class Peer {
 public:
  Peer(Broker& broker, ProtocolVersion v)
      : transport_("192.0.2.1"), decoder_(DecodeOptions{.version = v, .maximum_packet_size = kMaxPacketSize}), version_(v) {
    handler_ = broker.accept(transport_);
    transport_.handler = handler_.get();
  }
  ~Peer() { transport_.finish(); }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  [[nodiscard]] bool open() const { return handler_ != nullptr && !transport_.finished && !transport_.closed; }
  void feed(std::span<const std::byte> bytes) {
    if (open()) handler_->on_data(bytes);
  }
  void send(const Packet& p) {
    std::vector<std::byte> out;
    encode(p, version_, out);
    feed(out);
  }
  void drop() { transport_.finish(); }
  void stall(bool on) { transport_.stalled = on; }
  void drain() { transport_.drain(); }  // a stalled peer read what it had (back-pressure)
  // Decodes what arrived since the last call; traps on anything malformed. Returns the packets.
  std::vector<Packet> received() {
    std::vector<Packet> out;
    auto r = decoder_.consume(std::span(transport_.written).subspan(consumed_), [&](Packet&& p) {
      out.push_back(std::move(p));
      return true;
    });
    require(r.has_value());
    consumed_ = transport_.written.size();
    return out;
  }

 private:
  FakeTransport transport_;
  std::unique_ptr<net::StreamHandler> handler_;
  StreamDecoder decoder_;
  std::size_t consumed_ = 0;
  ProtocolVersion version_;
};

BrokerOptions fuzz_options() {
  BrokerOptions o;
  o.max_packet_size = 4096;
  o.receive_maximum = 4;
  o.max_inflight = 4;
  o.max_queued_messages = 8;
  o.max_queued_bytes = 8192;
  o.topic_alias_maximum = 4;
  o.max_subscriptions_per_client = 4;
  o.max_topic_length = 64;
  o.max_topic_levels = 4;
  o.max_connect_rate = 1;
  o.max_connect_burst = 4;
  o.max_session_expiry = std::chrono::seconds(600);
  o.connect_timeout = std::chrono::seconds(1);
  return o;
}

Connect fuzzed_connect(std::uint8_t flags) {
  Connect c;
  c.version = (flags & 1) != 0 ? ProtocolVersion::V311 : ProtocolVersion::V5;
  c.client_id = "fz";
  c.clean_start = (flags & 2) != 0;
  c.keep_alive = static_cast<std::uint16_t>((flags >> 3) & 3);
  if ((flags & 4) != 0) {
    c.will = Will{.topic = *TopicName::make("will/fz"), .payload = "gone",
                  .qos = static_cast<QoS>((flags >> 5) & 1), .retain = (flags & 0x40) != 0};
    if (c.version == ProtocolVersion::V5 && (flags & 0x80) != 0) c.will->delay_interval = 2;
  }
  if (c.version == ProtocolVersion::V5) {
    c.props.session_expiry = 60;
    c.props.receive_maximum = 2;
    c.props.topic_alias_maximum = 2;
    c.props.maximum_packet_size = 512;
  }
  return c;
}

// Users for the SCRAM connection, hashed once (PBKDF2 per input would slow the fuzzer down).
const gw::broker::auth::PasswordTable& fuzz_users() {
  using gw::broker::auth::PasswordScheme;
  static const gw::broker::auth::PasswordTable users = [] {
    gw::broker::auth::PasswordTable t;
    t["alice"] = gw::broker::auth::hash_password("pw", 1000, PasswordScheme::ScramSha256);
    t["bob"] = gw::broker::auth::hash_password("pw", 1000, PasswordScheme::ScramSha512);
    t["carol"] = gw::broker::auth::hash_password("pw", 1000);
    return t;
  }();
  return users;
}

// The SCRAM connection: each step is chosen by `op`'s upper bits and may read script bytes.
class ScramActor {
 public:
  void step(Broker& broker, std::uint8_t op, Script& script) {
    const std::uint8_t arg = script.byte();
    switch ((op >> 3) & 7) {
      case 0:
      case 1: {  // a new connection: CONNECT with a SCRAM method and client-first
        static constexpr const char* kUsers[] = {"alice", "bob", "carol", "nobody"};
        const bool sha512 = (arg & 1) != 0;
        client_.emplace(sha512 ? gw::broker::auth::Hash::Sha512 : gw::broker::auth::Hash::Sha256,
                        kUsers[(arg >> 1) & 3], (arg & 8) != 0 ? "pw" : "wrong");
        method_ = sha512 ? "SCRAM-SHA-512" : "SCRAM-SHA-256";
        peer_ = std::make_unique<Peer>(broker, ProtocolVersion::V5);
        Connect c;
        c.client_id = (arg & 16) != 0 ? "fz" : "sc";  // "fz": takes the fuzzed session over
        c.props.authentication_method = method_;
        c.props.authentication_data = client_->first();
        if ((arg & 32) != 0) c.props.session_expiry = 60;
        peer_->send(c);
        break;
      }
      case 2:
      case 3: {  // client-final for the last server-first, right or with a flipped byte
        if (!peer_ || !client_) break;
        std::string final = client_->final_for(server_first_);
        if ((arg & 1) != 0 && !final.empty()) final[final.size() / 2] ^= 1;
        const auto reason = (op & 0x40) != 0 ? AuthReason::ReAuthenticate
                                             : AuthReason::ContinueAuthentication;
        send_auth(reason, method_, std::move(final));
        break;
      }
      case 4:  // re-authentication: AUTH 0x19 with a fresh client-first
        if (peer_ && client_) send_auth(AuthReason::ReAuthenticate, method_, client_->first());
        break;
      case 5: {  // an AUTH with fuzzed reason, method and data
        static constexpr AuthReason kReasons[] = {AuthReason::Success,
                                                  AuthReason::ContinueAuthentication,
                                                  AuthReason::ReAuthenticate};
        const auto data = script.bytes(std::size_t{script.byte()} % 64);
        std::string method = (arg & 4) != 0 ? "SCRAM-SHA-512" : method_;
        send_auth(kReasons[arg % 3], (arg & 8) != 0 ? std::string() : method,
                  std::string(reinterpret_cast<const char*>(data.data()), data.size()));
        break;
      }
      case 6:  // raw bytes on the SCRAM connection
        if (peer_) peer_->feed(script.bytes(std::size_t{arg} + 1));
        break;
      case 7:
        if (peer_) peer_->drop();
        break;
    }
  }

  // Decodes what the broker sent (trapping on anything malformed) and keeps the last server-first.
  void check() {
    if (!peer_) return;
    for (const auto& p : peer_->received()) {
      if (const auto* a = std::get_if<Auth>(&p)) {
        require(a->props.authentication_method.has_value());  // [MQTT-4.12.0-5]
        if (a->reason == AuthReason::ContinueAuthentication) {
          server_first_ = a->props.authentication_data.value_or("");
        } else {
          require(a->props.authentication_data == client_->expected_final());
        }
      } else if (const auto* ack = std::get_if<Connack>(&p)) {
        // A successful CONNACK after SCRAM carries the right server-final.
        if (ack->reason == ConnackReason::Success) {
          require(ack->props.authentication_data == client_->expected_final());
        }
      }
    }
  }

  void reset() { peer_.reset(); }

 private:
  void send_auth(AuthReason reason, std::string method, std::string data) {
    if (!peer_) return;
    Auth a{.reason = reason};
    if (!method.empty()) a.props.authentication_method = std::move(method);
    a.props.authentication_data = std::move(data);
    peer_->send(a);
  }

  std::unique_ptr<Peer> peer_;
  std::optional<gw::test::ScramClient> client_;
  std::string method_ = "SCRAM-SHA-256";
  std::string server_first_;
};

// The subscriber acknowledges everything that needs it.
void acknowledge(Peer& sub) {
  for (const auto& p : sub.received()) {
    if (const auto* pub = std::get_if<Publish>(&p)) {
      if (pub->qos == QoS::AtLeastOnce) sub.send(Puback{.packet_id = pub->packet_id});
      if (pub->qos == QoS::ExactlyOnce) sub.send(Pubrec{.packet_id = pub->packet_id});
    } else if (const auto* rel = std::get_if<Pubrel>(&p)) {
      sub.send(Pubcomp{.packet_id = rel->packet_id});
    }
  }
}

}  // namespace

// The broker's log lines would only slow the fuzzer down (their format strings are checked at
// compile time).
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  gw::core::setup_logging(gw::core::LogLevel::Off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Script script({data, size});
  gw::core::FakeClock clock;
  asio::io_context io;
  Broker broker(io, fuzz_options(), clock);
  broker.set_users(fuzz_users());
  {
    ScramActor scram;
    Peer sub(broker, ProtocolVersion::V5);
    Connect sc;
    sc.client_id = "sub";
    sub.send(sc);
    Subscribe s{.packet_id = PacketId{1}, .subscriptions = {}, .props = {}};
    s.subscriptions.push_back({*TopicFilter::make("#"), {.max_qos = QoS::ExactlyOnce}});
    s.subscriptions.push_back({*TopicFilter::make("$share/g/a/+"), {.max_qos = QoS::AtLeastOnce}});
    sub.send(s);
    sub.received();

    const Connect connect = fuzzed_connect(script.byte());
    auto fz = std::make_unique<Peer>(broker, connect.version);
    fz->send(connect);
    const auto check = [&] {
      const std::string broken = broker.check_invariants();
      require(broken.empty());
      fz->received();
      scram.check();
    };
    check();
    int reconnects = 0;
    while (!script.done()) {
      const std::uint8_t op = script.byte();
      switch (op & 7) {
        case 0:
        case 1:
        case 2: {  // bytes on the fuzzed connection: a length (1..256), then the bytes
          if ((op & 0x80) != 0 && (op & 7) == 2) {  // ... or a step of the SCRAM connection
            scram.step(broker, op, script);
            break;
          }
          fz->feed(script.bytes(std::size_t{script.byte()} + 1));
          break;
        }
        case 3:  // time passes: keep alive, will delay, expiry, retained expiry
          clock.advance(std::chrono::milliseconds(100) * (op >> 3));
          broker.tick();
          break;
        case 4:
          acknowledge(sub);
          break;
        case 5:  // the connection dies; the session resumes on a new one (a few times at most)
          if (reconnects++ < 4) {
            fz->drop();
            fz = std::make_unique<Peer>(broker, connect.version);
            Connect again = connect;
            again.clean_start = (op & 8) != 0;
            fz->send(again);
          }
          break;
        case 6:
          sub.stall((op & 8) != 0);
          if ((op & 16) != 0) sub.drain();
          break;
        case 7:
          io.restart();
          io.poll();
          break;
      }
      check();
    }
    acknowledge(sub);
    check();
    scram.reset();
    fz.reset();
    require(broker.check_invariants().empty());
  }
  require(broker.check_invariants().empty());
  broker.shutdown();
  return 0;
}
