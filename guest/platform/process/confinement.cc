// confinement.cc: rlimits, namespaces, no_new_privs and the arena of the helper.
#include "guest/platform/process/confinement.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest/platform/process/process_contract.h"
#include "guest/platform/process/rlimit_lowering.h"

namespace instar::process {
namespace {

#if defined(INSTAR_COVERAGE_BUILD)
// Coverage builds only: the helper writes its .gcda files at exit (docs/sandbox-process.md).
constexpr bool kCoverageBuild = true;
#else
constexpr bool kCoverageBuild = false;
#endif

// Soft and hard to `value`, or to the caller's lower limit: an inherited limit is never raised.
bool set_limit(int resource, rlim_t value) {
  rlimit inherited{};
  if (getrlimit(resource, &inherited) != 0) return false;
  const rlimit limit = lowered_limit(inherited, value, value);
  return setrlimit(resource, &limit) == 0;
}

}  // namespace

bool device_fds_open(const abi::BootInfo& boot) {
  for (uint32_t i = 0; i < boot.device_count; ++i) {
    if (fcntl(abi::kProcessFirstDeviceFd + static_cast<int>(i), F_GETFD) < 0) return false;
  }
  return fcntl(abi::kProcessMessageFd, F_GETFD) >= 0;
}

void* map_arena(uint64_t size) {
  // Mapped before the filter is armed; its pages are faulted in on first use, which needs no
  // system call, so nothing here depends on the seccomp policy. Not prefaulted: an op touches a
  // small part of its arena (info ~1 MiB of 32), and populating all of it dominated start-up
  // (about 10 ms per run). Without MAP_NORESERVE the kernel still accounts the whole mapping
  // now, so an arena the machine cannot back fails here, before any image byte is read.
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return base == MAP_FAILED ? nullptr : base;
}

bool apply_rlimits(const abi::BootInfo& boot) {
  uint64_t output_capacity = 0;
  for (uint32_t i = 0; i < boot.device_count; ++i) {
    if ((boot.devices[i].flags & abi::kDeviceWritable) &&
        boot.devices[i].capacity > output_capacity) {
      output_capacity = boot.devices[i].capacity;
    }
  }
  // The CPU limit the launcher derived from the wall-clock limit (and the caller's), capped.
  rlimit cpu{};
  if (getrlimit(RLIMIT_CPU, &cpu) != 0) return false;
  const rlim_t cpu_limit = smaller_limit(smaller_limit(cpu.rlim_cur, cpu.rlim_max), kMaxCpuSeconds);

  bool ok = set_limit(RLIMIT_CORE, 0) &&  // a crashing guest must not write its memory anywhere
            set_limit(RLIMIT_CPU, cpu_limit) &&
            // Pipes are not files: FSIZE 0 only stops growth of regular files (no output).
            set_limit(RLIMIT_FSIZE, kCoverageBuild ? RLIM_INFINITY : output_capacity) &&
            // fds 0..first free abi fd - 1: no new fd can ever be created.
            set_limit(RLIMIT_NOFILE,
                      static_cast<rlim_t>(abi::kProcessFirstDeviceFd) + boot.device_count) &&
            set_limit(RLIMIT_NPROC, 0) && set_limit(RLIMIT_MEMLOCK, 0) &&
            set_limit(RLIMIT_MSGQUEUE, 0);
#if !defined(__SANITIZE_ADDRESS__)
  // ASan reserves terabytes of shadow address space, so sanitizer builds skip this one limit.
  ok = ok && set_limit(RLIMIT_AS, boot.arena_size + kHelperAddressSpaceOverhead);
#endif
  return ok;
}

void unshare_namespaces() {
  // The user namespace first: it lets an unprivileged helper create the others, and leaves a
  // root-launched helper without capabilities in the initial namespaces.
  (void)unshare(CLONE_NEWUSER);
  (void)unshare(CLONE_NEWNET);  // no interfaces, not even loopback up
  (void)unshare(CLONE_NEWIPC);  // no SysV IPC / POSIX queues shared with the host
  (void)unshare(CLONE_NEWUTS);
  (void)unshare(CLONE_NEWCGROUP);
  (void)unshare(CLONE_NEWNS);  // a private mount table copy
}

void drop_capabilities() {
  (void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  // Raw capset: glibc has no wrapper and libcap is not worth a dependency for "drop everything".
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  (void)syscall(SYS_capset, &header, data);
}

bool set_no_new_privs() {
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0;
}

}  // namespace instar::process
