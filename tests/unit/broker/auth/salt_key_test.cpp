#include "broker/auth/salt_key.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace gw::broker::auth {
namespace {

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(SaltKey, IsCreatedOnceWithOwnerOnlyAccessThenReadBack) {
  test::TempDir dir;
  const std::string path = (dir.path() / "scram-salt.key").string();
  auto first = load_or_create_salt_key(path);
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_TRUE(first->created);
  EXPECT_FALSE(first->replaced);
  EXPECT_EQ(first->key.size(), kSaltKeyBytes);
  EXPECT_EQ(file_bytes(path), first->key);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto again = load_or_create_salt_key(path);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_FALSE(again->created);
  EXPECT_FALSE(again->replaced);
  EXPECT_EQ(again->key, first->key);

  // Another file, another key: the key is random, not derived from anything a client knows.
  auto other = load_or_create_salt_key((dir.path() / "other.key").string());
  ASSERT_TRUE(other);
  EXPECT_NE(other->key, first->key);
}

TEST(SaltKey, AFileThatIsNotAKeyIsReplaced) {
  test::TempDir dir;
  const std::string path = (dir.path() / "scram-salt.key").string();
  std::ofstream(path) << "not a key\n";
  auto key = load_or_create_salt_key(path);
  ASSERT_TRUE(key) << key.error().message();
  EXPECT_TRUE(key->replaced);
  EXPECT_EQ(key->key.size(), kSaltKeyBytes);
  EXPECT_EQ(file_bytes(path), key->key);
}

TEST(SaltKey, AKeyReadableByOthersIsMadeOwnerOnly) {
  test::TempDir dir;
  const std::string path = (dir.path() / "scram-salt.key").string();
  auto made = load_or_create_salt_key(path);
  ASSERT_TRUE(made);
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto key = load_or_create_salt_key(path);
  ASSERT_TRUE(key) << key.error().message();
  EXPECT_TRUE(key->mode_repaired);
  EXPECT_EQ(key->key, made->key);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(SaltKey, ADirectoryAtThePathIsAnErrorNotAnException) {
  test::TempDir dir;
  const std::string path = (dir.path() / "scram-salt.key").string();
  std::filesystem::create_directory(path);
  auto key = load_or_create_salt_key(path);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error(), std::errc::invalid_argument);
}

TEST(SaltKey, AnUnwritableDirectoryIsAnError) {
  auto key = load_or_create_salt_key("/nonexistent-directory/scram-salt.key");
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error(), std::errc::no_such_file_or_directory);
}

}  // namespace
}  // namespace gw::broker::auth
