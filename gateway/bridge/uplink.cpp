#include "gateway/bridge/uplink.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "core/log.hpp"
#include "gateway/bridge/paho_errc.hpp"

namespace gw::bridge {

namespace {

// Paho hands OpenSSL's error queue to this (on its own thread) when a TLS connection fails: the
// reason ("certificate verify failed", "wrong version number") is what an operator needs, and
// Paho's own failure code only says "TCP/TLS connect failure". Returns 1: keep printing.
int log_tls_error(const char* str, std::size_t len, void* /*context*/) {
  static const auto log = core::make_logger("bridge");
  std::string_view text(str, len);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  log->warn("TLS: {}", text);
  return 1;
}

// Paho's first MQTTAsync_create otherwise initialises OpenSSL the pre-1.1 way: every error
// string of libcrypto and libssl loaded into a hash table and every algorithm registered, even
// for a plain mqtt:// uplink (1.3 MiB of libcrypto pages; docs/performance.md, "Footprint").
// OpenSSL 3 initialises itself on first use (SSL_CTX_new loads its configuration and libssl's
// strings, the first error loads libcrypto's), so a TLS uplink works and logs the same.
// MQTTAsync_global_init also re-initialises Paho's mutexes and condition variables, so it must
// run before any Paho client exists in the process (a test's own clients included), not when the
// first uplink is created: hence a static initialiser, which runs after Paho's own constructor.
struct LeaveOpenSslInitToOpenSsl {
  LeaveOpenSslInitToOpenSsl() {
    MQTTAsync_init_options init = MQTTAsync_init_options_initializer;
    init.do_openssl_init = 0;
    MQTTAsync_global_init(&init);
  }
};
const LeaveOpenSslInitToOpenSsl leave_openssl_init_to_openssl;

// MQTTProperties owned for the duration of one Paho call (Paho copies what it keeps).
class Properties {
 public:
  Properties() = default;
  ~Properties() { MQTTProperties_free(&props_); }
  Properties(const Properties&) = delete;
  Properties& operator=(const Properties&) = delete;

  void number(MQTTPropertyCodes id, std::uint32_t value) {
    MQTTProperty p{};
    p.identifier = id;
    switch (MQTTProperty_getType(id)) {
      case MQTTPROPERTY_TYPE_BYTE: p.value.byte = static_cast<unsigned char>(value); break;
      case MQTTPROPERTY_TYPE_TWO_BYTE_INTEGER: p.value.integer2 = static_cast<unsigned short>(value); break;
      default: p.value.integer4 = value; break;
    }
    MQTTProperties_add(&props_, &p);
  }
  // Paho copies the bytes; it takes a non-const pointer only because its struct is shared with
  // the decoder.
  void string(MQTTPropertyCodes id, const std::string& value) {
    MQTTProperty p{};
    p.identifier = id;
    p.value.data.data = const_cast<char*>(value.data());
    p.value.data.len = static_cast<int>(value.size());
    MQTTProperties_add(&props_, &p);
  }
  void user(const std::string& name, const std::string& value) {
    MQTTProperty p{};
    p.identifier = MQTTPROPERTY_CODE_USER_PROPERTY;
    p.value.data.data = const_cast<char*>(name.data());
    p.value.data.len = static_cast<int>(name.size());
    p.value.value.data = const_cast<char*>(value.data());
    p.value.value.len = static_cast<int>(value.size());
    MQTTProperties_add(&props_, &p);
  }
  MQTTProperties* get() { return &props_; }

 private:
  MQTTProperties props_ = MQTTProperties_initializer;
};

std::string data_of(const MQTTLenString& s) {
  if (s.data == nullptr || s.len <= 0) return {};
  return {s.data, static_cast<std::size_t>(s.len)};
}

ServerLimits limits_from(const MQTTAsync_successData5& data) {
  ServerLimits limits;
  const MQTTProperties& props = data.properties;
  for (int i = 0; i < props.count; ++i) {
    const MQTTProperty& p = props.array[i];
    switch (p.identifier) {
      case MQTTPROPERTY_CODE_RECEIVE_MAXIMUM: limits.receive_maximum = p.value.integer2; break;
      case MQTTPROPERTY_CODE_MAXIMUM_PACKET_SIZE: limits.max_packet_size = p.value.integer4; break;
      case MQTTPROPERTY_CODE_MAXIMUM_QOS:
        limits.maximum_qos = p.value.byte == 0 ? QoS::AtMostOnce : QoS::AtLeastOnce;
        break;
      case MQTTPROPERTY_CODE_RETAIN_AVAILABLE: limits.retain_available = p.value.byte != 0; break;
      case MQTTPROPERTY_CODE_TOPIC_ALIAS_MAXIMUM: limits.topic_alias_maximum = p.value.integer2; break;
      case MQTTPROPERTY_CODE_SERVER_KEEP_ALIVE: limits.server_keep_alive = p.value.integer2; break;
      case MQTTPROPERTY_CODE_ASSIGNED_CLIENT_IDENTIFER:
        limits.assigned_client_id = data_of(p.value.data);
        break;
      default: break;
    }
  }
  limits.session_present = data.alt.connect.sessionPresent != 0;
  if (data.alt.connect.serverURI != nullptr) limits.server_uri = data.alt.connect.serverURI;
  return limits;
}

void message_props_from(const MQTTProperties& props, MessageProps& out) {
  for (int i = 0; i < props.count; ++i) {
    const MQTTProperty& p = props.array[i];
    switch (p.identifier) {
      case MQTTPROPERTY_CODE_PAYLOAD_FORMAT_INDICATOR:
        out.payload_format = p.value.byte == 0 ? PayloadFormat::Unspecified : PayloadFormat::Utf8;
        break;
      case MQTTPROPERTY_CODE_MESSAGE_EXPIRY_INTERVAL: out.message_expiry = p.value.integer4; break;
      case MQTTPROPERTY_CODE_CONTENT_TYPE: out.content_type = data_of(p.value.data); break;
      case MQTTPROPERTY_CODE_RESPONSE_TOPIC: out.response_topic = data_of(p.value.data); break;
      case MQTTPROPERTY_CODE_CORRELATION_DATA: out.correlation_data = data_of(p.value.data); break;
      case MQTTPROPERTY_CODE_USER_PROPERTY:
        out.user.push_back({data_of(p.value.data), data_of(p.value.value)});
        break;
      default: break;  // topic alias, subscription ids: packet-level, not part of the message
    }
  }
}

LinkSink& sink_of(void* ctx) { return *static_cast<Uplink::Context*>(ctx)->sink; }
std::uint64_t generation_of(void* ctx) { return static_cast<Uplink::Context*>(ctx)->generation; }

LinkEvent event(void* ctx, LinkEvent::Kind kind) {
  LinkEvent e;
  e.kind = kind;
  e.generation = generation_of(ctx);
  return e;
}

void fill_failure(LinkEvent& e, const MQTTAsync_failureData5* data) {
  if (data == nullptr) return;
  e.token = data->token;
  e.code = data->code;
  e.reason = static_cast<int>(data->reasonCode);
  if (data->message != nullptr) e.text = data->message;
}

}  // namespace

Uplink::Uplink(Key, const BridgeOptions& options, std::string client_id, std::shared_ptr<Context> context)
    : options_(options), client_id_(std::move(client_id)), context_(std::move(context)) {}

Result<std::unique_ptr<Uplink>> Uplink::create(const BridgeOptions& options, std::string client_id,
                                               std::uint64_t generation,
                                               std::shared_ptr<LinkSink> sink) {
  if (options.servers.empty()) return fail(PahoErrc::NullParameter);
  auto context = std::make_shared<Context>(Context{std::move(sink), generation});
  auto link = std::make_unique<Uplink>(Key{}, options, std::move(client_id), std::move(context));
  for (const auto& uri : options.servers) link->uris_.push_back(uri);
  for (auto& uri : link->uris_) link->uri_ptrs_.push_back(uri.data());

  MQTTAsync_createOptions create = MQTTAsync_createOptions_initializer5;
  create.sendWhileDisconnected = 0;  // the outbox is the buffer, not Paho
  // Paho counts every PUBLISH its send thread has not written yet against maxBufferedMessages
  // (default 100), connected or not, and refuses the next one: with a window above 100 the bridge
  // was refused a send every burst and paused (docs/performance.md, "Bridge: outbox and drain").
  // Room for the whole window plus the status message.
  create.maxBufferedMessages =
      std::max(create.maxBufferedMessages, static_cast<int>(options.max_inflight) + 1);
  if (options.paho_limits.max_buffered > 0) create.maxBufferedMessages = options.paho_limits.max_buffered;
  create.MQTTVersion = MQTTVERSION_5;
  const int rc = MQTTAsync_createWithOptions(&link->handle_, link->uris_.front().c_str(),
                                             link->client_id_.c_str(), MQTTCLIENT_PERSISTENCE_NONE,
                                             nullptr, &create);
  if (rc != MQTTASYNC_SUCCESS) return fail(paho_error(rc));
  void* ctx = link->context_.get();
  const int cb = MQTTAsync_setCallbacks(link->handle_, ctx, &Uplink::on_connection_lost,
                                        &Uplink::on_message, nullptr);
  if (cb != MQTTASYNC_SUCCESS) return fail(paho_error(cb));
  return link;
}

Uplink::~Uplink() {
  if (handle_ != nullptr) MQTTAsync_destroy(&handle_);
}

Result<void> Uplink::connect(QoS will_qos, bool will_retain) {
  MQTTAsync_connectOptions opts = MQTTAsync_connectOptions_initializer5;
  opts.keepAliveInterval = static_cast<int>(options_.keep_alive.count());
  opts.cleanstart = 0;
  opts.cleansession = 0;
  opts.maxInflight = options_.paho_limits.max_inflight > 0 ? options_.paho_limits.max_inflight
                                                            : options_.max_inflight;
  opts.connectTimeout =
      static_cast<int>(std::max<std::int64_t>(1, (options_.connect_timeout.count() + 999) / 1000));
  opts.automaticReconnect = 0;  // the Bridge reconnects, with its own backoff and a fresh handle
  opts.serverURIcount = static_cast<int>(uri_ptrs_.size());
  opts.serverURIs = uri_ptrs_.data();
  opts.MQTTVersion = MQTTVERSION_5;
  if (options_.username) opts.username = options_.username->c_str();
  if (options_.password) {
    opts.binarypwd.data = options_.password->data();
    opts.binarypwd.len = static_cast<int>(options_.password->size());
  }
  opts.onSuccess5 = &Uplink::on_connect_success;
  opts.onFailure5 = &Uplink::on_connect_failure;
  opts.context = context_.get();

  Properties props;
  props.number(MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL,
               static_cast<std::uint32_t>(options_.session_expiry.count()));
  props.number(MQTTPROPERTY_CODE_RECEIVE_MAXIMUM, options_.receive_maximum);
  props.number(MQTTPROPERTY_CODE_MAXIMUM_PACKET_SIZE, options_.max_packet_size);
  opts.connectProperties = props.get();

  MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
  if (!options_.status_topic.empty()) {
    will_payload_ = R"({"status":"offline"})";
    will.topicName = options_.status_topic.c_str();
    will.payload.data = will_payload_.data();
    will.payload.len = static_cast<int>(will_payload_.size());
    will.retained = will_retain ? 1 : 0;
    will.qos = static_cast<int>(will_qos);
    opts.will = &will;
  }

  MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
  const auto& tls = options_.tls;
  if (!tls.ca_file.empty()) ssl.trustStore = tls.ca_file.c_str();
  if (!tls.cert_file.empty()) ssl.keyStore = tls.cert_file.c_str();
  if (!tls.key_file.empty()) ssl.privateKey = tls.key_file.c_str();
  if (!tls.key_password.empty()) ssl.privateKeyPassword = tls.key_password.c_str();
  ssl.enableServerCertAuth = tls.verify_peer ? 1 : 0;
  ssl.verify = tls.verify_hostname ? 1 : 0;
  ssl.ssl_error_cb = &log_tls_error;
  ssl.ssl_error_context = nullptr;
  bool tls_uri = false;
  for (const auto& uri : uris_) tls_uri = tls_uri || uri.starts_with("mqtts://") || uri.starts_with("ssl://");
  if (tls_uri) opts.ssl = &ssl;

  const int rc = MQTTAsync_connect(handle_, &opts);
  if (rc != MQTTASYNC_SUCCESS) return fail(paho_error(rc));
  return {};
}

Result<int> Uplink::publish(const Message& message) {
  MQTTAsync_message msg = MQTTAsync_message_initializer;
  msg.payload = const_cast<char*>(message.payload.data());
  msg.payloadlen = static_cast<int>(message.payload.size());
  msg.qos = static_cast<int>(message.qos);
  msg.retained = message.retain ? 1 : 0;
  Properties props;
  const MessageProps& p = message.props;
  if (p.payload_format) props.number(MQTTPROPERTY_CODE_PAYLOAD_FORMAT_INDICATOR, static_cast<std::uint32_t>(*p.payload_format));
  if (p.message_expiry) props.number(MQTTPROPERTY_CODE_MESSAGE_EXPIRY_INTERVAL, *p.message_expiry);
  if (p.content_type) props.string(MQTTPROPERTY_CODE_CONTENT_TYPE, *p.content_type);
  if (p.response_topic) props.string(MQTTPROPERTY_CODE_RESPONSE_TOPIC, *p.response_topic);
  if (p.correlation_data) props.string(MQTTPROPERTY_CODE_CORRELATION_DATA, *p.correlation_data);
  for (const auto& u : p.user) props.user(u.name, u.value);
  msg.properties = *props.get();

  MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
  opts.onSuccess5 = &Uplink::on_send_success;
  opts.onFailure5 = &Uplink::on_send_failure;
  opts.context = context_.get();
  const int rc = MQTTAsync_sendMessage(handle_, message.topic.c_str(), &msg, &opts);
  if (rc != MQTTASYNC_SUCCESS) return fail(paho_error(rc));
  return opts.token;
}

Result<int> Uplink::publish_with_id(const Message&, std::uint16_t, Attempt) {
  return fail(std::errc::operation_not_supported);
}

Result<void> Uplink::subscribe(const std::string& filter, QoS qos) {
  MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
  opts.onSuccess5 = &Uplink::on_subscribe_success;
  opts.onFailure5 = &Uplink::on_subscribe_failure;
  opts.context = context_.get();
  opts.subscribeOptions.noLocal = 1;
  const int rc = MQTTAsync_subscribe(handle_, filter.c_str(), static_cast<int>(qos), &opts);
  if (rc != MQTTASYNC_SUCCESS) return fail(paho_error(rc));
  return {};
}

Result<void> Uplink::disconnect(std::chrono::milliseconds timeout) {
  MQTTAsync_disconnectOptions opts = MQTTAsync_disconnectOptions_initializer5;
  opts.timeout = static_cast<int>(timeout.count());
  opts.onSuccess5 = &Uplink::on_disconnect_success;
  opts.onFailure5 = &Uplink::on_disconnect_failure;
  opts.context = context_.get();
  opts.reasonCode = MQTTREASONCODE_NORMAL_DISCONNECTION;
  const int rc = MQTTAsync_disconnect(handle_, &opts);
  if (rc != MQTTASYNC_SUCCESS) return fail(paho_error(rc));
  return {};
}

void Uplink::on_connect_success(void* ctx, MQTTAsync_successData5* data) {
  LinkEvent e = event(ctx, LinkEvent::Kind::Connected);
  if (data != nullptr) e.limits = limits_from(*data);
  sink_of(ctx).on_link_event(std::move(e));
}

void Uplink::on_connect_failure(void* ctx, MQTTAsync_failureData5* data) {
  LinkEvent e = event(ctx, LinkEvent::Kind::ConnectFailed);
  fill_failure(e, data);
  sink_of(ctx).on_link_event(std::move(e));
}

void Uplink::on_send_success(void* ctx, MQTTAsync_successData5* data) {
  LinkEvent e = event(ctx, LinkEvent::Kind::SendDone);
  if (data != nullptr) {
    e.token = data->token;
    e.reason = static_cast<int>(data->reasonCode);
  }
  sink_of(ctx).on_link_event(std::move(e));
}

void Uplink::on_send_failure(void* ctx, MQTTAsync_failureData5* data) {
  LinkEvent e = event(ctx, LinkEvent::Kind::SendFailed);
  fill_failure(e, data);
  sink_of(ctx).on_link_event(std::move(e));
}

void Uplink::on_subscribe_success(void* ctx, MQTTAsync_successData5* data) {
  // A SUBACK whose reason code is a failure still arrives here for a single filter.
  if (data == nullptr || static_cast<int>(data->reasonCode) < 0x80) return;
  LinkEvent e = event(ctx, LinkEvent::Kind::SubscribeFailed);
  e.reason = static_cast<int>(data->reasonCode);
  sink_of(ctx).on_link_event(std::move(e));
}

void Uplink::on_subscribe_failure(void* ctx, MQTTAsync_failureData5* data) {
  LinkEvent e = event(ctx, LinkEvent::Kind::SubscribeFailed);
  fill_failure(e, data);
  sink_of(ctx).on_link_event(std::move(e));
}

void Uplink::on_disconnect_success(void* ctx, MQTTAsync_successData5*) {
  sink_of(ctx).on_link_event(event(ctx, LinkEvent::Kind::Disconnected));
}

void Uplink::on_disconnect_failure(void* ctx, MQTTAsync_failureData5* data) {
  LinkEvent e = event(ctx, LinkEvent::Kind::Disconnected);
  fill_failure(e, data);
  sink_of(ctx).on_link_event(std::move(e));
}

void Uplink::on_connection_lost(void* ctx, char* cause) {
  LinkEvent e = event(ctx, LinkEvent::Kind::ConnectionLost);
  if (cause != nullptr) e.text = cause;
  sink_of(ctx).on_link_event(std::move(e));
}

int Uplink::on_message(void* ctx, char* topic, int topic_len, MQTTAsync_message* message) {
  Message m;
  m.topic = topic_len > 0 ? std::string(topic, static_cast<std::size_t>(topic_len)) : std::string(topic);
  m.payload.assign(static_cast<const char*>(message->payload), static_cast<std::size_t>(message->payloadlen));
  m.qos = message->qos <= 0 ? QoS::AtMostOnce : (message->qos == 1 ? QoS::AtLeastOnce : QoS::ExactlyOnce);
  m.retain = message->retained != 0;
  message_props_from(message->properties, m.props);
  MQTTAsync_freeMessage(&message);
  MQTTAsync_free(topic);
  sink_of(ctx).on_remote_message(generation_of(ctx), std::move(m));
  return 1;  // handled: Paho acknowledges it
}

}  // namespace gw::bridge
