// helper_launch.h: fork + exec of the process guest helper with exactly the abi fd layout.
#pragma once

#include <sys/resource.h>
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
  uint64_t cpu_seconds = 0;  // wanted RLIMIT_CPU soft limit (hard = soft + 1); never raised
};

// A started helper. The caller owns the child: it must be reaped (waitpid) exactly once.
struct LaunchedHelper {
  pid_t pid = -1;
  UniqueFd messages;  // read end of the message pipe
  UniqueFd pidfd;     // readable when the child exits; invalid if the kernel lacks pidfd_open
  // Read end (non-blocking) of the helper's setup-status pipe, its stderr: a byte there is a
  // setup failure (guest/platform/process/process_contract.h), EOF without one means none.
  UniqueFd setup_status;
  rlimit cpu_limit{};                  // the RLIMIT_CPU the helper was started with
  bool cpu_limit_from_caller = false;  // the caller's RLIMIT_CPU was lower than the one wanted
  rlimit address_space{};  // RLIMIT_AS inherited from the caller (the helper only lowers it)
};

// Starts the helper: stdin/stdout are /dev/null, stderr the setup-status pipe, the boot fd holds
// `boot_blob` then EOF,
// the message fd is a pipe's write end, device fds follow; every other fd is closed, the signal
// mask is empty and every disposition is the default, the environment is empty, and the child
// dies with SIGKILL if the launching thread exits (PR_SET_PDEATHSIG). Between fork and exec the
// child only makes async-signal-safe system calls (the engine may be multi-threaded).
// Every limit the child sets is the smaller of the wanted and the inherited one (never raised).
// On failure returns false with `*error` set, naming the step that failed in the child (a limit,
// the fd layout, exec): the child reports it through a close-on-exec pipe and is reaped here.
[[nodiscard]] bool launch_helper(const LaunchSpec& spec, LaunchedHelper* out, std::string* error);

}  // namespace instar::sandbox
