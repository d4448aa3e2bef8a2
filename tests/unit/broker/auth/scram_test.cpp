// SCRAM server exchanges against published and independently computed vectors: RFC 7677's
// SCRAM-SHA-256 example, and a SCRAM-SHA-512 exchange computed with Python's hashlib/hmac.
#include "broker/auth/scram.hpp"

#include <gtest/gtest.h>

#include "broker/auth/password_file.hpp"

namespace gw::broker::auth {
namespace {

// RFC 7677 §3: user "user", password "pencil".
constexpr const char* kRfcClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr const char* kRfcServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr const char* kRfcServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr const char* kRfcClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr const char* kRfcServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
// The same credential as a password-file entry (StoredKey/ServerKey computed with Python).
constexpr const char* kRfcEntry =
    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";

ScramCredential rfc_credential() {
  auto c = derive_scram_credential(Hash::Sha256, "pencil", *unbase64("W22ZaJ0SNY7soEsUEjb6gQ=="),
                                   4096);
  EXPECT_TRUE(c.has_value());
  return *c;
}

TEST(Scram, FollowsTheRfc7677Example) {
  ScramServer server(Hash::Sha256, kRfcServerNonce);
  auto user = server.client_first(kRfcClientFirst);
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(*user, "user");
  EXPECT_EQ(server.server_first(rfc_credential()), kRfcServerFirst);
  auto final_message = server.client_final(kRfcClientFinal);
  ASSERT_TRUE(final_message.has_value()) << server.problem();
  EXPECT_EQ(*final_message, kRfcServerFinal);
  EXPECT_TRUE(server.authenticated());
}

TEST(Scram, APasswordFileEntryCarriesTheSameCredential) {
  const auto from_file = scram_credential(kRfcEntry, Hash::Sha256);
  ASSERT_TRUE(from_file.has_value());
  EXPECT_EQ(*from_file, rfc_credential());
  EXPECT_FALSE(scram_credential(kRfcEntry, Hash::Sha512).has_value());
  EXPECT_TRUE(verify_password(kRfcEntry, "pencil"));
  EXPECT_FALSE(verify_password(kRfcEntry, "pencil2"));
  // `$7$` entries never serve SCRAM: that would need their digest, a password equivalent.
  EXPECT_FALSE(scram_credential(hash_password("pencil", kMinIterations), Hash::Sha512));
}

TEST(Scram, Sha512ExchangeMatchesAnIndependentComputation) {
  constexpr const char* kEntry =
      "SCRAM-SHA-512$4096:ZWRnZS1nYXRld2F5IHNhbHQ=$suOFCZN56FYWixd5F54ZvNMemKEJdHUA5BaOUw7BM1gDF/"
      "TSmFkndkQV/8PPSyKLMAXsEDvvIFMoEb5tVJB0xQ==:w98ajY+UbSU7X6G1AKKsKAlFz1lGYKfWwYq1IauiIColMtHq"
      "k42elmytfAoBIHVfWNw3qosFNH48+U/8QdyP8g==";
  const auto credential = scram_credential(kEntry, Hash::Sha512);
  ASSERT_TRUE(credential.has_value());
  EXPECT_TRUE(verify_password(kEntry, "pencil"));
  ScramServer server(Hash::Sha512, "servernonce456");
  ASSERT_TRUE(server.client_first("n,,n=user,r=clientnonce123").has_value());
  EXPECT_EQ(server.server_first(*credential),
            "r=clientnonce123servernonce456,s=ZWRnZS1nYXRld2F5IHNhbHQ=,i=4096");
  auto final_message = server.client_final(
      "c=biws,r=clientnonce123servernonce456,p=VEqzWnnXR2UykIR8P+5ij+mKpRMFKRya8tCD1MM/"
      "AuNPQMcne7GbUsPrOoCVwDGFkRmBizbogZ+2jiAnfmoScA==");
  ASSERT_TRUE(final_message.has_value()) << server.problem();
  EXPECT_EQ(*final_message,
            "v=r8cnNZzRjsM+L9XkCYHO2y9h0vqsCQCdpPTpH0PFrg+fLy+EyoQ5/qyff3D66Xl4xw0NDlG7PFTBs5RMQTYHjQ==");
}

TEST(Scram, AWrongPasswordIsRefusedAtTheProof) {
  ScramServer server(Hash::Sha256, kRfcServerNonce);
  ASSERT_TRUE(server.client_first(kRfcClientFirst).has_value());
  auto other = derive_scram_credential(Hash::Sha256, "not-pencil",
                                       *unbase64("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
  ASSERT_TRUE(other.has_value());
  server.server_first(*other);
  auto final_message = server.client_final(kRfcClientFinal);
  ASSERT_FALSE(final_message.has_value());
  EXPECT_EQ(final_message.error(), std::make_error_code(std::errc::permission_denied));
  EXPECT_FALSE(server.authenticated());
  // The exchange is over: a second attempt on the same object is out of order.
  EXPECT_EQ(server.client_final(kRfcClientFinal).error(),
            std::make_error_code(std::errc::invalid_argument));
}

TEST(Scram, UnknownUsersGetAStableFakeSaltAndNeverPass) {
  const auto a1 = fake_scram_credential(Hash::Sha256, "mallory", "process key", 4096);
  const auto a2 = fake_scram_credential(Hash::Sha256, "mallory", "process key", 4096);
  const auto b = fake_scram_credential(Hash::Sha256, "trudy", "process key", 4096);
  EXPECT_EQ(a1.salt, a2.salt);  // probing twice shows nothing changes
  EXPECT_NE(a1.salt, b.salt);
  EXPECT_NE(a1.stored_key, a2.stored_key);
  ScramServer server(Hash::Sha256, kRfcServerNonce);
  ASSERT_TRUE(server.client_first(kRfcClientFirst).has_value());
  server.server_first(a1);
  EXPECT_EQ(server.client_final(kRfcClientFinal).error(),
            std::make_error_code(std::errc::permission_denied));
}

struct BadFirst {
  const char* message;
  std::errc code;
};

class ScramClientFirst : public ::testing::TestWithParam<BadFirst> {};

TEST_P(ScramClientFirst, IsRefusedWithItsReason) {
  ScramServer server(Hash::Sha256);
  auto r = server.client_first(GetParam().message);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), std::make_error_code(GetParam().code));
  EXPECT_FALSE(server.problem().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, ScramClientFirst,
    ::testing::Values(BadFirst{"", std::errc::invalid_argument},
                      BadFirst{"n,,n=user", std::errc::invalid_argument},
                      BadFirst{"x,,n=user,r=abc", std::errc::invalid_argument},
                      BadFirst{"n,,r=abc,n=user", std::errc::invalid_argument},
                      BadFirst{"n,,n=,r=abc", std::errc::invalid_argument},
                      BadFirst{"n,,n=us=er,r=abc", std::errc::invalid_argument},
                      BadFirst{"n,,n=user,r=", std::errc::invalid_argument},
                      BadFirst{"n,,n=user,r=a b", std::errc::invalid_argument},
                      BadFirst{"p=tls-unique,,n=user,r=abc", std::errc::not_supported},
                      BadFirst{"n,a=admin,n=user,r=abc", std::errc::not_supported},
                      BadFirst{"n,,m=ext,n=user,r=abc", std::errc::not_supported}));

TEST(Scram, AcceptsEscapedNamesAndItsOwnAuthorizationIdentity) {
  ScramServer server(Hash::Sha256);
  auto user = server.client_first("y,a=a=2Cb,n=a=2Cb,r=abc");
  ASSERT_TRUE(user.has_value()) << server.problem();
  EXPECT_EQ(*user, "a,b");
}

TEST(Scram, ClientFinalMustContinueTheExchange) {
  const auto cases = {
      // another nonce
      std::string("c=biws,r=rOprNGfwEbeRWgbNEkqOother,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="),
      // channel binding data that does not repeat the gs2 header "n,,"
      std::string("c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                  "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="),
      // no proof
      std::string("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"),
      // a proof of the wrong size
      std::string("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=AAAA"),
  };
  for (const auto& message : cases) {
    ScramServer server(Hash::Sha256, kRfcServerNonce);
    ASSERT_TRUE(server.client_first(kRfcClientFirst).has_value());
    server.server_first(rfc_credential());
    auto r = server.client_final(message);
    ASSERT_FALSE(r.has_value()) << message;
    EXPECT_EQ(r.error(), std::make_error_code(std::errc::invalid_argument)) << message;
  }
  ScramServer early(Hash::Sha256);
  EXPECT_FALSE(early.client_final(kRfcClientFinal).has_value());
}

TEST(Scram, MechanismNames) {
  EXPECT_EQ(scram_mechanism(Hash::Sha256), "SCRAM-SHA-256");
  EXPECT_EQ(scram_hash("SCRAM-SHA-512"), Hash::Sha512);
  EXPECT_FALSE(scram_hash("SCRAM-SHA-256-PLUS").has_value());
  EXPECT_FALSE(scram_hash("scram-sha-256").has_value());
}

TEST(ScramEntries, PasswdWritesThemAndTheyVerifyPlainPasswords) {
  for (auto scheme : {PasswordScheme::ScramSha256, PasswordScheme::ScramSha512}) {
    const std::string entry = hash_password("s3cret", kMinIterations, scheme);
    const Hash hash = scheme == PasswordScheme::ScramSha256 ? Hash::Sha256 : Hash::Sha512;
    EXPECT_TRUE(entry.starts_with(std::string(scram_mechanism(hash)) + "$1000:")) << entry;
    EXPECT_TRUE(is_valid_hash(entry));
    EXPECT_TRUE(verify_password(entry, "s3cret"));
    EXPECT_FALSE(verify_password(entry, "s3cret "));
    // The dummy for unknown users costs what this entry costs, and is of its kind.
    EXPECT_TRUE(hash_like(entry, "x").starts_with(std::string(scram_mechanism(hash)) + "$1000:"));
  }
}

TEST(ScramEntries, MalformedOnesAreRefusedByTheFileParser) {
  const std::string good = kRfcEntry;
  for (const std::string& bad : {
           std::string("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ=="),            // no keys
           std::string("SCRAM-SHA-1$4096:W22ZaJ0SNY7soEsUEjb6gQ==$AA==:AA=="),    // unknown hash
           std::string("SCRAM-SHA-256$0:W22ZaJ0SNY7soEsUEjb6gQ==$") + good.substr(good.rfind('$') + 1),
           std::string("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$AAAA:AAAA"),  // short keys
           std::string("SCRAM-SHA-256$4096:$") + good.substr(good.rfind('$') + 1),  // no salt
       }) {
    EXPECT_FALSE(is_valid_hash(bad)) << bad;
    const auto parsed = parse_password_file("u:" + bad + "\n");
    EXPECT_EQ(parsed.errors.size(), 1U) << bad;
  }
  EXPECT_TRUE(parse_password_file("u:" + good + "\n").errors.empty());
}

}  // namespace
}  // namespace gw::broker::auth
