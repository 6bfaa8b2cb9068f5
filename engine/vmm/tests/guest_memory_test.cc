// guest_memory_test.cc: GPA translation refuses overflow, out-of-memory and forbidden regions.
#include "engine/vmm/guest_memory.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>

#include "guest/abi/abi.h"

namespace instar::vmm {
namespace {

constexpr uint64_t kSize = 4ull << 20;
constexpr uint64_t kMax = ~uint64_t{0};

GuestMemory make() {
  auto m = GuestMemory::create(kSize);
  EXPECT_TRUE(m.ok()) << m.message();
  return std::move(m).value();
}

struct SpanCase {
  const char* name;
  uint64_t gpa;
  uint64_t len;
  bool guest_read;
  bool guest_write;
  bool monitor;
};

const SpanCase kSpanCases[] = {
    {"null page", 0, 8, false, false, true},
    {"GDT", abi::kGdtGpa, 8, false, false, true},
    {"page tables", abi::kPml4Gpa, 4096, false, false, true},
    {"last host-only byte", abi::kHostOnlyEnd - 1, 1, false, false, true},
    {"unused low memory", abi::kHostOnlyEnd, 8, false, false, true},
    {"BootInfo", abi::kBootInfoGpa, sizeof(abi::BootInfo), true, false, true},
    {"OpConfig", abi::kOpConfigGpa, sizeof(abi::OpConfig), true, false, true},
    {"read-only window end", abi::kReadOnlyEnd - 8, 8, true, false, true},
    {"straddles read-only end", abi::kReadOnlyEnd - 8, 16, false, false, true},
    {"straddles into BootInfo", abi::kBootInfoGpa - 8, 16, false, false, true},
    {"gap below load base", abi::kGuestLoadBase - 8, 8, false, false, true},
    {"straddles load base", abi::kGuestLoadBase - 8, 16, false, false, true},
    {"load base", abi::kGuestLoadBase, 4096, true, true, true},
    {"whole guest area", abi::kGuestLoadBase, kSize - abi::kGuestLoadBase, true, true, true},
    {"last byte", kSize - 1, 1, true, true, true},
    {"one past the end", kSize - 1, 2, false, false, false},
    {"at the end, empty", kSize, 0, true, true, true},
    {"past the end, empty", kSize + 1, 0, false, false, false},
    {"far past the end", 1ull << 40, 8, false, false, false},
    {"end overflows", kMax - 3, 8, false, false, false},
    {"length overflows", abi::kGuestLoadBase, kMax, false, false, false},
    {"wraps to a valid range", abi::kGuestLoadBase + 16, kMax - 7, false, false, false},
};

class GuestMemorySpanTest : public ::testing::TestWithParam<SpanCase> {};

TEST_P(GuestMemorySpanTest, TranslatesOnlyAllowedRanges) {
  const SpanCase& c = GetParam();
  const GuestMemory m = make();
  EXPECT_EQ(m.span(c.gpa, c.len, Access::kGuestRead).has_value(), c.guest_read);
  EXPECT_EQ(m.span(c.gpa, c.len, Access::kGuestWrite).has_value(), c.guest_write);
  EXPECT_EQ(m.span(c.gpa, c.len, Access::kMonitor).has_value(), c.monitor);
  if (auto s = m.span(c.gpa, c.len, Access::kMonitor)) {
    EXPECT_EQ(s->size(), c.len);
    EXPECT_EQ(s->data(), static_cast<uint8_t*>(m.host_base_for_kvm()) + c.gpa);
  }
}

INSTANTIATE_TEST_SUITE_P(Ranges, GuestMemorySpanTest, ::testing::ValuesIn(kSpanCases),
                         [](const auto& param_info) {
                           std::string n = param_info.param.name;
                           for (char& ch : n) {
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

TEST(GuestMemoryTest, StartsZeroedAndIsWritableThroughTheSpan) {
  const GuestMemory m = make();
  auto s = m.span(abi::kGuestLoadBase, 4096, Access::kGuestWrite);
  ASSERT_TRUE(s.has_value());
  for (uint8_t b : *s) ASSERT_EQ(b, 0);
  (*s)[0] = 42;
  EXPECT_EQ((*m.span(abi::kGuestLoadBase, 1, Access::kGuestRead))[0], 42);
}

TEST(GuestMemoryTest, ViewRequiresAlignmentAndTheWholeObjectInRange) {
  const GuestMemory m = make();
  EXPECT_NE(m.view<abi::HcBlockRead>(abi::kGuestLoadBase, Access::kGuestWrite), nullptr);
  EXPECT_EQ(m.view<abi::HcBlockRead>(abi::kGuestLoadBase + 4, Access::kGuestWrite), nullptr);
  EXPECT_EQ(m.view<abi::HcBlockRead>(kSize - 16, Access::kGuestWrite), nullptr);
  EXPECT_NE(m.view<abi::HcBlockRead>(kSize - 32, Access::kGuestWrite), nullptr);
  EXPECT_EQ(m.view<abi::BootInfo>(abi::kBootInfoGpa, Access::kGuestWrite), nullptr);
  EXPECT_NE(m.view<abi::BootInfo>(abi::kBootInfoGpa, Access::kMonitor), nullptr);
}

TEST(GuestMemoryTest, RefusesSizesOutsideTheAbi) {
  EXPECT_FALSE(GuestMemory::create(0).ok());
  EXPECT_FALSE(GuestMemory::create(abi::kMaxGuestMemory + 1).ok());
}

// Under a caller's `prlimit --as`, guest memory that does not fit names the limit. Run in a
// child: the lowered hard limit cannot be raised again.
TEST(GuestMemoryTest, AddressSpaceLimitIsNamed) {
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const rlimit as{512ull << 20, 512ull << 20};
    if (setrlimit(RLIMIT_AS, &as) != 0) _exit(2);
    auto m = GuestMemory::create(640ull << 20);
    const bool named =
        !m.ok() && m.message() ==
                       "cannot map 640 MiB of guest memory: Cannot allocate memory (the caller of "
                       "instar limits its address space, RLIMIT_AS, to 512 MiB)";
    _exit(named ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(GuestMemoryTest, MovedFromMemoryTranslatesNothing) {
  GuestMemory a = make();
  GuestMemory b = std::move(a);
  EXPECT_TRUE(b.span(abi::kGuestLoadBase, 8, Access::kGuestRead).has_value());
  EXPECT_FALSE(a.span(abi::kGuestLoadBase, 8, Access::kGuestRead).has_value());  // NOLINT
  EXPECT_EQ(a.size(), 0u);                                                       // NOLINT
}

}  // namespace
}  // namespace instar::vmm
