// helper_launch.h: fork + exec of the process guest helper with exactly the abi fd layout.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>

#include "engine/sandbox/unique_fd.h"

namespace instar::sandbox {

struct LaunchSpec {
  std::string helper_path;             // absolute path of instar-guest-process
  std::span<const uint8_t> boot_blob;  // written to the boot fd; must fit a pipe (< 64 KiB)
  std::span<const int> device_fds;     // device i becomes fd kProcessFirstDeviceFd + i
  uint64_t cpu_seconds = 0;            // RLIMIT_CPU soft limit set before exec (hard = soft + 1)
};

// A started helper. The caller owns the child: it must be reaped (waitpid) exactly once.
struct LaunchedHelper {
  pid_t pid = -1;
  UniqueFd messages;  // read end of the message pipe
  UniqueFd pidfd;     // readable when the child exits; invalid if the kernel lacks pidfd_open
};

// Starts the helper: stdin/stdout/stderr are /dev/null, the boot fd holds `boot_blob` then EOF,
// the message fd is a pipe's write end, device fds follow; every other fd is closed, the signal
// mask is empty and every disposition is the default, the environment is empty, and the child
// dies with SIGKILL if the launching thread exits (PR_SET_PDEATHSIG). Between fork and exec the
// child only makes async-signal-safe system calls (the engine may be multi-threaded).
// On failure returns false with `*error` set (exec failures included: they are reported by
// the child through a close-on-exec pipe, and the child is reaped here).
[[nodiscard]] bool launch_helper(const LaunchSpec& spec, LaunchedHelper* out, std::string* error);

}  // namespace instar::sandbox
