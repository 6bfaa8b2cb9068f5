// exit_decoder_test.cc: synthetic kvm_run exits: only single 4-byte OUTs to hypercall ports pass.
#include "engine/vmm/exit_decoder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "guest/abi/abi.h"

namespace instar::vmm {
namespace {

constexpr uint64_t kRunSize = 4096;

// A kvm_run page whose I/O data (at offset 1024) holds `value`.
struct RunPage {
  alignas(kvm_run) uint8_t bytes[kRunSize] = {};
  kvm_run& run() { return *reinterpret_cast<kvm_run*>(bytes); }
};

RunPage io_exit(uint8_t direction, uint8_t size, uint16_t port, uint32_t count, uint32_t value) {
  RunPage page;
  page.run().exit_reason = KVM_EXIT_IO;
  page.run().io.direction = direction;
  page.run().io.size = size;
  page.run().io.port = port;
  page.run().io.count = count;
  page.run().io.data_offset = 1024;
  std::memcpy(page.bytes + 1024, &value, sizeof(value));
  return page;
}

TEST(ExitDecoderTest, AcceptsEveryHypercallPort) {
  for (uint32_t call = 1; call < static_cast<uint32_t>(abi::Hypercall::kMax); ++call) {
    RunPage page = io_exit(KVM_EXIT_IO_OUT, 4, abi::kHypercallPortBase + call, 1, 0x123456);
    const DecodedExit d = decode_exit(page.run(), kRunSize);
    EXPECT_TRUE(d.is_hypercall) << d.diagnostic;
    EXPECT_EQ(d.call, call);
    EXPECT_EQ(d.arg_gpa, 0x123456u);
  }
}

TEST(ExitDecoderTest, RefusesEverythingElseAboutIo) {
  const struct {
    const char* name;
    uint8_t direction;
    uint8_t size;
    uint16_t port;
    uint32_t count;
    const char* diagnostic;
  } cases[] = {
      {"reserved call", KVM_EXIT_IO_OUT, 4, abi::kHypercallPortBase, 1, "reserved"},
      {"port of kMax", KVM_EXIT_IO_OUT, 4, abi::kHypercallPortBase + 7, 1, "not a hypercall"},
      {"below range", KVM_EXIT_IO_OUT, 4, abi::kHypercallPortBase - 1, 1, "not a hypercall"},
      {"serial", KVM_EXIT_IO_OUT, 1, 0x3f8, 1, "not a hypercall"},
      {"IN", KVM_EXIT_IO_IN, 4, abi::kHypercallPortBase + 1, 1, "single 4-byte OUTs"},
      {"byte", KVM_EXIT_IO_OUT, 1, abi::kHypercallPortBase + 1, 1, "single 4-byte OUTs"},
      {"word", KVM_EXIT_IO_OUT, 2, abi::kHypercallPortBase + 1, 1, "single 4-byte OUTs"},
      {"rep outsd", KVM_EXIT_IO_OUT, 4, abi::kHypercallPortBase + 1, 2, "single 4-byte OUTs"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    RunPage page = io_exit(c.direction, c.size, c.port, c.count, 0);
    const DecodedExit d = decode_exit(page.run(), kRunSize);
    EXPECT_FALSE(d.is_hypercall);
    EXPECT_NE(d.diagnostic.find(c.diagnostic), std::string::npos) << d.diagnostic;
  }
}

TEST(ExitDecoderTest, RefusesIoDataOutsideTheMapping) {
  RunPage page = io_exit(KVM_EXIT_IO_OUT, 4, abi::kHypercallPortBase + 1, 1, 0);
  page.run().io.data_offset = kRunSize - 2;
  EXPECT_FALSE(decode_exit(page.run(), kRunSize).is_hypercall);
  page.run().io.data_offset = ~0ull;
  EXPECT_FALSE(decode_exit(page.run(), kRunSize).is_hypercall);
}

TEST(ExitDecoderTest, EveryOtherExitReasonEndsTheVm) {
  const struct {
    uint32_t reason;
    const char* diagnostic;
  } cases[] = {
      {KVM_EXIT_HLT, "halted"},
      {KVM_EXIT_SHUTDOWN, "triple-faulted"},
      {KVM_EXIT_MMIO, "unbacked memory"},
      {KVM_EXIT_FAIL_ENTRY, "could not enter"},
      {KVM_EXIT_INTERNAL_ERROR, "internal error"},
      {KVM_EXIT_UNKNOWN, "unexpected KVM exit reason 0"},
      {KVM_EXIT_DEBUG, "unexpected KVM exit reason"},
      {KVM_EXIT_HYPERCALL, "unexpected KVM exit reason"},
      {12345, "unexpected KVM exit reason 12345"},
  };
  for (const auto& c : cases) {
    RunPage page;
    page.run().exit_reason = c.reason;
    const DecodedExit d = decode_exit(page.run(), kRunSize);
    EXPECT_FALSE(d.is_hypercall) << c.reason;
    EXPECT_NE(d.diagnostic.find(c.diagnostic), std::string::npos) << d.diagnostic;
  }
}

}  // namespace
}  // namespace instar::vmm
