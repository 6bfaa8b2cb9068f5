// hypercalls_test.cc: every hypercall argument is validated; violations fault or set `status`.
#include "engine/vmm/hypercalls.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace instar::vmm {
namespace {

constexpr uint64_t kMemory = 4ull << 20;
constexpr uint64_t kArg = abi::kGuestLoadBase;               // argument structs
constexpr uint64_t kExtents = abi::kGuestLoadBase + 0x1000;  // ReadExtent arrays
constexpr uint64_t kBuf = 2ull << 20;                        // data buffers
constexpr uint64_t kDeviceSize = 64 * 1024;
constexpr uint64_t kMaxRead = 16 * 1024;
constexpr uint64_t kMax = ~uint64_t{0};

// A memfd holding kDeviceSize bytes where byte i is (i * 7 + 3) & 0xff.
int make_device_file() {
  const int fd = memfd_create("vmm-test-device", MFD_CLOEXEC);
  std::vector<uint8_t> bytes(kDeviceSize);
  for (uint64_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7 + 3);
  EXPECT_EQ(pwrite(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  return fd;
}
uint8_t device_byte(uint64_t i) {
  return static_cast<uint8_t>(i * 7 + 3);
}

class HypercallsTest : public ::testing::Test {
 protected:
  HypercallsTest()
      : memory_(std::move(GuestMemory::create(kMemory)).value()),
        input_fd_(make_device_file()),
        output_fd_(memfd_create("vmm-test-output", MFD_CLOEXEC)) {
    EXPECT_EQ(ftruncate(output_fd_, kDeviceSize), 0);
    devices_ = {{.fd = input_fd_, .capacity = kDeviceSize, .writable = false},
                {.fd = output_fd_, .capacity = kDeviceSize, .writable = true},
                {.fd = input_fd_, .capacity = 2 * kDeviceSize, .writable = false}};  // lies
  }
  ~HypercallsTest() override {
    close(input_fd_);
    close(output_fd_);
  }

  HypercallHandler handler(sandbox::MessageConsumer* consumer = nullptr) {
    return HypercallHandler(memory_, devices_,
                            {.max_read_bytes = kMaxRead,
                             .max_message_bytes = 256,
                             .max_total_message_bytes = 1024,
                             .consumer = consumer});
  }
  // The host's own view of a struct the test places for the guest (always a valid GPA).
  template <typename T>
  T& at(uint64_t gpa) {
    T* p = memory_.view<T>(gpa, Access::kMonitor);
    if (p == nullptr) std::abort();
    return *p;
  }
  uint8_t* bytes(uint64_t gpa, uint64_t len) {
    return memory_.span(gpa, len, Access::kMonitor)->data();
  }

  GuestMemory memory_;
  int input_fd_;
  int output_fd_;
  std::vector<sandbox::Device> devices_;
};

// --- kBlockRead ---------------------------------------------------------------------------------

struct ReadCase {
  const char* name;
  uint32_t device;
  uint64_t offset;
  uint64_t buffer_gpa;
  uint64_t length;
  uint64_t arg_gpa;
  HypercallVerdict verdict;
  int32_t status;  // when kContinue
};

const ReadCase kReadCases[] = {
    {"InRange", 0, 100, kBuf, 4096, kArg, HypercallVerdict::kContinue, abi::kHcOk},
    {"WholeDevice", 0, 0, kBuf, kMaxRead, kArg, HypercallVerdict::kContinue, abi::kHcOk},
    {"EmptyAtCapacity", 0, kDeviceSize, kBuf, 0, kArg, HypercallVerdict::kContinue, abi::kHcOk},
    {"EndPastCapacity", 0, kDeviceSize - 8, kBuf, 16, kArg, HypercallVerdict::kContinue,
     abi::kHcRange},
    {"OffsetPastCapacity", 0, kDeviceSize + 1, kBuf, 0, kArg, HypercallVerdict::kContinue,
     abi::kHcRange},
    {"OffsetPlusLengthOverflows", 0, kMax - 4, kBuf, 8, kArg, HypercallVerdict::kContinue,
     abi::kHcRange},
    {"LengthAboveMaxRead", 0, 0, kBuf, kMaxRead + 1, kArg, HypercallVerdict::kContinue,
     abi::kHcTooLarge},
    {"ShortHostRead", 2, kDeviceSize, kBuf, 16, kArg, HypercallVerdict::kContinue, abi::kHcIo},
    {"BufferPastMemory", 0, 0, kMemory - 8, 16, kArg, HypercallVerdict::kGuestFault, 0},
    {"BufferFarOutside", 0, 0, 1ull << 40, 16, kArg, HypercallVerdict::kGuestFault, 0},
    {"BufferEndOverflows", 0, 0, kMax - 4, 8, kArg, HypercallVerdict::kGuestFault, 0},
    {"BufferIntoBootInfo", 0, 0, abi::kBootInfoGpa, 16, kArg, HypercallVerdict::kGuestFault, 0},
    {"BufferIntoOpConfig", 0, 0, abi::kOpConfigGpa, 16, kArg, HypercallVerdict::kGuestFault, 0},
    {"BufferIntoPageTables", 0, 0, abi::kPml4Gpa, 16, kArg, HypercallVerdict::kGuestFault, 0},
    {"BufferIntoNullPage", 0, 0, 0, 16, kArg, HypercallVerdict::kGuestFault, 0},
    {"BadDevice", 3, 0, kBuf, 16, kArg, HypercallVerdict::kGuestFault, 0},
    {"HugeDevice", 0xffffffffu, 0, kBuf, 16, kArg, HypercallVerdict::kGuestFault, 0},
    {"ArgOutsideMemory", 0, 0, kBuf, 16, kMemory, HypercallVerdict::kGuestFault, 0},
    {"ArgInBootInfo", 0, 0, kBuf, 16, abi::kBootInfoGpa, HypercallVerdict::kGuestFault, 0},
    {"ArgInGdt", 0, 0, kBuf, 16, abi::kGdtGpa, HypercallVerdict::kGuestFault, 0},
    {"ArgMisaligned", 0, 0, kBuf, 16, kArg + 4, HypercallVerdict::kGuestFault, 0},
    {"ArgStraddlesEnd", 0, 0, kBuf, 16, kMemory - 16, HypercallVerdict::kGuestFault, 0},
};

class BlockReadTest : public HypercallsTest, public ::testing::WithParamInterface<ReadCase> {};

TEST_P(BlockReadTest, ValidatesEveryArgument) {
  const ReadCase& c = GetParam();
  std::memset(bytes(kBuf, kMaxRead), 0xee, kMaxRead);
  if (auto* arg = memory_.view<abi::HcBlockRead>(c.arg_gpa, Access::kMonitor)) {
    *arg = {.device = c.device,
            .status = -1,
            .offset = c.offset,
            .buffer_gpa = c.buffer_gpa,
            .length = c.length};
  }
  HypercallHandler h = handler();
  const HypercallResult r = h.handle(static_cast<uint32_t>(abi::Hypercall::kBlockRead), c.arg_gpa);
  EXPECT_EQ(r.verdict, c.verdict) << r.diagnostic;
  // Only reads that landed count towards the run's counters.
  const bool landed = c.verdict == HypercallVerdict::kContinue && c.status == abi::kHcOk;
  EXPECT_EQ(h.reads(), landed ? 1u : 0u);
  EXPECT_EQ(h.bytes_read(), landed ? c.length : 0u);
  if (c.verdict == HypercallVerdict::kGuestFault) {
    EXPECT_EQ(r.diagnostic.rfind("block read hypercall: ", 0), 0u) << r.diagnostic;
    if (c.arg_gpa == kArg) {
      EXPECT_EQ(at<abi::HcBlockRead>(kArg).status, -1);
    }
    return;
  }
  EXPECT_EQ(at<abi::HcBlockRead>(c.arg_gpa).status, c.status);
  const uint8_t* buf = bytes(kBuf, kMaxRead);
  if (c.status == abi::kHcOk) {
    for (uint64_t i = 0; i < c.length; ++i) ASSERT_EQ(buf[i], device_byte(c.offset + i)) << i;
  } else if (c.status != abi::kHcIo) {
    EXPECT_EQ(buf[0], 0xee) << "nothing read on refusal";
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, BlockReadTest, ::testing::ValuesIn(kReadCases),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

// --- kBlockReadv --------------------------------------------------------------------------------

struct ReadvCase {
  const char* name;
  std::vector<abi::ReadExtent> extents;
  uint32_t count;  // 0: extents.size()
  uint64_t extents_gpa;
  uint32_t reserved;
  HypercallVerdict verdict;
  int32_t status;
};

const std::vector<ReadvCase> kReadvCases = {
    {"ContiguousAndSeparate",
     {{0, kBuf, 100}, {100, kBuf + 200, 50}, {5000, kBuf + 1000, 10}},
     0,
     kExtents,
     0,
     HypercallVerdict::kContinue,
     abi::kHcOk},
    {"NoExtents", {}, 0, kExtents, 0, HypercallVerdict::kContinue, abi::kHcOk},
    {"ExtentPastCapacity",
     {{0, kBuf, 100}, {kDeviceSize - 4, kBuf + 200, 8}},
     0,
     kExtents,
     0,
     HypercallVerdict::kContinue,
     abi::kHcRange},
    {"ExtentOffsetOverflows",
     {{0, kBuf, 100}, {kMax, kBuf + 200, 2}},
     0,
     kExtents,
     0,
     HypercallVerdict::kContinue,
     abi::kHcRange},
    {"TotalAboveMaxRead",
     {{0, kBuf, kMaxRead}, {0, kBuf + kMaxRead, 1}},
     0,
     kExtents,
     0,
     HypercallVerdict::kContinue,
     abi::kHcTooLarge},
    {"TotalLengthOverflows",
     {{0, kBuf, 100}, {0, kBuf, kMax}},
     0,
     kExtents,
     0,
     HypercallVerdict::kContinue,
     abi::kHcTooLarge},
    {"TooManyExtents",
     {},
     abi::kMaxReadvExtents + 1,
     kExtents,
     0,
     HypercallVerdict::kContinue,
     abi::kHcTooLarge},
    {"ReservedSet", {{0, kBuf, 100}}, 0, kExtents, 1, HypercallVerdict::kContinue, abi::kHcInvalid},
    {"ExtentBufferOutsideMemory",
     {{0, kBuf, 100}, {0, kMemory, 8}},
     0,
     kExtents,
     0,
     HypercallVerdict::kGuestFault,
     0},
    {"ExtentBufferInBootInfo",
     {{0, kBuf, 100}, {0, abi::kBootInfoGpa, 8}},
     0,
     kExtents,
     0,
     HypercallVerdict::kGuestFault,
     0},
    {"ExtentArrayOutsideMemory",
     {{0, kBuf, 100}},
     0,
     kMemory - 8,
     0,
     HypercallVerdict::kGuestFault,
     0},
    {"ExtentArrayInPageTables",
     {{0, kBuf, 100}},
     0,
     abi::kPdGpa,
     0,
     HypercallVerdict::kGuestFault,
     0},
};

class BlockReadvTest : public HypercallsTest, public ::testing::WithParamInterface<ReadvCase> {};

TEST_P(BlockReadvTest, ValidatesEveryExtentBeforeReading) {
  const ReadvCase& c = GetParam();
  std::memset(bytes(kBuf, 2 * kMaxRead), 0xee, 2 * kMaxRead);
  const uint32_t count = c.count ? c.count : static_cast<uint32_t>(c.extents.size());
  if (!c.extents.empty() && c.extents_gpa == kExtents) {
    std::memcpy(bytes(kExtents, c.extents.size() * sizeof(abi::ReadExtent)), c.extents.data(),
                c.extents.size() * sizeof(abi::ReadExtent));
  }
  at<abi::HcBlockReadv>(kArg) = {.device = 0,
                                 .count = count,
                                 .extents_gpa = c.extents_gpa,
                                 .status = -1,
                                 .reserved = c.reserved};
  HypercallHandler h = handler();
  const HypercallResult r = h.handle(static_cast<uint32_t>(abi::Hypercall::kBlockReadv), kArg);
  EXPECT_EQ(r.verdict, c.verdict) << r.diagnostic;
  if (c.verdict == HypercallVerdict::kContinue) {
    EXPECT_EQ(at<abi::HcBlockReadv>(kArg).status, c.status);
  }
  const bool read = c.verdict == HypercallVerdict::kContinue && c.status == abi::kHcOk;
  uint64_t total = 0;
  for (const abi::ReadExtent& e : c.extents) total += e.length;
  EXPECT_EQ(h.reads(), read ? count : 0u);
  EXPECT_EQ(h.bytes_read(), read ? total : 0u);
  for (const abi::ReadExtent& e : c.extents) {
    if (!read) {
      EXPECT_EQ(*bytes(kBuf, 1), 0xee) << "all or nothing: no extent was read";
      break;
    }
    const uint8_t* buf = bytes(e.buffer_gpa, e.length);
    for (uint64_t i = 0; i < e.length; ++i) ASSERT_EQ(buf[i], device_byte(e.offset + i));
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, BlockReadvTest, ::testing::ValuesIn(kReadvCases),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

// --- kBlockWrite / kBlockFlush ------------------------------------------------------------------

TEST_F(HypercallsTest, WriteToTheWritableDeviceLandsInTheFile) {
  std::memcpy(bytes(kBuf, 5), "hello", 5);
  at<abi::HcBlockWrite>(kArg) = {
      .device = 1, .status = -1, .offset = 10, .buffer_gpa = kBuf, .length = 5};
  HypercallHandler h = handler();
  EXPECT_EQ(h.handle(static_cast<uint32_t>(abi::Hypercall::kBlockWrite), kArg).verdict,
            HypercallVerdict::kContinue);
  EXPECT_EQ(at<abi::HcBlockWrite>(kArg).status, abi::kHcOk);
  char got[5];
  ASSERT_EQ(pread(output_fd_, got, 5, 10), 5);
  EXPECT_EQ(std::memcmp(got, "hello", 5), 0);
}

TEST_F(HypercallsTest, WriteMayComeFromReadOnlyGuestPages) {
  at<abi::HcBlockWrite>(kArg) = {
      .device = 1, .status = -1, .offset = 0, .buffer_gpa = abi::kBootInfoGpa, .length = 8};
  HypercallHandler h = handler();
  EXPECT_EQ(h.handle(static_cast<uint32_t>(abi::Hypercall::kBlockWrite), kArg).verdict,
            HypercallVerdict::kContinue);
  EXPECT_EQ(at<abi::HcBlockWrite>(kArg).status, abi::kHcOk);
}

TEST_F(HypercallsTest, WriteToAnInputDeviceEndsTheVm) {
  at<abi::HcBlockWrite>(kArg) = {
      .device = 0, .status = -1, .offset = 0, .buffer_gpa = kBuf, .length = 8};
  HypercallHandler h = handler();
  const HypercallResult r = h.handle(static_cast<uint32_t>(abi::Hypercall::kBlockWrite), kArg);
  EXPECT_EQ(r.verdict, HypercallVerdict::kGuestFault);
  EXPECT_NE(r.diagnostic.find("device 0 is read-only"), std::string::npos) << r.diagnostic;
  uint8_t first = 0;
  ASSERT_EQ(pread(input_fd_, &first, 1, 0), 1);
  EXPECT_EQ(first, device_byte(0));
}

TEST_F(HypercallsTest, WriteRangeAndSourceAreChecked) {
  HypercallHandler h = handler();
  at<abi::HcBlockWrite>(kArg) = {
      .device = 1, .status = -1, .offset = kDeviceSize - 4, .buffer_gpa = kBuf, .length = 8};
  EXPECT_EQ(h.handle(static_cast<uint32_t>(abi::Hypercall::kBlockWrite), kArg).verdict,
            HypercallVerdict::kContinue);
  EXPECT_EQ(at<abi::HcBlockWrite>(kArg).status, abi::kHcRange);
  at<abi::HcBlockWrite>(kArg) = {
      .device = 1, .status = -1, .offset = 0, .buffer_gpa = abi::kPtGpa, .length = 8};
  EXPECT_EQ(h.handle(static_cast<uint32_t>(abi::Hypercall::kBlockWrite), kArg).verdict,
            HypercallVerdict::kGuestFault)
      << "host-only pages never leave the VM";
}

TEST_F(HypercallsTest, FlushSucceedsOnOutputsAndReportsReadOnlyOnInputs) {
  HypercallHandler h = handler();
  at<abi::HcBlockFlush>(kArg) = {.device = 1, .status = -1};
  EXPECT_EQ(h.handle(static_cast<uint32_t>(abi::Hypercall::kBlockFlush), kArg).verdict,
            HypercallVerdict::kContinue);
  EXPECT_EQ(at<abi::HcBlockFlush>(kArg).status, abi::kHcOk);
  at<abi::HcBlockFlush>(kArg) = {.device = 0, .status = -1};
  EXPECT_EQ(h.handle(static_cast<uint32_t>(abi::Hypercall::kBlockFlush), kArg).verdict,
            HypercallVerdict::kContinue);
  EXPECT_EQ(at<abi::HcBlockFlush>(kArg).status, abi::kHcReadOnly);
  at<abi::HcBlockFlush>(kArg) = {.device = 9, .status = -1};
  EXPECT_EQ(h.handle(static_cast<uint32_t>(abi::Hypercall::kBlockFlush), kArg).verdict,
            HypercallVerdict::kGuestFault);
}

// --- kEmitMessage / kExit / unknown -------------------------------------------------------------

TEST_F(HypercallsTest, MessagesAreCopiedOutInOrder) {
  HypercallHandler h = handler();
  std::memcpy(bytes(kBuf, 6), "abcdef", 6);
  for (uint64_t len : {3, 6, 0}) {
    at<abi::HcEmitMessage>(kArg) = {.data_gpa = kBuf, .length = len, .status = -1, .reserved = 0};
    EXPECT_EQ(h.handle(static_cast<uint32_t>(abi::Hypercall::kEmitMessage), kArg).verdict,
              HypercallVerdict::kContinue);
    EXPECT_EQ(at<abi::HcEmitMessage>(kArg).status, abi::kHcOk);
  }
  std::memset(bytes(kBuf, 6), 0, 6);  // the host kept copies
  EXPECT_EQ(h.messages(), (std::vector<std::string>{"abc", "abcdef", ""}));
}

TEST_F(HypercallsTest, MessageChecks) {
  struct {
    const char* name;
    uint64_t data_gpa;
    uint64_t length;
    uint32_t reserved;
    HypercallVerdict verdict;
    int32_t status;
  } cases[] = {
      {"from BootInfo", abi::kBootInfoGpa, 16, 0, HypercallVerdict::kContinue, abi::kHcOk},
      {"reserved set", kBuf, 16, 1, HypercallVerdict::kContinue, abi::kHcInvalid},
      {"oversized", kBuf, 257, 0, HypercallVerdict::kResourceLimit, abi::kHcTooLarge},
      {"huge", kBuf, kMax, 0, HypercallVerdict::kResourceLimit, abi::kHcTooLarge},
      {"outside memory", kMemory - 8, 16, 0, HypercallVerdict::kGuestFault, -1},
      {"end overflows", kMax - 4, 16, 0, HypercallVerdict::kGuestFault, -1},
      {"from the GDT", abi::kGdtGpa, 16, 0, HypercallVerdict::kGuestFault, -1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    HypercallHandler h = handler();
    at<abi::HcEmitMessage>(kArg) = {
        .data_gpa = c.data_gpa, .length = c.length, .status = -1, .reserved = c.reserved};
    const HypercallResult r = h.handle(static_cast<uint32_t>(abi::Hypercall::kEmitMessage), kArg);
    EXPECT_EQ(r.verdict, c.verdict) << r.diagnostic;
    EXPECT_EQ(at<abi::HcEmitMessage>(kArg).status, c.status);
    EXPECT_EQ(h.messages().size(), c.status == abi::kHcOk ? 1u : 0u);
  }
}

TEST_F(HypercallsTest, TotalMessageBytesAreCapped) {
  HypercallHandler h = handler();
  at<abi::HcEmitMessage>(kArg) = {.data_gpa = kBuf, .length = 256, .status = -1, .reserved = 0};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(h.handle(static_cast<uint32_t>(abi::Hypercall::kEmitMessage), kArg).verdict,
              HypercallVerdict::kContinue);
  }
  const HypercallResult r = h.handle(static_cast<uint32_t>(abi::Hypercall::kEmitMessage), kArg);
  EXPECT_EQ(r.verdict, HypercallVerdict::kResourceLimit);
  EXPECT_NE(r.diagnostic.find("1024-byte total"), std::string::npos) << r.diagnostic;
  EXPECT_EQ(h.messages().size(), 4u);
}

// With a consumer, each message is handed over during its hypercall and not kept; a refusal
// ends the VM there, so the guest cannot go on emitting.
TEST_F(HypercallsTest, MessagesGoToTheConsumerAndARefusalEndsTheVm) {
  struct Consumer final : sandbox::MessageConsumer {
    bool consume(std::string_view encoded, std::string* why) override {
      seen.emplace_back(encoded);
      if (encoded == "abcdef") {
        *why = "refused";
        return false;
      }
      return true;
    }
    std::vector<std::string> seen;
  } consumer;
  HypercallHandler h = handler(&consumer);
  std::memcpy(bytes(kBuf, 6), "abcdef", 6);
  at<abi::HcEmitMessage>(kArg) = {.data_gpa = kBuf, .length = 3, .status = -1, .reserved = 0};
  EXPECT_EQ(h.handle(static_cast<uint32_t>(abi::Hypercall::kEmitMessage), kArg).verdict,
            HypercallVerdict::kContinue);
  at<abi::HcEmitMessage>(kArg) = {.data_gpa = kBuf, .length = 6, .status = -1, .reserved = 0};
  const HypercallResult r = h.handle(static_cast<uint32_t>(abi::Hypercall::kEmitMessage), kArg);
  EXPECT_EQ(r.verdict, HypercallVerdict::kGuestFault);
  EXPECT_EQ(r.diagnostic, "emit message hypercall: refused");
  EXPECT_EQ(consumer.seen, (std::vector<std::string>{"abc", "abcdef"}));
  EXPECT_TRUE(h.messages().empty());
}

TEST_F(HypercallsTest, ExitReportsTheGuestStatus) {
  HypercallHandler h = handler();
  at<abi::HcExit>(kArg) = {.status = 3, .reserved = 0};
  const HypercallResult r = h.handle(static_cast<uint32_t>(abi::Hypercall::kExit), kArg);
  EXPECT_EQ(r.verdict, HypercallVerdict::kExit);
  EXPECT_EQ(r.exit_status, 3);
  EXPECT_EQ(h.handle(static_cast<uint32_t>(abi::Hypercall::kExit), kMemory).verdict,
            HypercallVerdict::kGuestFault);
}

TEST_F(HypercallsTest, UnknownCallsEndTheVm) {
  HypercallHandler h = handler();
  for (uint32_t call : {0u, static_cast<uint32_t>(abi::Hypercall::kMax), 1000u}) {
    const HypercallResult r = h.handle(call, kArg);
    EXPECT_EQ(r.verdict, HypercallVerdict::kGuestFault) << call;
    EXPECT_NE(r.diagnostic.find("unknown hypercall"), std::string::npos) << r.diagnostic;
  }
}

}  // namespace
}  // namespace instar::vmm
