#include "broker/auth/password_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace gw::broker::auth {
namespace {

// Computed independently (Python's hashlib) for password "secret", salt 01..0c.
constexpr const char* kPbkdf2 =
    "$7$1000$AQIDBAUGBwgJCgsM$phZ+4jy6/E2V8Jp4yzDn0+uk3XusNMNCzaF1ETZ1etLITSUISozPh+j3m20pEOk0Ox1mY1"
    "WFta+Jza4Bpvamjg==";
constexpr const char* kSha512 =
    "$6$AQIDBAUGBwgJCgsM$XtaqFTpVqKCBusKxL7SramYPpHVSOw+CXtRUIv0PpX6q57MW1a1RUVsLMxkhMn6XOYi3uYMZcGr"
    "MAEzcnh9EoA==";

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(PasswordHash, VerifiesMosquittoCompatibleHashesComputedElsewhere) {
  EXPECT_TRUE(verify_password(kPbkdf2, "secret"));
  EXPECT_FALSE(verify_password(kPbkdf2, "Secret"));
  EXPECT_FALSE(verify_password(kPbkdf2, ""));
  EXPECT_TRUE(verify_password(kSha512, "secret"));
  EXPECT_FALSE(verify_password(kSha512, "secret "));
}

TEST(PasswordHash, NewHashesAreSaltedPbkdf2AndVerify) {
  const std::string a = hash_password("pw", 1000);
  const std::string b = hash_password("pw", 1000);
  EXPECT_TRUE(a.starts_with("$7$1000$"));
  EXPECT_NE(a, b) << "the salt must differ";
  EXPECT_TRUE(verify_password(a, "pw"));
  EXPECT_TRUE(verify_password(b, "pw"));
  EXPECT_FALSE(verify_password(a, "pw2"));
  EXPECT_TRUE(hash_password("x").starts_with("$7$100000$"));
}

TEST(PasswordHash, RejectsMalformedHashesInsteadOfMatchingThem) {
  for (const char* bad : {"", "secret", "$7$", "$7$1000$AQIDBAUGBwgJCgsM$", "$7$0$AQID$AQID",
                          "$7$x$AQIDBAUGBwgJCgsM$AQID", "$5$AQID$AQID", "$6$AQIDBAUGBwgJCgsM$AAAA",
                          "$7$1000$AQIDBAUGBwgJCgs$phZ+4jy6"}) {
    EXPECT_FALSE(is_valid_hash(bad)) << bad;
    EXPECT_FALSE(verify_password(bad, "secret")) << bad;
  }
}

TEST(PasswordFile, ParsesUsersAndReportsEveryBadLine) {
  const std::string text = std::string("# users\n\nalice:") + kPbkdf2 + "\r\nbob:plain\n:" +
                           kPbkdf2 + "\nno colon\nalice:" + kSha512 + "\ncarol:" + kSha512 + "\n";
  const auto parsed = parse_password_file(text);
  ASSERT_EQ(parsed.users.size(), 2U);
  EXPECT_EQ(parsed.users.at("alice"), kPbkdf2);
  EXPECT_EQ(parsed.users.at("carol"), kSha512);
  ASSERT_EQ(parsed.errors.size(), 4U);
  EXPECT_EQ(parsed.errors[0].line, 4U);
  EXPECT_EQ(parsed.errors[0].message,
            "user 'bob': not a password hash ($7$ PBKDF2-SHA512, SCRAM-SHA-256$, "
            "SCRAM-SHA-512$ or $6$ SHA-512); plain-text "
            "passwords are not accepted: set it with `edge-gateway passwd`");
  EXPECT_EQ(parsed.errors[1].line, 5U);
  EXPECT_EQ(parsed.errors[1].message, "empty user name");
  EXPECT_EQ(parsed.errors[2].line, 6U);
  EXPECT_EQ(parsed.errors[2].message, "expected 'user:hash'");
  EXPECT_EQ(parsed.errors[3].line, 7U);
  EXPECT_EQ(parsed.errors[3].message, "user 'alice' is listed twice");
}

TEST(PasswordFile, LoadSaysWhyItFailed) {
  test::TempDir dir;
  std::vector<PasswordFileError> errors;
  auto missing = load_password_file((dir.path() / "none").string(), &errors);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), std::errc::no_such_file_or_directory);
  EXPECT_TRUE(errors.empty());
  auto bad = load_password_file(dir.write("bad", "x:y\n"), &errors);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), std::errc::invalid_argument);
  ASSERT_EQ(errors.size(), 1U);
}

TEST(PasswordFile, UpdateAddsChangesAndRemovesUsersKeepingTheRest) {
  test::TempDir dir;
  const std::string path = (dir.path() / "passwd").string();
  ASSERT_TRUE(update_password_file(path, "alice", "one", 1000));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640U);
  auto users = load_password_file(path, nullptr);
  ASSERT_TRUE(users);
  EXPECT_TRUE(verify_password(users->at("alice"), "one"));

  // A hand-written comment and a user from elsewhere survive every update, in order.
  {
    std::ofstream out(path, std::ios::app);
    out << "# the HMI\nhmi:" << kPbkdf2 << "\n";
  }
  ASSERT_TRUE(update_password_file(path, "alice", "two", 1000));
  ASSERT_TRUE(update_password_file(path, "bob", "three", 1000));
  users = load_password_file(path, nullptr);
  ASSERT_TRUE(users);
  EXPECT_TRUE(verify_password(users->at("alice"), "two"));
  EXPECT_TRUE(verify_password(users->at("bob"), "three"));
  EXPECT_TRUE(verify_password(users->at("hmi"), "secret"));
  const std::string text = read(path);
  EXPECT_LT(text.find("alice:"), text.find("# the HMI"));
  EXPECT_LT(text.find("hmi:"), text.find("bob:"));

  ASSERT_TRUE(update_password_file(path, "alice", std::nullopt));
  users = load_password_file(path, nullptr);
  ASSERT_TRUE(users);
  EXPECT_FALSE(users->contains("alice"));
  EXPECT_EQ(users->size(), 2U);
  // Nothing to remove, a bad name: refused, file unchanged.
  const std::string before = read(path);
  EXPECT_FALSE(update_password_file(path, "alice", std::nullopt));
  EXPECT_FALSE(update_password_file(path, "a:b", "x", 1000));
  EXPECT_EQ(read(path), before);
}

TEST(PasswordFile, UpdateKeepsTheOwnerAndModeOfTheFile) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the file another owner";
  test::TempDir dir;
  const std::string path = (dir.path() / "passwd").string();
  ASSERT_TRUE(update_password_file(path, "alice", "one", 1000));
  // As installed: root:<service group>, readable by the group only.
  ASSERT_EQ(::chown(path.c_str(), 0, 4242), 0);
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  ASSERT_TRUE(update_password_file(path, "bob", "two", 1000));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, 4242U);
  EXPECT_EQ(st.st_mode & 0777, 0640U);
  // A stale temporary file from an interrupted run does not stop the next one.
  { std::ofstream stale(path + ".tmp"); stale << "junk"; }
  EXPECT_TRUE(update_password_file(path, "carol", "three", 1000));
}

TEST(PasswordFile, UpdateRefusesToRewriteAMalformedFile) {
  test::TempDir dir;
  const std::string path = dir.write("passwd", "alice:plain-text\n");
  const auto r = update_password_file(path, "bob", "x", 1000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::invalid_argument);
  EXPECT_EQ(read(path), "alice:plain-text\n");
}

}  // namespace
}  // namespace gw::broker::auth
