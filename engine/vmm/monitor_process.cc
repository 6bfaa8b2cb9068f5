// monitor_process.cc: fork, the child's setup -> confine -> exit loop -> report, the parent's pump.
#include "engine/vmm/monitor_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "engine/sandbox/frame_reader.h"
#include "engine/sandbox/process_sandbox.h"
#include "engine/sandbox/unique_fd.h"
#include "engine/vmm/guest_memory.h"
#include "engine/vmm/hypercalls.h"
#include "engine/vmm/kvm_vm.h"
#include "engine/vmm/monitor_confinement.h"
#include "engine/vmm/monitor_policy.h"
#include "engine/vmm/outcome_wire.h"
#include "engine/vmm/vcpu_loop.h"

namespace instar::vmm {
namespace {

using Clock = std::chrono::steady_clock;
using sandbox::Outcome;
using sandbox::OutcomeKind;
using sandbox::UniqueFd;

// The child's exit codes besides 0 (outcome sent). Its real results travel in the stream.
constexpr int kChildWriteFailed = 1;
constexpr int kChildOrphaned = 2;

Outcome failure(OutcomeKind kind, std::string diagnostic) {
  Outcome outcome;
  outcome.kind = kind;
  outcome.diagnostic = std::move(diagnostic);
  return outcome;
}

uint64_t saturating_add(uint64_t a, uint64_t b) {
  return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max()
                                                      : a + b;
}

uint64_t saturating_mul(uint64_t a, uint64_t b) {
  return b != 0 && a > std::numeric_limits<uint64_t>::max() / b
             ? std::numeric_limits<uint64_t>::max()
             : a * b;
}

// The child: sets everything up, confines itself inside run_vcpu_loop, reports, and _exit()s
// without returning (no destructors: close() is not in the allow-list, and no atexit handlers or
// stdio buffers of the parent run twice).
[[noreturn]] void report_and_exit(int result_fd, const Outcome& outcome) {
  _exit(write_outcome_end(result_fd, outcome) ? 0 : kChildWriteFailed);
}

// Writes each message to the parent the moment the guest emits it (HypercallHandler calls it
// confined: write(2) on the result pipe only).
class MessageForwarder : public sandbox::MessageConsumer {
 public:
  explicit MessageForwarder(int fd) : fd_(fd) {}
  bool consume(std::string_view encoded, std::string* why) override {
    if (write_message_frame(fd_, encoded)) return true;
    *why = "cannot forward a guest message to the host";
    return false;
  }

 private:
  int fd_;
};

// The run's limits in the child: the wall clock, cut short by the caller's CPU budget when that
// ends first (the vCPU runs on the child's one thread, so its CPU time never exceeds wall time).
LoopLimits loop_limits(const MonitorRun& run) {
  const sandbox::Limits& limits = run.request.limits;
  LoopLimits loop{.deadline = run.started + limits.wall_time,
                  .wall_time = limits.wall_time,
                  .max_exits = limits.max_exits};
  if (const Clock::time_point cpu_end = Clock::now() + run.cpu.remaining;
      run.cpu.limited && cpu_end < loop.deadline) {
    loop.deadline = cpu_end;
    loop.cpu_limit_seconds = run.cpu.limit_seconds;
  }
  return loop;
}

[[noreturn]] void monitor_child(const MonitorRun& run, int result_fd) {
  const sandbox::Limits& limits = run.request.limits;
  auto memory = GuestMemory::create(run.layout.memory_size);
  if (!memory.ok()) report_and_exit(result_fd, failure(OutcomeKind::kHostError, memory.message()));
  if (Status s = load_guest_elf(run.image, run.elf, memory.value(), run.layout.stack_base);
      !s.ok()) {
    report_and_exit(result_fd, failure(OutcomeKind::kHostError, s.message()));
  }
  if (Status s = write_boot_state(memory.value(), run.layout, run.request); !s.ok()) {
    report_and_exit(result_fd, failure(OutcomeKind::kHostError, s.message()));
  }
  auto vm = KvmVm::create(memory.value());
  if (!vm.ok())
    report_and_exit(result_fd, failure(OutcomeKind::kHostError, "KVM: " + vm.message()));
  if (Status s = vm.value()->set_initial_state(run.image.entry, run.layout.stack_top); !s.ok()) {
    report_and_exit(result_fd, failure(OutcomeKind::kHostError, "KVM: " + s.message()));
  }

  // The filter is compiled now (libseccomp needs memfd_create, fstat, ...) and armed later.
  auto program = std::make_unique<process::BpfProgram>();
  if (!compile_monitor_policy(make_monitor_policy({.vcpu_fd = vm.value()->vcpu_fd(),
                                                   .result_fd = result_fd,
                                                   .devices = run.request.devices,
                                                   .max_read_bytes = limits.max_read_bytes}),
                              program.get())) {
    report_and_exit(result_fd, failure(OutcomeKind::kHostError,
                                       "cannot build the KVM monitor's seccomp filter"));
  }
  const LoopLimits loop = loop_limits(run);
  MonitorRlimits rlimits{
      .max_output_bytes = 0,
      .wall_time = std::chrono::ceil<std::chrono::milliseconds>(loop.deadline - Clock::now())};
  for (const sandbox::Device& device : run.request.devices) {
    if (device.writable && device.capacity > rlimits.max_output_bytes) {
      rlimits.max_output_bytes = device.capacity;
    }
  }

  MessageForwarder forwarder(result_fd);
  HypercallHandler handler(memory.value(), run.request.devices,
                           {.max_read_bytes = limits.max_read_bytes,
                            .max_message_bytes = limits.max_message_bytes,
                            .max_total_message_bytes = limits.max_total_message_bytes,
                            .consumer = &forwarder});
  const Outcome outcome = run_vcpu_loop(*vm.value(), handler, loop, [&]() -> Status {
    if (Status s = confine_monitor(rlimits, *program); !s.ok()) {
      return Error{"cannot confine the KVM monitor: " + s.message()};
    }
    if (run.hooks.after_confinement) run.hooks.after_confinement();
    return Status::Ok();
  });
  report_and_exit(result_fd, outcome);
}

// Owns the child until it is reaped: every exit path of the parent kills and reaps it.
class MonitorChild {
 public:
  explicit MonitorChild(pid_t pid) : pid_(pid) {}
  ~MonitorChild() { kill_and_reap(); }
  MonitorChild(const MonitorChild&) = delete;
  MonitorChild& operator=(const MonitorChild&) = delete;

  int reap() {
    while (!reaped_) {
      const pid_t r = waitpid(pid_, &status_, 0);
      if (r == pid_ || (r < 0 && errno != EINTR)) reaped_ = true;
    }
    return status_;
  }
  void kill_and_reap() {
    if (reaped_) return;
    (void)kill(pid_, SIGKILL);  // still our unreaped child, so never an unrelated process
    reap();
  }

 private:
  pid_t pid_;
  int status_ = 0;
  bool reaped_ = false;
};

int poll_timeout_ms(Clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return left > INT_MAX ? INT_MAX : static_cast<int>(left);
}

// Maps the reaped child's status and what it sent to the run's Outcome.
Outcome outcome_from_child(int wait_status, const sandbox::FrameReader& reader,
                           OutcomeStreamConsumer& stream) {
  if (WIFSIGNALED(wait_status)) {
    Outcome outcome = failure(OutcomeKind::kKilled,
                              sandbox::describe_killed("KVM monitor", WTERMSIG(wait_status)));
    outcome.signal = WTERMSIG(wait_status);
    return outcome;
  }
  const int code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
  std::optional<Outcome> outcome = stream.take_outcome();
  if (code != 0 || reader.state() != sandbox::FrameReader::State::kExited ||
      reader.exit_status() != 0 || !outcome) {
    return failure(OutcomeKind::kHostError, "KVM monitor exited with status " +
                                                std::to_string(code) + " without an outcome");
  }
  return std::move(*outcome);
}

}  // namespace

Outcome run_in_monitor_child(const MonitorRun& run) {
  const sandbox::Limits& limits = run.request.limits;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return failure(OutcomeKind::kHostError, std::string("pipe: ") + strerror(errno));
  }
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return failure(OutcomeKind::kHostError, std::string("fork: ") + strerror(errno));
  if (pid == 0) {
    // Die with the parent; if it is already gone, don't run unsupervised.
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != parent) _exit(kChildOrphaned);
    read_end.reset();
    monitor_child(run, write_end.get());
  }
  write_end.reset();  // EOF on read_end now means the child is gone
  MonitorChild child(pid);
  if (run.hooks.on_monitor_started) run.hooks.on_monitor_started(pid);

  // A compromised child can send at most what an honest one could: every message within
  // max_message_bytes, their total within max_total_message_bytes (plus the tag and
  // FrameReader's per-frame charge for up to max_exits messages), and one trailer.
  const uint64_t max_frame =
      (limits.max_message_bytes > kMaxTrailerBytes ? limits.max_message_bytes : kMaxTrailerBytes) +
      kFrameTagBytes;
  const uint64_t max_total =
      saturating_add(saturating_add(limits.max_total_message_bytes, kMaxTrailerBytes),
                     saturating_mul(saturating_add(limits.max_exits, 2),
                                    sandbox::FrameReader::kPerMessageOverhead + kFrameTagBytes));
  OutcomeStreamConsumer stream(run.request.consumer);
  sandbox::FrameReader reader(max_frame, max_total, &stream);
  const Clock::time_point backstop = run.started + limits.wall_time + kMonitorBackstopGrace;
  std::vector<uint8_t> buffer(64 * 1024);
  for (;;) {
    const int timeout = poll_timeout_ms(backstop);
    if (timeout == 0) {
      child.kill_and_reap();
      return failure(OutcomeKind::kTimeout, "KVM monitor did not finish within the " +
                                                std::to_string(limits.wall_time.count()) +
                                                " ms wall-clock limit");
    }
    pollfd pfd{read_end.get(), POLLIN, 0};
    const int ready = poll(&pfd, 1, timeout);
    if (ready < 0 && errno != EINTR) {
      return failure(OutcomeKind::kHostError, std::string("poll: ") + strerror(errno));
    }
    if (ready <= 0) continue;
    const ssize_t n = read(read_end.get(), buffer.data(), buffer.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) {
      return failure(OutcomeKind::kHostError,
                     std::string("reading the KVM monitor's result: ") + strerror(errno));
    }
    if (n == 0) break;
    switch (reader.feed(buffer.data(), static_cast<size_t>(n))) {
      case sandbox::FrameReader::State::kReading:
      case sandbox::FrameReader::State::kExited:
        break;
      case sandbox::FrameReader::State::kRejected:  // a message its operation does not allow
        child.kill_and_reap();
        return failure(OutcomeKind::kGuestFault, reader.rejection());
      default:
        child.kill_and_reap();
        return failure(OutcomeKind::kGuestFault, "KVM monitor broke its result stream");
    }
  }
  return outcome_from_child(child.reap(), reader, stream);
}

}  // namespace instar::vmm
