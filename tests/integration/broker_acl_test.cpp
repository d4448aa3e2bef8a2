// What clients may do: the real edge-gateway broker with an ACL in its YAML, against
// mosquitto_pub / mosquitto_sub (MQTT 5 and 3.1.1) and users from a password file.
#include <chrono>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/gateway_process.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

class BrokerAcl : public ::testing::Test {
 protected:
  void SetUp() override {
    passwd_ = (files_.path() / "passwd").string();
    ASSERT_EQ(run({"mosquitto_passwd", "-c", "-b", passwd_, "hmi", "hmi-pw"}, 20s).code, 0);
    ASSERT_EQ(run({"mosquitto_passwd", "-b", passwd_, "guest", "guest-pw"}, 20s).code, 0);
    gw_ = std::make_unique<GatewayProcess>(
        "  password_file: " + passwd_ +
        "\n"
        "  acl:\n"
        "    - {user: guest, topic: \"plant/secret/#\", deny: [subscribe, receive]}\n"
        "    - {user: guest, topic: \"plant/boiler/alarm\", deny: receive}\n"
        "    - {topic: \"plant/#\", allow: [subscribe, receive]}\n"
        "    - {user: hmi, topic: \"plant/#\", allow: publish}\n"
        "    - {topic: \"users/%u/#\", allow: [publish, subscribe, receive]}\n");
    ASSERT_TRUE(gw_->ready()) << gw_->process().output();
  }

  std::vector<std::string> args(const char* tool, const char* version, const std::string& user,
                                const std::string& pw) const {
    std::vector<std::string> a{tool, "-h", "127.0.0.1", "-p", gw_->port_str(), "-V", version};
    if (!user.empty()) a.insert(a.end(), {"-u", user, "-P", pw});
    return a;
  }

  RunResult pub(const char* version, const std::string& user, const std::string& pw,
                const std::string& topic, const char* qos = "1") const {
    auto a = args("mosquitto_pub", version, user, pw);
    a.insert(a.end(), {"-t", topic, "-m", "m", "-q", qos});
    return run(a, 20s);
  }

  // A subscriber that is subscribed when this returns (its -d output says so).
  std::unique_ptr<Process> sub(const char* version, const std::string& user, const std::string& pw,
                               const std::string& filter) const {
    auto a = args("mosquitto_sub", version, user, pw);
    a.insert(a.end(), {"-t", filter, "-v", "-d", "-W", "10"});
    a.insert(a.begin(), {"stdbuf", "-oL"});
    auto p = std::make_unique<Process>(a);
    wait_until([&] {
      return p->output().find("SUBACK") != std::string::npos || !p->running();
    });
    return p;
  }

  TempDir files_;
  std::string passwd_;
  std::unique_ptr<GatewayProcess> gw_;
};

TEST_F(BrokerAcl, DeniedPublishIsRefusedInTheAckAndNotDelivered) {
  auto watcher = sub("mqttv5", "hmi", "hmi-pw", "plant/#");
  ASSERT_TRUE(watcher->running()) << watcher->output();
  // guest may not publish commands: PUBACK 0x87 in MQTT 5.
  const auto denied = pub("mqttv5", "guest", "guest-pw", "plant/boiler/set");
  EXPECT_THAT(denied.output, HasSubstr("Not authorized")) << denied.output;
  // MQTT 3.1.1 cannot say so: acknowledged as usual, and dropped.
  EXPECT_EQ(pub("mqttv311", "guest", "guest-pw", "plant/boiler/set").code, 0);
  // hmi may; its message is the only one the watcher sees.
  const auto allowed = pub("mqttv5", "hmi", "hmi-pw", "plant/boiler/set");
  EXPECT_EQ(allowed.code, 0) << allowed.output;
  ASSERT_TRUE(wait_until([&] {
    return watcher->output().find("plant/boiler/set m") != std::string::npos;
  })) << watcher->output();
  const auto& out = watcher->output();
  EXPECT_EQ(out.find("plant/boiler/set m"), out.rfind("plant/boiler/set m"))
      << "a denied message was delivered:\n" << out;
  EXPECT_THAT(gw_->process().output(), HasSubstr("PUBLISH to 'plant/boiler/set' not authorised"));
}

TEST_F(BrokerAcl, DeniedSubscriptionsGetTheirReasonCode) {
  auto v5 = sub("mqttv5", "guest", "guest-pw", "plant/#");
  ASSERT_TRUE(wait_until([&] { return !v5->running(); })) << v5->output();
  EXPECT_THAT(v5->output(), HasSubstr("All subscription requests were denied"));
  auto v311 = sub("mqttv311", "guest", "guest-pw", "#");
  ASSERT_TRUE(wait_until([&] { return !v311->running(); })) << v311->output();
  EXPECT_THAT(v311->output(), HasSubstr("All subscription requests were denied"));
  // Inside what the rules allow: granted.
  auto ok = sub("mqttv5", "guest", "guest-pw", "plant/boiler/#");
  EXPECT_TRUE(ok->running()) << ok->output();
  EXPECT_THAT(ok->output(), Not(HasSubstr("denied")));
}

TEST_F(BrokerAcl, AClientReceivesOnlyWhatItMayRead) {
  // guest may subscribe to plant/boiler/#, but not read the alarm topic inside it.
  auto guest = sub("mqttv5", "guest", "guest-pw", "plant/boiler/#");
  ASSERT_TRUE(guest->running()) << guest->output();
  EXPECT_EQ(pub("mqttv5", "hmi", "hmi-pw", "plant/boiler/alarm").code, 0);
  EXPECT_EQ(pub("mqttv5", "hmi", "hmi-pw", "plant/boiler/temp").code, 0);
  // Same publisher, same QoS: the alarm would have arrived before the temperature.
  ASSERT_TRUE(wait_until([&] {
    return guest->output().find("plant/boiler/temp m") != std::string::npos;
  })) << guest->output();
  EXPECT_THAT(guest->output(), Not(HasSubstr("plant/boiler/alarm")));
}

TEST_F(BrokerAcl, PatternRulesGiveEachUserItsOwnTopics) {
  // "users/#" is not inside "users/hmi/#": refused.
  auto all = sub("mqttv5", "hmi", "hmi-pw", "users/#");
  ASSERT_TRUE(wait_until([&] { return !all->running(); })) << all->output();
  auto own = sub("mqttv5", "hmi", "hmi-pw", "users/hmi/#");
  ASSERT_TRUE(own->running()) << own->output();
  EXPECT_THAT(pub("mqttv5", "guest", "guest-pw", "users/hmi/inbox").output,
              HasSubstr("Not authorized"));
  EXPECT_EQ(pub("mqttv5", "guest", "guest-pw", "users/guest/inbox").code, 0);
  EXPECT_EQ(pub("mqttv5", "hmi", "hmi-pw", "users/hmi/inbox").code, 0);
  ASSERT_TRUE(wait_until([&] {
    return own->output().find("users/hmi/inbox m") != std::string::npos;
  })) << own->output();
  EXPECT_EQ(own->output().find("users/hmi/inbox m"), own->output().rfind("users/hmi/inbox m"));
}

TEST_F(BrokerAcl, ASharedGroupGivesEachMessageToAMemberThatMayReadIt) {
  // Both are in one share group; guest may not read the alarm topic, hmi may. Round robin alone
  // would hand every other alarm to guest, where the ACL would drop it.
  auto guest = sub("mqttv5", "guest", "guest-pw", "$share/g/plant/boiler/#");
  auto hmi = sub("mqttv5", "hmi", "hmi-pw", "$share/g/plant/boiler/#");
  ASSERT_TRUE(guest->running()) << guest->output();
  ASSERT_TRUE(hmi->running()) << hmi->output();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(pub("mqttv5", "hmi", "hmi-pw", "plant/boiler/alarm").code, 0);
  const auto alarms = [&] {
    const std::string& out = hmi->output();
    int n = 0;
    for (auto at = out.find("plant/boiler/alarm m"); at != std::string::npos;
         at = out.find("plant/boiler/alarm m", at + 1)) {
      ++n;
    }
    return n;
  };
  EXPECT_TRUE(wait_until([&] { return alarms() == 4; })) << hmi->output();
  // Messages guest may read still take turns between the members.
  EXPECT_EQ(pub("mqttv5", "hmi", "hmi-pw", "plant/boiler/temp").code, 0);
  EXPECT_EQ(pub("mqttv5", "hmi", "hmi-pw", "plant/boiler/temp").code, 0);
  EXPECT_TRUE(wait_until([&] {
    return guest->output().find("plant/boiler/temp m") != std::string::npos &&
           hmi->output().find("plant/boiler/temp m") != std::string::npos;
  })) << guest->output() << hmi->output();
  EXPECT_THAT(guest->output(), Not(HasSubstr("plant/boiler/alarm")));
}

TEST_F(BrokerAcl, APublisherHearsNoMatchingSubscribersWhenTheAclWithheldEveryCopy) {
  auto guest = sub("mqttv5", "guest", "guest-pw", "plant/boiler/#");
  ASSERT_TRUE(guest->running()) << guest->output();
  const auto publish_debug = [&](const std::string& topic) {
    auto a = args("mosquitto_pub", "mqttv5", "hmi", "hmi-pw");
    a.insert(a.end(), {"-t", topic, "-m", "m", "-q", "1", "-d"});
    return run(a, 20s);
  };
  // MQTT 5 §3.4.2.1: 0x10 (16) when nobody received it; guest is the only subscriber and may not.
  const auto withheld = publish_debug("plant/boiler/alarm");
  EXPECT_THAT(withheld.output, HasSubstr("RC:16")) << withheld.output;
  const auto delivered = publish_debug("plant/boiler/temp");
  EXPECT_THAT(delivered.output, HasSubstr("RC:0")) << delivered.output;
}

}  // namespace
}  // namespace gw::test
