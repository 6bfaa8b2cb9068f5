// kvm_guest_test.cc: boots the real guest ELFs (production and hostile) under the monitor.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "engine/vmm/kvm_sandbox.h"
#include "engine/vmm/tests/kvm_test_support.h"

namespace instar::vmm {
namespace {

using sandbox::OutcomeKind;

constexpr uint64_t kImageSize = 1 << 20;
constexpr auto kWallTime = std::chrono::milliseconds(3000);

// A 1 MiB raw image (some non-zero bytes, no qcow2 magic) as an O_RDONLY-equivalent input.
class GuestImage {
 public:
  GuestImage() : fd_(memfd_create("kvm-guest-test-image", MFD_CLOEXEC)) {
    std::vector<uint8_t> bytes(kImageSize, 0);
    std::memcpy(bytes.data() + 4096, "not a qcow2 header", 18);
    if (pwrite(fd_, bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) {
      std::abort();
    }
  }
  ~GuestImage() { close(fd_); }
  sandbox::Device device() const { return {.fd = fd_, .capacity = kImageSize, .writable = false}; }

 private:
  int fd_;
};

sandbox::Request request_for(abi::Op op, uint32_t variant, const GuestImage& image) {
  sandbox::Request request;
  request.op.op = static_cast<uint32_t>(op);
  request.op.input_device[0] = 0;
  request.op.input_format[0] = static_cast<uint32_t>(abi::ImageFormat::kRaw);
  request.op.test_arg = variant;
  request.devices.push_back(image.device());
  request.limits.wall_time = kWallTime;
  return request;
}

class KvmGuestTest : public ::testing::Test {
 protected:
  void SetUp() override { INSTAR_REQUIRE_KVM(); }
};

TEST_F(KvmGuestTest, ProductionGuestDescribesARawImage) {
  GuestImage image;
  KvmSandbox kvm(INSTAR_GUEST_ELF_PATH);
  const sandbox::Outcome out = kvm.run(request_for(abi::Op::kInfo, 0, image));
  ASSERT_EQ(out.kind, OutcomeKind::kCompleted) << out.diagnostic;
  EXPECT_EQ(out.guest_status, 0);
  EXPECT_FALSE(out.messages.empty());
  EXPECT_GT(out.hypercalls, 1u);
}

TEST_F(KvmGuestTest, ProductionGuestRefusesTestOps) {
  GuestImage image;
  KvmSandbox kvm(INSTAR_GUEST_ELF_PATH);
  const sandbox::Outcome out = kvm.run(request_for(abi::Op::kTestSpinForever, 0, image));
  EXPECT_EQ(out.kind, OutcomeKind::kCompleted) << out.diagnostic;
  EXPECT_FALSE(out.messages.empty()) << "an unsupported-op error message";
}

// How a hostile op must end. kCompleted rows are image-style mistakes the monitor reports in the
// hypercall's status, which the hostile guest turns into its exit status.
struct HostileCase {
  const char* name;
  abi::Op op;
  uint32_t variant;
  OutcomeKind kind;
  const char* diagnostic;  // substring, for non-kCompleted
  int guest_status;        // for kCompleted
};

// ctest lists parameterised tests with their parameter; print the case name, not its bytes.
void PrintTo(const HostileCase& c, std::ostream* os) { *os << c.name; }

const HostileCase kHostile[] = {
    {"BufferAtMemoryEnd", abi::Op::kTestGpaOutsideMemory, 0, OutcomeKind::kGuestFault,
     "not guest-writable memory", 0},
    {"BufferStraddlesMemoryEnd", abi::Op::kTestGpaOutsideMemory, 1, OutcomeKind::kGuestFault,
     "not guest-writable memory", 0},
    {"BufferWrapsAddressSpace", abi::Op::kTestGpaOutsideMemory, 2, OutcomeKind::kGuestFault,
     "not guest-writable memory", 0},
    {"ArgumentBeyondMemory", abi::Op::kTestGpaOutsideMemory, 3, OutcomeKind::kGuestFault,
     "not guest memory", 0},
    {"BufferOnPageTables", abi::Op::kTestGpaOutsideMemory, 4, OutcomeKind::kGuestFault,
     "not guest-writable memory", 0},
    {"WriteInputDevice", abi::Op::kTestWriteInputDevice, 0, OutcomeKind::kGuestFault,
     "device 0 is read-only", 0},
    {"FlushInputDevice", abi::Op::kTestWriteInputDevice, 1, OutcomeKind::kCompleted, nullptr,
     abi::kHcReadOnly},
    {"ReadStraddlesCapacity", abi::Op::kTestReadPastCapacity, 0, OutcomeKind::kCompleted, nullptr,
     abi::kHcRange},
    {"ReadAtCapacity", abi::Op::kTestReadPastCapacity, 1, OutcomeKind::kCompleted, nullptr,
     abi::kHcRange},
    {"ReadOffsetWraps", abi::Op::kTestReadPastCapacity, 2, OutcomeKind::kCompleted, nullptr,
     abi::kHcRange},
    {"ReadAboveMaxRead", abi::Op::kTestReadPastCapacity, 3, OutcomeKind::kCompleted, nullptr,
     abi::kHcTooLarge},
    {"ReadvSecondExtentPastEnd", abi::Op::kTestReadPastCapacity, 4, OutcomeKind::kCompleted,
     nullptr, abi::kHcRange},
    {"SpinForever", abi::Op::kTestSpinForever, 0, OutcomeKind::kTimeout, "wall-clock limit", 0},
    {"PostPort", abi::Op::kTestUnknownPort, 0, OutcomeKind::kGuestFault, "not a hypercall port", 0},
    {"ByteOutToExitPort", abi::Op::kTestUnknownPort, 1, OutcomeKind::kGuestFault,
     "single 4-byte OUTs", 0},
    {"InFromHypercallPort", abi::Op::kTestUnknownPort, 2, OutcomeKind::kGuestFault,
     "single 4-byte OUTs", 0},
    {"PortOfMax", abi::Op::kTestUnknownPort, 3, OutcomeKind::kGuestFault, "not a hypercall port",
     0},
    {"PortOfReserved", abi::Op::kTestUnknownPort, 4, OutcomeKind::kGuestFault, "reserved", 0},
    {"StorePastMemory", abi::Op::kTestMmioAccess, 0, OutcomeKind::kGuestFault, "triple-faulted", 0},
    {"LoadPastMemory", abi::Op::kTestMmioAccess, 1, OutcomeKind::kGuestFault, "triple-faulted", 0},
    {"StoreToBootInfo", abi::Op::kTestMmioAccess, 2, OutcomeKind::kGuestFault, "triple-faulted", 0},
    {"LoadFromPageTables", abi::Op::kTestMmioAccess, 3, OutcomeKind::kGuestFault, "triple-faulted",
     0},
    {"OversizedMessage", abi::Op::kTestOversizedMessage, 0, OutcomeKind::kResourceLimit,
     "byte limit", 0},
    {"Syscall", abi::Op::kTestForbiddenSyscall, 0, OutcomeKind::kGuestFault, "triple-faulted", 0},
    {"DeviceNinetyNine", abi::Op::kTestBadDevice, 0, OutcomeKind::kGuestFault, "no device 99", 0},
    {"DevicePastCount", abi::Op::kTestBadDevice, 1, OutcomeKind::kGuestFault, "no device 1", 0},
    {"ReadvTooManyExtents", abi::Op::kTestBadDevice, 2, OutcomeKind::kCompleted, nullptr,
     abi::kHcTooLarge},
    {"FlushDeviceNinetyNine", abi::Op::kTestBadDevice, 3, OutcomeKind::kGuestFault, "no device 99",
     0},
};

class KvmHostileGuestTest : public KvmGuestTest,
                            public ::testing::WithParamInterface<HostileCase> {};

TEST_P(KvmHostileGuestTest, EndsAsDesignedWithinTheTimeLimit) {
  const HostileCase& c = GetParam();
  GuestImage image;
  KvmSandbox kvm(INSTAR_GUEST_HOSTILE_ELF_PATH);
  const auto start = std::chrono::steady_clock::now();
  const sandbox::Outcome out = kvm.run(request_for(c.op, c.variant, image));
  EXPECT_LT(std::chrono::steady_clock::now() - start, kWallTime + std::chrono::seconds(1));
  ASSERT_EQ(out.kind, c.kind) << out.diagnostic;
  if (c.kind == OutcomeKind::kCompleted) {
    EXPECT_EQ(out.guest_status, c.guest_status);
    EXPECT_FALSE(out.messages.empty()) << "the guest reports the host's answer";
  } else {
    EXPECT_NE(out.diagnostic.find(c.diagnostic), std::string::npos) << out.diagnostic;
    EXPECT_NE(out.diagnostic.find("rip=0x"), std::string::npos) << out.diagnostic;
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, KvmHostileGuestTest, ::testing::ValuesIn(kHostile),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

// Garbage bytes are a channel-level failure: the monitor delivers them; the decoder refuses them.
TEST_F(KvmGuestTest, GarbageMessagesAreDeliveredForTheDecoderToRefuse) {
  GuestImage image;
  KvmSandbox kvm(INSTAR_GUEST_HOSTILE_ELF_PATH);
  for (uint32_t variant : {0u, 1u}) {
    const sandbox::Outcome out = kvm.run(request_for(abi::Op::kTestGarbageMessage, variant, image));
    ASSERT_EQ(out.kind, OutcomeKind::kCompleted) << out.diagnostic;
    EXPECT_EQ(out.guest_status, abi::kHcOk);
    ASSERT_FALSE(out.messages.empty());
  }
}

}  // namespace
}  // namespace instar::vmm
