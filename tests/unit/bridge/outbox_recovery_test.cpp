// Reopen, crash and open-failure behaviour of the outbox: real files, real processes.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "gateway/bridge/outbox.hpp"
#include "gateway/bridge/outbox_errc.hpp"
#include "gateway/bridge/sqlite_errc.hpp"
#include "tests/unit/bridge/outbox_fixture.hpp"

namespace gw::bridge::test {
namespace {

namespace fs = std::filesystem;
using Ids = std::vector<std::uint64_t>;

void exec_raw(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  EXPECT_EQ(rc, SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

// Waits for a child and returns its exit code, or 128 + signal.
int wait_child(pid_t pid) {
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

using OutboxRecovery = OutboxTest;

// Another process holding the file's write lock for a moment (an operator's `edge-gateway
// outbox`, or the sqlite3 tool checkpointing as it closes) delays the open; it does not fail it
// with SQLITE_BUSY.
TEST_F(OutboxRecovery, OpensOnceAnotherProcessReleasesItsLock) {
  { auto first = open(options()); }
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &other), SQLITE_OK);
  // Exclusive: readers are shut out too, as during the checkpoint of a last close.
  ASSERT_EQ(sqlite3_exec(other, "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  // The premise: a connection that does not wait is refused now.
  {
    sqlite3* probe = nullptr;
    ASSERT_EQ(sqlite3_open(path().c_str(), &probe), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(probe, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr),
              SQLITE_BUSY);
    sqlite3_close(probe);
  }
  // The lock is held for 300 ms, until that connection closes: the scenario, not a
  // synchronisation.
  const auto started = std::chrono::steady_clock::now();
  std::thread holder([other] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(other);
  });
  auto r = Outbox::open(options(), clock_, disk_);
  const auto waited = std::chrono::steady_clock::now() - started;
  holder.join();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_GE(waited, std::chrono::milliseconds(250));
}

TEST_F(OutboxRecovery, RestoresEveryFieldWhenReopened) {
  const auto full = full_message();
  auto bare = make_message("plain/topic", "", QoS::AtMostOnce);
  auto empty_props = make_message("e", "x");
  empty_props.props.content_type = "";
  empty_props.props.payload_format = PayloadFormat::Unspecified;
  empty_props.props.correlation_data = "";
  std::int64_t stored_at = 0;
  {
    auto outbox = open();
    stored_at = clock_.wall_ms();
    add(*outbox, full, 3, "route-a");
    add(*outbox, bare, 0, "route-b");
    add(*outbox, empty_props, 0, "");
    ASSERT_TRUE(outbox->flush());
  }
  auto outbox = open();
  const auto s = stats_of(*outbox);
  EXPECT_EQ(s.rows, 3u);
  auto batch = outbox->next(10);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 3u);
  EXPECT_EQ((*batch)[0].id, 1u);
  EXPECT_EQ((*batch)[0].route, "route-a");
  EXPECT_EQ((*batch)[0].priority, 3);
  EXPECT_EQ((*batch)[0].message, full);
  EXPECT_EQ((*batch)[0].stored_at, stored_at);
  EXPECT_EQ((*batch)[1].route, "route-b");
  EXPECT_EQ((*batch)[1].message, bare);
  EXPECT_EQ((*batch)[2].route, "");
  EXPECT_EQ((*batch)[2].message, empty_props);
  std::uint64_t bytes = 0;
  for (const auto& m : *batch) bytes += m.size;
  EXPECT_EQ(s.bytes, bytes);
}

TEST_F(OutboxRecovery, KeepsFlushedBatchWhenDestroyedWithoutFlush) {
  {
    auto outbox = open();
    for (int i = 0; i < 3; ++i) add(*outbox, make_message("flushed", std::to_string(i)));
    ASSERT_TRUE(outbox->flush());
    for (int i = 0; i < 4; ++i) add(*outbox, make_message("lost", std::to_string(i)));
    // Destroyed without flush: as if the process died here.
  }
  auto outbox = open();
  auto batch = outbox->next(100);
  ASSERT_TRUE(batch);
  ASSERT_EQ(ids(*batch), (Ids{1, 2, 3}));
  for (const auto& m : *batch) EXPECT_EQ(m.message.topic, "flushed");
  EXPECT_EQ(stats_of(*outbox).rows, 3u);
}

TEST_F(OutboxRecovery, MakesInflightRowsPendingWhenReopened) {
  {
    auto outbox = open();
    for (int i = 0; i < 3; ++i) add(*outbox, make_message("t", "p"));
    ASSERT_TRUE(outbox->flush());
    ASSERT_EQ(next_ids(*outbox, 2), (Ids{1, 2}));
    ASSERT_TRUE(outbox->ack(1));
    ASSERT_TRUE(outbox->flush());
  }
  auto outbox = open();
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{2, 3}));
}

TEST_F(OutboxRecovery, RecoversRecordedExchangesAndHoldsTheirRows) {
  {
    auto outbox = open();
    for (int i = 0; i < 4; ++i) add(*outbox, make_message("t", "p"));
    ASSERT_TRUE(outbox->flush());
    ASSERT_EQ(next_ids(*outbox, 4), (Ids{1, 2, 3, 4}));
    ASSERT_TRUE(outbox->record_exchange({.packet_id = 65535, .row = 2, .released = false, .row_exists = true}));
    ASSERT_TRUE(outbox->record_exchange({.packet_id = 65534, .row = 3, .released = false, .row_exists = true}));
    ASSERT_TRUE(outbox->record_exchange({.packet_id = 65533, .row = 4, .released = false, .row_exists = true}));
    ASSERT_TRUE(outbox->flush());
    // PUBREC for 3; PUBCOMP for 4, forgotten with its row in one commit.
    ASSERT_TRUE(outbox->record_exchange({.packet_id = 65534, .row = 3, .released = true, .row_exists = true}));
    ASSERT_TRUE(outbox->forget_exchange(65533));
    ASSERT_TRUE(outbox->ack(4));
    ASSERT_TRUE(outbox->flush());
    // Row 2 expires or is dropped while its exchange is recorded.
    exec_raw(options().path, "DELETE FROM outbox WHERE id = 2");
    EXPECT_TRUE(outbox->recovered_exchanges().empty());  // a new file had none
  }
  auto outbox = open();
  const auto& got = outbox->recovered_exchanges();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].packet_id, 65535);
  EXPECT_EQ(got[0].row, 2u);
  EXPECT_FALSE(got[0].released);
  EXPECT_FALSE(got[0].row_exists);
  EXPECT_EQ(got[1].packet_id, 65534);
  EXPECT_EQ(got[1].row, 3u);
  EXPECT_TRUE(got[1].released);
  EXPECT_TRUE(got[1].row_exists);
  // Row 3 is held for the session: not sent anew until the bridge gives it up.
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{1}));
  bool corrupt = false;
  auto row = outbox->read(3, corrupt);
  ASSERT_TRUE(row);
  EXPECT_FALSE(corrupt);
  ASSERT_TRUE(row->has_value());
  EXPECT_EQ((*row)->id, 3u);
  ASSERT_TRUE(outbox->forget_exchanges());
  ASSERT_TRUE(outbox->nack(3));
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{3}));
  ASSERT_TRUE(outbox->flush());
  auto reopened = open();
  EXPECT_TRUE(reopened->recovered_exchanges().empty());
}

TEST_F(OutboxRecovery, AddsTheExchangesTableToAnOlderFile) {
  {
    auto outbox = open();
    add(*outbox, make_message("t", "p"));
    ASSERT_TRUE(outbox->flush());
  }
  exec_raw(options().path, "DROP TABLE exchanges");
  auto outbox = open();
  ASSERT_TRUE(outbox);
  EXPECT_TRUE(outbox->recovered_exchanges().empty());
  ASSERT_TRUE(outbox->record_exchange({.packet_id = 7, .row = 1, .released = false, .row_exists = true}));
  ASSERT_TRUE(outbox->flush());
}

TEST_F(OutboxRecovery, MakesIdsDurableInABlockBeforeTheRowsAreWritten) {
  std::uint64_t first = 0;
  {
    auto outbox = open();
    first = add(*outbox, make_message("t", "p"));  // write-behind: not in the file yet
    EXPECT_FALSE(outbox->id_durable(first));
    outbox->make_id_durable(first);
    EXPECT_FALSE(outbox->id_durable(first));  // not before the commit
    ASSERT_TRUE(outbox->flush());
    EXPECT_TRUE(outbox->id_durable(first));
    EXPECT_TRUE(outbox->id_durable(first + 4000));  // the block ahead
    EXPECT_FALSE(outbox->id_durable(first + 100'000));
    ASSERT_EQ(next_ids(*outbox, 1), Ids{first});
    ASSERT_TRUE(outbox->ack(first));
    // Killed here: nothing more is committed.
  }
  auto outbox = open();
  EXPECT_GT(add(*outbox, make_message("t", "q")), first + 4000);  // never handed out again
  EXPECT_EQ(outbox->rollbacks(), 0u);
}

TEST_F(OutboxRecovery, NeverReusesIdsWhenLastRowIsAckedAndReopened) {
  {
    auto outbox = open();
    for (int i = 0; i < 3; ++i) add(*outbox, make_message("t", "p"));
    ASSERT_TRUE(outbox->ack(3));
    ASSERT_TRUE(outbox->ack(2));
    ASSERT_TRUE(outbox->flush());
  }
  auto outbox = open();
  // 2 and 3 were acknowledged before their commit and never written; ids continue above the
  // reservation made for them (write-behind).
  const auto id = add(*outbox, make_message("t", "p"));
  EXPECT_GT(id, 3u);
  EXPECT_LE(id, 3u + Outbox::kIdReserve + 1);
}

// ---- write-behind ------------------------------------------------------------------------------

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST_F(OutboxRecovery, WritesNothingForRowsAcknowledgedBeforeTheirCommit) {
  auto outbox = open();
  // The first one reserves ids ahead in the file: one small write.
  add(*outbox, make_message("t", "p"));
  ASSERT_EQ(next_ids(*outbox, 10).size(), 1u);
  ASSERT_TRUE(outbox->ack(1));
  ASSERT_TRUE(outbox->flush());
  const auto wal = file_bytes(path() + "-wal");
  const auto db = file_bytes(path());
  for (int i = 0; i < 200; ++i) {
    const auto id = add(*outbox, make_message("t", "p" + std::to_string(i)));
    const auto sent = next_ids(*outbox, 10);
    ASSERT_EQ(sent, Ids{id});
    ASSERT_TRUE(outbox->ack(id));
    ASSERT_TRUE(outbox->flush());
  }
  EXPECT_EQ(stats_of(*outbox).rows, 0u);
  EXPECT_EQ(stats_of(*outbox).acked, 201u);
  EXPECT_TRUE(file_bytes(path() + "-wal") == wal) << "the WAL was written";
  EXPECT_TRUE(file_bytes(path()) == db) << "the database file was written";
  // A row still unacknowledged at its commit is written as before.
  const auto kept = add(*outbox, make_message("t", "kept"));
  ASSERT_TRUE(outbox->flush());
  EXPECT_FALSE(file_bytes(path() + "-wal") == wal);
  outbox.reset();
  outbox = open();
  EXPECT_EQ(next_ids(*outbox, 10), Ids{kept});
}

TEST_F(OutboxRecovery, HoldsAtMostTheWriteBehindBoundInMemory) {
  auto outbox = open();
  const std::string big(100 * 1024, 'x');
  std::uint64_t appended = 0;
  for (int i = 0; i < 100; ++i) {
    add(*outbox, make_message("t", big));
    appended += 1;
    const auto s = stats_of(*outbox);
    ASSERT_LE(s.deferred_bytes, Outbox::kMaxDeferredBytes) << "after " << appended;
    ASSERT_LE(s.deferred_rows, Outbox::kMaxDeferred);
  }
  const auto s = stats_of(*outbox);
  EXPECT_EQ(s.rows, 100u);
  EXPECT_GT(s.deferred_rows, 0u);
  EXPECT_LT(s.deferred_rows, 100u);  // the rest went to SQLite in the open transaction
  ASSERT_TRUE(outbox->flush());
  EXPECT_EQ(stats_of(*outbox).deferred_rows, 0u);
  EXPECT_EQ(stats_of(*outbox).deferred_bytes, 0u);
  outbox.reset();
  outbox = open();
  EXPECT_EQ(next_ids(*outbox, 200).size(), 100u);
}

TEST_F(OutboxRecovery, NeverReusesIdsOfRowsThatWereNeverWrittenWhenReopened) {
  std::uint64_t last = 0;
  {
    auto outbox = open();
    for (int i = 0; i < 5; ++i) last = add(*outbox, make_message("t", "p"));
    ASSERT_EQ(next_ids(*outbox, 10).size(), 5u);
    for (std::uint64_t id = 1; id <= last; ++id) ASSERT_TRUE(outbox->ack(id));
    ASSERT_TRUE(outbox->flush());
  }
  auto outbox = open();
  EXPECT_GT(add(*outbox, make_message("t", "p")), last);
}

TEST_F(OutboxRecovery, LosesUnflushedDeferredRowsLikeAnyUnflushedRowWhenDestroyed) {
  {
    auto outbox = open();
    add(*outbox, make_message("t", "flushed"));
    ASSERT_TRUE(outbox->flush());
    add(*outbox, make_message("t", "not flushed"));
  }
  auto outbox = open();
  auto batch = outbox->next(10);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 1u);
  EXPECT_EQ((*batch)[0].message.payload, "flushed");
}

TEST_F(OutboxRecovery, SendsDeferredRowsAfterWrittenOnesInOrderAndAgainWhenNacked) {
  auto outbox = open();
  const auto a = add(*outbox, make_message("t", "a"));
  const auto b = add(*outbox, make_message("t", "b"));
  ASSERT_TRUE(outbox->flush());
  const auto c = add(*outbox, make_message("t", "c"));
  const auto d = add(*outbox, make_message("t", "d"));
  EXPECT_EQ(next_ids(*outbox, 3), (Ids{a, b, c}));
  EXPECT_EQ(next_ids(*outbox, 3), (Ids{d}));
  ASSERT_TRUE(outbox->nack(c));
  EXPECT_EQ(next_ids(*outbox, 3), (Ids{c}));
  outbox->release_inflight();
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{a, b, c, d}));
  ASSERT_TRUE(outbox->ack(d));
  ASSERT_TRUE(outbox->flush());
  outbox.reset();
  outbox = open();
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{a, b, c}));
}

TEST_F(OutboxRecovery, ExpiresDeferredRowsWithoutWritingThem) {
  auto outbox = open();
  auto m = make_message("t", "short");
  m.props.message_expiry = 1;
  const auto id = add(*outbox, m);
  clock_.advance(std::chrono::milliseconds(1500));
  auto batch = outbox->next(10);
  ASSERT_TRUE(batch);
  EXPECT_TRUE(batch->empty());
  auto gone = outbox->expire();
  ASSERT_TRUE(gone);
  EXPECT_EQ(*gone, 1u);
  EXPECT_EQ(stats_of(*outbox).rows, 0u);
  const auto acked = outbox->ack(id);
  ASSERT_FALSE(acked);
  EXPECT_EQ(acked.error(), OutboxErrc::NotFound);
}

TEST_F(OutboxRecovery, KeepsExactlyFlushedRowsWhenChildExitsWithoutFlush) {
  constexpr int kFlushed = 250;
  const auto opts = options();
  const pid_t pid = ::fork();
  ASSERT_NE(pid, -1);
  if (pid == 0) {
    core::FakeClock clock;
    auto outbox = Outbox::open(opts, clock, disk_);
    if (!outbox) ::_exit(2);
    for (int i = 0; i < kFlushed; ++i) {
      if (!(*outbox)->append("cloud", 0, make_message("t", std::to_string(i)))) ::_exit(3);
      if (i % 100 == 99 && !(*outbox)->flush()) ::_exit(4);
    }
    if (!(*outbox)->flush()) ::_exit(4);
    for (int i = 0; i < 50; ++i) (void)(*outbox)->append("cloud", 0, make_message("t", "lost"));
    ::_exit(0);  // no destructors, no rollback: the process just ends
  }
  ASSERT_EQ(wait_child(pid), 0);
  auto outbox = open();
  auto batch = outbox->next(1000);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), static_cast<std::size_t>(kFlushed));
  for (int i = 0; i < kFlushed; ++i) {
    EXPECT_EQ((*batch)[i].id, static_cast<std::uint64_t>(i + 1));
    EXPECT_EQ((*batch)[i].message.payload, std::to_string(i));
  }
}

TEST_F(OutboxRecovery, KeepsExactlyFlushedRowsWhenChildIsKilled) {
  constexpr int kFlushed = 300;
  const auto opts = options();
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t pid = ::fork();
  ASSERT_NE(pid, -1);
  if (pid == 0) {
    ::close(ready[0]);
    core::FakeClock clock;
    auto outbox = Outbox::open(opts, clock, disk_);
    if (!outbox) ::_exit(2);
    for (int i = 0; i < kFlushed; ++i) {
      if (!(*outbox)->append("cloud", i % 3, make_message("t", std::to_string(i)))) ::_exit(3);
      if ((*outbox)->commit_due() && !(*outbox)->flush()) ::_exit(4);
    }
    if (!(*outbox)->flush()) ::_exit(4);
    // A second batch in the open transaction, and acks of flushed rows: neither committed.
    for (int i = 0; i < 40; ++i) (void)(*outbox)->append("cloud", 0, make_message("t", "lost"));
    (void)(*outbox)->ack(1);
    const char c = 'r';
    if (::write(ready[1], &c, 1) != 1) ::_exit(5);
    for (;;) ::pause();  // killed here, mid-transaction
  }
  ::close(ready[1]);
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_EQ(wait_child(pid), 128 + SIGKILL);

  auto outbox = open();
  const auto s = stats_of(*outbox);
  EXPECT_EQ(s.rows, static_cast<std::uint64_t>(kFlushed));
  auto batch = outbox->next(1000);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), static_cast<std::size_t>(kFlushed));
  std::vector<bool> seen(kFlushed, false);
  for (const auto& m : *batch) {
    ASSERT_GE(m.id, 1u);
    ASSERT_LE(m.id, static_cast<std::uint64_t>(kFlushed));
    EXPECT_EQ(m.message.payload, std::to_string(m.id - 1));
    seen[m.id - 1] = true;
  }
  EXPECT_EQ(std::count(seen.begin(), seen.end(), true), kFlushed);
}

TEST_F(OutboxRecovery, FailsToOpenWithNotADatabaseWhenFileIsGarbage) {
  std::string garbage(8192, '\0');
  for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>(i * 7 + 3);
  dir_.write("outbox.db", garbage);
  auto outbox = Outbox::open(options(), clock_, disk_);
  ASSERT_FALSE(outbox);
  EXPECT_EQ(sqlite_primary_code(outbox.error()), SQLITE_NOTADB);
  EXPECT_EQ(outbox.error().message(), "file is not a database (SQLite 26)");
}

TEST_F(OutboxRecovery, FailsToOpenWhenPagesAreCorrupted) {
  {
    auto outbox = open();
    for (int i = 0; i < 200; ++i) add(*outbox, make_message("t", std::string(100, 'x')));
    ASSERT_TRUE(outbox->flush());
  }
  const auto size = fs::file_size(path());
  ASSERT_GT(size, 8192u);
  {
    std::fstream f(path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096);  // everything after the first page
    const std::string junk(size - 4096, '\x55');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto outbox = Outbox::open(options(), clock_, disk_);
  ASSERT_FALSE(outbox);
  EXPECT_EQ(sqlite_primary_code(outbox.error()), SQLITE_CORRUPT) << outbox.error().message();
}

TEST_F(OutboxRecovery, FailsToOpenWithCantOpenWhenDirectoryIsMissing) {
  auto o = options();
  o.path = (dir_.path() / "missing" / "outbox.db").string();
  auto outbox = Outbox::open(o, clock_, disk_);
  ASSERT_FALSE(outbox);
  EXPECT_EQ(sqlite_primary_code(outbox.error()), SQLITE_CANTOPEN);
  EXPECT_EQ(outbox.error().message(), "unable to open database file (SQLite 14)");
}

TEST_F(OutboxRecovery, FailsToOpenWhenPathIsADirectory) {
  auto o = options();
  o.path = dir_.path().string();
  auto outbox = Outbox::open(o, clock_, disk_);
  ASSERT_FALSE(outbox);
  EXPECT_EQ(sqlite_primary_code(outbox.error()), SQLITE_CANTOPEN) << outbox.error().message();
}

TEST_F(OutboxRecovery, FailsToOpenWithCantOpenWhenDirectoryIsUnwritable) {
  // Root ignores permission bits, so the check runs in a child that drops to an unprivileged
  // user when it is root.
  const auto ro = dir_.path() / "ro";
  fs::create_directory(ro);
  fs::permissions(dir_.path(), fs::perms::owner_all | fs::perms::group_read |
                                   fs::perms::group_exec | fs::perms::others_read |
                                   fs::perms::others_exec);
  fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                          fs::perms::group_exec | fs::perms::others_read |
                          fs::perms::others_exec);
  auto o = options();
  o.path = (ro / "outbox.db").string();
  const pid_t pid = ::fork();
  ASSERT_NE(pid, -1);
  if (pid == 0) {
    constexpr uid_t kNobody = 65534;
    if (::geteuid() == 0 && (::setgid(kNobody) != 0 || ::setuid(kNobody) != 0)) ::_exit(3);
    core::FakeClock clock;
    auto outbox = Outbox::open(o, clock, StatvfsProbe::instance());
    if (outbox) ::_exit(1);
    ::_exit(sqlite_primary_code(outbox.error()) == SQLITE_CANTOPEN ? 0 : 2);
  }
  EXPECT_EQ(wait_child(pid), 0) << "1: opened, 2: another error, 3: cannot drop privileges";
}

TEST_F(OutboxRecovery, FailsToOpenWithNotAnOutboxWhenDatabaseHasForeignTables) {
  exec_raw(path(), "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT)");
  auto outbox = Outbox::open(options(), clock_, disk_);
  ASSERT_FALSE(outbox);
  EXPECT_EQ(outbox.error(), OutboxErrc::NotAnOutbox);
}

TEST_F(OutboxRecovery, FailsToOpenWithSchemaTooNewWhenUserVersionIsNewer) {
  { auto outbox = open(); }
  exec_raw(path(), "PRAGMA user_version = 99");
  auto outbox = Outbox::open(options(), clock_, disk_);
  ASSERT_FALSE(outbox);
  EXPECT_EQ(outbox.error(), OutboxErrc::SchemaTooNew);
  EXPECT_EQ(outbox.error().message(), "outbox file written by a newer version");
}

TEST_F(OutboxRecovery, UsesWalAndRequestedSynchronousWhenOpened) {
  auto o = options();
  o.synchronous_full = true;
  auto outbox = open(o);
  add(*outbox, make_message("t", "p"));
  ASSERT_TRUE(outbox->flush());
  EXPECT_TRUE(fs::exists(path() + "-wal"));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

}  // namespace
}  // namespace gw::bridge::test
