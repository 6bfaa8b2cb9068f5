// process_contract.h: launcher<->helper conventions of the process backend that abi.h leaves out.
//
// abi.h fixes the fd layout and the message framing. This header adds what only the process
// backend needs: the exit codes with which the helper reports a failed setup (before it ran any
// guest code, so they are trustworthy diagnostics) and the address-space budget of the helper.
#pragma once

#include <stdint.h>

namespace instar::process {

// The helper's setup-status fd: stderr, a pipe to the launcher. A setup failure writes its
// SetupExit code there as one byte, then exits with the same code. Nothing else is ever written
// to it: once the filter is armed, writes to fd 2 are forbidden (seccomp_policy.cc), so guest code
// cannot forge a setup failure, and an exit status alone is always the guest's own.
inline constexpr int kProcessSetupStatusFd = 2;

// Exit codes of the helper when its setup fails, before the seccomp filter is armed and before
// any image byte is read. They count as a setup failure only together with the same byte on the
// setup-status fd: a guest that exits with one of these codes is reported as the guest's exit.
enum SetupExit : int {
  kSetupBadBootInfo = 120,   // boot fd missing, short, trailing bytes or fields out of range
  kSetupBadDeviceFd = 121,   // a device fd of the abi layout is not open
  kSetupArena = 122,         // the arena could not be mapped
  kSetupRlimit = 123,        // setrlimit failed
  kSetupNoNewPrivs = 124,    // prctl(PR_SET_NO_NEW_PRIVS) failed
  kSetupSeccompBuild = 125,  // libseccomp could not build or export the filter
  kSetupSeccompLoad = 126,   // the kernel refused the filter
};

// Returns a short description of a setup exit code, or nullptr when `code` is not one.
constexpr const char* setup_exit_reason(int code) {
  switch (code) {
    case kSetupBadBootInfo:
      return "malformed boot info";
    case kSetupBadDeviceFd:
      return "a device fd is not open";
    case kSetupArena:
      return "cannot map the arena";
    case kSetupRlimit:
      return "cannot set resource limits";
    case kSetupNoNewPrivs:
      return "cannot set no_new_privs";
    case kSetupSeccompBuild:
      return "cannot build the seccomp filter";
    case kSetupSeccompLoad:
      return "the kernel refused the seccomp filter";
    default:
      return nullptr;
  }
}

// Address space the helper may use beyond its arena: the executable, shared libraries, stack and
// the little heap glibc and libseccomp use before the filter is armed. Measured at ~3.5 MiB
// (VmPeak minus arena of the armed helper, dynamically linked), kept with generous headroom.
inline constexpr uint64_t kHelperAddressSpaceOverhead = 48ull << 20;

// Smallest and largest arena the helper accepts in BootInfo::arena_size.
inline constexpr uint64_t kMinArenaSize = 64 * 1024;
inline constexpr uint64_t kMaxArenaSize = 1ull << 30;

// Largest message the helper accepts to send (BootInfo::max_message_size): kExitFrame is reserved.
inline constexpr uint64_t kMaxMessageSizeLimit = 0xfffffffeu;

}  // namespace instar::process
