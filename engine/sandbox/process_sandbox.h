// process_sandbox.h: the seccomp process backend: runs instar-guest-process under a deadline.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/sandbox/sandbox.h"

namespace instar::sandbox {

// Runs the guest code in a child process confined by seccomp (see docs/sandbox-process.md).
//
// Each run() forks and execs `helper_path` with the abi fd layout, hands it BootInfo + OpConfig
// over the boot fd, then reads framed messages until the exit frame and EOF, enforcing
// limits.wall_time (SIGKILL -> kTimeout), max_message_bytes per frame and
// max_total_message_bytes (SIGKILL -> kResourceLimit). The child is always reaped and every fd
// closed before run() returns. Thread-compatible: concurrent run()s on one object are fine.
class ProcessSandbox final : public Sandbox {
 public:
  // `helper_path`: the production helper (engine/cli/guest_binaries.h finds it).
  explicit ProcessSandbox(std::string helper_path);

  const char* name() const override { return "process"; }
  [[nodiscard]] Outcome run(const Request& request) override;

  // Like run(), but the helper's boot fd carries `boot_blob` verbatim instead of the encoding
  // of `request` (whose devices and limits still apply). For tests of the helper's validation.
  [[nodiscard]] Outcome run_with_boot_blob(const std::vector<uint8_t>& boot_blob,
                                           const Request& request);

  const std::string& helper_path() const { return helper_path_; }

 private:
  std::string helper_path_;
};

// The diagnostic for a helper that died from `signal` (e.g. SIGSYS: "guest process killed by
// SIGSYS (seccomp: forbidden system call)").
std::string describe_guest_signal(int signal);
// The same for any sandboxed process: "<who> killed by SIG... (...)" (the KVM monitor child).
std::string describe_killed(const char* who, int signal);

}  // namespace instar::sandbox
