#include "sources/local_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>

#include "util/hash.h"
#include "util/utf8.h"

namespace k3::sources {
namespace {

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string ErrnoText(int err) { return std::strerror(err); }

// `s` with every byte that is not part of a valid UTF-8 sequence written as \xNN.
std::string Printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    size_t n = util::DecodeUtf8(s, pos, nullptr);
    if (n == 0) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      unsigned char b = static_cast<unsigned char>(s[pos]);
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
      pos += 1;
    } else {
      out.append(s.substr(pos, n));
      pos += n;
    }
  }
  return out;
}

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

// realpath(3) as a Result; the errno is kept in *err on failure.
bool RealPath(const std::string& path, std::string* out, int* err) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  if (real == nullptr) {
    *err = errno;
    return false;
  }
  *out = real.get();
  return true;
}

// Whether `real` (a realpath) is `real_root` or below it.
bool IsInside(const std::string& real, const std::string& real_root) {
  if (real == real_root) return true;
  if (real_root == "/") return !real.empty() && real[0] == '/';
  return real.size() > real_root.size() && real.compare(0, real_root.size(), real_root) == 0 &&
         real[real_root.size()] == '/';
}

std::string JoinRel(const std::string& dir_rel, const std::string& name) {
  return dir_rel.empty() ? name : dir_rel + "/" + name;
}

std::string JoinAbs(const std::string& dir_abs, const std::string& name) {
  return dir_abs == "/" ? "/" + name : dir_abs + "/" + name;
}

using DevIno = std::pair<dev_t, ino_t>;

// Validates the root and returns its realpath.
Result<std::string> RealRoot(const std::string& root) {
  K3_RETURN_IF_ERROR(ValidateRoot(root));
  std::string real;
  int err = 0;
  if (!RealPath(root, &real, &err)) {
    return Status(err == EACCES ? StatusCode::kPermissionDenied : StatusCode::kUnavailable,
                  "rootPath " + Quote(root) + " cannot be resolved: " + ErrnoText(err));
  }
  return real;
}

// The walk of ListFiles. Directories are walked with explicit stacks (no recursion, so a deep
// tree cannot overflow the call stack).
class Walker {
 public:
  explicit Walker(std::string real_root) : real_root_(std::move(real_root)) {}

  Status Run() {
    struct stat st;
    if (::stat(real_root_.c_str(), &st) != 0) {
      return Unavailable("rootPath " + Quote(real_root_) + " cannot be read: " + ErrnoText(errno));
    }
    visited_dirs_.insert({st.st_dev, st.st_ino});
    // The root itself must be readable; anything below it is skipped and reported instead.
    DIR* probe = ::opendir(real_root_.c_str());
    if (probe == nullptr) {
      int err = errno;
      return Status(err == EACCES ? StatusCode::kPermissionDenied : StatusCode::kUnavailable,
                    "rootPath " + Quote(real_root_) + " cannot be read: " + ErrnoText(err));
    }
    ::closedir(probe);

    // Pass 1: the real tree. Symlinks found are queued, not followed.
    WalkTree(/*dir_rel=*/"", real_root_, /*alias=*/false);
    // Pass 2: symlinks that resolve inside the root, in path order (new ones found while walking
    // an aliased directory join the queue).
    while (!pending_links_.empty()) {
      auto it = pending_links_.begin();
      std::string rel = it->first;
      std::string target = it->second;
      pending_links_.erase(it);
      FollowLink(rel, target);
    }
    std::sort(
        result_.files.begin(), result_.files.end(),
        [](const LocalFile& a, const LocalFile& b) { return a.relative_path < b.relative_path; });
    std::sort(result_.skipped.begin(), result_.skipped.end(),
              [](const SkippedEntry& a, const SkippedEntry& b) {
                return a.relative_path < b.relative_path;
              });
    return Status::Ok();
  }

  ListResult Take() { return std::move(result_); }

 private:
  void Skip(const std::string& rel, SkipReason reason, std::string message) {
    result_.skipped.push_back({Printable(rel), reason, std::move(message)});
  }

  // Lists a regular file unless it is an alias of one already listed. Hard links found in the
  // real tree (alias == false) are all listed.
  void AddFile(const std::string& rel, const std::string& abs, const struct stat& st, bool alias) {
    DevIno id{st.st_dev, st.st_ino};
    if (alias && listed_files_.count(id) > 0) return;
    if (::faccessat(AT_FDCWD, abs.c_str(), R_OK, AT_EACCESS) != 0) {
      Skip(rel, SkipReason::kUnreadable, "file cannot be read: " + ErrnoText(errno));
      return;
    }
    listed_files_.insert(id);
    result_.files.push_back({rel, static_cast<uint64_t>(st.st_size), MtimeNs(st)});
  }

  // Walks the directory `dir_abs` (listed as `dir_rel`) and everything below it that is not a
  // symlink. The caller has already recorded the directory itself in visited_dirs_.
  void WalkTree(const std::string& dir_rel, const std::string& dir_abs, bool alias) {
    std::vector<std::pair<std::string, std::string>> stack{{dir_rel, dir_abs}};
    while (!stack.empty()) {
      auto [rel, abs] = std::move(stack.back());
      stack.pop_back();
      DIR* dir = ::opendir(abs.c_str());
      if (dir == nullptr) {
        Skip(rel, SkipReason::kUnreadable, "directory cannot be read: " + ErrnoText(errno));
        continue;
      }
      std::vector<std::string> names;
      while (true) {
        errno = 0;
        struct dirent* entry = ::readdir(dir);
        if (entry == nullptr) {
          if (errno != 0) {
            Skip(rel, SkipReason::kUnreadable,
                 "directory listing failed part-way: " + ErrnoText(errno));
          }
          break;
        }
        std::string name = entry->d_name;
        if (name == "." || name == "..") continue;
        names.push_back(std::move(name));
      }
      ::closedir(dir);
      std::sort(names.begin(), names.end());
      for (const std::string& name : names) {
        std::string child_rel = JoinRel(rel, name);
        std::string child_abs = JoinAbs(abs, name);
        if (!util::IsValidUtf8(name)) {
          Skip(child_rel, SkipReason::kInvalidUtf8, "name is not valid UTF-8");
          continue;
        }
        struct stat st;
        if (::lstat(child_abs.c_str(), &st) != 0) {
          Skip(child_rel, SkipReason::kUnreadable, "cannot be examined: " + ErrnoText(errno));
          continue;
        }
        if (S_ISLNK(st.st_mode)) {
          QueueLink(child_rel, child_abs);
        } else if (S_ISDIR(st.st_mode)) {
          if (visited_dirs_.insert({st.st_dev, st.st_ino}).second) {
            stack.emplace_back(child_rel, child_abs);
          }
        } else if (S_ISREG(st.st_mode)) {
          AddFile(child_rel, child_abs, st, alias);
        } else {
          Skip(child_rel, SkipReason::kNotRegularFile, "not a regular file or directory");
        }
      }
    }
  }

  void QueueLink(const std::string& rel, const std::string& abs) {
    std::string target;
    int err = 0;
    if (!RealPath(abs, &target, &err)) {
      std::string why = err == ENOENT  ? "its target does not exist"
                        : err == ELOOP ? "it is a loop of symlinks"
                                       : ErrnoText(err);
      Skip(rel, SkipReason::kBrokenSymlink, "symlink does not resolve: " + why);
      return;
    }
    if (!IsInside(target, real_root_)) {
      Skip(rel, SkipReason::kOutsideRoot,
           "symlink target " + Quote(Printable(target)) + " is outside the source root");
      return;
    }
    pending_links_.emplace(rel, std::move(target));
  }

  // Follows a symlink at `rel` whose real target `target` is inside the root.
  void FollowLink(const std::string& rel, const std::string& target) {
    struct stat st;
    if (::stat(target.c_str(), &st) != 0) {
      Skip(rel, SkipReason::kUnreadable, "symlink target cannot be examined: " + ErrnoText(errno));
      return;
    }
    if (S_ISDIR(st.st_mode)) {
      // Already walked (under its real path or another alias), or an ancestor: a cycle.
      if (!visited_dirs_.insert({st.st_dev, st.st_ino}).second) return;
      WalkTree(rel, target, /*alias=*/true);
    } else if (S_ISREG(st.st_mode)) {
      AddFile(rel, target, st, /*alias=*/true);
    } else {
      Skip(rel, SkipReason::kNotRegularFile, "symlink target is not a regular file or directory");
    }
  }

  std::string real_root_;
  ListResult result_;
  std::set<DevIno> visited_dirs_;
  std::set<DevIno> listed_files_;
  std::map<std::string, std::string> pending_links_;  // relative path -> real target
};

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    ok_ = ctx_ != nullptr && EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) == 1;
  }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  bool ok() const { return ok_; }
  bool Update(std::string_view bytes) {
    return EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()) == 1;
  }
  bool Finish(std::string* hex) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_, digest, &len) != 1) return false;
    *hex = util::HexEncode(std::string_view(reinterpret_cast<char*>(digest), len));
    return true;
  }

 private:
  EVP_MD_CTX* ctx_;
  bool ok_ = false;
};

}  // namespace

std::string_view SkipReasonName(SkipReason reason) {
  switch (reason) {
    case SkipReason::kOutsideRoot:
      return "OUTSIDE_ROOT";
    case SkipReason::kBrokenSymlink:
      return "BROKEN_SYMLINK";
    case SkipReason::kUnreadable:
      return "UNREADABLE";
    case SkipReason::kInvalidUtf8:
      return "INVALID_UTF8";
    case SkipReason::kNotRegularFile:
      return "NOT_REGULAR_FILE";
  }
  return "UNKNOWN";
}

std::string_view ChangeName(Change change) {
  switch (change) {
    case Change::kNew:
      return "NEW";
    case Change::kChanged:
      return "CHANGED";
    case Change::kUnchanged:
      return "UNCHANGED";
    case Change::kDeleted:
      return "DELETED";
  }
  return "UNKNOWN";
}

Status ValidateRoot(const std::string& root_path) {
  if (root_path.empty()) return InvalidArgument("rootPath is empty");
  if (root_path.find('\0') != std::string::npos) {
    return InvalidArgument("rootPath contains a NUL byte");
  }
  std::string shown = Quote(Printable(root_path));
  if (root_path[0] != '/') {
    return InvalidArgument("rootPath " + shown + " must be an absolute path");
  }
  struct stat st;
  if (::stat(root_path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT) return InvalidArgument("rootPath " + shown + " does not exist");
    if (err == ENOTDIR) {
      return InvalidArgument("rootPath " + shown + " does not exist (a parent is not a directory)");
    }
    if (err == EACCES) {
      return Status(StatusCode::kPermissionDenied,
                    "rootPath " + shown + " cannot be examined: " + ErrnoText(err));
    }
    return InvalidArgument("rootPath " + shown + " cannot be examined: " + ErrnoText(err));
  }
  if (S_ISREG(st.st_mode)) return InvalidArgument("rootPath " + shown + " is a file");
  if (!S_ISDIR(st.st_mode)) return InvalidArgument("rootPath " + shown + " is not a directory");
  return Status::Ok();
}

Result<ListResult> ListFiles(const std::string& root) {
  K3_ASSIGN_OR_RETURN(std::string real_root, RealRoot(root));
  Walker walker(std::move(real_root));
  K3_RETURN_IF_ERROR(walker.Run());
  return walker.Take();
}

Result<std::string> ResolveInside(const std::string& root, std::string_view relative) {
  if (relative.empty()) return InvalidArgument("path is empty");
  if (relative.find('\0') != std::string_view::npos) {
    return InvalidArgument("path contains a NUL byte");
  }
  std::string shown = Quote(Printable(relative));
  if (relative.front() == '/') {
    return InvalidArgument("path " + shown + " escapes the source root (it is absolute)");
  }
  size_t start = 0;
  while (start <= relative.size()) {
    size_t end = relative.find('/', start);
    if (end == std::string_view::npos) end = relative.size();
    if (relative.substr(start, end - start) == "..") {
      return InvalidArgument("path " + shown + " escapes the source root (it contains \"..\")");
    }
    start = end + 1;
  }
  K3_ASSIGN_OR_RETURN(std::string real_root, RealRoot(root));
  std::string joined = JoinAbs(real_root, std::string(relative));
  std::string real;
  int err = 0;
  if (!RealPath(joined, &real, &err)) {
    if (err == ENOENT || err == ENOTDIR) {
      return NotFound("path " + shown + " does not exist in the source root");
    }
    if (err == EACCES) {
      return Status(StatusCode::kPermissionDenied,
                    "path " + shown + " cannot be resolved: " + ErrnoText(err));
    }
    return InvalidArgument("path " + shown + " cannot be resolved: " + ErrnoText(err));
  }
  if (!IsInside(real, real_root)) {
    return InvalidArgument("path " + shown + " escapes the source root (through a symlink, to " +
                           Quote(Printable(real)) + ")");
  }
  return real;
}

Status ReadFileStreamed(const std::string& path,
                        const std::function<Status(std::string_view block)>& sink) {
  if (!sink) return InvalidArgument("ReadFileStreamed needs a sink");
  if (path.find('\0') != std::string::npos) return InvalidArgument("path contains a NUL byte");
  std::string shown = Quote(Printable(path));
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) return NotFound("file " + shown + " does not exist");
    if (err == EACCES) {
      return Status(StatusCode::kPermissionDenied,
                    "file " + shown + " cannot be opened: " + ErrnoText(err));
    }
    return Unavailable("file " + shown + " cannot be opened: " + ErrnoText(err));
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    return Unavailable("file " + shown + " cannot be examined: " + ErrnoText(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return InvalidArgument("path " + shown +
                           (S_ISDIR(st.st_mode) ? " is a directory" : " is not a regular file"));
  }
  std::unique_ptr<char[]> buffer(new char[kReadBlockSize]);
  while (true) {
    // Fill the block fully (short reads are merged) so blocks are kReadBlockSize except the last.
    size_t filled = 0;
    bool eof = false;
    while (filled < kReadBlockSize) {
      ssize_t n = ::read(fd, buffer.get() + filled, kReadBlockSize - filled);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Unavailable("reading file " + shown + " failed: " + ErrnoText(errno));
      }
      if (n == 0) {
        eof = true;
        break;
      }
      filled += static_cast<size_t>(n);
    }
    if (filled > 0) K3_RETURN_IF_ERROR(sink(std::string_view(buffer.get(), filled)));
    if (eof) return Status::Ok();
  }
}

Result<std::string> HashFile(const std::string& path) {
  Sha256 sha;
  if (!sha.ok()) return Internal("OpenSSL SHA-256 could not be initialised");
  K3_RETURN_IF_ERROR(ReadFileStreamed(path, [&sha](std::string_view block) {
    return sha.Update(block) ? Status::Ok() : Internal("OpenSSL SHA-256 update failed");
  }));
  std::string hex;
  if (!sha.Finish(&hex)) return Internal("OpenSSL SHA-256 finish failed");
  return hex;
}

HashFn RootHasher(std::string root) {
  return [root = std::move(root)](const LocalFile& file) -> Result<std::string> {
    K3_ASSIGN_OR_RETURN(std::string real, ResolveInside(root, file.relative_path));
    return HashFile(real);
  };
}

Result<DiffResult> Diff(const std::map<std::string, FileState>& recorded,
                        const std::vector<LocalFile>& now, const HashFn& hash_fn) {
  if (!hash_fn) return InvalidArgument("Diff needs a hash function");
  std::map<std::string, const LocalFile*> current;
  for (const LocalFile& f : now) {
    if (!current.emplace(f.relative_path, &f).second) {
      return InvalidArgument("path " + Quote(Printable(f.relative_path)) +
                             " is listed twice in the current listing");
    }
  }
  DiffResult out;
  for (const auto& [path, file] : current) {
    auto rec = recorded.find(path);
    if (rec != recorded.end() && rec->second.size == file->size &&
        rec->second.mtime_ns == file->mtime_ns) {
      out.changes.emplace_back(path, Change::kUnchanged);
      out.states.emplace(path, rec->second);
      continue;
    }
    ++out.hashed;
    Result<std::string> hash = hash_fn(*file);
    if (!hash.ok()) {
      out.failed.emplace_back(path, hash.status());
      if (rec != recorded.end()) out.states.emplace(path, rec->second);
      continue;
    }
    FileState state{file->size, file->mtime_ns, std::move(hash).value()};
    Change change;
    if (rec == recorded.end()) {
      change = Change::kNew;
    } else if (rec->second.size != file->size || rec->second.sha256 != state.sha256) {
      change = Change::kChanged;
    } else {
      change = Change::kUnchanged;
      out.touched.push_back(path);
    }
    out.changes.emplace_back(path, change);
    out.states.emplace(path, std::move(state));
  }
  for (const auto& [path, state] : recorded) {
    if (current.count(path) == 0) out.changes.emplace_back(path, Change::kDeleted);
  }
  std::sort(out.changes.begin(), out.changes.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace k3::sources
