// sources/local_dir: root validation, the safe walk (symlinks inside / outside / loops, bad
// names, unreadable entries), ResolveInside's refusals, streamed reading and hashing, and the
// change detector, all on real temporary directories.
#include "sources/local_dir.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "support/temp_dir.h"
#include "util/hash.h"

namespace k3::sources {
namespace {

namespace fs = std::filesystem;

constexpr char kEmptySha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbcSha[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

void WriteFile(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  ASSERT_TRUE(out) << path;
}

// Sets the file's mtime to exactly `ns` (no dependence on the clock's granularity).
void SetMtime(const std::string& path, int64_t ns) {
  struct timespec times[2];
  times[0].tv_sec = ns / 1000000000;
  times[0].tv_nsec = ns % 1000000000;
  times[1] = times[0];
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

void Symlink(const std::string& target, const std::string& link) {
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0) << link << " -> " << target;
}

std::vector<std::string> Paths(const ListResult& r) {
  std::vector<std::string> out;
  for (const LocalFile& f : r.files) out.push_back(f.relative_path);
  return out;
}

const SkippedEntry* FindSkipped(const ListResult& r, const std::string& rel) {
  for (const SkippedEntry& s : r.skipped) {
    if (s.relative_path == rel) return &s;
  }
  return nullptr;
}

// `s` is INVALID_ARGUMENT (or `code`) and its message contains `needle`.
void ExpectError(const Status& s, StatusCode code, const std::string& needle) {
  EXPECT_EQ(s.code(), code) << s.ToString();
  EXPECT_NE(s.message().find(needle), std::string::npos)
      << "message \"" << s.message() << "\" lacks \"" << needle << "\"";
}

std::string RealPathOf(const std::string& p) { return fs::canonical(p).string(); }

// ---------------------------------------------------------------------------------------------
// ValidateRoot

TEST(ValidateRootTest, AcceptsAnAbsoluteDirectory) {
  test::TempDir dir;
  EXPECT_TRUE(ValidateRoot(dir.path()).ok());
}

TEST(ValidateRootTest, AcceptsASymlinkToADirectory) {
  test::TempDir dir;
  fs::create_directory(dir.path() + "/real");
  Symlink(dir.path() + "/real", dir.path() + "/link");
  EXPECT_TRUE(ValidateRoot(dir.path() + "/link").ok());
}

TEST(ValidateRootTest, RefusesAMissingRoot) {
  test::TempDir dir;
  Status s = ValidateRoot(dir.path() + "/nope");
  ExpectError(s, StatusCode::kInvalidArgument, "does not exist");
  ExpectError(s, StatusCode::kInvalidArgument, dir.path() + "/nope");
}

TEST(ValidateRootTest, RefusesAFile) {
  test::TempDir dir;
  WriteFile(dir.path() + "/f.txt", "x");
  ExpectError(ValidateRoot(dir.path() + "/f.txt"), StatusCode::kInvalidArgument, "is a file");
  // A path through a file is not a directory either.
  ExpectError(ValidateRoot(dir.path() + "/f.txt/sub"), StatusCode::kInvalidArgument,
              "does not exist");
}

TEST(ValidateRootTest, RefusesANonDirectoryThatIsNotAFile) {
  test::TempDir dir;
  ASSERT_EQ(::mkfifo((dir.path() + "/fifo").c_str(), 0600), 0);
  ExpectError(ValidateRoot(dir.path() + "/fifo"), StatusCode::kInvalidArgument,
              "is not a directory");
}

TEST(ValidateRootTest, RefusesARelativeRoot) {
  ExpectError(ValidateRoot("relative/dir"), StatusCode::kInvalidArgument, "absolute");
  ExpectError(ValidateRoot("."), StatusCode::kInvalidArgument, "absolute");
  ExpectError(ValidateRoot("../x"), StatusCode::kInvalidArgument, "absolute");
}

TEST(ValidateRootTest, RefusesEmptyAndNul) {
  ExpectError(ValidateRoot(""), StatusCode::kInvalidArgument, "empty");
  ExpectError(ValidateRoot(std::string("/tmp\0x", 6)), StatusCode::kInvalidArgument, "NUL");
}

TEST(ListFilesTest, RefusesBadRootsLikeValidateRoot) {
  test::TempDir dir;
  WriteFile(dir.path() + "/f.txt", "x");
  ExpectError(ListFiles(dir.path() + "/nope").status(), StatusCode::kInvalidArgument,
              "does not exist");
  ExpectError(ListFiles(dir.path() + "/f.txt").status(), StatusCode::kInvalidArgument, "is a file");
  ExpectError(ListFiles("rel").status(), StatusCode::kInvalidArgument, "absolute");
}

// ---------------------------------------------------------------------------------------------
// ListFiles

TEST(ListFilesTest, ListsNestedFilesSortedWithSizesAndMtimes) {
  test::TempDir dir;
  const std::string& r = dir.path();
  WriteFile(r + "/b.txt", "bee");
  WriteFile(r + "/a/z.md", "zed!");
  WriteFile(r + "/a/deep/er/x.bin", std::string(1000, 'x'));
  WriteFile(r + "/empty", "");
  WriteFile(r + "/a b/ü.txt", "unicode");
  fs::create_directories(r + "/empty-dir/also-empty");
  SetMtime(r + "/b.txt", 1700000000123456789);

  auto listed = ListFiles(r);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(Paths(*listed),
            (std::vector<std::string>{"a b/ü.txt", "a/deep/er/x.bin", "a/z.md", "b.txt", "empty"}));
  EXPECT_TRUE(listed->skipped.empty());
  std::map<std::string, LocalFile> by_path;
  for (const LocalFile& f : listed->files) by_path[f.relative_path] = f;
  EXPECT_EQ(by_path["a/deep/er/x.bin"].size, 1000u);
  EXPECT_EQ(by_path["empty"].size, 0u);
  EXPECT_EQ(by_path["b.txt"].size, 3u);
  EXPECT_EQ(by_path["b.txt"].mtime_ns, 1700000000123456789);
}

TEST(ListFilesTest, EmptyRootListsNothing) {
  test::TempDir dir;
  auto listed = ListFiles(dir.path());
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->files.empty());
  EXPECT_TRUE(listed->skipped.empty());
}

TEST(ListFilesTest, RootGivenThroughASymlinkIsWalked) {
  test::TempDir dir;
  WriteFile(dir.path() + "/real/a.txt", "a");
  Symlink(dir.path() + "/real", dir.path() + "/link");
  auto listed = ListFiles(dir.path() + "/link");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(Paths(*listed), (std::vector<std::string>{"a.txt"}));
}

TEST(ListFilesTest, SymlinksInsideTheRootAreFollowedButEachFileListedOnce) {
  test::TempDir dir;
  const std::string r = dir.path() + "/root";
  WriteFile(r + "/docs/a.md", "a");
  WriteFile(r + "/docs/sub/b.md", "b");
  Symlink("docs/a.md", r + "/link-to-a.md");      // relative target, a file inside
  Symlink(r + "/docs", r + "/docs-alias");        // absolute target, a directory inside
  Symlink("../docs/sub/b.md", r + "/docs/sub2");  // .. but still inside
  auto listed = ListFiles(r);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  // Every real file once, under its real path; the aliases add nothing and are not errors.
  EXPECT_EQ(Paths(*listed), (std::vector<std::string>{"docs/a.md", "docs/sub/b.md"}));
  EXPECT_TRUE(listed->skipped.empty());
}

TEST(ListFilesTest, SymlinkToAFileOnlyReachableThroughItIsListedUnderTheLinkName) {
  test::TempDir dir;
  const std::string r = dir.path() + "/root";
  // The real file sits under a directory whose name is not UTF-8 (so the real walk skips it);
  // the symlink with a valid name inside the root makes it reachable, once.
  std::string bad = r + "/bad\xff";
  WriteFile(bad + "/f.txt", "hidden");
  Symlink("bad\xff/f.txt", r + "/alias.txt");
  Symlink("bad\xff", r + "/alias-dir");
  auto listed = ListFiles(r);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  // f.txt is reachable by two aliases; it is listed once, under the first in path order.
  EXPECT_EQ(Paths(*listed), (std::vector<std::string>{"alias-dir/f.txt"}));
  ASSERT_NE(FindSkipped(*listed, "bad\\xFF"), nullptr);
}

TEST(ListFilesTest, SymlinksOutsideTheRootAreSkippedAndReported) {
  test::TempDir dir;
  const std::string r = dir.path() + "/root";
  WriteFile(r + "/in.txt", "in");
  WriteFile(dir.path() + "/secret.txt", "secret");
  WriteFile(dir.path() + "/outdir/o.txt", "out");
  Symlink(dir.path() + "/secret.txt", r + "/abs-out");
  Symlink("../secret.txt", r + "/rel-out");
  Symlink("../outdir", r + "/dir-out");
  Symlink("/", r + "/slash");
  // A sibling whose name starts with the root's name is still outside.
  WriteFile(dir.path() + "/root2/x.txt", "x");
  Symlink("../root2/x.txt", r + "/prefix-trick");
  auto listed = ListFiles(r);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(Paths(*listed), (std::vector<std::string>{"in.txt"}));
  for (const char* name : {"abs-out", "rel-out", "dir-out", "slash", "prefix-trick"}) {
    const SkippedEntry* s = FindSkipped(*listed, name);
    ASSERT_NE(s, nullptr) << name;
    EXPECT_EQ(s->reason, SkipReason::kOutsideRoot) << name;
    EXPECT_NE(s->message.find("outside the source root"), std::string::npos) << s->message;
  }
  EXPECT_EQ(listed->skipped.size(), 5u);
}

TEST(ListFilesTest, DirectorySymlinkLoopsTerminateAndListOnce) {
  test::TempDir dir;
  const std::string r = dir.path();
  WriteFile(r + "/a/b/f.txt", "f");
  Symlink("..", r + "/a/b/up");      // to a
  Symlink("../..", r + "/a/b/top");  // to the root
  Symlink(".", r + "/self");         // to the root
  Symlink(r + "/a", r + "/a/b/abs-up");
  auto listed = ListFiles(r);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(Paths(*listed), (std::vector<std::string>{"a/b/f.txt"}));
  EXPECT_TRUE(listed->skipped.empty());
}

TEST(ListFilesTest, LoopsOfSymlinksAndDanglingSymlinksAreReportedBroken) {
  test::TempDir dir;
  const std::string r = dir.path();
  WriteFile(r + "/ok.txt", "ok");
  Symlink("loop2", r + "/loop1");
  Symlink("loop1", r + "/loop2");
  Symlink("missing.txt", r + "/dangling");
  auto listed = ListFiles(r);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(Paths(*listed), (std::vector<std::string>{"ok.txt"}));
  ASSERT_EQ(listed->skipped.size(), 3u);
  for (const char* name : {"loop1", "loop2", "dangling"}) {
    const SkippedEntry* s = FindSkipped(*listed, name);
    ASSERT_NE(s, nullptr) << name;
    EXPECT_EQ(s->reason, SkipReason::kBrokenSymlink) << name;
  }
  EXPECT_NE(FindSkipped(*listed, "loop1")->message.find("loop"), std::string::npos);
  EXPECT_NE(FindSkipped(*listed, "dangling")->message.find("does not exist"), std::string::npos);
}

TEST(ListFilesTest, NonUtf8NamesAreSkippedAndReported) {
  test::TempDir dir;
  const std::string r = dir.path();
  WriteFile(r + "/good.txt", "g");
  WriteFile(r + "/bad\xff\xfe.txt", "b");   // raw bytes, not UTF-8
  WriteFile(r + "/over\xc0\xaf.txt", "o");  // an overlong '/'
  WriteFile(r + "/d\xe9j\xe0/inside.txt", "latin-1 dir");
  auto listed = ListFiles(r);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(Paths(*listed), (std::vector<std::string>{"good.txt"}));
  ASSERT_EQ(listed->skipped.size(), 3u);
  for (const char* shown : {"bad\\xFF\\xFE.txt", "over\\xC0\\xAF.txt", "d\\xE9j\\xE0"}) {
    const SkippedEntry* s = FindSkipped(*listed, shown);
    ASSERT_NE(s, nullptr) << shown;
    EXPECT_EQ(s->reason, SkipReason::kInvalidUtf8);
    EXPECT_EQ(SkipReasonName(s->reason), "INVALID_UTF8");
  }
}

TEST(ListFilesTest, SpecialFilesAreSkippedAndReported) {
  test::TempDir dir;
  WriteFile(dir.path() + "/f.txt", "f");
  ASSERT_EQ(::mkfifo((dir.path() + "/pipe").c_str(), 0600), 0);
  auto listed = ListFiles(dir.path());
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(Paths(*listed), (std::vector<std::string>{"f.txt"}));
  ASSERT_EQ(listed->skipped.size(), 1u);
  EXPECT_EQ(listed->skipped[0].relative_path, "pipe");
  EXPECT_EQ(listed->skipped[0].reason, SkipReason::kNotRegularFile);
}

// Permissions do not bind root, so this runs only as an ordinary user.
TEST(ListFilesTest, UnreadableEntriesAreSkippedAndReportedNotFatal) {
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: permission bits are not enforced";
  test::TempDir dir;
  const std::string r = dir.path();
  WriteFile(r + "/ok.txt", "ok");
  WriteFile(r + "/locked/inner.txt", "x");
  WriteFile(r + "/noread.txt", "x");
  ASSERT_EQ(::chmod((r + "/locked").c_str(), 0), 0);
  ASSERT_EQ(::chmod((r + "/noread.txt").c_str(), 0), 0);
  auto listed = ListFiles(r);
  ::chmod((r + "/locked").c_str(), 0700);  // so TempDir can remove it
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(Paths(*listed), (std::vector<std::string>{"ok.txt"}));
  ASSERT_NE(FindSkipped(*listed, "locked"), nullptr);
  EXPECT_EQ(FindSkipped(*listed, "locked")->reason, SkipReason::kUnreadable);
  ASSERT_NE(FindSkipped(*listed, "noread.txt"), nullptr);
  EXPECT_EQ(FindSkipped(*listed, "noread.txt")->reason, SkipReason::kUnreadable);
}

// ---------------------------------------------------------------------------------------------
// ResolveInside

TEST(ResolveInsideTest, ResolvesFilesAndInsideSymlinks) {
  test::TempDir dir;
  const std::string r = dir.path();
  WriteFile(r + "/a/b.txt", "b");
  Symlink("a/b.txt", r + "/link");
  auto got = ResolveInside(r, "a/b.txt");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, RealPathOf(r + "/a/b.txt"));
  auto via_link = ResolveInside(r, "link");
  ASSERT_TRUE(via_link.ok()) << via_link.status().ToString();
  EXPECT_EQ(*via_link, RealPathOf(r + "/a/b.txt"));
  // Names that merely contain dots are fine.
  WriteFile(r + "/..hidden/x..y", "z");
  EXPECT_TRUE(ResolveInside(r, "..hidden/x..y").ok());
}

TEST(ResolveInsideTest, RefusesDotDot) {
  test::TempDir dir;
  WriteFile(dir.path() + "/root/a.txt", "a");
  WriteFile(dir.path() + "/secret.txt", "s");
  const std::string r = dir.path() + "/root";
  for (const char* bad : {"..", "../secret.txt", "a/../../secret.txt", "a/..", "x/../a.txt"}) {
    auto got = ResolveInside(r, bad);
    ExpectError(got.status(), StatusCode::kInvalidArgument, "escapes the source root");
  }
}

TEST(ResolveInsideTest, RefusesAbsolutePaths) {
  test::TempDir dir;
  WriteFile(dir.path() + "/a.txt", "a");
  ExpectError(ResolveInside(dir.path(), dir.path() + "/a.txt").status(),
              StatusCode::kInvalidArgument, "escapes the source root");
  ExpectError(ResolveInside(dir.path(), "/etc/passwd").status(), StatusCode::kInvalidArgument,
              "escapes the source root");
}

TEST(ResolveInsideTest, RefusesNulAndEmpty) {
  test::TempDir dir;
  WriteFile(dir.path() + "/a.txt", "a");
  ExpectError(ResolveInside(dir.path(), std::string_view("a.txt\0../x", 10)).status(),
              StatusCode::kInvalidArgument, "NUL");
  ExpectError(ResolveInside(dir.path(), "").status(), StatusCode::kInvalidArgument, "empty");
}

TEST(ResolveInsideTest, RefusesSymlinkEscapes) {
  test::TempDir dir;
  const std::string r = dir.path() + "/root";
  WriteFile(r + "/in.txt", "in");
  WriteFile(dir.path() + "/secret.txt", "s");
  WriteFile(dir.path() + "/outdir/o.txt", "o");
  Symlink("../secret.txt", r + "/out-file");
  Symlink(dir.path() + "/outdir", r + "/out-dir");
  ExpectError(ResolveInside(r, "out-file").status(), StatusCode::kInvalidArgument,
              "escapes the source root");
  ExpectError(ResolveInside(r, "out-dir/o.txt").status(), StatusCode::kInvalidArgument,
              "escapes the source root");
  ExpectError(ResolveInside(r, "out-dir").status(), StatusCode::kInvalidArgument,
              "escapes the source root");
}

TEST(ResolveInsideTest, MissingPathIsNotFoundAndBadRootIsRefused) {
  test::TempDir dir;
  WriteFile(dir.path() + "/f.txt", "f");
  ExpectError(ResolveInside(dir.path(), "nope.txt").status(), StatusCode::kNotFound,
              "does not exist");
  ExpectError(ResolveInside(dir.path() + "/f.txt", "x").status(), StatusCode::kInvalidArgument,
              "is a file");
  ExpectError(ResolveInside("rel", "x").status(), StatusCode::kInvalidArgument, "absolute");
}

// ---------------------------------------------------------------------------------------------
// ReadFileStreamed and HashFile

TEST(ReadFileStreamedTest, StreamsInOneMiBBlocks) {
  test::TempDir dir;
  std::string content;
  content.reserve(kReadBlockSize * 5 / 2);
  for (size_t i = 0; i < kReadBlockSize * 5 / 2; ++i) content.push_back(static_cast<char>(i * 7));
  WriteFile(dir.path() + "/big.bin", content);
  std::vector<size_t> sizes;
  std::string joined;
  Status s = ReadFileStreamed(dir.path() + "/big.bin", [&](std::string_view block) {
    sizes.push_back(block.size());
    joined.append(block);
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(sizes, (std::vector<size_t>{kReadBlockSize, kReadBlockSize, kReadBlockSize / 2}));
  EXPECT_TRUE(joined == content);

  auto hash = HashFile(dir.path() + "/big.bin");
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  EXPECT_EQ(*hash, util::HexEncode(util::Sha256Digest(content)));
}

TEST(ReadFileStreamedTest, EmptyFileMakesNoCall) {
  test::TempDir dir;
  WriteFile(dir.path() + "/e", "");
  int calls = 0;
  ASSERT_TRUE(ReadFileStreamed(dir.path() + "/e", [&](std::string_view) {
                ++calls;
                return Status::Ok();
              }).ok());
  EXPECT_EQ(calls, 0);
}

TEST(ReadFileStreamedTest, SinkErrorStopsReadingAndIsReturned) {
  test::TempDir dir;
  WriteFile(dir.path() + "/big.bin", std::string(kReadBlockSize * 3, 'q'));
  int calls = 0;
  Status s = ReadFileStreamed(dir.path() + "/big.bin", [&](std::string_view) {
    ++calls;
    return ResourceExhausted("quota");
  });
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(), "quota");
  EXPECT_EQ(calls, 1);
}

TEST(ReadFileStreamedTest, BadInputs) {
  test::TempDir dir;
  ASSERT_EQ(::mkfifo((dir.path() + "/pipe").c_str(), 0600), 0);
  auto ok_sink = [](std::string_view) { return Status::Ok(); };
  ExpectError(ReadFileStreamed(dir.path() + "/missing", ok_sink), StatusCode::kNotFound,
              "does not exist");
  ExpectError(ReadFileStreamed(dir.path(), ok_sink), StatusCode::kInvalidArgument,
              "is a directory");
  // A FIFO without a writer would block a plain open/read; it is refused at once.
  ExpectError(ReadFileStreamed(dir.path() + "/pipe", ok_sink), StatusCode::kInvalidArgument,
              "not a regular file");
  WriteFile(dir.path() + "/f", "x");
  ExpectError(ReadFileStreamed(dir.path() + "/f", nullptr), StatusCode::kInvalidArgument, "sink");
}

TEST(HashFileTest, KnownDigestsAndErrors) {
  test::TempDir dir;
  WriteFile(dir.path() + "/empty", "");
  WriteFile(dir.path() + "/abc", "abc");
  auto e = HashFile(dir.path() + "/empty");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e, kEmptySha);
  auto abc = HashFile(dir.path() + "/abc");
  ASSERT_TRUE(abc.ok());
  EXPECT_EQ(*abc, kAbcSha);
  ExpectError(HashFile(dir.path() + "/missing").status(), StatusCode::kNotFound, "does not exist");
  ExpectError(HashFile(dir.path()).status(), StatusCode::kInvalidArgument, "is a directory");
}

// ---------------------------------------------------------------------------------------------
// Diff

// Runs ListFiles + Diff with RootHasher, counting hash calls per path.
struct SyncRound {
  DiffResult diff;
  std::map<std::string, Change> by_path;
  std::vector<std::string> hashed_paths;
};

SyncRound RunDiff(const std::string& root, const std::map<std::string, FileState>& recorded) {
  SyncRound round;
  auto listed = ListFiles(root);
  EXPECT_TRUE(listed.ok()) << listed.status().ToString();
  if (!listed.ok()) return round;
  HashFn real = RootHasher(root);
  auto diff = Diff(recorded, listed->files, [&](const LocalFile& f) {
    round.hashed_paths.push_back(f.relative_path);
    return real(f);
  });
  EXPECT_TRUE(diff.ok()) << diff.status().ToString();
  if (!diff.ok()) return round;
  round.diff = std::move(diff).value();
  for (const auto& [path, change] : round.diff.changes) round.by_path[path] = change;
  return round;
}

TEST(DiffTest, RoundsOfAddChangeTouchDelete) {
  test::TempDir dir;
  const std::string r = dir.path();
  WriteFile(r + "/keep.txt", "keep");
  WriteFile(r + "/same-size.txt", "AAAA");
  WriteFile(r + "/touch.txt", "touch me");
  WriteFile(r + "/grow.txt", "g");
  WriteFile(r + "/gone.txt", "bye");
  WriteFile(r + "/sub/empty", "");
  for (const char* f :
       {"keep.txt", "same-size.txt", "touch.txt", "grow.txt", "gone.txt", "sub/empty"}) {
    SetMtime(r + "/" + f, 1700000000000000000);
  }

  // Round 1: everything is new, and hashed for its state.
  SyncRound first = RunDiff(r, {});
  EXPECT_EQ(first.diff.changes.size(), 6u);
  for (const auto& [path, change] : first.diff.changes) EXPECT_EQ(change, Change::kNew) << path;
  EXPECT_EQ(first.diff.hashed, 6u);
  EXPECT_EQ(first.diff.states.at("sub/empty").sha256, kEmptySha);
  EXPECT_EQ(first.diff.states.at("keep.txt").size, 4u);
  EXPECT_TRUE(first.diff.touched.empty());

  // Round 2: nothing moved; nothing is hashed.
  SyncRound second = RunDiff(r, first.diff.states);
  for (const auto& [path, change] : second.diff.changes) {
    EXPECT_EQ(change, Change::kUnchanged) << path;
  }
  EXPECT_EQ(second.diff.changes.size(), 6u);
  EXPECT_EQ(second.diff.hashed, 0u);
  EXPECT_EQ(second.diff.states, first.diff.states);

  // Round 3: same size new content (new mtime), touched, grown, deleted, added.
  WriteFile(r + "/same-size.txt", "BBBB");
  SetMtime(r + "/same-size.txt", 1700000000000000001);
  SetMtime(r + "/touch.txt", 1800000000000000000);
  WriteFile(r + "/grow.txt", "gg");
  SetMtime(r + "/grow.txt", 1700000000000000000);  // same mtime, different size
  fs::remove(r + "/gone.txt");
  WriteFile(r + "/sub/new.txt", "new");
  SyncRound third = RunDiff(r, second.diff.states);
  EXPECT_EQ(third.by_path, (std::map<std::string, Change>{{"gone.txt", Change::kDeleted},
                                                          {"grow.txt", Change::kChanged},
                                                          {"keep.txt", Change::kUnchanged},
                                                          {"same-size.txt", Change::kChanged},
                                                          {"sub/empty", Change::kUnchanged},
                                                          {"sub/new.txt", Change::kNew},
                                                          {"touch.txt", Change::kUnchanged}}));
  std::sort(third.hashed_paths.begin(), third.hashed_paths.end());
  EXPECT_EQ(third.hashed_paths,
            (std::vector<std::string>{"grow.txt", "same-size.txt", "sub/new.txt", "touch.txt"}));
  EXPECT_EQ(third.diff.touched, (std::vector<std::string>{"touch.txt"}));
  EXPECT_EQ(third.diff.states.count("gone.txt"), 0u);
  EXPECT_EQ(third.diff.states.at("touch.txt").mtime_ns, 1800000000000000000);
  EXPECT_EQ(third.diff.states.at("touch.txt").sha256, first.diff.states.at("touch.txt").sha256);
  EXPECT_NE(third.diff.states.at("same-size.txt").sha256,
            first.diff.states.at("same-size.txt").sha256);
  EXPECT_TRUE(third.diff.failed.empty());

  // Round 4: the touched file's new mtime was recorded, so it is not hashed again.
  SyncRound fourth = RunDiff(r, third.diff.states);
  EXPECT_EQ(fourth.diff.hashed, 0u);
  for (const auto& [path, change] : fourth.diff.changes) {
    EXPECT_EQ(change, Change::kUnchanged) << path;
  }
}

TEST(DiffTest, SameSizeAndMtimeIsUnchangedWithoutHashing) {
  // The documented quick-check trade-off: an edit that keeps size and mtime is not seen.
  test::TempDir dir;
  WriteFile(dir.path() + "/f", "1111");
  SetMtime(dir.path() + "/f", 1600000000000000000);
  SyncRound first = RunDiff(dir.path(), {});
  WriteFile(dir.path() + "/f", "2222");
  SetMtime(dir.path() + "/f", 1600000000000000000);
  SyncRound second = RunDiff(dir.path(), first.diff.states);
  EXPECT_EQ(second.by_path.at("f"), Change::kUnchanged);
  EXPECT_TRUE(second.hashed_paths.empty());
}

TEST(DiffTest, HashFailureIsReportedAndKeepsTheRecordedState) {
  std::map<std::string, FileState> recorded{{"old", {3, 10, "h-old"}}};
  std::vector<LocalFile> now{{"old", 3, 11}, {"fresh", 1, 5}};
  auto diff = Diff(recorded, now, [](const LocalFile& f) -> Result<std::string> {
    return NotFound("file " + f.relative_path + " vanished");
  });
  ASSERT_TRUE(diff.ok()) << diff.status().ToString();
  EXPECT_TRUE(diff->changes.empty());
  ASSERT_EQ(diff->failed.size(), 2u);
  EXPECT_EQ(diff->failed[0].first, "fresh");
  EXPECT_EQ(diff->failed[0].second.code(), StatusCode::kNotFound);
  EXPECT_EQ(diff->failed[1].first, "old");
  // The recorded state stays (the next sync retries); the never-recorded file has none.
  ASSERT_EQ(diff->states.size(), 1u);
  EXPECT_EQ(diff->states.at("old").sha256, "h-old");
  EXPECT_EQ(diff->states.at("old").mtime_ns, 10);
}

TEST(DiffTest, BadInputs) {
  auto hash = [](const LocalFile&) -> Result<std::string> { return std::string("h"); };
  std::vector<LocalFile> dup{{"a", 1, 1}, {"a", 2, 2}};
  ExpectError(Diff({}, dup, hash).status(), StatusCode::kInvalidArgument, "listed twice");
  ExpectError(Diff({}, {{"a", 1, 1}}, nullptr).status(), StatusCode::kInvalidArgument,
              "hash function");
}

TEST(DiffTest, RootHasherRefusesEscapes) {
  test::TempDir dir;
  HashFn hasher = RootHasher(dir.path());
  ExpectError(hasher(LocalFile{"../x", 0, 0}).status(), StatusCode::kInvalidArgument,
              "escapes the source root");
}

TEST(NamesTest, EnumNames) {
  EXPECT_EQ(ChangeName(Change::kNew), "NEW");
  EXPECT_EQ(ChangeName(Change::kChanged), "CHANGED");
  EXPECT_EQ(ChangeName(Change::kUnchanged), "UNCHANGED");
  EXPECT_EQ(ChangeName(Change::kDeleted), "DELETED");
  EXPECT_EQ(SkipReasonName(SkipReason::kOutsideRoot), "OUTSIDE_ROOT");
  EXPECT_EQ(SkipReasonName(SkipReason::kBrokenSymlink), "BROKEN_SYMLINK");
}

}  // namespace
}  // namespace k3::sources
