// vcpu_deadline.h: a wall-clock limit that forces KVM_RUN out of a guest that never exits.
#pragma once

#include <linux/kvm.h>
#include <signal.h>
#include <time.h>

#include <chrono>
#include <memory>

#include "engine/vmm/result.h"

namespace instar::vmm {

// While armed, a POSIX timer directed at the arming thread (SIGEV_THREAD_ID) delivers
// kick_signal() at the deadline and then every few milliseconds. Its handler (installed without
// SA_RESTART) does nothing but set run->immediate_exit, so a KVM_RUN in progress returns EINTR
// and one about to start returns at once. The arming thread must be the one calling KVM_RUN.
class VcpuDeadline {
 public:
  [[nodiscard]] static Result<std::unique_ptr<VcpuDeadline>> arm(
      kvm_run* run, std::chrono::steady_clock::time_point deadline);
  ~VcpuDeadline();  // disarms; a late signal then finds no target and is ignored
  VcpuDeadline(const VcpuDeadline&) = delete;
  VcpuDeadline& operator=(const VcpuDeadline&) = delete;

  bool expired() const { return std::chrono::steady_clock::now() >= deadline_; }

  // The real-time signal used for kicks (SIGRTMIN + 6; glibc keeps the first ones for itself).
  static int kick_signal();

 private:
  VcpuDeadline(std::chrono::steady_clock::time_point deadline) : deadline_(deadline) {}

  std::chrono::steady_clock::time_point deadline_;
  timer_t timer_{};
  bool timer_created_ = false;
  sigset_t saved_mask_{};
  bool mask_saved_ = false;
};

}  // namespace instar::vmm
