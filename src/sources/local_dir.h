// sources/local_dir.h: the filesystem side of a SOURCE_PROVIDER_LOCAL_DIR source: checking a
// `rootPath`, walking it safely (no escape out of the root through symlinks, no loops, bad
// entries skipped and reported rather than fatal), resolving a relative path inside it,
// streaming and hashing files, and diffing a listing against the recorded state of the last
// sync (new / changed / unchanged / deleted; hashing only when size or mtime moved).
//
// Thread-safety: every function is reentrant and keeps no state; concurrent calls are safe. The
// filesystem may change while a call runs: a walk reports what it saw, a file that vanishes or
// becomes unreadable mid-walk is skipped and reported, and ResolveInside answers for the moment
// it ran (the root is the host's own directory, so it is trusted not to be raced adversarially;
// callers that need more should open the result with O_NOFOLLOW).
//
// No function throws; every failure is a k3::Status.
#ifndef K3_SOURCES_LOCAL_DIR_H_
#define K3_SOURCES_LOCAL_DIR_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "k3/status.h"

namespace k3::sources {

// The block size of ReadFileStreamed and HashFile: a file is never held in memory whole.
inline constexpr size_t kReadBlockSize = size_t{1} << 20;  // 1 MiB

// OK when `root_path` can be a local-dir source root: non-empty, without NUL bytes, absolute
// (a relative path is refused rather than resolved against the process's working directory,
// which a library does not own), existing, and a directory (a symlink to a directory is fine).
// Errors: INVALID_ARGUMENT `rootPath "x" must be an absolute path` / `... does not exist` /
// `... is a file` / `... is not a directory`; PERMISSION_DENIED when it cannot be examined.
Status ValidateRoot(const std::string& root_path);

// One regular file of a listing.
struct LocalFile {
  std::string relative_path;  // '/'-separated, no leading '/', valid UTF-8 (bytes as on disk)
  uint64_t size = 0;
  int64_t mtime_ns = 0;  // st_mtim as nanoseconds since the Unix epoch
  bool operator==(const LocalFile&) const = default;
};

// Why ListFiles left an entry out.
enum class SkipReason {
  kOutsideRoot,     // a symlink whose target (after realpath) is outside the root
  kBrokenSymlink,   // a symlink that does not resolve: dangling, a loop of links, ...
  kUnreadable,      // stat / opendir / access(R_OK) failed (permissions, vanished, I/O)
  kInvalidUtf8,     // a file or directory name that is not valid UTF-8 (not descended into)
  kNotRegularFile,  // a FIFO, socket or device
};
// "OUTSIDE_ROOT", "BROKEN_SYMLINK", "UNREADABLE", "INVALID_UTF8", "NOT_REGULAR_FILE".
std::string_view SkipReasonName(SkipReason reason);

struct SkippedEntry {
  // The entry's path relative to the root, for display: bytes that are not valid UTF-8 are
  // written as \xNN (so the string is always valid UTF-8, and not necessarily the on-disk name).
  std::string relative_path;
  SkipReason reason = SkipReason::kUnreadable;
  std::string message;  // e.g. "symlink target \"/etc/passwd\" is outside the source root"
};

struct ListResult {
  std::vector<LocalFile> files;       // sorted by relative_path (bytewise), unique
  std::vector<SkippedEntry> skipped;  // sorted by relative_path
};

// Walks `root` recursively and lists its regular files.
//  - Directories are descended into; FIFOs, sockets and devices are skipped and reported.
//  - Symlinks are resolved with realpath. One whose target is outside the root is skipped and
//    reported (kOutsideRoot); one that does not resolve is skipped and reported
//    (kBrokenSymlink). One whose target is inside the root is followed, but every real file is
//    listed once: a file already listed under its real path (or an earlier alias) is not listed
//    again, and a directory already walked (same st_dev and st_ino, which also catches links to
//    an ancestor, i.e. cycles) is not walked again. The real (non-symlink) path wins; the choice
//    between aliases is deterministic (pending aliases are followed in path order). Hard links are
//    distinct names and are all listed.
//  - Entries that cannot be examined or read are skipped and reported (kUnreadable), as are
//    names that are not valid UTF-8 (kInvalidUtf8); neither makes the walk fail.
// Errors: those of ValidateRoot(root), and PERMISSION_DENIED / UNAVAILABLE when the root
// itself cannot be read.
Result<ListResult> ListFiles(const std::string& root);

// The real path (realpath) of `relative` under `root`, guaranteed inside the root's real path.
// `relative` is '/'-separated, as in LocalFile::relative_path.
// Errors: INVALID_ARGUMENT `path "x" escapes the source root` for a ".." component, an absolute
// path, or a path whose realpath (through a symlink) is outside the root; INVALID_ARGUMENT for
// an empty path or one containing a NUL byte; NOT_FOUND when it does not exist (so a path whose
// missing tail would be reached through an escaping symlink is NOT_FOUND, never opened);
// ValidateRoot's errors for the root.
Result<std::string> ResolveInside(const std::string& root, std::string_view relative);

// Reads the regular file at `path` from start to end in blocks of at most kReadBlockSize and
// hands each block to `sink` in order (never an empty block; an empty file makes no call). The
// view is valid only during the call. When `sink` returns an error, reading stops and that
// Status is returned unchanged. The file is read as it is during the call; a caller that cares
// about concurrent writers compares the byte count and mtime with its listing.
// Errors: NOT_FOUND (missing), PERMISSION_DENIED, INVALID_ARGUMENT (not a regular file, e.g. a
// directory or FIFO; a FIFO is never blocked on), UNAVAILABLE (a read error); a null sink is
// INVALID_ARGUMENT.
Status ReadFileStreamed(const std::string& path,
                        const std::function<Status(std::string_view block)>& sink);

// The SHA-256 of the file at `path`, as 64 lowercase hex digits, streamed (ReadFileStreamed).
// Errors: those of ReadFileStreamed; INTERNAL if OpenSSL fails.
Result<std::string> HashFile(const std::string& path);

// What the last sync recorded about one file.
struct FileState {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  std::string sha256;  // lowercase hex, or whatever fingerprint the HashFn produces
  bool operator==(const FileState&) const = default;
};

enum class Change { kNew, kChanged, kUnchanged, kDeleted };
// "NEW", "CHANGED", "UNCHANGED", "DELETED".
std::string_view ChangeName(Change change);

// Fingerprints the file of a listing (normally: its SHA-256, see RootHasher).
using HashFn = std::function<Result<std::string>(const LocalFile& file)>;

// A HashFn for the files of a listing of `root`: ResolveInside(root, relative_path) + HashFile.
HashFn RootHasher(std::string root);

struct DiffResult {
  // Every path of `recorded` and `now` (except those in `failed`), sorted by path, each once.
  std::vector<std::pair<std::string, Change>> changes;
  // The state to record after the sync: one entry per file of `now`, except that a file whose
  // hashing failed keeps its recorded state if it had one (so the next sync tries again).
  std::map<std::string, FileState> states;
  // Unchanged paths whose size/mtime moved but whose hash did not ("touched"); a subset of the
  // kUnchanged paths of `changes`, sorted. Their new mtime is in `states`.
  std::vector<std::string> touched;
  // Files of `now` whose hashing failed (e.g. removed or made unreadable since the listing):
  // neither new, changed nor deleted this time. Sorted by path.
  std::vector<std::pair<std::string, Status>> failed;
  size_t hashed = 0;  // how many times the HashFn was called
};

// Compares the current listing with the recorded states. A file is
//  - kNew when not recorded (hashed, for its state);
//  - kUnchanged, without hashing, when size and mtime both equal the recorded ones (an edit that
//    keeps both is not seen: the same trade-off as rsync's quick check);
//  - kChanged when the size differs (hashed for its state), or the mtime differs and the hash
//    differs from the recorded one;
//  - kUnchanged and "touched" when only the mtime differs and the hash is the recorded one;
//  - kDeleted when recorded but absent from `now`.
// Errors: INVALID_ARGUMENT for a null `hash_fn` or a path listed twice in `now`. A failing
// hash_fn is not an error of Diff: the file goes to `failed`.
Result<DiffResult> Diff(const std::map<std::string, FileState>& recorded,
                        const std::vector<LocalFile>& now, const HashFn& hash_fn);

}  // namespace k3::sources

#endif  // K3_SOURCES_LOCAL_DIR_H_
