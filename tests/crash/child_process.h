// crash/child_process.h: the parent side of the crash tests — starts k3_crash_child (or any
// program) with its stdout on a pipe, reads its report line by line, kills it and reaps it.
// Header-only, POSIX. Thread-safety: one ChildProcess is used by one thread at a time.
#ifndef K3_TESTS_CRASH_CHILD_PROCESS_H_
#define K3_TESTS_CRASH_CHILD_PROCESS_H_

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

extern char** environ;

namespace k3::crash {

class ChildProcess {
 public:
  // Starts argv[0] with arguments argv (and this process's environment); its stdout is a pipe
  // that ReadLine reads, its stderr is this process's. nullptr with *error set on failure.
  static std::unique_ptr<ChildProcess> Start(const std::vector<std::string>& argv,
                                             std::string* error) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
      *error = std::string("pipe2: ") + std::strerror(errno);
      return nullptr;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);  // clears O_CLOEXEC
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
      close(fds[0]);
      *error = "posix_spawn " + argv[0] + ": " + std::strerror(rc);
      return nullptr;
    }
    return std::unique_ptr<ChildProcess>(new ChildProcess(pid, fds[0]));
  }

  ~ChildProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      Wait();
    }
    if (fd_ >= 0) close(fd_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The next complete line of the child's stdout, without its '\n'. False at end of file; a
  // last line without '\n' is then left in partial().
  bool ReadLine(std::string* line) {
    for (;;) {
      const size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        line->assign(buffer_, 0, nl);
        buffer_.erase(0, nl + 1);
        return true;
      }
      char chunk[4096];
      const ssize_t n = read(fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }
  const std::string& partial() const { return buffer_; }

  void Kill(int signal) {
    if (pid_ > 0) kill(pid_, signal);
  }

  // Reaps the child and returns its wait status (see waitpid); -1 if already reaped.
  int Wait() {
    if (pid_ <= 0) return -1;
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }

  // "killed by signal 9", "exited with status 3".
  static std::string Describe(int status) {
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    return "wait status " + std::to_string(status);
  }

 private:
  ChildProcess(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
  pid_t pid_;
  int fd_;
  std::string buffer_;
};

// What a child killed by RunAndKill reported.
struct KilledRun {
  std::vector<std::string> lines;  // every whole line it wrote, in order
  int status = 0;                  // its wait status
  std::string partial;             // an unterminated last line; "" when every line was whole
};

// Starts `argv`, reads its report until `kill_after` lines arrived (or it exited), kills it
// with SIGKILL and drains the lines it wrote before dying (those were acknowledged too).
// nullopt when the child cannot be started (*error says why).
inline std::optional<KilledRun> RunAndKill(const std::vector<std::string>& argv, int kill_after,
                                           std::string* error) {
  auto child = ChildProcess::Start(argv, error);
  if (child == nullptr) return std::nullopt;
  KilledRun run;
  std::string line;
  while (static_cast<int>(run.lines.size()) < kill_after && child->ReadLine(&line)) {
    run.lines.push_back(line);
  }
  child->Kill(SIGKILL);
  while (child->ReadLine(&line)) run.lines.push_back(line);
  run.status = child->Wait();
  run.partial = child->partial();
  return run;
}

// The seed of a randomized crash test: $K3_CRASH_SEED when set (to replay a run), else random.
inline uint64_t CrashTestSeed() {
  if (const char* env = std::getenv("K3_CRASH_SEED")) return std::strtoull(env, nullptr, 10);
  return std::random_device{}();
}

}  // namespace k3::crash

#endif  // K3_TESTS_CRASH_CHILD_PROCESS_H_
