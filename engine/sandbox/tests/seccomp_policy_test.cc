// seccomp_policy_test.cc: the process guest's allow-list, as a table and as evaluated BPF.
#include "guest/platform/process/seccomp_policy.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <sys/syscall.h>

#include <cstring>
#include <initializer_list>
#include <string>

#include "engine/sandbox/tests/bpf_evaluator.h"

namespace instar::process {
namespace {

using sandbox::testing::syscall_action;

constexpr int kDev0 = abi::kProcessFirstDeviceFd;
constexpr int kDev1 = abi::kProcessFirstDeviceFd + 1;
constexpr int kMsg = abi::kProcessMessageFd;
constexpr uint64_t kCap0 = 1 << 20;
constexpr uint64_t kCap1 = 4096;
constexpr uint64_t kMaxRead = 65536;
constexpr uint64_t kMaxMessage = 1024;
#if defined(__SANITIZE_ADDRESS__)
constexpr uint32_t kSanitizerRules = 1;  // sigaltstack queries for ASan's noreturn handling
#else
constexpr uint32_t kSanitizerRules = 0;
#endif

// Device 0: read-only input; device 1: writable output.
abi::BootInfo two_device_boot() {
  abi::BootInfo boot{};
  boot.magic = abi::kBootInfoMagic;
  boot.abi_version = abi::kAbiVersion;
  boot.size = sizeof boot;
  boot.device_count = 2;
  boot.arena_size = 1 << 20;
  boot.op_config_size = sizeof(abi::OpConfig);
  boot.max_message_size = kMaxMessage;
  boot.max_read_size = kMaxRead;
  boot.devices[0] = {kCap0, abi::kDeviceReadable, 0};
  boot.devices[1] = {kCap1, abi::kDeviceReadable | abi::kDeviceWritable, 0};
  return boot;
}

class CompiledPolicy : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(compile_policy(make_policy(two_device_boot()), &program_)); }

  uint32_t eval(int nr, std::initializer_list<uint64_t> args, uint32_t arch = AUDIT_ARCH_X86_64) {
    return syscall_action(program_.insns, program_.count, nr, args, arch);
  }
  bool allowed(int nr, std::initializer_list<uint64_t> args) {
    return eval(nr, args) == SECCOMP_RET_ALLOW;
  }
  bool killed(int nr, std::initializer_list<uint64_t> args, uint32_t arch = AUDIT_ARCH_X86_64) {
    return eval(nr, args, arch) == SECCOMP_RET_KILL_PROCESS;
  }

  BpfProgram program_;
};

const SyscallRule* find_rule(const Policy& policy, int nr, uint64_t fd) {
  for (uint32_t i = 0; i < policy.count; ++i) {
    const SyscallRule& rule = policy.rules[i];
    if (rule.nr == nr && rule.pin_count > 0 && rule.pins[0].arg == 0 &&
        rule.pins[0].op == SCMP_CMP_EQ && rule.pins[0].value == fd) {
      return &rule;
    }
  }
  return nullptr;
}

// Coverage builds only (kCoverageRules > 0): what __gcov_dump() needs at the helper's exit.
bool is_coverage_syscall(int nr) {
  return nr == SYS_openat || nr == SYS_getpid || nr == SYS_fcntl || nr == SYS_newfstatat ||
         nr == SYS_read || nr == SYS_lseek || nr == SYS_write || nr == SYS_close;
}

TEST(PolicyTable, ListsOnlyTheExpectedSyscalls) {
  const Policy policy = make_policy(two_device_boot());
  for (uint32_t i = 0; i < policy.count; ++i) {
    const int nr = policy.rules[i].nr;
    EXPECT_TRUE(nr == SYS_pread64 || nr == SYS_pwrite64 || nr == SYS_fsync || nr == SYS_write ||
                nr == SYS_exit_group || nr == SYS_exit ||
                (kSanitizerRules > 0 && nr == SYS_sigaltstack) ||
                (kCoverageRules > 0 && is_coverage_syscall(nr)))
        << policy.rules[i].name;
    EXPECT_NE(policy.rules[i].why, nullptr);
    EXPECT_GT(std::strlen(policy.rules[i].why), 20u) << "every rule says why";
  }
  // pread x2, pwrite + fsync for the output, write, exit_group, exit.
  EXPECT_EQ(policy.count, 7u + kSanitizerRules + kCoverageRules);
}

TEST(PolicyTable, PinsEveryFdToTheAbiLayout) {
  const Policy policy = make_policy(two_device_boot());
  ASSERT_NE(find_rule(policy, SYS_pread64, kDev0), nullptr);
  ASSERT_NE(find_rule(policy, SYS_pread64, kDev1), nullptr);
  EXPECT_EQ(find_rule(policy, SYS_pwrite64, kDev0), nullptr) << "inputs are never writable";
  EXPECT_EQ(find_rule(policy, SYS_fsync, kDev0), nullptr);
  ASSERT_NE(find_rule(policy, SYS_pwrite64, kDev1), nullptr);
  ASSERT_NE(find_rule(policy, SYS_fsync, kDev1), nullptr);
  const SyscallRule* write = find_rule(policy, SYS_write, kMsg);
  ASSERT_NE(write, nullptr);
  EXPECT_EQ(write->pins[1].arg, 2u);
  EXPECT_EQ(write->pins[1].value, kMaxMessage);
  const SyscallRule* read0 = find_rule(policy, SYS_pread64, kDev0);
  EXPECT_EQ(read0->pins[1].value, kMaxRead);
  EXPECT_EQ(read0->pins[2].value, kCap0);
}

TEST(PolicyTable, NoDevicesMeansNoFileAccess) {
  abi::BootInfo boot = two_device_boot();
  boot.device_count = 0;
  const Policy policy = make_policy(boot);
  EXPECT_EQ(policy.count, 3u + kSanitizerRules + kCoverageRules);  // write, exit_group, exit
}

TEST_F(CompiledPolicy, AllowsPreadOnlyOnDevicesWithinBounds) {
  EXPECT_TRUE(allowed(SYS_pread64, {kDev0, 0, 512, 0}));
  EXPECT_TRUE(allowed(SYS_pread64, {kDev0, 0, kMaxRead, kCap0}));
  EXPECT_TRUE(allowed(SYS_pread64, {kDev1, 0, 512, kCap1}));
  EXPECT_TRUE(killed(SYS_pread64, {kDev0, 0, kMaxRead + 1, 0})) << "length pinned";
  EXPECT_TRUE(killed(SYS_pread64, {kDev0, 0, 1, kCap0 + 1})) << "offset pinned";
  EXPECT_TRUE(killed(SYS_pread64, {kDev1, 0, 1, kCap1 + 1}));
  EXPECT_TRUE(killed(SYS_pread64, {kDev0, 0, 1, ~uint64_t{0}})) << "negative offset";
  EXPECT_TRUE(killed(SYS_pread64, {kMsg, 0, 1, 0}));
  EXPECT_TRUE(killed(SYS_pread64, {abi::kProcessBootFd, 0, 1, 0}));
  EXPECT_TRUE(killed(SYS_pread64, {kDev1 + 1, 0, 1, 0})) << "no third device";
  // The upper half of a 64-bit fd argument is compared too.
  EXPECT_TRUE(killed(SYS_pread64, {(uint64_t{1} << 32) | kDev0, 0, 1, 0}));
}

TEST_F(CompiledPolicy, AllowsWritesOnlyWhereIntended) {
  EXPECT_TRUE(allowed(SYS_write, {kMsg, 0, 4}));
  EXPECT_TRUE(allowed(SYS_write, {kMsg, 0, kMaxMessage}));
  EXPECT_TRUE(killed(SYS_write, {kMsg, 0, kMaxMessage + 1}));
  EXPECT_TRUE(killed(SYS_write, {1, 0, 4}));
  EXPECT_TRUE(killed(SYS_write, {2, 0, 4}));
  EXPECT_TRUE(killed(SYS_write, {kDev1, 0, 4})) << "devices are written with pwrite64 only";
  EXPECT_TRUE(allowed(SYS_pwrite64, {kDev1, 0, 512, 0}));
  EXPECT_TRUE(killed(SYS_pwrite64, {kDev0, 0, 512, 0})) << "input device";
  EXPECT_TRUE(killed(SYS_pwrite64, {kDev1, 0, 512, kCap1 + 1}));
  EXPECT_TRUE(allowed(SYS_fsync, {kDev1}));
  EXPECT_TRUE(killed(SYS_fsync, {kDev0}));
}

TEST_F(CompiledPolicy, AllowsExit) {
  EXPECT_TRUE(allowed(SYS_exit_group, {0}));
  EXPECT_TRUE(allowed(SYS_exit, {0}));
}

TEST_F(CompiledPolicy, KillsEverythingElse) {
  for (int nr :
       {SYS_read,         SYS_openat,       SYS_open,     SYS_close,          SYS_socket,
        SYS_connect,      SYS_execve,       SYS_execveat, SYS_mmap,           SYS_mprotect,
        SYS_brk,          SYS_munmap,       SYS_clone,    SYS_clone3,         SYS_fork,
        SYS_vfork,        SYS_ptrace,       SYS_prctl,    SYS_seccomp,        SYS_getpid,
        SYS_kill,         SYS_ioctl,        SYS_readv,    SYS_writev,         SYS_preadv,
        SYS_pwritev,      SYS_sendfile,     SYS_splice,   SYS_io_uring_setup, SYS_bpf,
        SYS_userfaultfd,  SYS_lseek,        SYS_dup,      SYS_fcntl,          SYS_rt_sigreturn,
        SYS_rt_sigaction, SYS_clock_gettime}) {
    // Coverage builds open .gcda files at exit (docs/sandbox-process.md, "Coverage builds").
    if (kCoverageRules > 0 && nr == SYS_getpid) continue;
    EXPECT_TRUE(killed(nr, {kDev0, 0, 1, 0})) << "syscall " << nr;
  }
}

TEST_F(CompiledPolicy, CoverageAllowanceExistsOnlyInCoverageBuildsAndOnlyOnItsFd) {
  // The boot fd's number: closed after boot, the one free fd below RLIMIT_NOFILE.
  constexpr uint64_t kGcda = abi::kProcessBootFd;
  for (int nr : {SYS_read, SYS_write, SYS_lseek, SYS_fcntl, SYS_close, SYS_newfstatat}) {
    EXPECT_EQ(allowed(nr, {kGcda, 0, 1, 0}), kCoverageRules > 0) << "syscall " << nr;
    EXPECT_TRUE(killed(nr, {kDev0, 0, 1, 0})) << "syscall " << nr;
    EXPECT_TRUE(killed(nr, {kDev1, 0, 1, 0})) << "syscall " << nr;
  }
  EXPECT_EQ(allowed(SYS_openat, {0, 0, O_RDWR | O_CREAT, 0}), kCoverageRules > 0);
  EXPECT_TRUE(killed(SYS_openat, {0, 0, O_RDONLY, 0})) << "only libgcov's flags";
}

TEST_F(CompiledPolicy, KillsForeignArchitecturesAndX32) {
  // i386 via int 0x80: nr 180 is pread64 there, 4 is write.
  EXPECT_TRUE(killed(180, {kDev0, 0, 1, 0}, AUDIT_ARCH_I386));
  EXPECT_TRUE(killed(4, {kMsg, 0, 1}, AUDIT_ARCH_I386));
  // x32 ABI: the x86_64 arch with bit 30 set in the number.
  EXPECT_TRUE(killed(0x40000000 | SYS_pread64, {kDev0, 0, 1, 0}));
  EXPECT_TRUE(killed(0x40000000 | SYS_write, {kMsg, 0, 1}));
}

TEST(CompiledPolicySize, FitsTheStaticBuffer) {
  abi::BootInfo boot = two_device_boot();
  boot.device_count = abi::kMaxDevices;
  for (uint32_t i = 0; i < abi::kMaxDevices; ++i) {
    boot.devices[i] = {kCap0 + i, abi::kDeviceReadable | abi::kDeviceWritable, 0};
  }
  BpfProgram program;
  ASSERT_TRUE(compile_policy(make_policy(boot), &program));
  EXPECT_GT(program.count, 0u);
  EXPECT_LE(program.count, kMaxBpfInstructions);
}

}  // namespace
}  // namespace instar::process
