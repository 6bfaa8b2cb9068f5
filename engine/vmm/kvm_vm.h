// kvm_vm.h: one KVM VM with one memory slot and one vCPU in long mode (RAII over the KVM fds).
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <memory>

#include "engine/sandbox/unique_fd.h"
#include "engine/vmm/guest_memory.h"
#include "engine/vmm/result.h"

namespace instar::vmm {

using sandbox::UniqueFd;

// True when /dev/kvm opens read-write and reports API version 12.
[[nodiscard]] bool kvm_available();

// True when kvm_available() and a probe guest runs to its exit hypercall (kvm_probe.h): what
// --sandbox=auto checks before choosing the KVM backend. Probed once per process (a few ms).
[[nodiscard]] bool kvm_usable();

class KvmVm {
 public:
  // Opens /dev/kvm (API 12), creates the VM, maps `memory` as slot 0 at GPA 0, creates vCPU 0,
  // maps its kvm_run and sets the CPUID table filter_cpuid() keeps of KVM's supported one
  // (cpuid_filter.h). `memory` must outlive the VM.
  [[nodiscard]] static Result<std::unique_ptr<KvmVm>> create(const GuestMemory& memory);
  ~KvmVm();
  KvmVm(const KvmVm&) = delete;
  KvmVm& operator=(const KvmVm&) = delete;

  // Puts the vCPU in long mode (cpu_state.h) at `entry` with the stack ending at `stack_top`.
  [[nodiscard]] Status set_initial_state(uint64_t entry, uint64_t stack_top);

  // One KVM_RUN. Returns 0, or the errno of a failed run (EINTR when kicked).
  int run_once();

  kvm_run* run_state() const { return run_; }
  uint64_t run_state_size() const { return run_size_; }
  // The vCPU fd, for the monitor's seccomp policy (KVM_RUN is allowed on it alone).
  int vcpu_fd() const { return vcpu_.get(); }
  // The guest's instruction pointer, for diagnostics (0 if it cannot be read).
  uint64_t rip() const;

 private:
  KvmVm() = default;
  [[nodiscard]] Status set_filtered_cpuid();

  UniqueFd kvm_;
  UniqueFd vm_;
  UniqueFd vcpu_;
  kvm_run* run_ = nullptr;
  uint64_t run_size_ = 0;
};

}  // namespace instar::vmm
