// Child processes for tests that run the real binaries (ledger-project,
// ledgerd, ledger): spawn with output in files, wait with a deadline, send
// signals, and never leave one running after a test fails.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace ledger::testing {

// How long a child may run before Wait kills it: a whole catch-up on a
// loaded 2-core machine.
inline constexpr std::chrono::milliseconds kChildTimeout{60'000};

// The whole file, or "" if it cannot be read.
inline std::string FileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A child process with stdin from /dev/null and stdout and stderr in two
// files. The destructor kills and reaps it if it still runs, so no process
// outlives a test that fails half-way.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& out, const std::string& err)
      : out_(out), err_(err) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> arguments;
    for (const std::string& arg : argv) arguments.push_back(const_cast<char*>(arg.c_str()));
    arguments.push_back(nullptr);
    int error = posix_spawn(&pid_, arguments[0], &actions, nullptr, arguments.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0) throw std::runtime_error("cannot run " + argv[0]);
  }
  ~Child() {
    if (pid_ > 0) Stop(SIGKILL);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // The exit code, or 128 + the signal number. Kills it after `timeout`.
  int Wait(std::chrono::milliseconds timeout = kChildTimeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
      if (Reap(WNOHANG)) return code_;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (pid_ > 0) {
      ADD_FAILURE() << "still running after " << timeout.count() << " ms: killed";
      kill(pid_, SIGKILL);
      Reap(0);
    }
    return code_;
  }
  // Sends `signal` (unless it already exited) and waits as Wait does.
  int Stop(int signal, std::chrono::milliseconds timeout = kChildTimeout) {
    if (pid_ > 0 && !Reap(WNOHANG)) kill(pid_, signal);
    return Wait(timeout);
  }
  std::string out() const { return FileText(out_); }
  std::string err() const { return FileText(err_); }

 private:
  bool Reap(int options) {
    int status = 0;
    pid_t reaped;
    do {
      reaped = waitpid(pid_, &status, options);
    } while (reaped < 0 && errno == EINTR);
    if (reaped != pid_) return false;
    code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
    return true;
  }

  std::string out_, err_;
  pid_t pid_ = -1;
  int code_ = -1;
};

}  // namespace ledger::testing
