// kvm_sandbox.h: the KVM backend of instar::sandbox::Sandbox: one fresh VM per Request.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/sandbox/sandbox.h"
#include "engine/vmm/kvm_vm.h"
#include "engine/vmm/monitor_process.h"
#include "engine/vmm/result.h"

namespace instar::vmm {

// Usage (the CLI):
//   if (instar::vmm::kvm_usable()) {
//     instar::vmm::KvmSandbox kvm(exe_dir + "/instar-guest.elf");
//     instar::sandbox::Outcome out = kvm.run(request);
//   }
// The guest ELF is read and checked (format, INSTAR ABI note) on the first run and kept; each
// run() then forks a monitor child (monitor_process.h) that builds a new VM (memory, tables,
// BootInfo/OpConfig, vCPU), confines itself (rlimits, no_new_privs, seccomp), runs the VM to its
// end and reports. Any failure to do so is an Outcome (kHostError with a diagnostic, kKilled for
// a monitor killed by a signal), never a throw.
class KvmSandbox final : public sandbox::Sandbox {
 public:
  explicit KvmSandbox(std::string guest_elf_path);
  // Tests only (engine/vmm/tests): the CLI never passes hooks.
  KvmSandbox(std::string guest_elf_path, MonitorTestHooks hooks);

  const char* name() const override { return "kvm"; }
  [[nodiscard]] sandbox::Outcome run(const sandbox::Request& request) override;

 private:
  [[nodiscard]] Status read_guest_elf();

  std::string guest_elf_path_;
  std::vector<uint8_t> guest_elf_;
  bool guest_elf_read_ = false;
  MonitorTestHooks hooks_;
};

}  // namespace instar::vmm
