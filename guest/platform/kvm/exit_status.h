// exit_status.h: the exit-hypercall statuses the KVM guest uses besides run_op's own result.
#pragma once

#include <stdint.h>

namespace instar::kvm {

// run_op returns 0 (op ran; outcome in the messages) or a small positive number (reporting
// failed). The guest's own failures use a distinctive range so the host's diagnostic can name
// them. A BootInfo rejection adds the BootCheck value (boot_check.h) to kExitBadBootInfo.
enum GuestExit : int32_t {
  kExitBadBootInfo = 0x7e00,      // + BootCheck: BootInfo/OpConfig rejected before any op ran
  kExitStackSmash = 0x7e80,       // __stack_chk_fail: a stack canary was overwritten
  kExitPureVirtual = 0x7e81,      // __cxa_pure_virtual: a guest bug
  kExitBadDelete = 0x7e82,        // operator delete: the guest never allocates with new
  kExitHostileSurvived = 0x7e90,  // hostile guest: the host let a must-die action return
};

}  // namespace instar::kvm
