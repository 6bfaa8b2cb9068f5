// hostile_ops.cc: a compromised guest's moves (forbidden syscalls, bad frames, spinning).
#include "guest/platform/process/hostile_ops.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest/abi/abi.h"
#include "guest/lib/message_sink.h"
#include "guest/platform/process/pipe_message_sink.h"
#include "guest/platform/process/process_contract.h"

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif

namespace instar::process {
namespace {

constexpr int kMsgFd = abi::kProcessMessageFd;
constexpr int kDev0 = abi::kProcessFirstDeviceFd;

void store_le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// Reports that a syscall the sandbox should have killed us for returned.
int survived(MessageSink& sink, Arena& arena, uint32_t which) {
  (void)emit_error(sink, arena, Status(instar_guest_ErrorCode_ERROR_INTERNAL, which), nullptr);
  return 0;
}

int forbidden_syscall(const BootConfig& config, MessageSink& sink, Arena& arena) {
  static const char kPath[] = "/etc/passwd";
  static const char kShell[] = "/bin/sh";
  static const char* const kArgv[] = {kShell, nullptr};
  static const char kByte[] = "x";
  uint8_t buffer[16];
  switch (config.op.test_arg) {
    case kForbidOpenat:
      syscall(SYS_openat, AT_FDCWD, kPath, O_RDONLY);
      break;
    case kForbidSocket:
      syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
      break;
    case kForbidExecve:
      syscall(SYS_execve, kShell, kArgv, nullptr);
      break;
    case kForbidWriteStderr:
      syscall(SYS_write, 2, kByte, 1);
      break;
    case kForbidMmap:
      syscall(SYS_mmap, nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      break;
    case kForbidClose:
      syscall(SYS_close, kDev0);
      break;
    case kForbidX32:
      syscall(__X32_SYSCALL_BIT | SYS_getpid);
      break;
    case kForbidGetpid:
      syscall(SYS_getpid);
      break;
    case kForbidPreadMessage:
      syscall(SYS_pread64, kMsgFd, buffer, sizeof buffer, 0);
      break;
    default:
      break;
  }
  return survived(sink, arena, config.op.test_arg);
}

int garbage_message(const BootConfig& config) {
  uint8_t frame[4 + 16];
  switch (config.op.test_arg) {
    case kGarbageProtobuf:
      store_le32(frame, 16);
      for (int i = 0; i < 16; ++i) frame[4 + i] = 0xff;
      if (!write_all(kMsgFd, frame, sizeof frame, sizeof frame)) return 1;
      return 0;
    case kGarbageTruncatedFrame:
      store_le32(frame, 100);
      (void)write_all(kMsgFd, frame, 4 + 10, sizeof frame);
      _exit(0);
    case kGarbageNoExitFrame:
      _exit(0);
    case kGarbageAfterExit:
      (void)write_exit_frame(kMsgFd, 0);
      store_le32(frame, 0x1234);
      (void)write_all(kMsgFd, frame, 4, 4);
      _exit(0);
    case kGarbageExitSetupCode:
      _exit(kSetupRlimit);
    case kGarbageExit127:
      _exit(127);
    default:
      return 0;
  }
}

int oversized_message(const BootConfig& config, Arena& arena) {
  const uint64_t max = config.boot.max_message_size;
  uint8_t header[4];
  switch (config.op.test_arg) {
    case kOversizedOneAbove:
      store_le32(header, static_cast<uint32_t>(max + 1));
      (void)write_all(kMsgFd, header, 4, 4);
      break;
    case kOversizedHuge:
      store_le32(header, 0xfffffffeu);
      (void)write_all(kMsgFd, header, 4, 4);
      break;
    case kOversizedFlood: {
      auto* body = static_cast<uint8_t*>(arena.allocate(max, 1));
      if (body == nullptr) return 1;
      for (uint64_t i = 0; i < max; ++i) body[i] = 0x08;  // any bytes: the host caps, not parses
      store_le32(header, static_cast<uint32_t>(max));
      for (;;) {
        if (!write_all(kMsgFd, header, 4, 4) || !write_all(kMsgFd, body, max, max)) return 1;
      }
    }
    default:
      break;
  }
  // The host should have killed us already; wait for it rather than exiting cleanly.
  for (;;) asm volatile("" ::: "memory");
}

int read_past_capacity(const BootConfig& config, BlockSource* const* devices, MessageSink& sink,
                       Arena& arena) {
  if (config.boot.device_count == 0) return 1;
  const uint64_t capacity = config.boot.devices[0].capacity;
  uint8_t buffer[16];
  switch (config.op.test_arg) {
    case kPastCapacityRawOffset:
      syscall(SYS_pread64, kDev0, buffer, 1, capacity + 1);
      break;
    case kPastCapacityRawLength: {
      // The kernel would write at most the file size into the buffer; keep a real buffer big
      // enough for max_read_size + 1 anyway so only the filter can stop this call.
      auto* big = static_cast<uint8_t*>(arena.allocate(config.boot.max_read_size + 1, 1));
      if (big == nullptr) return 1;
      syscall(SYS_pread64, kDev0, big, config.boot.max_read_size + 1, 0);
      break;
    }
    case kPastCapacitySource: {
      Status status =
          devices[0]->read_at(capacity == 0 ? 0 : capacity - 1, MutableBytes(buffer, 2));
      (void)emit_error(sink, arena, status, nullptr);
      return 0;
    }
    default:
      break;
  }
  return survived(sink, arena, config.op.test_arg);
}

}  // namespace

bool run_hostile_op(const BootConfig& config, BlockSource* const* devices, MessageSink& sink,
                    Arena& arena, int* status) {
  static const uint8_t kJunk[4] = {1, 2, 3, 4};
  switch (static_cast<abi::Op>(config.op.op)) {
    case abi::Op::kTestForbiddenSyscall:
      *status = forbidden_syscall(config, sink, arena);
      return true;
    case abi::Op::kTestSpinForever:
      for (;;) asm volatile("" ::: "memory");
    case abi::Op::kTestGarbageMessage:
      *status = garbage_message(config);
      return true;
    case abi::Op::kTestOversizedMessage:
      *status = oversized_message(config, arena);
      return true;
    case abi::Op::kTestWriteInputDevice:
      syscall(SYS_pwrite64, kDev0, kJunk, sizeof kJunk, 0);
      *status = survived(sink, arena, 0);
      return true;
    case abi::Op::kTestReadPastCapacity:
      *status = read_past_capacity(config, devices, sink, arena);
      return true;
    case abi::Op::kTestBadDevice: {
      uint8_t buffer[1];
      syscall(SYS_pread64, kDev0 + static_cast<int>(config.boot.device_count), buffer, 1, 0);
      *status = survived(sink, arena, 0);
      return true;
    }
    default:
      return false;  // KVM-only test ops and real ops go to run_op
  }
}

}  // namespace instar::process
