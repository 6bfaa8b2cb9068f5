// seccomp_policy.cc: the allow-list, compiled with libseccomp and installed without allocating.
#include "guest/platform/process/seccomp_policy.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace instar::process {
namespace {

void add(Policy* policy, const SyscallRule& rule) {
  if (policy->count < kMaxRules) policy->rules[policy->count++] = rule;
}

#if defined(INSTAR_COVERAGE_BUILD)
// Coverage builds only, never release: __gcov_dump() opens each .gcda file (which gets `fd`: the
// boot fd's number, closed after the boot blob is read, is the one free descriptor below
// RLIMIT_NOFILE), locks, reads, rewrites and closes it, and asks for the pid. openat is pinned
// to libgcov's flags, getpid has no arguments, everything else is pinned to that descriptor.
void add_coverage_rules(Policy* policy, int fd) {
  const uint64_t gcda = static_cast<uint64_t>(fd);
  add(policy, {SCMP_SYS(openat),
               "openat",
               1,
               {{2, SCMP_CMP_EQ, O_RDWR | O_CREAT}, {}, {}},
               "coverage builds: open a .gcda file for merging (libgcov's exact flags)"});
  add(policy, {SCMP_SYS(getpid), "getpid", 0, {}, "coverage builds: libgcov's merge bookkeeping"});
  const struct {
    int nr;
    const char* name;
  } on_fd[] = {{SCMP_SYS(fcntl), "fcntl"}, {SCMP_SYS(newfstatat), "newfstatat"},
               {SCMP_SYS(read), "read"},   {SCMP_SYS(lseek), "lseek"},
               {SCMP_SYS(write), "write"}, {SCMP_SYS(close), "close"}};
  for (const auto& c : on_fd) {
    add(policy, {c.nr,
                 c.name,
                 1,
                 {{0, SCMP_CMP_EQ, gcda}, {}, {}},
                 "coverage builds: lock, read, merge and rewrite the open .gcda file"});
  }
}
#endif

// Closes an fd on scope exit; used only before the filter is armed.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

bool export_bpf(scmp_filter_ctx ctx, BpfProgram* out) {
  // libseccomp 2.5 can only export to an fd; a memfd keeps the BPF off the filesystem.
  ScopedFd fd(memfd_create("instar-seccomp-bpf", MFD_CLOEXEC));
  if (fd.get() < 0 || seccomp_export_bpf(ctx, fd.get()) != 0) return false;
  struct stat st;
  if (fstat(fd.get(), &st) != 0 || st.st_size <= 0 ||
      static_cast<uint64_t>(st.st_size) % sizeof(sock_filter) != 0 ||
      static_cast<uint64_t>(st.st_size) > sizeof out->insns) {
    return false;
  }
  const size_t size = static_cast<size_t>(st.st_size);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = pread(fd.get(), reinterpret_cast<uint8_t*>(out->insns) + done, size - done,
                            static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  out->count = static_cast<uint32_t>(size / sizeof(sock_filter));
  return true;
}

}  // namespace

Policy make_policy(const abi::BootInfo& boot) {
  Policy policy;
  for (uint32_t i = 0; i < boot.device_count && i < abi::kMaxDevices; ++i) {
    const int fd = abi::kProcessFirstDeviceFd + static_cast<int>(i);
    const uint64_t capacity = boot.devices[i].capacity;
    if (boot.devices[i].flags & abi::kDeviceReadable) {
      add(&policy, {SCMP_SYS(pread64),
                    "pread64",
                    3,
                    {{0, SCMP_CMP_EQ, static_cast<uint64_t>(fd)},
                     {2, SCMP_CMP_LE, boot.max_read_size},
                     {3, SCMP_CMP_LE, capacity}},
                    "read image bytes: only this device's fd, at most max_read_size bytes per "
                    "call, never starting beyond its capacity (the kernel re-checks the bounds "
                    "PreadBlockSource checks; a negative offset compares as huge and fails)"});
    }
    if (boot.devices[i].flags & abi::kDeviceWritable) {
      add(&policy, {SCMP_SYS(pwrite64),
                    "pwrite64",
                    3,
                    {{0, SCMP_CMP_EQ, static_cast<uint64_t>(fd)},
                     {2, SCMP_CMP_LE, boot.max_read_size},
                     {3, SCMP_CMP_LE, capacity}},
                    "write an output image: only writable devices' fds (inputs are never "
                    "listed), bounded like reads; RLIMIT_FSIZE bounds the file size"});
      add(&policy, {SCMP_SYS(fsync),
                    "fsync",
                    1,
                    {{0, SCMP_CMP_EQ, static_cast<uint64_t>(fd)}, {}, {}},
                    "flush an output image (BlockSink::flush), only on writable devices"});
    }
  }
  const uint64_t max_write = boot.max_message_size > 8 ? boot.max_message_size : 8;
  add(&policy, {SCMP_SYS(write),
                "write",
                2,
                {{0, SCMP_CMP_EQ, static_cast<uint64_t>(abi::kProcessMessageFd)},
                 {2, SCMP_CMP_LE, max_write},
                 {}},
                "send framed GuestMessages and the exit frame: only the message pipe, at most "
                "one message (or the 8-byte exit frame) per call; stdout/stderr are not allowed"});
#if defined(__SANITIZE_ADDRESS__)
  // Sanitizer builds only: ASan's __asan_handle_no_return() queries the signal stack before every
  // noreturn call (_exit included). A query (ss == NULL) changes nothing.
  add(&policy, {SCMP_SYS(sigaltstack),
                "sigaltstack",
                1,
                {{0, SCMP_CMP_EQ, 0}, {}, {}},
                "ASan builds only: __asan_handle_no_return queries the signal stack"});
#endif
#if defined(INSTAR_COVERAGE_BUILD)
  add_coverage_rules(&policy, abi::kProcessBootFd);
#endif
  add(&policy, {SCMP_SYS(exit_group),
                "exit_group",
                0,
                {},
                "normal termination: _exit() after the exit frame"});
  add(&policy, {SCMP_SYS(exit),
                "exit",
                0,
                {},
                "ends the calling thread; the helper has one thread, and glibc's _exit() falls "
                "back to it if exit_group ever returned"});
  return policy;
}

bool compile_policy(const Policy& policy, BpfProgram* out) {
  return compile_rules(policy.rules, policy.count, out);
}

bool compile_rules(const SyscallRule* rules, uint32_t count, BpfProgram* out) {
  // KILL_PROCESS needs kernel >= 4.14; where libseccomp cannot use it, KILL (the thread) ends the
  // single-threaded helper the same way.
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
  uint32_t kill = SCMP_ACT_KILL_PROCESS;
  if (ctx == nullptr) {
    ctx = seccomp_init(SCMP_ACT_KILL);
    kill = SCMP_ACT_KILL;
  }
  if (ctx == nullptr) return false;
  bool ok = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, kill) == 0;
  for (uint32_t i = 0; ok && i < count; ++i) {
    const SyscallRule& rule = rules[i];
    scmp_arg_cmp cmps[3];
    for (uint32_t p = 0; p < rule.pin_count; ++p) {
      cmps[p] = scmp_arg_cmp{rule.pins[p].arg, rule.pins[p].op, rule.pins[p].value, 0};
    }
    ok = seccomp_rule_add_exact_array(ctx, SCMP_ACT_ALLOW, rule.nr, rule.pin_count, cmps) == 0;
  }
  ok = ok && export_bpf(ctx, out);
  seccomp_release(ctx);
  return ok;
}

bool arm_filter(const BpfProgram& program) {
  if (program.count == 0 || program.count > kMaxBpfInstructions) return false;
  sock_fprog fprog;
  fprog.len = static_cast<unsigned short>(program.count);
  fprog.filter = const_cast<sock_filter*>(program.insns);
  // The helper is single-threaded, so no TSYNC. No SECCOMP_FILTER_FLAG_SPEC_ALLOW either: the
  // kernel then also enables the speculative-store-bypass mitigation for the hostile guest.
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) == 0) return true;
  if (errno != ENOSYS) return false;
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) == 0;
}

}  // namespace instar::process
