#include "core/unique_fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include <gtest/gtest.h>

namespace gw {
namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

// A pipe's two ends, as bare descriptors the test owns until it hands them over.
struct Pipe {
  int read_end = -1;
  int write_end = -1;
  Pipe() {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    read_end = fds[0];
    write_end = fds[1];
  }
};

TEST(UniqueFd, ClosesItsDescriptorWhenItGoes) {
  const Pipe p;
  { const UniqueFd owner(p.read_end); }
  EXPECT_FALSE(is_open(p.read_end));
  ::close(p.write_end);
}

TEST(UniqueFd, AMoveHandsTheDescriptorOverAndAMoveAssignmentClosesTheOldOne) {
  const Pipe p;
  UniqueFd a(p.read_end);
  UniqueFd b(std::move(a));
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): moved-from holds none
  EXPECT_EQ(b.get(), p.read_end);
  UniqueFd c(p.write_end);
  c = std::move(b);
  EXPECT_FALSE(is_open(p.write_end));  // c's old descriptor
  EXPECT_EQ(c.get(), p.read_end);
  EXPECT_TRUE(is_open(p.read_end));
  auto& same = c;
  c = std::move(same);  // a move onto itself keeps the descriptor
  EXPECT_EQ(c.get(), p.read_end);
  EXPECT_TRUE(is_open(p.read_end));
}

TEST(UniqueFd, ReleaseHandsItOnAndResetClosesOrReplaces) {
  const Pipe p;
  UniqueFd owner(p.read_end);
  const int fd = owner.release();
  EXPECT_FALSE(owner);
  EXPECT_EQ(fd, p.read_end);
  owner.reset();  // holds none: nothing to close
  EXPECT_TRUE(is_open(fd));
  owner.reset(fd);
  owner.reset(p.write_end);
  EXPECT_FALSE(is_open(fd));
  EXPECT_EQ(owner.get(), p.write_end);
  owner.reset();
  EXPECT_FALSE(is_open(p.write_end));
  EXPECT_EQ(owner.get(), -1);
}

}  // namespace
}  // namespace gw
