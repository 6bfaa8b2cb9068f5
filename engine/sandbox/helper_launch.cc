// helper_launch.cc: pipes, fd shuffling, fork and exec of the process guest helper.
#include "engine/sandbox/helper_launch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "guest/abi/abi.h"
#include "guest/platform/process/process_contract.h"
#include "guest/platform/process/rlimit_lowering.h"

namespace instar::sandbox {
namespace {

// Every fd the child needs is first duplicated to this number or above, so the dup2()s into the
// abi layout (0 .. kProcessFirstDeviceFd + kMaxDevices - 1) never overwrite a source.
constexpr int kStagingFdBase = abi::kProcessFirstDeviceFd + static_cast<int>(abi::kMaxDevices);

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

bool make_pipe(UniqueFd* read_end, UniqueFd* write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end->reset(fds[0]);
  write_end->reset(fds[1]);
  return true;
}

UniqueFd stage(int fd) {
  return UniqueFd(fcntl(fd, F_DUPFD_CLOEXEC, kStagingFdBase));
}

// The step of the child between fork and exec that failed, reported with its errno: a limit the
// child could not set is not "cannot execute".
enum class ChildStep : int { kCoreLimit = 1, kCpuLimit, kFdLayout, kCloseFds, kExec };

struct ChildFailure {
  int step = 0;
  int error = 0;
};

std::string describe_child_failure(const ChildFailure& failure, const std::string& helper_path) {
  const std::string reason = std::strerror(failure.error);
  switch (static_cast<ChildStep>(failure.step)) {
    case ChildStep::kCoreLimit:
      return "cannot set RLIMIT_CORE for guest helper " + helper_path + ": " + reason;
    case ChildStep::kCpuLimit:
      return "cannot set RLIMIT_CPU for guest helper " + helper_path + ": " + reason;
    case ChildStep::kFdLayout:
      return "cannot lay out the fds of guest helper " + helper_path + ": " + reason;
    case ChildStep::kCloseFds:
      return "cannot close the other fds of guest helper " + helper_path + ": " + reason;
    case ChildStep::kExec:
      return "cannot execute guest helper " + helper_path + ": " + reason;
  }
  return "guest helper " + helper_path + " failed before exec";
}

bool write_all(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// The child between fork and exec: async-signal-safe system calls only, no allocation.
[[noreturn]] void child_exec(const char* path, char* const* argv, const int* sources, int count,
                             int error_fd, pid_t parent, const rlimit& cpu) {
  ChildFailure failure;
  // Die with the launching thread; if it is already gone, don't run unsupervised (and there is
  // nobody left to report to).
  (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (getppid() != parent) _exit(127);
  // Default dispositions (ignored signals survive exec otherwise) and an empty mask.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) (void)sigaction(sig, &dfl, nullptr);
  sigset_t empty;
  sigemptyset(&empty);
  (void)sigprocmask(SIG_SETMASK, &empty, nullptr);
  // Core dumps off before exec; CPU as the parent computed it (never above the inherited one).
  {
    const rlimit core{0, 0};
    failure.step = static_cast<int>(ChildStep::kCoreLimit);
    if (setrlimit(RLIMIT_CORE, &core) != 0) goto fail;
    failure.step = static_cast<int>(ChildStep::kCpuLimit);
    if (setrlimit(RLIMIT_CPU, &cpu) != 0) goto fail;
  }
  // dup2 clears FD_CLOEXEC on the target, which is exactly what the helper's fds need.
  failure.step = static_cast<int>(ChildStep::kFdLayout);
  for (int target = 0; target < count; ++target) {
    if (dup2(sources[target], target) != target) goto fail;
  }
  // Everything else goes, including the staging copies and anything the engine leaked. The
  // error pipe is close-on-exec, so it survives until exec and closes itself then.
  failure.step = static_cast<int>(ChildStep::kCloseFds);
  if (syscall(SYS_close_range, count, error_fd - 1, 0) != 0 ||
      syscall(SYS_close_range, error_fd + 1, ~0u, 0) != 0) {
    if (errno != ENOSYS) goto fail;
    // Kernels before 5.9: close one by one up to the fd limit.
    rlimit nofile{};
    if (getrlimit(RLIMIT_NOFILE, &nofile) != 0) goto fail;
    const long last = nofile.rlim_cur > 65536 ? 65536 : static_cast<long>(nofile.rlim_cur);
    for (long fd = count; fd < last; ++fd) {
      if (fd != error_fd) (void)close(static_cast<int>(fd));
    }
  }
  {
    failure.step = static_cast<int>(ChildStep::kExec);
    char* const empty_env[] = {nullptr};
    execve(path, argv, empty_env);
  }
fail:
  failure.error = errno;
  (void)!write(error_fd, &failure, sizeof failure);
  _exit(127);
}

}  // namespace

bool launch_helper(const LaunchSpec& spec, LaunchedHelper* out, std::string* error) {
  if (spec.device_fds.size() > abi::kMaxDevices) {
    *error = "too many devices";
    return false;
  }
  UniqueFd boot_read, boot_write, msg_read, msg_write, err_read, err_write, status_read,
      status_write;
  if (!make_pipe(&boot_read, &boot_write) || !make_pipe(&msg_read, &msg_write) ||
      !make_pipe(&err_read, &err_write) || !make_pipe(&status_read, &status_write) ||
      fcntl(status_read.get(), F_SETFL, O_NONBLOCK) != 0) {
    *error = errno_text("pipe");
    return false;
  }
  // The blob is far below the pipe capacity, so writing it all before the child runs is safe.
  if (!write_all(boot_write.get(), spec.boot_blob.data(), spec.boot_blob.size())) {
    *error = errno_text("writing the boot info");
    return false;
  }
  boot_write.reset();

  UniqueFd dev_null(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!dev_null.valid()) {
    *error = errno_text("open /dev/null");
    return false;
  }
  // Staged copies in abi order: 0-1 /dev/null, 2 setup status, boot, messages, devices.
  std::vector<UniqueFd> staged;
  staged.push_back(stage(dev_null.get()));
  staged.push_back(stage(dev_null.get()));
  staged.push_back(stage(status_write.get()));
  staged.push_back(stage(boot_read.get()));
  staged.push_back(stage(msg_write.get()));
  for (int fd : spec.device_fds) staged.push_back(stage(fd));
  static_assert(process::kProcessSetupStatusFd == 2 && abi::kProcessBootFd == 3 &&
                abi::kProcessMessageFd == 4 && abi::kProcessFirstDeviceFd == 5);
  std::vector<int> sources;
  for (const UniqueFd& fd : staged) {
    if (!fd.valid()) {
      *error = errno_text("duplicating fds for the guest helper");
      return false;
    }
    sources.push_back(fd.get());
  }
  // The error pipe's write end must sit above every staged fd (close_range keeps only it).
  UniqueFd err_high(fcntl(err_write.get(), F_DUPFD_CLOEXEC, sources.back() + 1));
  if (!err_high.valid()) {
    *error = errno_text("duplicating fds for the guest helper");
    return false;
  }
  err_write.reset();

  // Everything the child touches is prepared before fork: it must not allocate.
  std::string path = spec.helper_path;
  std::string arg0 = "instar-guest-process";
  char* argv[] = {arg0.data(), nullptr};
  const pid_t parent = getpid();
  // The caller's limits stay in force: the child may only lower them (rlimit_lowering.h).
  rlimit inherited_cpu{};
  if (getrlimit(RLIMIT_CPU, &inherited_cpu) != 0 ||
      getrlimit(RLIMIT_AS, &out->address_space) != 0) {
    *error = errno_text("getrlimit");
    return false;
  }
  const rlim_t wanted_cpu = static_cast<rlim_t>(spec.cpu_seconds == 0 ? 1 : spec.cpu_seconds);
  const rlimit cpu = process::lowered_limit(inherited_cpu, wanted_cpu, wanted_cpu + 1);

  const pid_t pid = fork();
  if (pid < 0) {
    *error = errno_text("fork");
    return false;
  }
  if (pid == 0) {
    child_exec(path.c_str(), argv, sources.data(), static_cast<int>(sources.size()), err_high.get(),
               parent, cpu);
  }
  err_high.reset();
  msg_write.reset();
  status_write.reset();
  staged.clear();

  // EOF on the error pipe means exec succeeded (close-on-exec); a ChildFailure means it failed.
  ChildFailure failure;
  ssize_t n;
  do {
    n = read(err_read.get(), &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  if (n != 0) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (n != static_cast<ssize_t>(sizeof failure)) failure = {0, EIO};
    *error = describe_child_failure(failure, spec.helper_path);
    return false;
  }

  out->pid = pid;
  out->setup_status = std::move(status_read);
  out->cpu_limit = cpu;
  out->cpu_limit_from_caller = process::limited_by_caller(inherited_cpu, wanted_cpu);
  out->messages = std::move(msg_read);
  out->pidfd.reset(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  return true;
}

}  // namespace instar::sandbox
