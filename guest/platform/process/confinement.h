// confinement.h: the helper's steps before arming seccomp: fds, arena, rlimits, privileges.
//
// main.cc calls them in this order, as an ordered checklist (nsjail contain.cc style).
#pragma once

#include <stdint.h>

#include "guest/abi/abi.h"

namespace instar::process {

// True when every device fd of the abi layout is open.
[[nodiscard]] bool device_fds_open(const abi::BootInfo& boot);

// Maps `size` bytes of private anonymous memory (accounted now, faulted in on first use), so the
// arena never needs a system call later (mmap/brk are not allowed once the filter is armed) and a
// machine that cannot back it fails before the run. Returns nullptr on failure.
[[nodiscard]] void* map_arena(uint64_t size);

// Sets the helper's resource limits: address space (arena + kHelperAddressSpaceOverhead), CPU
// (what the launcher set, at most kMaxCpuSeconds), file size (0 unless an output device exists,
// else the largest writable capacity), open files (exactly the abi fds), processes 0, core dumps
// 0, locked memory 0, POSIX message queues 0. Soft and hard are set alike, and each is the
// smaller of that value and the inherited one (rlimit_lowering.h): nothing is ever raised.
[[nodiscard]] bool apply_rlimits(const abi::BootInfo& boot);

// A backstop should the launcher's CPU limit be unlimited: the longest --timeout the engine
// accepts (7 days, engine/cli/time_limits.h) plus the launcher's extra second.
inline constexpr uint64_t kMaxCpuSeconds = 7 * 24 * 3600 + 1;

// Best effort: moves the helper into new user, network, IPC, UTS, cgroup and mount namespaces
// where the kernel allows it (not in a chroot, user namespaces enabled...). Failures are ignored:
// the seccomp filter is the boundary; namespaces only shrink what a kernel bug could reach.
void unshare_namespaces();

// Clears the permitted, effective and inheritable capability sets (a root-launched helper whose
// user namespace could not be created keeps none), and the ambient set. Best effort: a kernel
// without capabilities has nothing to drop.
void drop_capabilities();

// prctl(PR_SET_NO_NEW_PRIVS): required to install a filter without CAP_SYS_ADMIN, and ensures
// nothing the helper could exec (it can't) gains privileges.
[[nodiscard]] bool set_no_new_privs();

}  // namespace instar::process
