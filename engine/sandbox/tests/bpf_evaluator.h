// bpf_evaluator.h: a user-space interpreter for seccomp's classic BPF (tests only).
//
// Lets tests run a compiled filter against seccomp_data rows without installing it (the
// sandbox2 bpf_evaluator idea), so the policy is checked on every build without forking.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <optional>

namespace instar::sandbox::testing {

// Runs `count` instructions over `data`; returns the filter's SECCOMP_RET_* value, or nullopt
// for a program the kernel would reject or that misbehaves (bad opcode, jump out of range,
// out-of-bounds load, fall off the end).
std::optional<uint32_t> evaluate_bpf(const sock_filter* program, uint32_t count,
                                     const seccomp_data& data);

}  // namespace instar::sandbox::testing
