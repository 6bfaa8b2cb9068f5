// hypercalls.cc: the host side of every hypercall: copy, validate, then act (fail closed).
#include "engine/vmm/hypercalls.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "engine/vmm/block_io.h"
#include "guest/lib/checked.h"

namespace instar::vmm {
namespace {

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

HypercallResult fault(std::string why) {
  return {.verdict = HypercallVerdict::kGuestFault, .exit_status = 0, .diagnostic = std::move(why)};
}

HypercallResult resume() {
  return {};
}

const char* call_name(abi::Hypercall call) {
  switch (call) {
    case abi::Hypercall::kBlockRead:
      return "block read";
    case abi::Hypercall::kBlockReadv:
      return "batched block read";
    case abi::Hypercall::kBlockWrite:
      return "block write";
    case abi::Hypercall::kBlockFlush:
      return "block flush";
    case abi::Hypercall::kEmitMessage:
      return "emit message";
    case abi::Hypercall::kExit:
      return "exit";
    case abi::Hypercall::kReserved:
    case abi::Hypercall::kMax:
      break;
  }
  return "unknown";
}

// True when [offset, offset + length) lies within a device of `capacity` bytes, overflow included.
bool within_capacity(uint64_t offset, uint64_t length, uint64_t capacity) {
  uint64_t end = 0;
  return checked_add(offset, length, &end) && end <= capacity;
}

}  // namespace

HypercallHandler::HypercallHandler(const GuestMemory& memory,
                                   std::span<const sandbox::Device> devices, HypercallLimits limits)
    : memory_(memory), devices_(devices), limits_(limits) {}

HypercallResult HypercallHandler::handle(uint32_t call, uint64_t arg_gpa) {
  HypercallResult result;
  switch (static_cast<abi::Hypercall>(call)) {
    case abi::Hypercall::kBlockRead:
      result = block_io(arg_gpa, /*write=*/false);
      break;
    case abi::Hypercall::kBlockReadv:
      result = block_readv(arg_gpa);
      break;
    case abi::Hypercall::kBlockWrite:
      result = block_io(arg_gpa, /*write=*/true);
      break;
    case abi::Hypercall::kBlockFlush:
      result = block_flush(arg_gpa);
      break;
    case abi::Hypercall::kEmitMessage:
      result = emit_message(arg_gpa);
      break;
    case abi::Hypercall::kExit:
      result = exit(arg_gpa);
      break;
    case abi::Hypercall::kReserved:
    case abi::Hypercall::kMax:
    default:
      return fault("unknown hypercall " + std::to_string(call));
  }
  if (result.verdict == HypercallVerdict::kGuestFault ||
      result.verdict == HypercallVerdict::kResourceLimit) {
    result.diagnostic = std::string(call_name(static_cast<abi::Hypercall>(call))) +
                        " hypercall: " + result.diagnostic;
  }
  return result;
}

// kBlockRead and kBlockWrite share every check. They differ in the device permission, the
// direction of the copy, and where the buffer may be: a read lands in memory the guest can write,
// a write takes its bytes from memory the guest can read.
HypercallResult HypercallHandler::block_io(uint64_t arg_gpa, bool write) {
  auto* shared = memory_.view<abi::HcBlockRead>(arg_gpa, Access::kGuestWrite);
  if (shared == nullptr) return fault("argument at GPA " + hex(arg_gpa) + " is not guest memory");
  const abi::HcBlockRead arg = *shared;  // copy, then validate: the copy is what gets used
  if (arg.device >= devices_.size()) return fault("no device " + std::to_string(arg.device));
  const sandbox::Device& device = devices_[arg.device];
  if (write && !device.writable) {
    return fault("device " + std::to_string(arg.device) + " is read-only");
  }
  if (arg.length > limits_.max_read_bytes) {
    shared->status = abi::kHcTooLarge;
    return resume();
  }
  if (!within_capacity(arg.offset, arg.length, device.capacity)) {
    shared->status = abi::kHcRange;
    return resume();
  }
  auto buffer =
      memory_.span(arg.buffer_gpa, arg.length, write ? Access::kGuestRead : Access::kGuestWrite);
  if (!buffer) {
    return fault("buffer [" + hex(arg.buffer_gpa) + ", +" + hex(arg.length) + ") is not guest" +
                 (write ? " memory" : "-writable memory"));
  }
  const bool done = write ? pwrite_full(device.fd, *buffer, arg.offset)
                          : pread_full(device.fd, *buffer, arg.offset);
  if (done && !write) {
    ++reads_;
    bytes_read_ += arg.length;
  }
  shared->status = done ? abi::kHcOk : abi::kHcIo;
  return resume();
}

HypercallResult HypercallHandler::block_readv(uint64_t arg_gpa) {
  auto* shared = memory_.view<abi::HcBlockReadv>(arg_gpa, Access::kGuestWrite);
  if (shared == nullptr) return fault("argument at GPA " + hex(arg_gpa) + " is not guest memory");
  const abi::HcBlockReadv arg = *shared;
  if (arg.device >= devices_.size()) return fault("no device " + std::to_string(arg.device));
  const sandbox::Device& device = devices_[arg.device];
  if (arg.reserved != 0) {
    shared->status = abi::kHcInvalid;
    return resume();
  }
  if (arg.count > abi::kMaxReadvExtents) {
    shared->status = abi::kHcTooLarge;
    return resume();
  }
  auto table = memory_.span(arg.extents_gpa, uint64_t{arg.count} * sizeof(abi::ReadExtent),
                            Access::kGuestRead);
  if (!table) return fault("extent array at GPA " + hex(arg.extents_gpa) + " is not guest memory");
  abi::ReadExtent extents[abi::kMaxReadvExtents];
  std::memcpy(extents, table->data(), table->size());

  // All or nothing: every extent is checked before the first byte is read.
  iovec iov[abi::kMaxReadvExtents];
  uint64_t total = 0;
  for (uint32_t i = 0; i < arg.count; ++i) {
    const abi::ReadExtent& e = extents[i];
    if (!checked_add(total, e.length, &total) || total > limits_.max_read_bytes) {
      shared->status = abi::kHcTooLarge;
      return resume();
    }
    if (!within_capacity(e.offset, e.length, device.capacity)) {
      shared->status = abi::kHcRange;
      return resume();
    }
    auto buffer = memory_.span(e.buffer_gpa, e.length, Access::kGuestWrite);
    if (!buffer) {
      return fault("extent " + std::to_string(i) + " buffer [" + hex(e.buffer_gpa) + ", +" +
                   hex(e.length) + ") is not guest-writable memory");
    }
    iov[i] = {.iov_base = buffer->data(), .iov_len = buffer->size()};
  }
  // Extents that continue each other in the file become one preadv.
  int32_t status = abi::kHcOk;
  for (uint32_t first = 0; first < arg.count && status == abi::kHcOk;) {
    uint32_t last = first + 1;
    while (last < arg.count &&
           extents[last].offset == extents[last - 1].offset + extents[last - 1].length) {
      ++last;
    }
    if (!preadv_full(device.fd, std::span<iovec>(iov + first, last - first),
                     extents[first].offset)) {
      status = abi::kHcIo;
    }
    first = last;
  }
  if (status == abi::kHcOk) {
    reads_ += arg.count;
    bytes_read_ += total;
  }
  shared->status = status;
  return resume();
}

HypercallResult HypercallHandler::block_flush(uint64_t arg_gpa) {
  auto* shared = memory_.view<abi::HcBlockFlush>(arg_gpa, Access::kGuestWrite);
  if (shared == nullptr) return fault("argument at GPA " + hex(arg_gpa) + " is not guest memory");
  const abi::HcBlockFlush arg = *shared;
  if (arg.device >= devices_.size()) return fault("no device " + std::to_string(arg.device));
  const sandbox::Device& device = devices_[arg.device];
  if (!device.writable) {
    shared->status = abi::kHcReadOnly;  // harmless, but nothing to flush: tell the guest
    return resume();
  }
  shared->status = fdatasync(device.fd) == 0 ? abi::kHcOk : abi::kHcIo;
  return resume();
}

HypercallResult HypercallHandler::emit_message(uint64_t arg_gpa) {
  auto* shared = memory_.view<abi::HcEmitMessage>(arg_gpa, Access::kGuestWrite);
  if (shared == nullptr) return fault("argument at GPA " + hex(arg_gpa) + " is not guest memory");
  const abi::HcEmitMessage arg = *shared;
  if (arg.reserved != 0) {
    shared->status = abi::kHcInvalid;
    return resume();
  }
  if (arg.length > limits_.max_message_bytes) {
    shared->status = abi::kHcTooLarge;
    return {.verdict = HypercallVerdict::kResourceLimit,
            .exit_status = 0,
            .diagnostic = "message of " + std::to_string(arg.length) + " bytes exceeds the " +
                          std::to_string(limits_.max_message_bytes) + "-byte limit"};
  }
  uint64_t total = 0;
  if (!checked_add(total_message_bytes_, arg.length, &total) ||
      total > limits_.max_total_message_bytes) {
    shared->status = abi::kHcTooLarge;
    return {.verdict = HypercallVerdict::kResourceLimit,
            .exit_status = 0,
            .diagnostic = "messages exceed the " + std::to_string(limits_.max_total_message_bytes) +
                          "-byte total limit"};
  }
  auto data = memory_.span(arg.data_gpa, arg.length, Access::kGuestRead);
  if (!data) {
    return fault("message [" + hex(arg.data_gpa) + ", +" + hex(arg.length) +
                 ") is not guest memory");
  }
  total_message_bytes_ = total;
  const std::string_view encoded(reinterpret_cast<const char*>(data->data()), data->size());
  if (limits_.consumer == nullptr) {
    messages_.emplace_back(encoded);
  } else if (std::string why; !limits_.consumer->consume(encoded, &why)) {
    return fault(std::move(why));
  }
  shared->status = abi::kHcOk;
  return resume();
}

HypercallResult HypercallHandler::exit(uint64_t arg_gpa) {
  const auto* shared = memory_.view<abi::HcExit>(arg_gpa, Access::kGuestRead);
  if (shared == nullptr) return fault("argument at GPA " + hex(arg_gpa) + " is not guest memory");
  const abi::HcExit arg = *shared;
  return {.verdict = HypercallVerdict::kExit, .exit_status = arg.status, .diagnostic = {}};
}

}  // namespace instar::vmm
