// hostile_ops.h: test-only guest behaviours, linked only into instar-guest-process-hostile.
//
// They play a compromised guest (after the filter is armed, where a parser exploit would run) so
// the engine's tests can prove the process sandbox contains it. The production helper never
// compiles hostile_ops.cc: there, test ops reach run_op, which refuses them as unsupported.
#pragma once

#include <stdint.h>

#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/message_sink.h"
#include "guest/platform/process/boot_config.h"

namespace instar::process {

// OpConfig::test_arg of abi::Op::kTestForbiddenSyscall: which syscall the guest issues (raw).
enum ForbiddenSyscall : uint32_t {
  kForbidOpenat = 0,        // openat("/etc/passwd"): naming files
  kForbidSocket = 1,        // socket(AF_INET): the network
  kForbidExecve = 2,        // execve("/bin/sh")
  kForbidWriteStderr = 3,   // write(2, ...): write allowed, but only on the message fd
  kForbidMmap = 4,          // mmap: no new memory after arming
  kForbidClose = 5,         // close(device fd)
  kForbidX32 = 6,           // getpid through the x32 ABI (nr | __X32_SYSCALL_BIT)
  kForbidGetpid = 7,        // even harmless calls outside the list
  kForbidPreadMessage = 8,  // pread64 allowed, but not on the message fd
  kForbidCount = 9,
};

// OpConfig::test_arg of kTestGarbageMessage.
enum GarbageKind : uint32_t {
  kGarbageProtobuf = 0,        // a well-framed message that is not a GuestMessage; normal exit
  kGarbageTruncatedFrame = 1,  // header promises 100 bytes, 10 follow, exit
  kGarbageNoExitFrame = 2,     // exit(0) without an exit frame
  kGarbageAfterExit = 3,       // bytes after the exit frame
  kGarbageExitSetupCode = 4,   // exit(kSetupRlimit) without an exit frame: not a setup failure
  kGarbageExit127 = 5,         // exit(127) without an exit frame: not "cannot execute"
};

// OpConfig::test_arg of kTestOversizedMessage.
enum OversizedKind : uint32_t {
  kOversizedOneAbove = 0,  // header: max_message_size + 1
  kOversizedHuge = 1,      // header: 0xfffffffe
  kOversizedFlood = 2,     // max_message_size messages until the host's total cap trips
};

// OpConfig::test_arg of kTestReadPastCapacity.
enum PastCapacityKind : uint32_t {
  kPastCapacityRawOffset = 0,  // raw pread64 starting beyond the capacity: the filter kills
  kPastCapacityRawLength = 1,  // raw pread64 longer than max_read_size: the filter kills
  kPastCapacitySource = 2,     // PreadBlockSource refuses it: ERROR_IO message, normal exit
};

// Runs `config.op` if it is a test op this binding implements; returns false otherwise (the
// caller then runs run_op). *status receives the value for the exit frame. Runs with the filter
// armed: no allocation, no stdio.
[[nodiscard]] bool run_hostile_op(const BootConfig& config, BlockSource* const* devices,
                                  MessageSink& sink, Arena& arena, int* status);

}  // namespace instar::process
