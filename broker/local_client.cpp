#include "broker/local_client.hpp"

#include <algorithm>

#include "broker/protocol/topic_filter.hpp"
#include "broker/protocol/topic_name.hpp"
#include "broker/sys_topic.hpp"
#include "core/mqtt_errc.hpp"

namespace gw::broker {
namespace {

// Every string property fits the two-byte length MQTT gives it (MQTT 5 §1.5.4, §1.5.6).
bool strings_fit(const MessageProps& p) {
  constexpr std::size_t kMax = 65'535;
  const auto fits = [](const std::optional<std::string>& s) { return !s || s->size() <= kMax; };
  return fits(p.content_type) && fits(p.response_topic) && fits(p.correlation_data) &&
         std::all_of(p.user.begin(), p.user.end(), [](const UserProperty& u) {
           return u.name.size() <= kMax && u.value.size() <= kMax;
         });
}

}  // namespace

LocalClient::LocalClient(Broker& broker, std::string name)
    : broker_(broker), name_(std::move(name)), id_(broker.add_local_subscriber()) {}

LocalClient::~LocalClient() { broker_.remove_local_subscriber(id_); }

Result<void> LocalClient::publish(Message message) {
  if (auto topic = protocol::TopicName::make(message.topic); !topic) return Failure{topic.error()};
  if (!strings_fit(message.props)) return fail(MqttErrc::MalformedPacket);
  // $SYS/ is the broker's: only its own statistics publisher (Broker::publish) writes there, as
  // for a network client (broker.cpp refuses a client PUBLISH into it the same way).
  if (is_sys_topic(message.topic)) return fail(MqttErrc::NotAuthorized);
  broker_.publish_local(std::move(message), id_);
  return {};
}

Result<void> LocalClient::subscribe(std::string filter, Handler handler,
                                    SubscribeOptions options) {
  auto valid = protocol::TopicFilter::make(std::move(filter));
  if (!valid) return Failure{valid.error()};
  broker_.subscribe_local(id_, *valid, std::move(handler), options.no_local,
                          options.send_retained);
  return {};
}

void LocalClient::set_backlog(std::shared_ptr<LocalBacklog> backlog) {
  broker_.set_local_backlog(id_, std::move(backlog));
}

void LocalClient::on_backlog_progress() { broker_.on_local_backlog_progress(id_); }

bool LocalClient::unsubscribe(std::string_view filter) {
  return broker_.unsubscribe_local(id_, filter);
}

}  // namespace gw::broker
