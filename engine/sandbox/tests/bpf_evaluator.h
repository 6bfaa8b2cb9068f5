// bpf_evaluator.h: a user-space interpreter for seccomp's classic BPF (tests only).
//
// Lets tests run a compiled filter against seccomp_data rows without installing it (the
// sandbox2 bpf_evaluator idea), so the policy is checked on every build without forking.
#pragma once

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <initializer_list>
#include <optional>

namespace instar::sandbox::testing {

// Runs `count` instructions over `data`; returns the filter's SECCOMP_RET_* value, or nullopt
// for a program the kernel would reject or that misbehaves (bad opcode, jump out of range,
// out-of-bounds load, fall off the end).
std::optional<uint32_t> evaluate_bpf(const sock_filter* program, uint32_t count,
                                     const seccomp_data& data);

// The action (SECCOMP_RET_ACTION_FULL bits) of syscall `nr` with `args` on `arch`; a filter
// that misbehaves fails the calling test and yields 0xdeadbeef.
uint32_t syscall_action(const sock_filter* program, uint32_t count, int nr,
                        std::initializer_list<uint64_t> args, uint32_t arch = AUDIT_ARCH_X86_64);

}  // namespace instar::sandbox::testing
