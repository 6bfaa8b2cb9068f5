// monitor_policy_test.cc: the KVM monitor child's allow-list, evaluated as BPF without KVM.
#include "engine/vmm/monitor_policy.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/kvm.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include <cstring>
#include <initializer_list>
#include <vector>

#include "engine/sandbox/tests/bpf_evaluator.h"

namespace instar::vmm {
namespace {

using sandbox::testing::syscall_action;

constexpr int kVcpu = 11;
constexpr int kResult = 7;
constexpr int kInput = 9;
constexpr int kOutput = 10;
constexpr int kVmFd = 12;  // the VM and /dev/kvm fds are still open in the child
constexpr uint64_t kInputCap = 1 << 20;
constexpr uint64_t kOutputCap = 4096;
constexpr uint64_t kMaxRead = 65536;

class MonitorPolicy : public ::testing::Test {
 protected:
  void SetUp() override {
    devices_ = {{.fd = kInput, .capacity = kInputCap, .writable = false},
                {.fd = kOutput, .capacity = kOutputCap, .writable = true}};
    rules_ = make_monitor_policy(
        {.vcpu_fd = kVcpu, .result_fd = kResult, .devices = devices_, .max_read_bytes = kMaxRead});
    ASSERT_TRUE(compile_monitor_policy(rules_, &program_));
  }

  uint32_t eval(int nr, std::initializer_list<uint64_t> args, uint32_t arch = AUDIT_ARCH_X86_64) {
    return syscall_action(program_.insns, program_.count, nr, args, arch);
  }
  bool allowed(int nr, std::initializer_list<uint64_t> args) {
    return eval(nr, args) == SECCOMP_RET_ALLOW;
  }
  bool killed(int nr, std::initializer_list<uint64_t> args, uint32_t arch = AUDIT_ARCH_X86_64) {
    return eval(nr, args, arch) == SECCOMP_RET_KILL_PROCESS;
  }

  std::vector<sandbox::Device> devices_;
  std::vector<process::SyscallRule> rules_;
  process::BpfProgram program_;
};

TEST_F(MonitorPolicy, EveryRuleSaysWhy) {
  for (const auto& rule : rules_) {
    ASSERT_NE(rule.why, nullptr);
    EXPECT_GT(std::strlen(rule.why), 15u) << rule.name;
  }
}

TEST_F(MonitorPolicy, KvmRunOnlyOnTheVcpuFd) {
  EXPECT_TRUE(allowed(SYS_ioctl, {kVcpu, KVM_RUN, 0}));
  EXPECT_TRUE(allowed(SYS_ioctl, {kVcpu, KVM_GET_REGS, 0x1000}));
  EXPECT_TRUE(killed(SYS_ioctl, {kVcpu, KVM_SET_REGS, 0x1000})) << "no register writes";
  EXPECT_TRUE(killed(SYS_ioctl, {kVcpu, KVM_SET_CPUID2, 0}));
  EXPECT_TRUE(killed(SYS_ioctl, {kVmFd, KVM_RUN, 0}));
  EXPECT_TRUE(killed(SYS_ioctl, {kVmFd, KVM_SET_USER_MEMORY_REGION, 0})) << "no new memory";
  EXPECT_TRUE(killed(SYS_ioctl, {kVmFd, KVM_CREATE_VCPU, 1}));
  EXPECT_TRUE(killed(SYS_ioctl, {0, 0x5401 /* TCGETS */, 0}));
}

TEST_F(MonitorPolicy, DeviceIoOnlyOnDeviceFdsWithinBounds) {
  EXPECT_TRUE(allowed(SYS_pread64, {kInput, 0, 512, 0}));
  EXPECT_TRUE(allowed(SYS_pread64, {kInput, 0, kMaxRead, kInputCap}));
  EXPECT_TRUE(killed(SYS_pread64, {kInput, 0, kMaxRead + 1, 0}));
  EXPECT_TRUE(killed(SYS_pread64, {kInput, 0, 1, kInputCap + 1}));
  EXPECT_TRUE(killed(SYS_pread64, {kResult, 0, 1, 0}));
  EXPECT_TRUE(allowed(SYS_preadv, {kInput, 0, 4, 0, 0}));
  EXPECT_TRUE(killed(SYS_preadv, {kVmFd, 0, 4, 0, 0}));
  EXPECT_TRUE(killed(SYS_pwrite64, {kInput, 0, 512, 0})) << "inputs are never written";
  EXPECT_TRUE(allowed(SYS_pwrite64, {kOutput, 0, 512, 0}));
  EXPECT_TRUE(killed(SYS_pwrite64, {kOutput, 0, 512, kOutputCap + 1}));
  EXPECT_TRUE(allowed(SYS_fdatasync, {kOutput}));
  EXPECT_TRUE(killed(SYS_fdatasync, {kInput}));
}

TEST_F(MonitorPolicy, WritesOnlyToTheResultPipe) {
  EXPECT_TRUE(allowed(SYS_write, {kResult, 0, 100}));
  EXPECT_TRUE(killed(SYS_write, {1, 0, 100})) << "not stdout";
  EXPECT_TRUE(killed(SYS_write, {2, 0, 100})) << "not stderr";
  EXPECT_TRUE(killed(SYS_write, {kInput, 0, 100}));
}

TEST_F(MonitorPolicy, HeapButNeverExecutableMemory) {
  EXPECT_TRUE(allowed(SYS_mmap, {0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS}));
  EXPECT_TRUE(allowed(SYS_mmap, {0, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS}));
  EXPECT_TRUE(killed(SYS_mmap, {0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS}));
  EXPECT_TRUE(allowed(SYS_mprotect, {0, 4096, PROT_READ | PROT_WRITE}));
  EXPECT_TRUE(killed(SYS_mprotect, {0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC}));
  EXPECT_TRUE(allowed(SYS_brk, {0}));
  EXPECT_TRUE(allowed(SYS_munmap, {0, 4096}));
}

TEST_F(MonitorPolicy, DeadlineTimerAndExit) {
  EXPECT_TRUE(allowed(SYS_rt_sigreturn, {}));
  EXPECT_TRUE(allowed(SYS_timer_delete, {0}));
  EXPECT_TRUE(allowed(SYS_clock_gettime, {CLOCK_MONOTONIC, 0}));
  EXPECT_TRUE(killed(SYS_clock_settime, {CLOCK_REALTIME, 0}));
  EXPECT_TRUE(allowed(SYS_exit_group, {0}));
  EXPECT_TRUE(killed(SYS_timer_create, {CLOCK_MONOTONIC, 0, 0})) << "armed before the filter";
  EXPECT_TRUE(killed(SYS_rt_sigaction, {34, 0, 0, 8})) << "handler installed before the filter";
}

TEST_F(MonitorPolicy, NothingThatReachesTheHost) {
  for (int nr :
       {SYS_open,           SYS_openat,   SYS_openat2,   SYS_creat,        SYS_stat,
        SYS_newfstatat,     SYS_readlink, SYS_unlink,    SYS_rename,       SYS_socket,
        SYS_connect,        SYS_fork,     SYS_vfork,     SYS_clone,        SYS_clone3,
        SYS_execve,         SYS_execveat, SYS_ptrace,    SYS_kill,         SYS_tgkill,
        SYS_prctl,          SYS_seccomp,  SYS_setrlimit, SYS_prlimit64,    SYS_dup,
        SYS_dup2,           SYS_close,    SYS_read,      SYS_memfd_create, SYS_process_vm_writev,
        SYS_io_uring_setup, SYS_bpf,      SYS_mount,     SYS_chdir,        SYS_getdents64}) {
    EXPECT_TRUE(killed(nr, {kVcpu, 0, 0, 0})) << "syscall " << nr;
  }
  EXPECT_TRUE(killed(SYS_write, {kResult, 0, 1}, AUDIT_ARCH_I386)) << "foreign architecture";
  EXPECT_TRUE(killed(SYS_write | 0x40000000, {kResult, 0, 1})) << "x32 ABI";
}

}  // namespace
}  // namespace instar::vmm
