// SendRefusal: Paho's refusals of MQTTAsync_sendMessage sorted into the classes the metrics carry.
#include <MQTTAsync.h>

#include <gtest/gtest.h>

#include "gateway/bridge/paho_errc.hpp"
#include "gateway/bridge/send_refusal.hpp"

namespace gw::bridge {
namespace {

TEST(SendRefusal, ClassifiesPahoReturnCodes) {
  EXPECT_EQ(classify_send_refusal(paho_error(MQTTASYNC_MAX_BUFFERED_MESSAGES)), SendRefusal::BufferFull);
  EXPECT_EQ(classify_send_refusal(paho_error(MQTTASYNC_MAX_MESSAGES_INFLIGHT)), SendRefusal::InflightFull);
  EXPECT_EQ(classify_send_refusal(paho_error(MQTTASYNC_DISCONNECTED)), SendRefusal::Disconnected);
  EXPECT_EQ(classify_send_refusal(paho_error(MQTTASYNC_BAD_UTF8_STRING)), SendRefusal::Other);
  EXPECT_EQ(classify_send_refusal(paho_error(MQTTASYNC_NO_MORE_MSGIDS)), SendRefusal::Other);
}

TEST(SendRefusal, ClassifiesTheNativeClientsErrors) {
  EXPECT_EQ(classify_send_refusal(std::make_error_code(std::errc::not_connected)), SendRefusal::Disconnected);
  EXPECT_EQ(classify_send_refusal(std::make_error_code(std::errc::resource_unavailable_try_again)),
            SendRefusal::InflightFull);
  EXPECT_EQ(classify_send_refusal(std::make_error_code(std::errc::invalid_argument)), SendRefusal::Other);
}

TEST(SendRefusal, CodesOfAnotherDomainAreOther) {
  // -3 is Paho's Disconnected, but only in the "paho" domain.
  EXPECT_EQ(classify_send_refusal(std::error_code(-3, std::generic_category())), SendRefusal::Other);
  EXPECT_EQ(classify_send_refusal(std::make_error_code(std::errc::connection_reset)), SendRefusal::Other);
}

TEST(SendRefusal, NamesAreTheMetricLabels) {
  EXPECT_EQ(to_string(SendRefusal::BufferFull), "buffer_full");
  EXPECT_EQ(to_string(SendRefusal::InflightFull), "inflight_full");
  EXPECT_EQ(to_string(SendRefusal::Disconnected), "disconnected");
  EXPECT_EQ(to_string(SendRefusal::Other), "other");
}

TEST(SendRefusal, CountsAddUpPerReason) {
  SendRefusalCounts c;
  ++c[SendRefusal::BufferFull];
  ++c[SendRefusal::BufferFull];
  ++c[SendRefusal::Other];
  EXPECT_EQ(c[SendRefusal::BufferFull], 2u);
  EXPECT_EQ(c[SendRefusal::Disconnected], 0u);
  EXPECT_EQ(c.total(), 3u);
}

}  // namespace
}  // namespace gw::bridge
