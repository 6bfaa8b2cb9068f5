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
                             int error_fd, pid_t parent, rlim_t cpu_seconds) {
  // Die with the launching thread; if it is already gone, don't run unsupervised.
  (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (getppid() != parent) _exit(127);
  // Default dispositions (ignored signals survive exec otherwise) and an empty mask.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) (void)sigaction(sig, &dfl, nullptr);
  sigset_t empty;
  sigemptyset(&empty);
  (void)sigprocmask(SIG_SETMASK, &empty, nullptr);
  // Core dumps off before exec; CPU from the wall-clock limit (the helper may only lower both).
  const rlimit core{0, 0};
  const rlimit cpu{cpu_seconds, cpu_seconds + 1};
  if (setrlimit(RLIMIT_CORE, &core) != 0 || setrlimit(RLIMIT_CPU, &cpu) != 0) goto fail;
  // dup2 clears FD_CLOEXEC on the target, which is exactly what the helper's fds need.
  for (int target = 0; target < count; ++target) {
    if (dup2(sources[target], target) != target) goto fail;
  }
  // Everything else goes, including the staging copies and anything the engine leaked. The
  // error pipe is close-on-exec, so it survives until exec and closes itself then.
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
    char* const empty_env[] = {nullptr};
    execve(path, argv, empty_env);
  }
fail:
  const int err = errno;
  (void)!write(error_fd, &err, sizeof err);
  _exit(127);
}

}  // namespace

bool launch_helper(const LaunchSpec& spec, LaunchedHelper* out, std::string* error) {
  if (spec.device_fds.size() > abi::kMaxDevices) {
    *error = "too many devices";
    return false;
  }
  UniqueFd boot_read, boot_write, msg_read, msg_write, err_read, err_write;
  if (!make_pipe(&boot_read, &boot_write) || !make_pipe(&msg_read, &msg_write) ||
      !make_pipe(&err_read, &err_write)) {
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
  // Staged copies in abi order: 0-2 /dev/null, boot, messages, devices.
  std::vector<UniqueFd> staged;
  staged.push_back(stage(dev_null.get()));
  staged.push_back(stage(dev_null.get()));
  staged.push_back(stage(dev_null.get()));
  staged.push_back(stage(boot_read.get()));
  staged.push_back(stage(msg_write.get()));
  for (int fd : spec.device_fds) staged.push_back(stage(fd));
  static_assert(abi::kProcessBootFd == 3 && abi::kProcessMessageFd == 4 &&
                abi::kProcessFirstDeviceFd == 5);
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
  const rlim_t cpu = static_cast<rlim_t>(spec.cpu_seconds == 0 ? 1 : spec.cpu_seconds);

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
  staged.clear();

  // EOF on the error pipe means exec succeeded (close-on-exec); an int means it failed.
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(err_read.get(), &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n != 0) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    errno = n == static_cast<ssize_t>(sizeof child_errno) ? child_errno : EIO;
    *error = errno_text(("cannot execute guest helper " + spec.helper_path).c_str());
    return false;
  }

  out->pid = pid;
  out->messages = std::move(msg_read);
  out->pidfd.reset(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  return true;
}

}  // namespace instar::sandbox
