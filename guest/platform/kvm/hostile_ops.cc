// hostile_ops.cc: test-only ops of the hostile test guest: each breaks the hypercall ABI one way.
#include "guest/platform/kvm/hostile_ops.h"

#include <stdint.h>

#include "guest/lib/mem.h"
#include "guest/platform/kvm/exit_status.h"
#include "guest/platform/kvm/hypercall.h"

namespace instar::kvm {
namespace {

constexpr uint64_t kBufferSize = 512;

// Reports the host's answer to a call it should have refused, and makes it the exit status.
int report(MessageSink& sink, Arena& arena, abi::Hypercall call, int32_t status) {
  const Status reported(instar_guest_ErrorCode_ERROR_IO, static_cast<uint64_t>(call),
                        static_cast<uint32_t>(status));
  // Best effort: the exit status alone already tells the test what the host answered.
  (void)emit_error(sink, arena, reported, nullptr);
  return status;
}

int block_call(MessageSink& sink, Arena& arena, abi::Hypercall call, uint32_t device,
               uint64_t offset, uint64_t buffer_gpa, uint64_t length) {
  abi::HcBlockRead arg{device, abi::kHcOk, offset, buffer_gpa, length};
  hypercall(call, &arg);
  return report(sink, arena, call, arg.status);
}

int readv_call(MessageSink& sink, Arena& arena, uint32_t device, const abi::ReadExtent* extents,
               uint32_t count) {
  abi::HcBlockReadv arg{device, count, to_gpa(extents), abi::kHcOk, 0};
  hypercall(abi::Hypercall::kBlockReadv, &arg);
  return report(sink, arena, abi::Hypercall::kBlockReadv, arg.status);
}

int flush_call(MessageSink& sink, Arena& arena, uint32_t device) {
  abi::HcBlockFlush arg{device, abi::kHcOk};
  hypercall(abi::Hypercall::kBlockFlush, &arg);
  return report(sink, arena, abi::Hypercall::kBlockFlush, arg.status);
}

int emit_call(MessageSink& sink, Arena& arena, uint64_t data_gpa, uint64_t length) {
  abi::HcEmitMessage arg{data_gpa, length, abi::kHcOk, 0};
  hypercall(abi::Hypercall::kEmitMessage, &arg);
  return report(sink, arena, abi::Hypercall::kEmitMessage, arg.status);
}

// Buffers: 0 any GPA at/after memory_size, 1 straddling its end, 2 wrapping past 2^64,
// 3 the argument struct itself beyond memory (the host cannot even write a status: must end the
// VM), 4 a buffer on the host-only page-table pages (the host must refuse buffers outside guest
// RW memory, or a read would rewrite the guest's page tables).
int gpa_outside_memory(const abi::BootInfo& boot, uint32_t variant, MessageSink& sink,
                       Arena& arena) {
  const abi::Hypercall read = abi::Hypercall::kBlockRead;
  switch (variant) {
    case 1:
      return block_call(sink, arena, read, 0, 0, boot.memory_size - kBufferSize / 2, kBufferSize);
    case 2:
      return block_call(sink, arena, read, 0, 0, UINT64_MAX - kBufferSize / 2 + 1, kBufferSize);
    case 3:
      outl(hypercall_port(read), static_cast<uint32_t>(boot.memory_size));
      return kExitHostileSurvived;
    case 4:
      return block_call(sink, arena, read, 0, 0, abi::kPml4Gpa, kBufferSize);
    default:
      return block_call(sink, arena, read, 0, 0, boot.memory_size, kBufferSize);
  }
}

// Device 0 is an input (never kDeviceWritable): 0 write to it, 1 flush it.
int write_input_device(uint32_t variant, MessageSink& sink, Arena& arena) {
  uint8_t buffer[kBufferSize];
  fill_bytes(buffer, 0xa5, sizeof(buffer));
  if (variant == 1) return flush_call(sink, arena, 0);
  return block_call(sink, arena, abi::Hypercall::kBlockWrite, 0, 0, to_gpa(buffer), kBufferSize);
}

// 0 straddling the end of device 0, 1 starting exactly at its end, 2 offset+length wrapping past
// 2^64, 3 one byte more than max_read_size, 4 a batched read whose second extent is past the end.
int read_past_capacity(const abi::BootInfo& boot, uint32_t variant, MessageSink& sink,
                       Arena& arena) {
  uint8_t buffer[kBufferSize];
  const uint64_t capacity = boot.devices[0].capacity;
  const abi::Hypercall read = abi::Hypercall::kBlockRead;
  switch (variant) {
    case 1:
      return block_call(sink, arena, read, 0, capacity, to_gpa(buffer), 1);
    case 2:
      return block_call(sink, arena, read, 0, UINT64_MAX - kBufferSize / 2 + 1, to_gpa(buffer),
                        kBufferSize);
    case 3:
      // Length is checked against the cap before the GPA range; the arena base is a valid GPA.
      return block_call(sink, arena, read, 0, 0, boot.arena_gpa, boot.max_read_size + 1);
    case 4: {
      const abi::ReadExtent extents[2] = {{0, to_gpa(buffer), 1}, {capacity, to_gpa(buffer), 1}};
      return readv_call(sink, arena, 0, extents, 2);
    }
    default: {
      const uint64_t offset = capacity < kBufferSize / 2 ? 0 : capacity - kBufferSize / 2;
      return block_call(sink, arena, read, 0, offset, to_gpa(buffer), kBufferSize);
    }
  }
}

// The host's wall-clock limit must end this.
[[noreturn]] void spin_forever() {
  for (;;) asm volatile("pause");
}

// 0 OUT to port 0x80 (the POST port other VMMs tolerate), 1 a 1-byte OUT to the exit port,
// 2 an IN from a hypercall port, 3 OUT to the port of Hypercall::kMax, 4 of kReserved.
int unknown_port(uint32_t variant) {
  switch (variant) {
    case 1:
      asm volatile("outb %0, %1" : : "a"(uint8_t{0}), "Nd"(hypercall_port(abi::Hypercall::kExit)));
      break;
    case 2: {
      uint32_t value = 0;
      asm volatile("inl %1, %0"
                   : "=a"(value)
                   : "Nd"(hypercall_port(abi::Hypercall::kBlockRead))
                   : "memory");
      break;
    }
    case 3:
      outl(hypercall_port(abi::Hypercall::kMax), 0);
      break;
    case 4:
      outl(hypercall_port(abi::Hypercall::kReserved), 0);
      break;
    default:
      outl(0x80, 0);
      break;
  }
  return kExitHostileSurvived;
}

// 0 store at memory_size, 1 load from it (both outside the memory slot: KVM_EXIT_MMIO if the
// page tables map it, else a page fault that triple-faults), 2 store to the read-only BootInfo
// page, 3 load from the host-only PML4 page (page faults: the VM shuts down).
int mmio_access(const abi::BootInfo& boot, uint32_t variant) {
  auto* beyond = reinterpret_cast<volatile uint32_t*>(static_cast<uintptr_t>(boot.memory_size));
  switch (variant) {
    case 1:
      (void)*beyond;
      break;
    case 2:
      *reinterpret_cast<volatile uint32_t*>(static_cast<uintptr_t>(abi::kBootInfoGpa)) = 0;
      break;
    case 3:
      (void)*reinterpret_cast<volatile uint32_t*>(static_cast<uintptr_t>(abi::kPml4Gpa));
      break;
    default:
      *beyond = 0xdeadbeef;
      break;
  }
  return kExitHostileSurvived;
}

// One byte above the host's cap, from a buffer that exists when the arena is large enough.
int oversized_message(const abi::BootInfo& boot, MessageSink& sink, Arena& arena) {
  const uint64_t length = boot.max_message_size + 1;
  const uint64_t mark = arena.mark();
  void* data = arena.allocate(length, 8);
  uint64_t gpa = boot.arena_gpa;
  if (data != nullptr) {
    fill_bytes(data, 0, length);
    gpa = to_gpa(data);
  }
  arena.release_to(mark);
  return emit_call(sink, arena, gpa, length);
}

// Bytes the host's GuestMessage decoder must refuse: 0 wire type 7 and an overlong varint,
// 1 a length-delimited field claiming more bytes than the message holds.
int garbage_message(uint32_t variant, MessageSink& sink, Arena& arena) {
  static constexpr uint8_t kBadWire[] = {0x0f, 0xff, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  static constexpr uint8_t kTruncated[] = {0x0a, 0x64, 0x08, 0x01};
  if (variant == 1) return emit_call(sink, arena, to_gpa(kTruncated), sizeof(kTruncated));
  return emit_call(sink, arena, to_gpa(kBadWire), sizeof(kBadWire));
}

// There is no kernel in the VM: SYSCALL with EFER.SCE clear is a #UD, which ends the VM.
int forbidden_syscall() {
  uint64_t rax = 59;  // execve on Linux, should anything ever execute it
  asm volatile("syscall" : "+a"(rax) : : "rcx", "r11", "memory");
  return kExitHostileSurvived;
}

// 0 device 99, 1 the first index past device_count, 2 a batched read of kMaxReadvExtents + 1
// extents, 3 a flush of device 99.
int bad_device(const abi::BootInfo& boot, uint32_t variant, MessageSink& sink, Arena& arena) {
  uint8_t buffer[kBufferSize];
  const abi::Hypercall read = abi::Hypercall::kBlockRead;
  switch (variant) {
    case 1:
      return block_call(sink, arena, read, boot.device_count, 0, to_gpa(buffer), 1);
    case 2: {
      constexpr uint32_t kCount = abi::kMaxReadvExtents + 1;
      auto* extents = arena.allocate_array<abi::ReadExtent>(kCount);
      if (extents == nullptr) return kExitHostileSurvived;
      for (uint32_t i = 0; i < kCount; ++i) extents[i] = {0, to_gpa(buffer), 1};
      return readv_call(sink, arena, 0, extents, kCount);
    }
    case 3:
      return flush_call(sink, arena, 99);
    default:
      return block_call(sink, arena, read, 99, 0, to_gpa(buffer), 1);
  }
}

}  // namespace

int run_hostile_op(const abi::BootInfo& boot, const abi::OpConfig& op, MessageSink& sink,
                   Arena& arena) {
  const uint32_t variant = op.test_arg;
  switch (static_cast<abi::Op>(op.op)) {
    case abi::Op::kTestGpaOutsideMemory:
      return gpa_outside_memory(boot, variant, sink, arena);
    case abi::Op::kTestWriteInputDevice:
      return write_input_device(variant, sink, arena);
    case abi::Op::kTestReadPastCapacity:
      return read_past_capacity(boot, variant, sink, arena);
    case abi::Op::kTestSpinForever:
      spin_forever();
    case abi::Op::kTestUnknownPort:
      return unknown_port(variant);
    case abi::Op::kTestMmioAccess:
      return mmio_access(boot, variant);
    case abi::Op::kTestOversizedMessage:
      return oversized_message(boot, sink, arena);
    case abi::Op::kTestGarbageMessage:
      return garbage_message(variant, sink, arena);
    case abi::Op::kTestForbiddenSyscall:
      return forbidden_syscall();
    case abi::Op::kTestBadDevice:
      return bad_device(boot, variant, sink, arena);
    default:
      break;
  }
  const Status unsupported(instar_guest_ErrorCode_ERROR_UNSUPPORTED_OP, op.op);
  return emit_error(sink, arena, unsupported, nullptr).ok() ? 0 : 1;
}

}  // namespace instar::kvm
