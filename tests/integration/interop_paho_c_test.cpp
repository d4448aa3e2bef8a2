// Interoperability: the real edge-gateway broker against Eclipse Paho MQTT C (MQTTAsync, Debian
// libpaho-mqtt 1.3.12), over MQTT 5 and MQTT 3.1.1 on 127.0.0.1.
//
// Paho runs its callbacks on its own threads, and they may fire before the call that started the
// request returns. PahoClient copies everything a callback reports into an Event and hands it to
// the test thread through a mutex + condition variable; the test waits with a deadline, never sleeps.
#include <MQTTAsync.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/gateway_process.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAreArray;

constexpr auto kWait = 5s;  // deadline for one expected event

// The MQTT 5 properties of a packet, copied out of Paho's MQTTProperties.
struct Props {
  std::map<int, std::uint32_t> numbers;     // byte, two/four byte and variable byte integers
  std::map<int, std::string> strings;       // UTF-8 strings and binary data
  std::vector<std::pair<std::string, std::string>> user;
  std::vector<std::uint32_t> subscription_ids;

  static Props from(const MQTTProperties* p) {
    Props out;
    if (p == nullptr) return out;
    for (int i = 0; i < p->count; ++i) {
      const MQTTProperty& prop = p->array[i];
      const int id = prop.identifier;
      switch (MQTTProperty_getType(prop.identifier)) {
        case MQTTPROPERTY_TYPE_BYTE: out.numbers[id] = prop.value.byte; break;
        case MQTTPROPERTY_TYPE_TWO_BYTE_INTEGER: out.numbers[id] = prop.value.integer2; break;
        case MQTTPROPERTY_TYPE_FOUR_BYTE_INTEGER:
        case MQTTPROPERTY_TYPE_VARIABLE_BYTE_INTEGER:
          if (id == MQTTPROPERTY_CODE_SUBSCRIPTION_IDENTIFIER) {
            out.subscription_ids.push_back(prop.value.integer4);
          } else {
            out.numbers[id] = prop.value.integer4;
          }
          break;
        case MQTTPROPERTY_TYPE_BINARY_DATA:
        case MQTTPROPERTY_TYPE_UTF_8_ENCODED_STRING:
          out.strings[id] = std::string(prop.value.data.data, static_cast<std::size_t>(prop.value.data.len));
          break;
        case MQTTPROPERTY_TYPE_UTF_8_STRING_PAIR:
          out.user.emplace_back(std::string(prop.value.data.data, static_cast<std::size_t>(prop.value.data.len)),
                                std::string(prop.value.value.data, static_cast<std::size_t>(prop.value.value.len)));
          break;
        default: break;
      }
    }
    return out;
  }
  [[nodiscard]] std::optional<std::uint32_t> number(MQTTPropertyCodes id) const {
    auto it = numbers.find(id);
    if (it == numbers.end()) return std::nullopt;
    return it->second;
  }
  [[nodiscard]] std::optional<std::string> string(MQTTPropertyCodes id) const {
    auto it = strings.find(id);
    if (it == strings.end()) return std::nullopt;
    return it->second;
  }
};

// Owns an MQTTProperties list that is handed to Paho (Paho copies it into the packet).
class PropertyList {
 public:
  PropertyList() = default;
  ~PropertyList() { MQTTProperties_free(&props_); }
  PropertyList(const PropertyList&) = delete;
  PropertyList& operator=(const PropertyList&) = delete;

  PropertyList& number(MQTTPropertyCodes id, std::uint32_t value) {
    MQTTProperty p{};
    p.identifier = id;
    switch (MQTTProperty_getType(id)) {
      case MQTTPROPERTY_TYPE_BYTE: p.value.byte = static_cast<unsigned char>(value); break;
      case MQTTPROPERTY_TYPE_TWO_BYTE_INTEGER: p.value.integer2 = static_cast<unsigned short>(value); break;
      default: p.value.integer4 = value; break;
    }
    MQTTProperties_add(&props_, &p);
    return *this;
  }
  // UTF-8 string or binary data; Paho copies the bytes.
  PropertyList& string(MQTTPropertyCodes id, std::string value) {
    MQTTProperty p{};
    p.identifier = id;
    p.value.data.data = value.data();
    p.value.data.len = static_cast<int>(value.size());
    MQTTProperties_add(&props_, &p);
    return *this;
  }
  PropertyList& user(std::string key, std::string value) {
    MQTTProperty p{};
    p.identifier = MQTTPROPERTY_CODE_USER_PROPERTY;
    p.value.data.data = key.data();
    p.value.data.len = static_cast<int>(key.size());
    p.value.value.data = value.data();
    p.value.value.len = static_cast<int>(value.size());
    MQTTProperties_add(&props_, &p);
    return *this;
  }
  MQTTProperties* get() { return &props_; }

 private:
  MQTTProperties props_ = MQTTProperties_initializer;
};

struct Received {
  std::string topic;
  std::string payload;
  int qos = -1;
  bool retained = false;
  Props props;
};

// What a Paho callback reported. `token` identifies the request it answers (0 for connect).
struct Event {
  enum class Kind { Connected, ConnectFailed, Done, Failed, Disconnected, ConnectionLost };
  explicit Event(Kind k, MQTTAsync_token t = 0) : kind(k), token(t) {}
  Kind kind;
  MQTTAsync_token token = 0;
  int code = 0;                // Paho return code on failure
  int reason = 0;              // MQTT 5 reason code (or granted QoS for MQTT 3.1.1 SUBACK)
  bool session_present = false;
  Props props;
  std::string message;
};

struct ConnectOptions {
  bool clean = true;
  std::optional<std::uint32_t> session_expiry;  // MQTT 5 only
};

// One Paho MQTTAsync client. Thread safety: the public functions belong to the test thread;
// the callbacks (Paho threads) only push to the queues under mu_.
class PahoClient {
 public:
  PahoClient(std::uint16_t port, const std::string& client_id, int version)
      : PahoClient("tcp://127.0.0.1:" + std::to_string(port), client_id, version) {}
  // Any URI Paho takes, e.g. ws://127.0.0.1:PORT/mqtt for MQTT over WebSocket.
  PahoClient(const std::string& uri, const std::string& client_id, int version) : version_(version) {
    MQTTAsync_createOptions create = MQTTAsync_createOptions_initializer;
    create.MQTTVersion = version;
    created_ = MQTTAsync_createWithOptions(&handle_, uri.c_str(), client_id.c_str(), MQTTCLIENT_PERSISTENCE_NONE,
                                           nullptr, &create);
    if (created_ != MQTTASYNC_SUCCESS) return;
    MQTTAsync_setCallbacks(handle_, this, &PahoClient::on_connection_lost, &PahoClient::on_message, nullptr);
    MQTTAsync_setDisconnected(handle_, this, &PahoClient::on_server_disconnect);
  }
  ~PahoClient() {
    if (handle_ == nullptr) return;
    if (MQTTAsync_isConnected(handle_) != 0) disconnect();
    MQTTAsync_destroy(&handle_);
  }
  PahoClient(const PahoClient&) = delete;
  PahoClient& operator=(const PahoClient&) = delete;

  [[nodiscard]] bool created() const { return created_ == MQTTASYNC_SUCCESS; }

  // CONNECT and wait for CONNACK; a Connected or ConnectFailed event (nullopt on timeout).
  std::optional<Event> connect(const ConnectOptions& options = {}) {
    if (auto refused = start_connect(options)) return refused;
    return wait_connected();
  }

  // Sends CONNECT without waiting; a ConnectFailed event if Paho refused the call.
  //
  // Paho 1.3.12 notices a new socket only when its network thread wakes up, which takes 1-2 s
  // while another client's idle connection is in its poll set. Tests therefore start every
  // connect first and wait for the CONNACKs afterwards (connect_all).
  std::optional<Event> start_connect(const ConnectOptions& options = {}) {
    MQTTAsync_connectOptions opts = MQTTAsync_connectOptions_initializer;
    MQTTAsync_connectOptions opts5 = MQTTAsync_connectOptions_initializer5;
    if (version_ == MQTTVERSION_5) opts = opts5;
    opts.MQTTVersion = version_;
    opts.keepAliveInterval = 30;
    opts.connectTimeout = 5;
    opts.context = this;
    PropertyList props;
    if (version_ == MQTTVERSION_5) {
      opts.cleanstart = options.clean ? 1 : 0;
      opts.cleansession = 0;
      if (options.session_expiry) props.number(MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL, *options.session_expiry);
      opts.onSuccess5 = &PahoClient::on_connect_success5;
      opts.onFailure5 = &PahoClient::on_connect_failure5;
      opts.connectProperties = props.get();
    } else {
      opts.cleansession = options.clean ? 1 : 0;
      opts.onSuccess = &PahoClient::on_connect_success;
      opts.onFailure = &PahoClient::on_connect_failure;
    }
    const int rc = MQTTAsync_connect(handle_, &opts);
    if (rc == MQTTASYNC_SUCCESS) return std::nullopt;
    Event e(Event::Kind::ConnectFailed);
    e.code = rc;
    e.message = "MQTTAsync_connect refused the call";
    return e;
  }

  std::optional<Event> wait_connected() {
    connack_ = wait_event([](const Event& e) {
      return e.kind == Event::Kind::Connected || e.kind == Event::Kind::ConnectFailed;
    });
    return connack_;
  }
  // What the last wait_connected() saw.
  [[nodiscard]] const std::optional<Event>& connack() const { return connack_; }

  // SUBSCRIBE one filter; the SUBACK reason code (granted QoS for MQTT 3.1.1), or nullopt.
  std::optional<int> subscribe(const std::string& filter, int qos, MQTTSubscribe_options sub_opts = MQTTSubscribe_options_initializer,
                               std::optional<std::uint32_t> subscription_id = std::nullopt) {
    MQTTAsync_responseOptions opts = response_options();
    opts.subscribeOptions = sub_opts;
    PropertyList props;
    if (subscription_id) props.number(MQTTPROPERTY_CODE_SUBSCRIPTION_IDENTIFIER, *subscription_id);
    opts.properties = *props.get();
    const int rc = MQTTAsync_subscribe(handle_, filter.c_str(), qos, &opts);
    if (rc != MQTTASYNC_SUCCESS) {
      ADD_FAILURE() << "MQTTAsync_subscribe(" << filter << ") = " << rc;
      return std::nullopt;
    }
    auto e = wait_done(opts.token);
    if (!e) return std::nullopt;
    return e->reason;
  }

  // PUBLISH and wait for the flow to finish (sent for QoS 0, PUBACK for 1, PUBCOMP for 2).
  // The Done/Failed event; nullopt if Paho refused the call or on timeout.
  std::optional<Event> publish(const std::string& topic, const std::string& payload, int qos, bool retained = false,
                               PropertyList* props = nullptr) {
    MQTTAsync_message msg = MQTTAsync_message_initializer;
    msg.payload = const_cast<char*>(payload.data());  // Paho's API is not const-correct; it copies
    msg.payloadlen = static_cast<int>(payload.size());
    msg.qos = qos;
    msg.retained = retained ? 1 : 0;
    if (props != nullptr) msg.properties = *props->get();
    MQTTAsync_responseOptions opts = response_options();
    const int rc = MQTTAsync_sendMessage(handle_, topic.c_str(), &msg, &opts);
    if (rc != MQTTASYNC_SUCCESS) {
      ADD_FAILURE() << "MQTTAsync_sendMessage(" << topic << ") = " << rc;
      return std::nullopt;
    }
    return wait_done(opts.token);
  }

  // PUBLISH without waiting for its acknowledgement; Paho's return code.
  int send(const std::string& topic, const std::string& payload, int qos, PropertyList* props = nullptr) {
    MQTTAsync_message msg = MQTTAsync_message_initializer;
    msg.payload = const_cast<char*>(payload.data());
    msg.payloadlen = static_cast<int>(payload.size());
    msg.qos = qos;
    if (props != nullptr) msg.properties = *props->get();
    MQTTAsync_responseOptions opts = response_options();
    return MQTTAsync_sendMessage(handle_, topic.c_str(), &msg, &opts);
  }

  // Normal DISCONNECT, waiting for Paho to report it sent.
  void disconnect() {
    MQTTAsync_disconnectOptions opts = MQTTAsync_disconnectOptions_initializer;
    MQTTAsync_disconnectOptions opts5 = MQTTAsync_disconnectOptions_initializer5;
    if (version_ == MQTTVERSION_5) {
      opts = opts5;
      opts.onSuccess5 = &PahoClient::on_disconnect_success5;
    } else {
      opts.onSuccess = &PahoClient::on_disconnect_success;
    }
    opts.timeout = 2000;
    opts.context = this;
    if (MQTTAsync_disconnect(handle_, &opts) != MQTTASYNC_SUCCESS) return;
    wait_event([](const Event& e) { return e.kind == Event::Kind::Disconnected; });
  }

  std::optional<Received> next_message(std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !messages_.empty(); })) return std::nullopt;
    Received r = std::move(messages_.front());
    messages_.pop_front();
    return r;
  }

  // Messages received before the next one on `marker` (which is consumed); nullopt on timeout.
  std::optional<std::vector<Received>> messages_until(const std::string& marker) {
    std::vector<Received> got;
    for (;;) {
      auto m = next_message();
      if (!m) return std::nullopt;
      if (m->topic == marker) return got;
      got.push_back(std::move(*m));
    }
  }

  // The first event matching `pred` (removed from the queue), or nullopt after `timeout`.
  std::optional<Event> wait_event(const std::function<bool(const Event&)>& pred,
                                  std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mu_);
    std::optional<Event> found;
    cv_.wait_for(lock, timeout, [&] {
      auto it = std::find_if(events_.begin(), events_.end(), pred);
      if (it == events_.end()) return false;
      found = std::move(*it);
      events_.erase(it);
      return true;
    });
    return found;
  }

 private:
  MQTTAsync_responseOptions response_options() {
    MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
    opts.context = this;
    if (version_ == MQTTVERSION_5) {
      opts.onSuccess5 = &PahoClient::on_success5;
      opts.onFailure5 = &PahoClient::on_failure5;
    } else {
      opts.onSuccess = &PahoClient::on_success;
      opts.onFailure = &PahoClient::on_failure;
    }
    return opts;
  }

  std::optional<Event> wait_done(MQTTAsync_token token) {
    auto e = wait_event([token](const Event& ev) {
      return (ev.kind == Event::Kind::Done || ev.kind == Event::Kind::Failed) && ev.token == token;
    });
    if (!e) ADD_FAILURE() << "no answer to Paho request " << token << " within " << kWait.count() << " s";
    return e;
  }

  void push(Event e) {
    {
      std::lock_guard lock(mu_);
      events_.push_back(std::move(e));
    }
    cv_.notify_all();
  }

  static PahoClient& self(void* context) { return *static_cast<PahoClient*>(context); }

  static void on_connect_success5(void* context, MQTTAsync_successData5* r) {
    Event e{Event::Kind::Connected};
    e.reason = r->reasonCode;
    e.session_present = r->alt.connect.sessionPresent != 0;
    e.props = Props::from(&r->properties);
    self(context).push(std::move(e));
  }
  static void on_connect_failure5(void* context, MQTTAsync_failureData5* r) {
    Event e{Event::Kind::ConnectFailed};
    e.code = r->code;
    e.reason = r->reasonCode;
    e.props = Props::from(&r->properties);
    if (r->message != nullptr) e.message = r->message;
    self(context).push(std::move(e));
  }
  static void on_connect_success(void* context, MQTTAsync_successData* r) {
    Event e{Event::Kind::Connected};
    e.session_present = r->alt.connect.sessionPresent != 0;
    self(context).push(std::move(e));
  }
  static void on_connect_failure(void* context, MQTTAsync_failureData* r) {
    Event e{Event::Kind::ConnectFailed};
    e.code = r->code;
    if (r->message != nullptr) e.message = r->message;
    self(context).push(std::move(e));
  }
  static void on_success5(void* context, MQTTAsync_successData5* r) {
    Event e{Event::Kind::Done, r->token};
    e.reason = r->reasonCode;
    e.props = Props::from(&r->properties);
    self(context).push(std::move(e));
  }
  static void on_failure5(void* context, MQTTAsync_failureData5* r) {
    Event e{Event::Kind::Failed, r->token};
    e.code = r->code;
    e.reason = r->reasonCode;
    if (r->message != nullptr) e.message = r->message;
    self(context).push(std::move(e));
  }
  static void on_success(void* context, MQTTAsync_successData* r) {
    Event e{Event::Kind::Done, r != nullptr ? r->token : 0};
    // For a single-filter SUBSCRIBE Paho reports the granted QoS here (meaningless for others).
    if (r != nullptr) e.reason = r->alt.qos;
    self(context).push(std::move(e));
  }
  static void on_failure(void* context, MQTTAsync_failureData* r) {
    Event e{Event::Kind::Failed, r != nullptr ? r->token : 0};
    if (r != nullptr) {
      e.code = r->code;
      if (r->message != nullptr) e.message = r->message;
    }
    self(context).push(std::move(e));
  }
  static void on_disconnect_success5(void* context, MQTTAsync_successData5* /*r*/) {
    self(context).push(Event{Event::Kind::Disconnected});
  }
  static void on_disconnect_success(void* context, MQTTAsync_successData* /*r*/) {
    self(context).push(Event{Event::Kind::Disconnected});
  }
  // The server sent DISCONNECT (MQTT 5).
  static void on_server_disconnect(void* context, MQTTProperties* props, MQTTReasonCodes reason) {
    Event e{Event::Kind::ConnectionLost};
    e.reason = reason;
    e.props = Props::from(props);
    e.message = "server DISCONNECT";
    self(context).push(std::move(e));
  }
  static void on_connection_lost(void* context, char* cause) {
    Event e{Event::Kind::ConnectionLost};
    e.reason = -1;
    e.message = cause != nullptr ? cause : "connection lost";
    self(context).push(std::move(e));
  }
  static int on_message(void* context, char* topic, int topic_len, MQTTAsync_message* m) {
    Received r;
    r.topic = topic_len > 0 ? std::string(topic, static_cast<std::size_t>(topic_len)) : std::string(topic);
    r.payload.assign(static_cast<const char*>(m->payload), static_cast<std::size_t>(m->payloadlen));
    r.qos = m->qos;
    r.retained = m->retained != 0;
    r.props = Props::from(&m->properties);
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    PahoClient& c = self(context);
    {
      std::lock_guard lock(c.mu_);
      c.messages_.push_back(std::move(r));
    }
    c.cv_.notify_all();
    return 1;
  }

  int version_;
  int created_ = MQTTASYNC_FAILURE;
  MQTTAsync handle_ = nullptr;
  std::mutex mu_;  // guards: events_, messages_
  std::condition_variable cv_;
  std::deque<Event> events_;
  std::deque<Received> messages_;
  std::optional<Event> connack_;  // test thread only
};

std::string describe(const Event& e) {
  return "kind=" + std::to_string(static_cast<int>(e.kind)) + " code=" + std::to_string(e.code) +
         " reason=" + std::to_string(e.reason) + " message='" + e.message + "'";
}

// Connects every client at once (see start_connect); true when each got a Success CONNACK.
::testing::AssertionResult connect_all(std::initializer_list<PahoClient*> clients) {
  for (PahoClient* c : clients) {
    if (auto refused = c->start_connect()) return ::testing::AssertionFailure() << describe(*refused);
  }
  for (PahoClient* c : clients) {
    auto e = c->wait_connected();
    if (!e) return ::testing::AssertionFailure() << "no CONNACK within " << kWait.count() << " s";
    if (e->kind != Event::Kind::Connected || e->reason != 0) return ::testing::AssertionFailure() << describe(*e);
  }
  return ::testing::AssertionSuccess();
}

class PahoInterop : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(gw_.ready()) << gw_.process().output(); }
  GatewayProcess gw_;
};

void pub_sub_all_qos(std::uint16_t port, int version, const std::string& prefix) {
  PahoClient sub(port, prefix + "-sub", version);
  PahoClient pub(port, prefix + "-pub", version);
  ASSERT_TRUE(sub.created() && pub.created());
  ASSERT_TRUE(connect_all({&sub, &pub}));
  EXPECT_FALSE(sub.connack()->session_present);
  // Granted QoS 2 for a QoS 2 request (MQTT 5 §3.9.3, MQTT 3.1.1 §3.9.3).
  EXPECT_EQ(sub.subscribe(prefix + "/#", 2), 2);
  for (int qos = 0; qos <= 2; ++qos) {
    const std::string payload = "payload at qos " + std::to_string(qos);
    auto done = pub.publish(prefix + "/q" + std::to_string(qos), payload, qos);
    ASSERT_TRUE(done.has_value());
    ASSERT_EQ(done->kind, Event::Kind::Done) << describe(*done);
    auto m = sub.next_message();
    ASSERT_TRUE(m.has_value()) << "nothing received for QoS " << qos;
    EXPECT_EQ(m->topic, prefix + "/q" + std::to_string(qos));
    EXPECT_EQ(m->payload, payload);
    EXPECT_EQ(m->qos, qos);
    EXPECT_FALSE(m->retained);
  }
  // Exactly the three messages: in particular the QoS 2 one is not delivered twice.
  ASSERT_TRUE(pub.publish(prefix + "/end", "end", 1).has_value());
  auto rest = sub.messages_until(prefix + "/end");
  ASSERT_TRUE(rest.has_value()) << "end marker not received";
  EXPECT_TRUE(rest->empty()) << rest->size() << " extra message(s), first on " << rest->front().topic;
}

TEST_F(PahoInterop, V5PublishSubscribeQos012) { pub_sub_all_qos(gw_.port(), MQTTVERSION_5, "paho5"); }

TEST_F(PahoInterop, V311PublishSubscribeQos012) { pub_sub_all_qos(gw_.port(), MQTTVERSION_3_1_1, "paho311"); }

TEST(PahoInteropConfig, V5ConnackAnnouncesConfiguredLimitsAndAssignsClientId) {
  GatewayProcess gw(
      "  receive_maximum: 32\n"
      "  topic_alias_maximum: 4\n"
      "  max_packet_size: 64KiB\n"
      "  max_session_expiry: 1h\n");
  ASSERT_TRUE(gw.ready()) << gw.process().output();
  PahoClient c(gw.port(), "", MQTTVERSION_5);  // MQTT 5 §3.1.3.1: the server assigns an id
  ASSERT_TRUE(c.created());
  ConnectOptions opts;
  opts.session_expiry = 7200;  // above max_session_expiry (1h)
  auto e = c.connect(opts);
  ASSERT_TRUE(e.has_value());
  ASSERT_EQ(e->kind, Event::Kind::Connected) << describe(*e);
  EXPECT_EQ(e->reason, 0);
  EXPECT_FALSE(e->session_present);
  EXPECT_EQ(e->props.number(MQTTPROPERTY_CODE_RECEIVE_MAXIMUM), 32u);
  EXPECT_EQ(e->props.number(MQTTPROPERTY_CODE_TOPIC_ALIAS_MAXIMUM), 4u);
  EXPECT_EQ(e->props.number(MQTTPROPERTY_CODE_MAXIMUM_PACKET_SIZE), 64u * 1024u);
  // MQTT 5 §3.2.2.3.2: a server that uses another Session Expiry Interval than the client asked
  // for sends it in CONNACK.
  EXPECT_EQ(e->props.number(MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL), 3600u);
  // §3.2.2.3.7 [MQTT-3.2.2-16]: Assigned Client Identifier for a zero-length client id.
  auto assigned = e->props.string(MQTTPROPERTY_CODE_ASSIGNED_CLIENT_IDENTIFER);
  ASSERT_TRUE(assigned.has_value()) << "CONNACK lacks Assigned Client Identifier";
  EXPECT_FALSE(assigned->empty());
  // Not announced when at their defaults: an absent Maximum QoS means 2, Retain Available 1.
  EXPECT_EQ(e->props.number(MQTTPROPERTY_CODE_MAXIMUM_QOS).value_or(2), 2u);
  EXPECT_EQ(e->props.number(MQTTPROPERTY_CODE_RETAIN_AVAILABLE).value_or(1), 1u);

  // The assigned id is a working session: a round trip through it works.
  EXPECT_EQ(c.subscribe("assigned/t", 1), 1);
  auto done = c.publish("assigned/t", "x", 1);
  ASSERT_TRUE(done && done->kind == Event::Kind::Done);
  auto m = c.next_message();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->payload, "x");
}

TEST(PahoInteropConfig, V5ServerKeepAliveOverridesALongerRequest) {
  GatewayProcess gw("  max_keep_alive: 10s\n");
  ASSERT_TRUE(gw.ready()) << gw.process().output();
  PahoClient c(gw.port(), "paho-keepalive", MQTTVERSION_5);
  auto e = c.connect();  // asks for 30 s
  ASSERT_TRUE(e && e->kind == Event::Kind::Connected) << (e ? describe(*e) : "timeout");
  // MQTT 5 §3.2.2.3.14 [MQTT-3.2.2-21]: the server's keep alive, announced in CONNACK.
  EXPECT_EQ(e->props.number(MQTTPROPERTY_CODE_SERVER_KEEP_ALIVE), 10u);
}

TEST(PahoInteropConfig, V5OfflineQueueKeepsTheNewestMessagesWhenFull) {
  GatewayProcess gw("  max_queued_messages: 5\n");
  ASSERT_TRUE(gw.ready()) << gw.process().output();
  ConnectOptions persistent;
  persistent.session_expiry = 60;
  {
    PahoClient away(gw.port(), "paho-queue", MQTTVERSION_5);
    auto e = away.connect(persistent);
    ASSERT_TRUE(e && e->kind == Event::Kind::Connected);
    ASSERT_EQ(away.subscribe("queue/t", 1), 1);
    away.disconnect();
  }
  {
    PahoClient pub(gw.port(), "paho-queue-pub", MQTTVERSION_5);
    ASSERT_TRUE(pub.connect().has_value());
    for (int i = 0; i < 12; ++i) {
      auto done = pub.publish("queue/t", "m" + std::to_string(i), 1);
      ASSERT_TRUE(done && done->kind == Event::Kind::Done);
    }
    pub.disconnect();
  }
  PahoClient back(gw.port(), "paho-queue", MQTTVERSION_5);
  ConnectOptions resume = persistent;
  resume.clean = false;
  auto e = back.connect(resume);
  ASSERT_TRUE(e && e->kind == Event::Kind::Connected);
  ASSERT_TRUE(e->session_present);
  ASSERT_EQ(back.subscribe("queue/marker", 1), 1);
  ASSERT_TRUE(back.publish("queue/marker", "m", 1).has_value());
  auto got = back.messages_until("queue/marker");
  ASSERT_TRUE(got.has_value()) << "marker not received";
  std::vector<std::string> payloads;
  for (const auto& m : *got) payloads.push_back(m.payload);
  // docs/configuration.md, broker.max_queued_messages: beyond it the oldest message is dropped.
  EXPECT_THAT(payloads, ElementsAre("m7", "m8", "m9", "m10", "m11"));
}

// Clients are connected one at a time here, each after the previous one has gone (see start_connect).
TEST_F(PahoInterop, V5SessionResumesAndDeliversWhatWasQueued) {
  ConnectOptions persistent;
  persistent.clean = true;
  persistent.session_expiry = 60;
  {
    PahoClient away(gw_.port(), "paho-resume", MQTTVERSION_5);
    auto e = away.connect(persistent);
    ASSERT_TRUE(e && e->kind == Event::Kind::Connected) << (e ? describe(*e) : "timeout");
    EXPECT_FALSE(e->session_present);
    ASSERT_EQ(away.subscribe("resume/t", 1), 1);
    away.disconnect();
  }
  {
    PahoClient pub(gw_.port(), "paho-resume-pub", MQTTVERSION_5);
    auto e = pub.connect();
    ASSERT_TRUE(e && e->kind == Event::Kind::Connected);
    auto done = pub.publish("resume/t", "while you were away", 1);
    ASSERT_TRUE(done && done->kind == Event::Kind::Done) << (done ? describe(*done) : "timeout");
    pub.disconnect();
  }
  PahoClient back(gw_.port(), "paho-resume", MQTTVERSION_5);
  ConnectOptions resume = persistent;
  resume.clean = false;
  auto e = back.connect(resume);
  ASSERT_TRUE(e && e->kind == Event::Kind::Connected) << (e ? describe(*e) : "timeout");
  EXPECT_TRUE(e->session_present) << "MQTT 5 §3.2.2.1.1 [MQTT-3.2.2-2]";
  auto m = back.next_message();
  ASSERT_TRUE(m.has_value()) << "the QoS 1 message queued for the offline session was not delivered";
  EXPECT_EQ(m->topic, "resume/t");
  EXPECT_EQ(m->payload, "while you were away");
  EXPECT_EQ(m->qos, 1);
}

TEST_F(PahoInterop, V5SessionWithoutExpiryEndsAtDisconnect) {
  {
    PahoClient gone(gw_.port(), "paho-noexpiry", MQTTVERSION_5);
    auto e = gone.connect();  // no Session Expiry Interval: 0, the session ends with the connection
    ASSERT_TRUE(e && e->kind == Event::Kind::Connected);
    ASSERT_EQ(gone.subscribe("noexpiry/t", 1), 1);
    gone.disconnect();
  }
  // (The broker answers this PUBLISH with PUBACK 0x10 No Matching Subscribers — seen on the wire —
  // but Paho 1.3.12 reports reasonCode 0 to onSuccess5, so it cannot be asserted here.)
  {
    PahoClient pub(gw_.port(), "paho-noexpiry-pub", MQTTVERSION_5);
    ASSERT_TRUE(pub.connect().has_value());
    auto done = pub.publish("noexpiry/t", "nobody home", 1);
    ASSERT_TRUE(done && done->kind == Event::Kind::Done);
    pub.disconnect();
  }
  PahoClient back(gw_.port(), "paho-noexpiry", MQTTVERSION_5);
  ConnectOptions opts;
  opts.clean = false;
  auto e = back.connect(opts);
  ASSERT_TRUE(e && e->kind == Event::Kind::Connected);
  EXPECT_FALSE(e->session_present) << "MQTT 5 §3.1.2.11.2: a session with expiry 0 ends with its connection";
  ASSERT_EQ(back.subscribe("noexpiry/marker", 1), 1);
  ASSERT_TRUE(back.publish("noexpiry/marker", "m", 1).has_value());
  auto before = back.messages_until("noexpiry/marker");
  ASSERT_TRUE(before.has_value()) << "marker not received";
  EXPECT_TRUE(before->empty()) << "a message for the ended session was delivered: " << before->front().topic;
}

TEST_F(PahoInterop, V5RequestResponsePassesResponseTopicAndCorrelationData) {
  PahoClient requester(gw_.port(), "paho-requester", MQTTVERSION_5);
  PahoClient responder(gw_.port(), "paho-responder", MQTTVERSION_5);
  ASSERT_TRUE(connect_all({&requester, &responder}));
  ASSERT_EQ(responder.subscribe("rr/request", 1), 1);
  ASSERT_EQ(requester.subscribe("rr/reply/paho-requester", 1), 1);

  const std::string correlation("\x00\x01\xfe\xff-42", 6);  // binary, with a NUL byte
  PropertyList req;
  req.string(MQTTPROPERTY_CODE_RESPONSE_TOPIC, "rr/reply/paho-requester")
      .string(MQTTPROPERTY_CODE_CORRELATION_DATA, correlation)
      .string(MQTTPROPERTY_CODE_CONTENT_TYPE, "text/plain")
      .user("trace", "abc")
      .user("trace", "def");
  ASSERT_TRUE(requester.publish("rr/request", "read temperature", 1, false, &req).has_value());

  auto request = responder.next_message();
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->payload, "read temperature");
  auto reply_to = request->props.string(MQTTPROPERTY_CODE_RESPONSE_TOPIC);
  auto corr = request->props.string(MQTTPROPERTY_CODE_CORRELATION_DATA);
  // MQTT 5 §3.3.2.3.5 / §3.3.2.3.6 [MQTT-3.3.2-15, -16]: forwarded unaltered.
  ASSERT_TRUE(reply_to.has_value()) << "Response Topic dropped";
  ASSERT_TRUE(corr.has_value()) << "Correlation Data dropped";
  EXPECT_EQ(*reply_to, "rr/reply/paho-requester");
  EXPECT_EQ(*corr, correlation);
  EXPECT_EQ(request->props.string(MQTTPROPERTY_CODE_CONTENT_TYPE), "text/plain");
  // §3.3.2.3.7 [MQTT-3.3.2-18]: User Properties forwarded, order kept.
  EXPECT_THAT(request->props.user, ElementsAre(std::pair<std::string, std::string>("trace", "abc"),
                                               std::pair<std::string, std::string>("trace", "def")));

  PropertyList rep;
  rep.string(MQTTPROPERTY_CODE_CORRELATION_DATA, *corr);
  ASSERT_TRUE(responder.publish(*reply_to, "21.5", 1, false, &rep).has_value());
  auto reply = requester.next_message();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->topic, "rr/reply/paho-requester");
  EXPECT_EQ(reply->payload, "21.5");
  EXPECT_EQ(reply->props.string(MQTTPROPERTY_CODE_CORRELATION_DATA), correlation);
}

TEST_F(PahoInterop, V5TopicAliasesFromTheClientAreResolved) {
  PahoClient sub(gw_.port(), "paho-alias-sub", MQTTVERSION_5);
  PahoClient pub(gw_.port(), "paho-alias-pub", MQTTVERSION_5);
  ASSERT_TRUE(connect_all({&sub, &pub}));
  ASSERT_EQ(pub.connack()->props.number(MQTTPROPERTY_CODE_TOPIC_ALIAS_MAXIMUM), 10u);
  ASSERT_EQ(sub.subscribe("alias/#", 1), 1);

  // MQTT 5 §3.3.2.3.4: a topic name with an alias sets the mapping, an empty topic name with the
  // alias uses it, and a new topic name with the same alias replaces it.
  const std::vector<std::pair<std::string, std::string>> sends = {
      {"alias/first", "1"}, {"", "2"}, {"alias/second", "3"}, {"", "4"}};
  for (const auto& [topic, payload] : sends) {
    PropertyList props;
    props.number(MQTTPROPERTY_CODE_TOPIC_ALIAS, 10);  // the highest allowed alias
    auto done = pub.publish(topic, payload, 1, false, &props);
    ASSERT_TRUE(done.has_value());
    ASSERT_EQ(done->kind, Event::Kind::Done) << "topic '" << topic << "': " << describe(*done);
  }
  std::vector<std::pair<std::string, std::string>> got;
  for (std::size_t i = 0; i < sends.size(); ++i) {
    auto m = sub.next_message();
    ASSERT_TRUE(m.has_value()) << "received only " << got.size() << " of " << sends.size();
    // The subscriber announced no Topic Alias Maximum, so it must see no alias [MQTT-3.3.2-8].
    EXPECT_FALSE(m->props.number(MQTTPROPERTY_CODE_TOPIC_ALIAS).has_value());
    got.emplace_back(m->topic, m->payload);
  }
  EXPECT_THAT(got, ElementsAre(std::pair<std::string, std::string>("alias/first", "1"),
                               std::pair<std::string, std::string>("alias/first", "2"),
                               std::pair<std::string, std::string>("alias/second", "3"),
                               std::pair<std::string, std::string>("alias/second", "4")));
}

TEST_F(PahoInterop, V5TopicAliasAboveTheMaximumIsRefusedWithDisconnect) {
  PahoClient pub(gw_.port(), "paho-alias-bad", MQTTVERSION_5);
  ASSERT_TRUE(pub.connect().has_value());
  PropertyList props;
  props.number(MQTTPROPERTY_CODE_TOPIC_ALIAS, 11);  // Topic Alias Maximum is 10
  ASSERT_EQ(pub.send("alias/bad", "x", 1, &props), MQTTASYNC_SUCCESS);
  // MQTT 5 §3.3.2.3.4 [MQTT-3.3.2-9]: a Topic Alias above the Topic Alias Maximum is a protocol
  // error: DISCONNECT with 0x94 Topic Alias invalid.
  auto lost = pub.wait_event([](const Event& ev) { return ev.kind == Event::Kind::ConnectionLost && ev.reason >= 0; });
  ASSERT_TRUE(lost.has_value()) << "the server did not send DISCONNECT";
  EXPECT_EQ(lost->reason, 0x94) << describe(*lost);
}

TEST_F(PahoInterop, V5SecondConnectionWithTheSameClientIdTakesTheSessionOver) {
  PahoClient first(gw_.port(), "paho-takeover", MQTTVERSION_5);
  ConnectOptions persistent;
  persistent.session_expiry = 60;
  auto e = first.connect(persistent);
  ASSERT_TRUE(e && e->kind == Event::Kind::Connected);
  ASSERT_EQ(first.subscribe("takeover/t", 1), 1);

  PahoClient second(gw_.port(), "paho-takeover", MQTTVERSION_5);
  ConnectOptions resume = persistent;
  resume.clean = false;
  e = second.connect(resume);
  ASSERT_TRUE(e && e->kind == Event::Kind::Connected) << (e ? describe(*e) : "timeout");
  // MQTT 5 §3.1.4 [MQTT-3.1.4-3]: the existing connection is closed, with DISCONNECT 0x8E
  // Session taken over (§3.14.2.1); the new one continues the session.
  EXPECT_TRUE(e->session_present);
  auto lost = first.wait_event([](const Event& ev) { return ev.kind == Event::Kind::ConnectionLost && ev.reason >= 0; });
  ASSERT_TRUE(lost.has_value()) << "the first connection got no DISCONNECT";
  EXPECT_EQ(lost->reason, 0x8E) << describe(*lost);
  ASSERT_TRUE(second.publish("takeover/t", "still subscribed", 1).has_value());
  auto m = second.next_message();
  ASSERT_TRUE(m.has_value()) << "the taken-over session lost its subscription";
  EXPECT_EQ(m->payload, "still subscribed");
}

TEST_F(PahoInterop, V5SharedSubscriptionGivesEachMessageToExactlyOneMember) {
  PahoClient a(gw_.port(), "paho-share-a", MQTTVERSION_5);
  PahoClient b(gw_.port(), "paho-share-b", MQTTVERSION_5);
  PahoClient pub(gw_.port(), "paho-share-pub", MQTTVERSION_5);
  ASSERT_TRUE(connect_all({&a, &b, &pub}));
  EXPECT_EQ(a.connack()->props.number(MQTTPROPERTY_CODE_SHARED_SUBSCRIPTION_AVAILABLE).value_or(1), 1u);
  for (PahoClient* c : {&a, &b}) {
    ASSERT_EQ(c->subscribe("$share/workers/share/jobs", 1), 1);
    ASSERT_EQ(c->subscribe("share/done", 1), 1);  // not shared: both get the end marker
  }
  std::vector<std::string> sent;
  for (int i = 0; i < 10; ++i) {
    sent.push_back("job-" + std::to_string(i));
    auto done = pub.publish("share/jobs", sent.back(), 1);
    ASSERT_TRUE(done && done->kind == Event::Kind::Done);
  }
  ASSERT_TRUE(pub.publish("share/done", "end", 1).has_value());
  auto got_a = a.messages_until("share/done");
  auto got_b = b.messages_until("share/done");
  ASSERT_TRUE(got_a.has_value() && got_b.has_value()) << "end marker not received";
  std::vector<std::string> all;
  for (const auto* got : {&*got_a, &*got_b}) {
    for (const auto& m : *got) {
      EXPECT_EQ(m.topic, "share/jobs");
      all.push_back(m.payload);
    }
  }
  // MQTT 5 §4.8.2: each message goes to exactly one session of the share group.
  EXPECT_THAT(all, UnorderedElementsAreArray(sent))
      << "member a got " << got_a->size() << ", member b got " << got_b->size();
}

// MQTT over WebSocket: Paho's ws:// URI (its own RFC 6455 client, subprotocol "mqtt" for MQTT
// 3.1.1 and 5) against a WebSocket listener, a plain TCP Paho client on the other side.
TEST(PahoWebSocketInterop, V5AndV311OverWsUriExchangeMessagesWithATcpClient) {
  GatewayProcess gw("    - bind: 127.0.0.1:0\n      name: ws\n      websocket: {path: /mqtt}\n");
  ASSERT_TRUE(gw.ready()) << gw.process().output();
  std::uint16_t ws_port = 0;
  ASSERT_TRUE(wait_until([&] {
    ws_port = port_after(gw.process().output(), "listening on 127.0.0.1:", 1);
    return ws_port != 0;
  })) << gw.process().output();
  const std::string uri = "ws://127.0.0.1:" + std::to_string(ws_port) + "/mqtt";
  for (const int version : {MQTTVERSION_5, MQTTVERSION_3_1_1}) {
    SCOPED_TRACE(version);
    const std::string v = std::to_string(version);
    PahoClient ws(uri, "paho-ws-" + v, version);
    PahoClient tcp(gw.port(), "paho-tcp-" + v, version);
    ASSERT_TRUE(ws.created() && tcp.created());
    ASSERT_TRUE(connect_all({&ws, &tcp}));
    ASSERT_EQ(ws.subscribe("wsc/down/" + v, 1), 1);
    ASSERT_EQ(tcp.subscribe("wsc/up/" + v, 1), 1);
    const std::string big(70000, 'w');  // one frame with a 64-bit length each way
    for (const std::string& payload : {std::string("from-tcp"), big}) {
      auto done = tcp.publish("wsc/down/" + v, payload, 1);
      ASSERT_TRUE(done && done->kind == Event::Kind::Done);
      auto m = ws.next_message();
      ASSERT_TRUE(m.has_value()) << "nothing over WebSocket";
      EXPECT_EQ(m->topic, "wsc/down/" + v);
      EXPECT_EQ(m->payload, payload);
    }
    for (const std::string& payload : {std::string("from-ws"), big}) {
      auto done = ws.publish("wsc/up/" + v, payload, 1);
      ASSERT_TRUE(done && done->kind == Event::Kind::Done);
      auto m = tcp.next_message();
      ASSERT_TRUE(m.has_value()) << "nothing from WebSocket";
      EXPECT_EQ(m->payload, payload);
    }
  }
}

}  // namespace
}  // namespace gw::test
