// vcpu_loop.cc: the KVM exit loop: KVM_RUN, decode, dispatch, and every way a run can end.
#include "engine/vmm/vcpu_loop.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "engine/vmm/exit_decoder.h"
#include "engine/vmm/vcpu_deadline.h"

namespace instar::vmm {
namespace {

std::string at_rip(const KvmVm& vm) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), " (rip=0x%llx)", static_cast<unsigned long long>(vm.rip()));
  return buf;
}

}  // namespace

sandbox::Outcome run_vcpu_loop(KvmVm& vm, HypercallHandler& handler, const LoopLimits& limits,
                               const std::function<Status()>& confine) {
  sandbox::Outcome outcome;
  auto finish = [&](sandbox::OutcomeKind kind, std::string diagnostic) {
    outcome.kind = kind;
    outcome.diagnostic = std::move(diagnostic);
    outcome.messages = std::move(handler.messages());
    outcome.reads = handler.reads();
    outcome.bytes_read = handler.bytes_read();
    return std::move(outcome);
  };
  auto timeout = [&] {
    if (limits.cpu_limit_seconds != 0) {
      return finish(sandbox::OutcomeKind::kResourceLimit,
                    "guest stopped at instar's CPU time limit of " +
                        std::to_string(limits.cpu_limit_seconds) +
                        " s (RLIMIT_CPU, set by the caller of instar)" + at_rip(vm));
    }
    return finish(sandbox::OutcomeKind::kTimeout, "guest exceeded the " +
                                                      std::to_string(limits.wall_time.count()) +
                                                      " ms wall-clock limit" + at_rip(vm));
  };

  auto deadline = VcpuDeadline::arm(vm.run_state(), limits.deadline);
  if (!deadline.ok()) return finish(sandbox::OutcomeKind::kHostError, deadline.message());
  if (confine) {
    if (Status s = confine(); !s.ok()) return finish(sandbox::OutcomeKind::kHostError, s.message());
  }

  for (;;) {
    if (deadline.value()->expired()) return timeout();
    const auto entered = std::chrono::steady_clock::now();
    const int err = vm.run_once();
    outcome.guest_ns += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                  std::chrono::steady_clock::now() - entered)
                                                  .count());
    if (err == EINTR || err == EAGAIN) {
      vm.run_state()->immediate_exit = 0;
      if (deadline.value()->expired()) return timeout();
      continue;  // a stray signal: keep going
    }
    if (err == EFAULT) {
      return finish(sandbox::OutcomeKind::kGuestFault, "host/guest translation fault" + at_rip(vm));
    }
    if (err != 0) {
      return finish(sandbox::OutcomeKind::kHostError,
                    std::string("KVM_RUN failed: ") + strerror(err) + at_rip(vm));
    }
    if (++outcome.exits > limits.max_exits) {
      return finish(sandbox::OutcomeKind::kResourceLimit, "guest exceeded the limit of " +
                                                              std::to_string(limits.max_exits) +
                                                              " VM exits" + at_rip(vm));
    }
    const DecodedExit exit = decode_exit(*vm.run_state(), vm.run_state_size());
    if (!exit.is_hypercall) {
      return finish(sandbox::OutcomeKind::kGuestFault, exit.diagnostic + at_rip(vm));
    }
    ++outcome.hypercalls;
    const HypercallResult result = handler.handle(exit.call, exit.arg_gpa);
    switch (result.verdict) {
      case HypercallVerdict::kContinue:
        break;
      case HypercallVerdict::kExit:
        outcome.guest_status = result.exit_status;
        return finish(sandbox::OutcomeKind::kCompleted, {});
      case HypercallVerdict::kGuestFault:
        return finish(sandbox::OutcomeKind::kGuestFault, result.diagnostic + at_rip(vm));
      case HypercallVerdict::kResourceLimit:
        return finish(sandbox::OutcomeKind::kResourceLimit, result.diagnostic + at_rip(vm));
    }
  }
}

}  // namespace instar::vmm
