// process_sandbox.cc: launch, message pump with deadline and caps, reaping, outcome mapping.
#include "engine/sandbox/process_sandbox.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <optional>

#include "engine/sandbox/boot_blob.h"
#include "engine/sandbox/cpu_limit_kill.h"
#include "engine/sandbox/frame_reader.h"
#include "engine/sandbox/helper_launch.h"
#include "guest/platform/process/process_contract.h"

namespace instar::sandbox {
namespace {

using Clock = std::chrono::steady_clock;

Outcome failure(OutcomeKind kind, std::string diagnostic) {
  Outcome outcome;
  outcome.kind = kind;
  outcome.diagnostic = std::move(diagnostic);
  return outcome;
}

// Owns the child until it is reaped: every exit path of run() kills and reaps it.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  ~Child() {
    if (!reaped_) kill_and_reap();
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Non-blocking reap; true once the child has been reaped (status in wait_status()).
  bool try_reap() {
    if (reaped_) return true;
    if (!exited(WNOHANG)) return reaped_;
    reap();
    return reaped_;
  }
  void reap() {
    if (!reaped_ && exited(0)) prof_ns_ = unreaped_prof_clock_ns(pid_);
    while (!reaped_) {
      const pid_t r = wait4(pid_, &status_, 0, &usage_);
      if (r == pid_ || (r < 0 && errno != EINTR)) reaped_ = true;
    }
  }
  // The exited (not yet reaped) child's read counters from /proc/<pid>/io; zeros if unreadable.
  void read_io_counters(uint64_t* reads, uint64_t* bytes) const {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/io", static_cast<int>(pid_));
    FILE* io = fopen(path, "re");
    if (io == nullptr) return;
    char key[32];
    unsigned long long value = 0;
    while (fscanf(io, "%31[^:]: %llu\n", key, &value) == 2) {
      if (strcmp(key, "rchar") == 0) *bytes = value;
      if (strcmp(key, "syscr") == 0) *reads = value;
    }
    fclose(io);
  }
  // CPU time (user + system) of the reaped child.
  uint64_t cpu_ns() const {
    const auto ns = [](const timeval& t) {
      return static_cast<uint64_t>(t.tv_sec) * 1000000000ull +
             static_cast<uint64_t>(t.tv_usec) * 1000ull;
    };
    return ns(usage_.ru_utime) + ns(usage_.ru_stime);
  }
  void kill_and_reap() {
    if (reaped_) return;
    // The pid stays ours until we reap it, so this cannot hit an unrelated process.
    (void)kill(pid_, SIGKILL);
    reap();
  }
  bool reaped() const { return reaped_; }
  int wait_status() const { return status_; }
  // The child's PROF clock just before the reap: the clock RLIMIT_CPU is enforced on.
  std::optional<uint64_t> prof_ns() const { return prof_ns_; }

 private:
  // Whether the child has exited, leaving it unreaped (`flags`: 0 waits, WNOHANG does not). An
  // error (ECHILD: someone else reaped it) counts as exited, so the callers stop waiting.
  bool exited(int flags) const {
    siginfo_t info{};
    int r;
    do {
      r = waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT | flags);
    } while (r < 0 && errno == EINTR);
    return r < 0 || info.si_pid == pid_;
  }

  pid_t pid_;
  int status_ = 0;
  rusage usage_{};
  std::optional<uint64_t> prof_ns_;
  bool reaped_ = false;
};

int poll_timeout_ms(Clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return left > INT_MAX ? INT_MAX : static_cast<int>(left);
}

// The setup failure the helper reported on its setup-status pipe (one byte, then EOF), or -1.
// Read after the reap, so every byte it could have written is there.
int read_setup_failure(const UniqueFd& setup_status) {
  unsigned char code = 0;
  ssize_t n;
  do {
    n = read(setup_status.get(), &code, 1);
  } while (n < 0 && errno == EINTR);
  return n == 1 ? code : -1;
}

std::string mebibytes(rlim_t bytes) {
  return std::to_string(bytes >> 20) + " MiB";
}

// What the helper's exit means. `setup_failure` is the byte of its setup-status pipe (-1: none):
// only with it is an exit status a setup failure; any other status is the guest's own.
Outcome outcome_from_exit(int wait_status, FrameReader& reader, int setup_failure,
                          const LaunchedHelper& helper, std::optional<uint64_t> prof_ns) {
  if (WIFSIGNALED(wait_status)) {
    const int signal = WTERMSIG(wait_status);
    Outcome outcome = failure(OutcomeKind::kKilled, describe_guest_signal(signal));
    outcome.signal = signal;
    // RLIMIT_CPU, judged by the clock the kernel enforces it on (cpu_limit_kill.h). The
    // launcher's own SIGKILLs (deadline, caps) never get here.
    if (const std::optional<rlim_t> seconds =
            cpu_limit_that_killed(signal, helper.cpu_limit, prof_ns)) {
      outcome.kind = OutcomeKind::kResourceLimit;
      outcome.diagnostic =
          "guest process reached its CPU time limit of " + std::to_string(*seconds) + " s" +
          (helper.cpu_limit_from_caller ? " (RLIMIT_CPU, set by the caller of instar)" : "");
    }
    return outcome;
  }
  const int code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
  if (reader.state() == FrameReader::State::kExited && code == 0) {
    Outcome outcome;
    outcome.kind = OutcomeKind::kCompleted;
    outcome.guest_status = reader.exit_status();
    outcome.messages = std::move(reader.messages());
    return outcome;
  }
  if (setup_failure >= 0 && setup_failure == code) {
    if (const char* reason = process::setup_exit_reason(code)) {
      std::string text = std::string("guest process setup failed: ") + reason;
      const rlim_t as = helper.address_space.rlim_cur;
      if (code == process::kSetupArena && as != RLIM_INFINITY) {
        text +=
            " (the caller of instar limits its address space, RLIMIT_AS, to " + mebibytes(as) + ")";
      }
      return failure(OutcomeKind::kHostError, text);
    }
  }
  if (reader.state() == FrameReader::State::kExited) {
    return failure(OutcomeKind::kGuestFault, "guest process exited with status " +
                                                 std::to_string(code) + " after its exit frame");
  }
  if (reader.mid_frame()) {
    return failure(OutcomeKind::kGuestFault, "guest process ended inside a message frame");
  }
  return failure(OutcomeKind::kGuestFault, "guest process exited with status " +
                                               std::to_string(code) + " without an exit frame");
}

}  // namespace

ProcessSandbox::ProcessSandbox(std::string helper_path) : helper_path_(std::move(helper_path)) {}

Outcome ProcessSandbox::run(const Request& request) {
  if (std::string invalid = validate_process_request(request); !invalid.empty()) {
    return failure(OutcomeKind::kHostError, "invalid sandbox request: " + invalid);
  }
  return run_with_boot_blob(encode_boot_blob(request), request);
}

Outcome ProcessSandbox::run_with_boot_blob(const std::vector<uint8_t>& boot_blob,
                                           const Request& request) {
  if (std::string invalid = validate_process_request(request); !invalid.empty()) {
    return failure(OutcomeKind::kHostError, "invalid sandbox request: " + invalid);
  }
  const Limits& limits = request.limits;
  const Clock::time_point deadline = Clock::now() + limits.wall_time;

  std::vector<int> device_fds;
  for (const Device& device : request.devices) device_fds.push_back(device.fd);
  LaunchSpec spec;
  spec.helper_path = helper_path_;
  spec.boot_blob = boot_blob;
  spec.device_fds = device_fds;
  // CPU time can't exceed wall time; one extra second absorbs rounding. The wall clock fires first,
  // unless the caller of instar set a lower RLIMIT_CPU (the launcher never raises it).
  spec.cpu_seconds =
      static_cast<uint64_t>(std::chrono::ceil<std::chrono::seconds>(limits.wall_time).count()) + 1;

  LaunchedHelper helper;
  std::string error;
  if (!launch_helper(spec, &helper, &error)) return failure(OutcomeKind::kHostError, error);
  Child child(helper.pid);

  FrameReader reader(limits.max_message_bytes, limits.max_total_message_bytes, request.consumer);
  bool pipe_open = true;
  uint64_t io_reads = 0;
  uint64_t io_bytes = 0;
  static constexpr size_t kChunk = 64 * 1024;
  std::vector<uint8_t> buffer(kChunk);

  // Until EOF on the pipe and the child is reaped; the pidfd tells us when it exited.
  while (pipe_open || !child.reaped()) {
    if (!pipe_open && child.try_reap()) break;
    const int timeout = poll_timeout_ms(deadline);
    if (timeout == 0) {
      child.kill_and_reap();
      return failure(OutcomeKind::kTimeout, "guest process exceeded the wall-clock limit of " +
                                                std::to_string(limits.wall_time.count()) + " ms");
    }
    pollfd fds[2];
    nfds_t count = 0;
    int pipe_index = -1;
    int pid_index = -1;
    if (pipe_open) {
      pipe_index = static_cast<int>(count);
      fds[count++] = {helper.messages.get(), POLLIN, 0};
    }
    if (helper.pidfd.valid()) {
      pid_index = static_cast<int>(count);
      fds[count++] = {helper.pidfd.get(), POLLIN, 0};
    }
    // Without a pidfd (kernel < 5.3) and with the pipe closed, poll nothing: a short sleep.
    const int ready =
        count == 0 ? poll(nullptr, 0, timeout < 10 ? timeout : 10) : poll(fds, count, timeout);
    if (ready < 0 && errno != EINTR) {
      child.kill_and_reap();
      return failure(OutcomeKind::kHostError, std::string("poll: ") + strerror(errno));
    }
    if (ready <= 0) continue;
    if (pipe_index >= 0 && (fds[pipe_index].revents & (POLLIN | POLLHUP | POLLERR))) {
      const ssize_t n = read(helper.messages.get(), buffer.data(), buffer.size());
      if (n < 0 && errno != EINTR && errno != EAGAIN) {
        child.kill_and_reap();
        return failure(OutcomeKind::kHostError,
                       std::string("reading guest messages: ") + strerror(errno));
      }
      if (n == 0) pipe_open = false;
      if (n > 0) {
        switch (reader.feed(buffer.data(), static_cast<size_t>(n))) {
          case FrameReader::State::kTooLarge:
            child.kill_and_reap();
            return failure(OutcomeKind::kResourceLimit,
                           "guest message of " + std::to_string(reader.rejected_length()) +
                               " bytes exceeds the limit of " +
                               std::to_string(limits.max_message_bytes));
          case FrameReader::State::kTotalExceeded:
            child.kill_and_reap();
            return failure(OutcomeKind::kResourceLimit,
                           "guest messages exceed the total limit of " +
                               std::to_string(limits.max_total_message_bytes) + " bytes");
          case FrameReader::State::kAfterExit:
            child.kill_and_reap();
            return failure(OutcomeKind::kGuestFault, "guest process wrote after its exit frame");
          case FrameReader::State::kRejected:
            child.kill_and_reap();
            return failure(OutcomeKind::kGuestFault, reader.rejection());
          default:
            break;
        }
      }
    }
    if (pid_index >= 0 && (fds[pid_index].revents & (POLLIN | POLLHUP | POLLERR))) {
      // The child exited; its pipe data stays readable, so keep draining until EOF. The pidfd
      // stays readable, so drop it either way (the loop top reaps without it). Its /proc entry
      // lives until the reap: take its read counters first.
      if (request.io_counters) child.read_io_counters(&io_reads, &io_bytes);
      (void)child.try_reap();
      helper.pidfd.reset();
    }
  }
  if (!child.reaped()) child.reap();
  Outcome outcome =
      outcome_from_exit(child.wait_status(), reader, read_setup_failure(helper.setup_status),
                        helper, child.prof_ns());
  outcome.reads = io_reads;
  outcome.bytes_read = io_bytes;
  outcome.guest_ns = child.cpu_ns();
  return outcome;
}

std::string describe_guest_signal(int signal) {
  return describe_killed("guest process", signal);
}

std::string describe_killed(const char* who, int signal) {
  const char* abbrev = sigabbrev_np(signal);
  std::string name =
      abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signal);
  std::string text = std::string(who) + " killed by " + name;
  switch (signal) {
    case SIGSYS:
      return text + " (seccomp: forbidden system call)";
    case SIGXCPU:
      return text + " (CPU time limit)";
    case SIGXFSZ:
      return text + " (file size limit)";
    case SIGSEGV:
      return text + " (memory access violation)";
    default:
      return text;
  }
}

}  // namespace instar::sandbox
