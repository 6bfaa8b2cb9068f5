// exit_decoder.cc: the monitor's whitelist of acceptable VM exits (everything else ends the VM).
#include "engine/vmm/exit_decoder.h"

#include <cstdio>
#include <cstring>

#include "guest/abi/abi.h"

namespace instar::vmm {
namespace {

DecodedExit stop(std::string why) {
  return {.is_hypercall = false, .call = 0, .arg_gpa = 0, .diagnostic = std::move(why)};
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

DecodedExit decode_io(const kvm_run& run, uint64_t run_size) {
  const auto& io = run.io;
  const char* dir = io.direction == KVM_EXIT_IO_OUT ? "OUT" : "IN";
  const std::string what = std::string(dir) + " of " + std::to_string(io.size) + " byte(s) x" +
                           std::to_string(io.count) + " to port " + hex(io.port);
  const uint32_t first = abi::kHypercallPortBase;
  const uint32_t end = first + static_cast<uint32_t>(abi::Hypercall::kMax);
  if (io.port < first || io.port >= end)
    return stop("guest did an " + what + ": not a hypercall port");
  if (io.direction != KVM_EXIT_IO_OUT || io.size != 4 || io.count != 1) {
    return stop("guest did an " + what + ": hypercalls are single 4-byte OUTs");
  }
  if (io.data_offset > run_size || run_size - io.data_offset < sizeof(uint32_t)) {
    return stop("KVM reported I/O data outside the kvm_run mapping");
  }
  uint32_t value = 0;
  std::memcpy(&value, reinterpret_cast<const uint8_t*>(&run) + io.data_offset, sizeof(value));
  const uint32_t call = io.port - first;
  if (call == static_cast<uint32_t>(abi::Hypercall::kReserved)) {
    return stop("guest did an " + what + ": hypercall 0 is reserved");
  }
  return {.is_hypercall = true, .call = call, .arg_gpa = value, .diagnostic = {}};
}

}  // namespace

DecodedExit decode_exit(const kvm_run& run, uint64_t run_size) {
  switch (run.exit_reason) {
    case KVM_EXIT_IO:
      return decode_io(run, run_size);
    case KVM_EXIT_HLT:
      return stop("guest halted without the exit hypercall");
    case KVM_EXIT_SHUTDOWN:
      return stop("guest triple-faulted (an exception with no IDT: bad memory access, #UD, ...)");
    case KVM_EXIT_MMIO:
      return stop(std::string("guest accessed unbacked memory (MMIO ") +
                  (run.mmio.is_write ? "write" : "read") + " of " + std::to_string(run.mmio.len) +
                  " bytes at " + hex(run.mmio.phys_addr) + ")");
    case KVM_EXIT_FAIL_ENTRY:
      return stop("KVM could not enter the guest (hardware reason " +
                  hex(run.fail_entry.hardware_entry_failure_reason) + ")");
    case KVM_EXIT_INTERNAL_ERROR:
      return stop("KVM internal error (suberror " + std::to_string(run.internal.suberror) + ")");
    default:
      return stop("unexpected KVM exit reason " + std::to_string(run.exit_reason));
  }
}

}  // namespace instar::vmm
