// hostile_ops.h: test-only ops of the hostile test guest: each breaks the hypercall ABI one way.
#pragma once

#include "guest/abi/abi.h"
#include "guest/lib/arena.h"
#include "guest/lib/message_sink.h"

namespace instar::kvm {

// Runs a test op (op.op >= abi::Op::kTestFirst); built only into instar-guest-hostile.elf.
//
// Protocol for the monitor's tests. Ops the host must answer with an error status (bad GPA,
// write to an input, read past capacity, bad device) emit one Error{code ERROR_IO, args
// {hypercall number, returned HypercallStatus}} and exit with that status, so 0 means the host
// wrongly accepted the call. Ops the host must end the VM for (spin, unknown port, MMIO, bad
// message, syscall) exit with kExitHostileSurvived if they ever get control back. op.test_arg
// picks a variant of the op (documented per op in hostile_ops.cc); unknown variants fall back to 0.
int run_hostile_op(const abi::BootInfo& boot, const abi::OpConfig& op, MessageSink& sink,
                   Arena& arena);

}  // namespace instar::kvm
