// readv_batches_test.cc: batched reads are cut within the extent and byte caps, losing nothing.
#include "guest/platform/kvm/readv_batches.h"

#include <gtest/gtest.h>

#include <vector>

namespace instar::kvm {
namespace {

struct Batch {
  std::vector<abi::ReadExtent> extents;
  uint64_t bytes() const {
    uint64_t n = 0;
    for (const abi::ReadExtent& e : extents) n += e.length;
    return n;
  }
};

std::vector<Batch> batches_of(const std::vector<ReadRequest>& requests, uint64_t max_bytes,
                              uint32_t max_extents, Status* status = nullptr,
                              size_t fail_at = SIZE_MAX) {
  std::vector<abi::ReadExtent> scratch(max_extents);
  std::vector<Batch> out;
  Status s = for_each_readv_batch(
      requests.data(), static_cast<uint32_t>(requests.size()), max_bytes, scratch.data(),
      max_extents, [&](const abi::ReadExtent* extents, uint32_t n) {
        if (out.size() == fail_at) return Status(instar_guest_ErrorCode_ERROR_IO, 7, 8);
        out.push_back(Batch{std::vector<abi::ReadExtent>(extents, extents + n)});
        return Status::Ok();
      });
  if (status != nullptr) *status = s;
  return out;
}

uint64_t gpa(const uint8_t* p) {
  return reinterpret_cast<uintptr_t>(p);
}

TEST(ReadvBatches, SmallRequestsShareOneBatch) {
  uint8_t buffer[64];
  const std::vector<ReadRequest> requests = {{100, {buffer, 16}}, {0, {buffer + 16, 48}}};
  const auto batches = batches_of(requests, 1024, 8);
  ASSERT_EQ(batches.size(), 1u);
  ASSERT_EQ(batches[0].extents.size(), 2u);
  EXPECT_EQ(batches[0].extents[0].offset, 100u);
  EXPECT_EQ(batches[0].extents[0].buffer_gpa, gpa(buffer));
  EXPECT_EQ(batches[0].extents[0].length, 16u);
  EXPECT_EQ(batches[0].extents[1].offset, 0u);
  EXPECT_EQ(batches[0].extents[1].buffer_gpa, gpa(buffer + 16));
  EXPECT_EQ(batches[0].extents[1].length, 48u);
}

TEST(ReadvBatches, ExtentCountCapStartsANewBatch) {
  uint8_t buffer[10];
  std::vector<ReadRequest> requests;
  for (uint8_t i = 0; i < 10; ++i) requests.push_back({i * 512u, {buffer + i, 1}});
  const auto batches = batches_of(requests, 1 << 20, 4);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].extents.size(), 4u);
  EXPECT_EQ(batches[1].extents.size(), 4u);
  EXPECT_EQ(batches[2].extents.size(), 2u);
  EXPECT_EQ(batches[2].extents[1].offset, 9u * 512);
}

TEST(ReadvBatches, LargeRequestIsSplitAcrossBatchesByTheByteCap) {
  std::vector<uint8_t> buffer(2500);
  const std::vector<ReadRequest> requests = {{10, {buffer.data(), 100}},
                                             {5000, {buffer.data() + 100, 2400}}};
  const auto batches = batches_of(requests, 1000, 8);
  ASSERT_EQ(batches.size(), 3u);
  for (const Batch& batch : batches) EXPECT_LE(batch.bytes(), 1000u);
  // Concatenated, the extents cover every requested byte exactly once, in order.
  uint64_t expected_offset = 5000;
  uint64_t expected_gpa = gpa(buffer.data() + 100);
  uint64_t total = 0;
  for (const Batch& batch : batches) {
    for (const abi::ReadExtent& e : batch.extents) {
      total += e.length;
      if (e.offset == 10) continue;
      EXPECT_EQ(e.offset, expected_offset);
      EXPECT_EQ(e.buffer_gpa, expected_gpa);
      expected_offset += e.length;
      expected_gpa += e.length;
    }
  }
  EXPECT_EQ(total, 2500u);
  EXPECT_EQ(expected_offset, 7400u);
}

TEST(ReadvBatches, ZeroLengthRequestsProduceNothing) {
  uint8_t buffer[1];
  const std::vector<ReadRequest> requests = {{0, {buffer, 0}}, {5, {buffer, 0}}};
  EXPECT_TRUE(batches_of(requests, 16, 4).empty());
  EXPECT_TRUE(batches_of({}, 16, 4).empty());
}

TEST(ReadvBatches, StopsAtTheFirstFailedBatch) {
  uint8_t buffer[8];
  std::vector<ReadRequest> requests;
  for (uint8_t i = 0; i < 8; ++i) requests.push_back({i, {buffer + i, 1}});
  Status status;
  const auto batches = batches_of(requests, 1 << 20, 2, &status, 1);
  EXPECT_EQ(batches.size(), 1u);
  EXPECT_EQ(status.code(), instar_guest_ErrorCode_ERROR_IO);
  EXPECT_EQ(status.arg(0), 7u);
}

TEST(ReadvBatches, RangeCheckRefusesOverflowAndPastEnd) {
  EXPECT_TRUE(check_read_range(100, 0, 100).ok());
  EXPECT_TRUE(check_read_range(100, 100, 0).ok());
  EXPECT_FALSE(check_read_range(100, 99, 2).ok());
  EXPECT_FALSE(check_read_range(100, 101, 0).ok());
  const Status wrap = check_read_range(UINT64_MAX, UINT64_MAX - 1, 4);
  EXPECT_EQ(wrap.code(), instar_guest_ErrorCode_ERROR_IO);
  EXPECT_EQ(wrap.arg(0), UINT64_MAX - 1);
  EXPECT_EQ(wrap.arg(1), 4u);
}

}  // namespace
}  // namespace instar::kvm
