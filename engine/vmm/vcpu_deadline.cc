// vcpu_deadline.cc: thread-directed timer + no-op signal handler + kvm_run->immediate_exit.
#include "engine/vmm/vcpu_deadline.h"

#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>

namespace instar::vmm {
namespace {

// The kvm_run of the VM this thread is running, if any. Only touched by this thread and by the
// signal handler running on it, so no atomics are needed beyond the volatile access.
thread_local kvm_run* volatile t_kick_target = nullptr;

void on_kick(int) {
  kvm_run* run = t_kick_target;
  if (run != nullptr) run->immediate_exit = 1;
}

Status install_handler_once() {
  static std::once_flag once;
  static int error = 0;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_handler = on_kick;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: the point is to interrupt KVM_RUN
    if (sigaction(VcpuDeadline::kick_signal(), &sa, nullptr) != 0) error = errno;
  });
  if (error != 0) return Error{std::string("cannot install vCPU kick handler: ") + strerror(error)};
  return Status::Ok();
}

timespec to_timespec(std::chrono::nanoseconds ns) {
  if (ns.count() <= 0) ns = std::chrono::nanoseconds(1);  // 0 would disarm the timer
  return {.tv_sec = static_cast<time_t>(ns.count() / 1'000'000'000),
          .tv_nsec = static_cast<long>(ns.count() % 1'000'000'000)};
}

}  // namespace

int VcpuDeadline::kick_signal() {
  return SIGRTMIN + 6;
}

Result<std::unique_ptr<VcpuDeadline>> VcpuDeadline::arm(
    kvm_run* run, std::chrono::steady_clock::time_point deadline) {
  if (Status s = install_handler_once(); !s.ok()) return Error{s.message()};
  std::unique_ptr<VcpuDeadline> d(new VcpuDeadline(deadline));

  sigset_t kick;
  sigemptyset(&kick);
  sigaddset(&kick, kick_signal());
  if (pthread_sigmask(SIG_UNBLOCK, &kick, &d->saved_mask_) != 0) {
    return Error{"cannot unblock the vCPU kick signal"};
  }
  d->mask_saved_ = true;

  sigevent sev{};
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = kick_signal();
  sev._sigev_un._tid = gettid();  // sigev_notify_thread_id: glibc 2.36 lacks the alias
  if (timer_create(CLOCK_MONOTONIC, &sev, &d->timer_) != 0) {
    return Error{std::string("cannot create the wall-clock timer: ") + strerror(errno)};
  }
  d->timer_created_ = true;
  t_kick_target = run;

  // First kick at the deadline, then every 10 ms in case one lands between checks.
  itimerspec spec{};
  spec.it_value = to_timespec(deadline - std::chrono::steady_clock::now());
  spec.it_interval = to_timespec(std::chrono::milliseconds(10));
  if (timer_settime(d->timer_, 0, &spec, nullptr) != 0) {
    return Error{std::string("cannot arm the wall-clock timer: ") + strerror(errno)};
  }
  return d;
}

VcpuDeadline::~VcpuDeadline() {
  if (timer_created_) timer_delete(timer_);
  t_kick_target = nullptr;
  if (mask_saved_) pthread_sigmask(SIG_SETMASK, &saved_mask_, nullptr);
}

}  // namespace instar::vmm
