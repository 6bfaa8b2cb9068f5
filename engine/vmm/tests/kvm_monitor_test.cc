// kvm_monitor_test.cc: boots hand-assembled guests under the real monitor and checks every ending.
#include <elf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine/vmm/kvm_sandbox.h"
#include "engine/vmm/tests/elf_builder.h"
#include "engine/vmm/tests/kvm_test_support.h"

namespace instar::vmm {
namespace {

using sandbox::OutcomeKind;
using testing::build_elf;
using testing::ElfSpec;
using testing::TempFile;

constexpr uint64_t kCode = abi::kGuestLoadBase;
constexpr uint32_t kData = abi::kGuestLoadBase + 0x1000;  // RW segment with argument structs
constexpr uint32_t kEmitArg = kData;                      // HcEmitMessage
constexpr uint32_t kExitArg = kData + 0x40;               // HcExit
constexpr uint32_t kReadArg = kData + 0x60;               // HcBlockRead
constexpr uint32_t kText = kData + 0x100;                 // message bytes
constexpr uint64_t kMemory = 64ull << 20;

// A few x86-64 instructions, encoded by hand (Intel SDM vol. 2).
class Code {
 public:
  Code& bytes(std::initializer_list<uint8_t> b) {
    out_.insert(out_.end(), b);
    return *this;
  }
  Code& imm32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  Code& mov_edx(uint32_t v) { return bytes({0xba}).imm32(v); }
  Code& mov_eax(uint32_t v) { return bytes({0xb8}).imm32(v); }
  Code& out_dx_eax() { return bytes({0xef}); }
  Code& load_eax_abs(uint32_t gpa) { return bytes({0x8b, 0x04, 0x25}).imm32(gpa); }
  Code& store_eax_abs(uint32_t gpa) { return bytes({0x89, 0x04, 0x25}).imm32(gpa); }
  Code& store_ebx_abs(uint32_t gpa) { return bytes({0x89, 0x1c, 0x25}).imm32(gpa); }
  Code& store_ecx_abs(uint32_t gpa) { return bytes({0x89, 0x0c, 0x25}).imm32(gpa); }
  Code& store_edx_abs(uint32_t gpa) { return bytes({0x89, 0x14, 0x25}).imm32(gpa); }
  // eax = leaf, ecx = 0, cpuid; the four registers to gpa .. gpa + 15.
  Code& cpuid_to(uint32_t leaf, uint32_t gpa) {
    return mov_eax(leaf)
        .bytes({0x31, 0xc9, 0x0f, 0xa2})  // xor ecx, ecx; cpuid
        .store_eax_abs(gpa)
        .store_ebx_abs(gpa + 4)
        .store_ecx_abs(gpa + 8)
        .store_edx_abs(gpa + 12);
  }
  Code& hypercall(abi::Hypercall call, uint32_t arg_gpa) {
    return mov_edx(abi::kHypercallPortBase + static_cast<uint32_t>(call))
        .mov_eax(arg_gpa)
        .out_dx_eax();
  }
  Code& exit() { return hypercall(abi::Hypercall::kExit, kExitArg).bytes({0xf4}); }
  const std::vector<uint8_t>& get() const { return out_; }

 private:
  std::vector<uint8_t> out_;
};

template <typename T>
void place(std::vector<uint8_t>& data, uint32_t gpa, const T& value) {
  std::memcpy(data.data() + (gpa - kData), &value, sizeof(T));
}

// The data page every guest gets: "hello" emitted from kText, exit status 7, a 16-byte read of
// device 0 into kText.
std::vector<uint8_t> standard_data() {
  std::vector<uint8_t> data(0x1000, 0);
  place(data, kEmitArg, abi::HcEmitMessage{kText, 5, -1, 0});
  place(data, kExitArg, abi::HcExit{7, 0});
  place(data, kReadArg, abi::HcBlockRead{0, -1, 0, kText, 16});
  std::memcpy(data.data() + (kText - kData), "hello", 5);
  return data;
}

class KvmMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override { INSTAR_REQUIRE_KVM_DEVICE(); }

  sandbox::Outcome boot(const Code& code, sandbox::Request request = {},
                        std::vector<uint8_t> data = standard_data(), MonitorTestHooks hooks = {}) {
    ElfSpec spec;
    spec.entry = kCode;
    spec.segments.push_back(
        {.gpa = kCode, .bytes = code.get(), .mem_size = 0, .flags = PF_R | PF_X});
    spec.segments.push_back({.gpa = kData, .bytes = data, .mem_size = 0, .flags = PF_R | PF_W});
    return boot_elf(build_elf(spec), std::move(request), std::move(hooks));
  }
  sandbox::Outcome boot_elf(const std::vector<uint8_t>& elf, sandbox::Request request,
                            MonitorTestHooks hooks = {}) {
    const TempFile file(elf);
    KvmSandbox kvm(file.path(), std::move(hooks));
    if (request.limits.wall_time == sandbox::Limits{}.wall_time) {
      request.limits.wall_time = std::chrono::milliseconds(2000);
    }
    request.limits.memory_bytes = kMemory;
    request.limits.arena_bytes = 16ull << 20;
    return kvm.run(request);
  }
};

TEST_F(KvmMonitorTest, EmitsAMessageAndExitsWithAStatus) {
  const auto out = boot(Code().hypercall(abi::Hypercall::kEmitMessage, kEmitArg).exit());
  EXPECT_EQ(out.kind, OutcomeKind::kCompleted) << out.diagnostic;
  EXPECT_EQ(out.guest_status, 7);
  EXPECT_EQ(out.messages, std::vector<std::string>{"hello"});
  EXPECT_EQ(out.hypercalls, 2u);
  EXPECT_EQ(out.exits, 2u);
}

TEST_F(KvmMonitorTest, GuestFindsBootInfoThroughRdi) {
  // mov eax, [rdi]; store as exit status
  const auto out = boot(Code().bytes({0x8b, 0x07}).store_eax_abs(kExitArg).exit());
  EXPECT_EQ(out.kind, OutcomeKind::kCompleted) << out.diagnostic;
  EXPECT_EQ(static_cast<uint32_t>(out.guest_status), abi::kBootInfoMagic);
}

TEST_F(KvmMonitorTest, GuestReadsOpConfigFromItsReadOnlyPage) {
  sandbox::Request request;
  request.op.test_arg = 0x1234;
  const auto out = boot(Code()
                            .load_eax_abs(abi::kOpConfigGpa + offsetof(abi::OpConfig, test_arg))
                            .store_eax_abs(kExitArg)
                            .exit(),
                        request);
  EXPECT_EQ(out.kind, OutcomeKind::kCompleted) << out.diagnostic;
  EXPECT_EQ(out.guest_status, 0x1234);
}

TEST_F(KvmMonitorTest, BlockReadLandsInGuestMemory) {
  const int fd = memfd_create("kvm-monitor-test", MFD_CLOEXEC);
  ASSERT_EQ(pwrite(fd, "0123456789abcdef", 16, 0), 16);
  sandbox::Request request;
  request.devices.push_back({.fd = fd, .capacity = 16, .writable = false});
  std::vector<uint8_t> data = standard_data();
  place(data, kEmitArg, abi::HcEmitMessage{kText, 16, -1, 0});
  const auto out = boot(Code()
                            .hypercall(abi::Hypercall::kBlockRead, kReadArg)
                            .hypercall(abi::Hypercall::kEmitMessage, kEmitArg)
                            .exit(),
                        request, data);
  close(fd);
  EXPECT_EQ(out.kind, OutcomeKind::kCompleted) << out.diagnostic;
  EXPECT_EQ(out.messages, std::vector<std::string>{"0123456789abcdef"});
}

// The confined monitor's device writes: pwrite64 and fdatasync on a writable device's fd, within
// the file-size limit set from its capacity.
TEST_F(KvmMonitorTest, BlockWriteAndFlushWorkInTheConfinedMonitor) {
  const int fd = memfd_create("kvm-monitor-test", MFD_CLOEXEC);
  ASSERT_EQ(ftruncate(fd, 16), 0);
  sandbox::Request request;
  request.devices.push_back({.fd = fd, .capacity = 16, .writable = true});
  constexpr uint32_t kFlushArg = kData + 0x80;
  std::vector<uint8_t> data = standard_data();
  place(data, kReadArg, abi::HcBlockWrite{0, -1, 11, kText, 5});
  place(data, kFlushArg, abi::HcBlockFlush{0, -1});
  const auto out = boot(Code()
                            .hypercall(abi::Hypercall::kBlockWrite, kReadArg)
                            .hypercall(abi::Hypercall::kBlockFlush, kFlushArg)
                            .load_eax_abs(kReadArg + offsetof(abi::HcBlockWrite, status))
                            .bytes({0x0b, 0x04, 0x25})  // or eax, [flush status]
                            .imm32(kFlushArg + offsetof(abi::HcBlockFlush, status))
                            .store_eax_abs(kExitArg)
                            .exit(),
                        request, data);
  char written[16] = {};
  ASSERT_EQ(pread(fd, written, sizeof written, 0), 16);
  close(fd);
  EXPECT_EQ(out.kind, OutcomeKind::kCompleted) << out.diagnostic;
  EXPECT_EQ(out.guest_status, abi::kHcOk) << "both the write and the flush succeeded";
  EXPECT_EQ(std::string(written + 11, 5), "hello");
}

TEST_F(KvmMonitorTest, SseAndTheStackWork) {
  INSTAR_REQUIRE_KVM();  // SSE arithmetic is exactly what kvm-pvm cannot emulate
  const auto out = boot(Code()
                            .bytes({0x66, 0x0f, 0xef, 0xc0})        // pxor xmm0, xmm0
                            .bytes({0x0f, 0x28, 0xc8})              // movaps xmm1, xmm0
                            .bytes({0x50, 0x58})                    // push rax; pop rax
                            .bytes({0xe8, 0x00, 0x00, 0x00, 0x00})  // call next
                            .bytes({0x58})                          // pop rax
                            .exit());
  EXPECT_EQ(out.kind, OutcomeKind::kCompleted) << out.diagnostic;
}

struct FaultCase {
  const char* name;
  Code code;
  const char* diagnostic;
};

// ctest lists parameterised tests with their parameter; print the case name, not its bytes.
void PrintTo(const FaultCase& c, std::ostream* os) {
  *os << c.name;
}

class KvmFaultTest : public KvmMonitorTest, public ::testing::WithParamInterface<FaultCase> {};

TEST_P(KvmFaultTest, EndsTheVmWithADiagnostic) {
  const auto start = std::chrono::steady_clock::now();
  const auto out = boot(GetParam().code);
  EXPECT_EQ(out.kind, OutcomeKind::kGuestFault) << out.diagnostic;
  EXPECT_NE(out.diagnostic.find(GetParam().diagnostic), std::string::npos) << out.diagnostic;
  EXPECT_NE(out.diagnostic.find("rip=0x"), std::string::npos) << out.diagnostic;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

const FaultCase kFaults[] = {
    {"Halt", Code().bytes({0xf4}), "halted"},
    {"UnknownPort", Code().mov_edx(0x80).out_dx_eax(), "not a hypercall port"},
    {"PortPastRange", Code().mov_edx(0x500 + 7).out_dx_eax(), "not a hypercall port"},
    {"ReservedCall", Code().mov_edx(0x500).out_dx_eax(), "reserved"},
    {"ByteOut", Code().mov_edx(0x506).bytes({0xee}), "single 4-byte OUTs"},
    {"WordOut", Code().mov_edx(0x506).bytes({0x66, 0xef}), "single 4-byte OUTs"},
    {"InFromHypercallPort", Code().mov_edx(0x501).bytes({0xed}), "single 4-byte OUTs"},
    {"ArgOutsideMemory", Code().hypercall(abi::Hypercall::kEmitMessage, kMemory),
     "not guest memory"},
    {"ArgInBootInfo", Code().hypercall(abi::Hypercall::kBlockRead, abi::kBootInfoGpa),
     "not guest memory"},
    {"WriteToBootInfo", Code().store_eax_abs(abi::kBootInfoGpa), "triple-faulted"},
    {"WriteToOpConfig", Code().store_eax_abs(abi::kOpConfigGpa), "triple-faulted"},
    {"ReadNullPage", Code().load_eax_abs(0), "triple-faulted"},
    {"ReadGdt", Code().load_eax_abs(abi::kGdtGpa), "triple-faulted"},
    {"ReadPageTables", Code().load_eax_abs(abi::kPml4Gpa), "triple-faulted"},
    {"ReadPastMemory", Code().load_eax_abs(kMemory), "triple-faulted"},
    {"ExecuteBootInfo", Code().mov_eax(abi::kBootInfoGpa).bytes({0xff, 0xe0}), "triple-faulted"},
    {"InvalidOpcode", Code().bytes({0x0f, 0x0b}), "triple-faulted"},
    {"Syscall", Code().bytes({0x0f, 0x05}), "triple-faulted"},
};

INSTANTIATE_TEST_SUITE_P(Guests, KvmFaultTest, ::testing::ValuesIn(kFaults),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST_F(KvmMonitorTest, SpinningGuestIsStoppedByTheWallClock) {
  sandbox::Request request;
  request.limits.wall_time = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  const auto out = boot(Code().bytes({0xeb, 0xfe}), request);  // jmp .
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(out.kind, OutcomeKind::kTimeout) << out.diagnostic;
  EXPECT_NE(out.diagnostic.find("300 ms wall-clock limit"), std::string::npos) << out.diagnostic;
  EXPECT_GE(took, std::chrono::milliseconds(250));
  EXPECT_LT(took, std::chrono::milliseconds(1500));
}

TEST_F(KvmMonitorTest, ExitStormIsStoppedByTheExitLimit) {
  sandbox::Request request;
  request.limits.max_exits = 50;
  std::vector<uint8_t> data = standard_data();
  place(data, kEmitArg, abi::HcEmitMessage{kText, 0, -1, 0});
  Code code;
  code.hypercall(abi::Hypercall::kEmitMessage, kEmitArg).bytes({0xeb, 0xf3});  // jmp back 13
  const auto out = boot(code, request, data);
  EXPECT_EQ(out.kind, OutcomeKind::kResourceLimit) << out.diagnostic;
  EXPECT_NE(out.diagnostic.find("50 VM exits"), std::string::npos) << out.diagnostic;
  EXPECT_EQ(out.hypercalls, 50u);
  EXPECT_EQ(out.messages.size(), 50u) << "messages emitted before the limit are kept";
}

TEST_F(KvmMonitorTest, OversizedMessageIsAResourceLimit) {
  sandbox::Request request;
  request.limits.max_message_bytes = 4;
  const auto out = boot(Code().hypercall(abi::Hypercall::kEmitMessage, kEmitArg).exit(), request);
  EXPECT_EQ(out.kind, OutcomeKind::kResourceLimit) << out.diagnostic;
  EXPECT_NE(out.diagnostic.find("exceeds the 4-byte limit"), std::string::npos) << out.diagnostic;
}

TEST_F(KvmMonitorTest, RefusesAGuestBuiltForAnotherAbi) {
  ElfSpec spec;
  spec.segments.push_back({.gpa = kCode, .bytes = {0xf4}, .mem_size = 0, .flags = PF_R | PF_X});
  spec.note.abi_version = abi::kAbiVersion + 1;
  const auto out = boot_elf(build_elf(spec), {});
  EXPECT_EQ(out.kind, OutcomeKind::kHostError);
  EXPECT_NE(out.diagnostic.find("ABI version"), std::string::npos) << out.diagnostic;
  EXPECT_EQ(out.exits, 0u) << "refused before any VM ran";
}

TEST_F(KvmMonitorTest, MissingGuestFileIsAHostError) {
  KvmSandbox kvm("/nonexistent/instar-guest.elf");
  const auto out = kvm.run({});
  EXPECT_EQ(out.kind, OutcomeKind::kHostError);
  EXPECT_NE(out.diagnostic.find("/nonexistent/instar-guest.elf"), std::string::npos);
}

TEST_F(KvmMonitorTest, RefusesMemorySizesThePageTablesCannotDescribe) {
  ElfSpec spec;
  spec.segments.push_back({.gpa = kCode, .bytes = {0xf4}, .mem_size = 0, .flags = PF_R | PF_X});
  const TempFile file(build_elf(spec));
  KvmSandbox kvm(file.path());
  sandbox::Request request;
  request.limits.memory_bytes = abi::kMaxGuestMemory + 4096;
  const auto out = kvm.run(request);
  EXPECT_EQ(out.kind, OutcomeKind::kHostError);
  EXPECT_NE(out.diagnostic.find("multiple of 2 MiB"), std::string::npos) << out.diagnostic;
}

// Callers size memory from the arena they need (convert's qcow2 writer adds table caches): the
// monitor rounds a budget inside the bounds up to whole 2 MiB pages instead of refusing it.
TEST_F(KvmMonitorTest, RoundsMemoryUpToWholeLargePages) {
  ElfSpec spec;
  spec.segments.push_back({.gpa = kCode, .bytes = {0xf4}, .mem_size = 0, .flags = PF_R | PF_X});
  const TempFile file(build_elf(spec));
  KvmSandbox kvm(file.path());
  sandbox::Request request;
  request.limits.memory_bytes = (64ull << 20) + 4096;
  const auto out = kvm.run(request);
  EXPECT_EQ(out.diagnostic.find("multiple of 2 MiB"), std::string::npos) << out.diagnostic;
}

TEST_F(KvmMonitorTest, RunsAreIndependent) {
  const Code code = Code().hypercall(abi::Hypercall::kEmitMessage, kEmitArg).exit();
  for (int i = 0; i < 3; ++i) {
    const auto out = boot(code);
    EXPECT_EQ(out.kind, OutcomeKind::kCompleted) << out.diagnostic;
    EXPECT_EQ(out.messages.size(), 1u);
  }
}

// Finding 3 of issue 11: the monitor that handles the guest's exits runs as its own process,
// confined like the process helper. Read from outside while a guest spins.
std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_F(KvmMonitorTest, MonitorIsAConfinedChildDuringTheRun) {
  std::atomic<bool> run_over{false};
  std::atomic<pid_t> monitor_pid{0};
  std::string status;
  std::string limits;
  std::thread observer;
  MonitorTestHooks hooks;
  hooks.on_monitor_started = [&](pid_t pid) {
    monitor_pid = pid;
    observer = std::thread([&, pid] {
      const std::string proc = "/proc/" + std::to_string(pid);
      while (!run_over) {
        const std::string now = read_text(proc + "/status");
        if (now.find("Seccomp:\t2") != std::string::npos) {
          status = now;
          limits = read_text(proc + "/limits");
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    });
  };
  sandbox::Request request;
  request.limits.wall_time = std::chrono::milliseconds(3000);
  const auto out = boot(Code().bytes({0xeb, 0xfe}), request, standard_data(), hooks);  // jmp .
  run_over = true;
  if (observer.joinable()) observer.join();

  EXPECT_EQ(out.kind, OutcomeKind::kTimeout) << out.diagnostic;
  EXPECT_NE(out.diagnostic.find("3000 ms wall-clock limit (rip=0x"), std::string::npos)
      << "the confined loop still reads the guest's rip: " << out.diagnostic;
  ASSERT_GT(monitor_pid.load(), 0) << "the run forked a monitor";
  EXPECT_NE(monitor_pid.load(), getpid());
  ASSERT_FALSE(status.empty()) << "the monitor never showed Seccomp: 2 (filter mode)";
  EXPECT_NE(status.find("NoNewPrivs:\t1"), std::string::npos) << status;
  EXPECT_NE(status.find("CapEff:\t0000000000000000"), std::string::npos) << status;
  EXPECT_NE(read_text("/proc/self/status").find("Seccomp:\t0"), std::string::npos)
      << "the parent itself stays unconfined (it renders and opens the next images)";
  for (const char* line : {"Max core file size", "Max open files", "Max processes"}) {
    const size_t at = limits.find(line);
    ASSERT_NE(at, std::string::npos) << limits;
    std::istringstream fields(limits.substr(at + std::strlen(line)));
    std::string soft, hard;
    fields >> soft >> hard;
    EXPECT_EQ(soft, "0") << line;
    EXPECT_EQ(hard, "0") << line;
  }
}

TEST_F(KvmMonitorTest, ForbiddenSyscallAfterArmingKillsTheMonitor) {
  MonitorTestHooks hooks;
  hooks.after_confinement = [] { (void)open("/etc/hostname", O_RDONLY | O_CLOEXEC); };
  const auto out = boot(Code().hypercall(abi::Hypercall::kEmitMessage, kEmitArg).exit(), {},
                        standard_data(), hooks);
  EXPECT_EQ(out.kind, OutcomeKind::kKilled) << out.diagnostic;
  EXPECT_EQ(out.signal, SIGSYS);
  EXPECT_EQ(out.diagnostic, "KVM monitor killed by SIGSYS (seccomp: forbidden system call)");
  EXPECT_TRUE(out.messages.empty());
  // The next run is unaffected: the parent was never confined.
  const auto next = boot(Code().hypercall(abi::Hypercall::kEmitMessage, kEmitArg).exit());
  EXPECT_EQ(next.kind, OutcomeKind::kCompleted) << next.diagnostic;
}

// Finding 9 of issue 11: the guest's CPUID is the filtered table (cpuid_filter.h).
TEST_F(KvmMonitorTest, GuestSeesOnlyTheFilteredCpuid) {
  std::vector<uint8_t> data = standard_data();
  place(data, kEmitArg, abi::HcEmitMessage{kText, 32, -1, 0});
  const Code code = Code()
                        .cpuid_to(0x40000000, kText)
                        .cpuid_to(0x1, kText + 16)
                        .hypercall(abi::Hypercall::kEmitMessage, kEmitArg)
                        .exit();
  const auto out = boot(code, {}, data);
  ASSERT_EQ(out.kind, OutcomeKind::kCompleted) << out.diagnostic;
  ASSERT_EQ(out.messages.size(), 1u);
  const std::string& regs = out.messages[0];
  ASSERT_EQ(regs.size(), 32u);
  uint32_t words[8];
  std::memcpy(words, regs.data(), sizeof words);
  EXPECT_EQ(words[0] | words[1] | words[2] | words[3], 0u)
      << "the hypervisor leaf 0x40000000 (\"KVMKVMKVM\") is hidden";
  const uint32_t leaf1_ecx = words[6];
  const uint32_t leaf1_edx = words[7];
  EXPECT_EQ(leaf1_ecx & ~(1u << 30), 0u) << "only RDRAND of leaf 1 ECX: no hypervisor bit, no AVX";
  EXPECT_NE(leaf1_edx & (1u << 26), 0u) << "SSE2 stays";
}

}  // namespace
}  // namespace instar::vmm
