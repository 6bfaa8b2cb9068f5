// main.cc: instar-guest-process, the seccomp-confined process that runs the guest code.
//
// Launched by engine/sandbox/process_sandbox.cc with the abi fd layout (boot fd, message fd,
// device fds), an empty environment and nothing else open. Order matters and is the point:
//   1. read and validate the boot blob, close the boot fd
//   2. check the device fds, map the arena
//   3. compile the seccomp filter and export its BPF (libseccomp allocates; that's fine here)
//   4. rlimits, namespaces, capabilities, no_new_privs
//   5. arm the filter -- from here on only pread64/pwrite64/fsync on devices, write on the
//      message fd and exit; no malloc, no stdio, nothing that may reach the kernel otherwise
//   6. only now build the block sources and run the guest code over the image bytes
//   7. write the exit frame and _exit
// Setup failures exit with process_contract.h codes, written first as one byte to the
// setup-status fd (stderr, a pipe to the launcher); nothing else is ever written there.
#include <unistd.h>

#include "guest/abi/abi.h"
#include "guest/lib/arena.h"
#include "guest/ops/run_op.h"
#include "guest/platform/process/boot_config.h"
#include "guest/platform/process/confinement.h"
#include "guest/platform/process/pipe_message_sink.h"
#include "guest/platform/process/pread_block_source.h"
#include "guest/platform/process/process_contract.h"
#include "guest/platform/process/seccomp_policy.h"

#if defined(INSTAR_GUEST_PROCESS_HOSTILE)
#include "guest/platform/process/hostile_ops.h"
#endif

#if defined(INSTAR_COVERAGE_BUILD)
extern "C" void __gcov_dump(void);
#endif

namespace instar::process {
namespace {

// A setup step failed: tell the launcher on the setup-status fd, then exit with the same code.
[[noreturn]] void setup_failed(SetupExit code) {
  const unsigned char byte = static_cast<unsigned char>(code);
  (void)!write(kProcessSetupStatusFd, &byte, 1);
  _exit(code);
}

// Static, not on the stack: 8 KiB of BPF plus the boot config need no allocation either way.
BootConfig g_config;
BpfProgram g_program;

// Step 6 and 7: runs with the filter armed.
[[noreturn]] void run_confined(void* arena_base) {
  const abi::BootInfo& boot = g_config.boot;
  Arena arena(arena_base, boot.arena_size);
  PipeMessageSink sink(abi::kProcessMessageFd, boot.max_message_size);

  PreadBlockSource sources[abi::kMaxDevices];
  BlockSource* devices[abi::kMaxDevices] = {};
  // Writable devices (outputs) also get a sink, within the filter's pwrite64 pins; inputs none.
  PwriteBlockSink writers[abi::kMaxDevices];
  BlockSink* sinks[abi::kMaxDevices] = {};
  for (uint32_t i = 0; i < boot.device_count; ++i) {
    const int fd = abi::kProcessFirstDeviceFd + static_cast<int>(i);
    sources[i] = PreadBlockSource(fd, boot.devices[i].capacity, boot.max_read_size);
    devices[i] = &sources[i];
    if ((boot.devices[i].flags & abi::kDeviceWritable) != 0) {
      writers[i] = PwriteBlockSink(fd, boot.devices[i].capacity, boot.max_read_size);
      sinks[i] = &writers[i];
    }
  }

  int status = 0;
#if defined(INSTAR_GUEST_PROCESS_HOSTILE)
  if (!run_hostile_op(g_config, devices, sink, arena, &status))
#endif
    status = run_op(boot, g_config.op, devices, sinks, boot.device_count, sink, arena);

  if (!write_exit_frame(abi::kProcessMessageFd, status)) _exit(1);
#if defined(INSTAR_COVERAGE_BUILD)
  // _exit skips libgcov's exit handler; coverage builds dump the counters here, through the
  // coverage-only allowance of seccomp_policy.cc (docs/sandbox-process.md, "Coverage builds").
  __gcov_dump();
#endif
  _exit(0);
}

}  // namespace
}  // namespace instar::process

int main() {
  using namespace instar;
  using namespace instar::process;

  if (read_boot_config(abi::kProcessBootFd, &g_config) != BootError::kOk)
    setup_failed(kSetupBadBootInfo);
  close(abi::kProcessBootFd);
  const abi::BootInfo& boot = g_config.boot;

  if (!device_fds_open(boot)) setup_failed(kSetupBadDeviceFd);
  void* arena = map_arena(boot.arena_size);
  if (arena == nullptr) setup_failed(kSetupArena);

  if (!compile_policy(make_policy(boot), &g_program)) setup_failed(kSetupSeccompBuild);

  if (!apply_rlimits(boot)) setup_failed(kSetupRlimit);
  unshare_namespaces();
  drop_capabilities();
  if (!set_no_new_privs()) setup_failed(kSetupNoNewPrivs);

  if (!arm_filter(g_program)) setup_failed(kSetupSeccompLoad);
  run_confined(arena);
}
