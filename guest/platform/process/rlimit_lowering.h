// rlimit_lowering.h: the one rule of every setrlimit in instar and its helper: never raise.
//
// A caller (Glance runs `qemu-img info` under `prlimit --cpu=2 --as=1073741824`) may start instar
// with limits of its own. An unprivileged process may lower a limit but not raise its hard value,
// and a privileged one must not undo what its caller chose. So every limit instar sets is the
// smaller of what it wants and what it inherited (docs/sandbox-process.md, "Resource limits").
#pragma once

#include <sys/resource.h>

namespace instar::process {

constexpr rlim_t smaller_limit(rlim_t a, rlim_t b) {
  return a < b ? a : b;  // RLIM_INFINITY is the largest rlim_t, so it loses to any finite value
}

// The limit to set when `wanted_soft`/`wanted_hard` are wanted and `inherited` is in force. Each
// value is the smaller of the two and the soft value never exceeds the hard one, so the result
// can always be set without privileges and never raises anything.
constexpr rlimit lowered_limit(const rlimit& inherited, rlim_t wanted_soft, rlim_t wanted_hard) {
  const rlim_t hard = smaller_limit(inherited.rlim_max, wanted_hard);
  const rlim_t soft = smaller_limit(smaller_limit(inherited.rlim_cur, wanted_soft), hard);
  return rlimit{soft, hard};
}

// Whether the caller's `inherited` limit, not `wanted_soft`, decides the soft value to set.
constexpr bool limited_by_caller(const rlimit& inherited, rlim_t wanted_soft) {
  return inherited.rlim_cur < wanted_soft || inherited.rlim_max < wanted_soft;
}

}  // namespace instar::process
