// dd_copy_test.cc: img_dd's copy loop over memory images: unaligned ranges carried into
// 512-aligned writes in order, zeros written as data, and ranges outside the input refused.
#include "guest/ops/dd_copy.h"

#include <gtest/gtest.h>

#include <cstring>
#include <utility>
#include <vector>

#include "guest/formats/raw/raw_writer.h"
#include "guest/ops/sparse_scan.h"

namespace instar {
namespace {

class RecordingSink final : public BlockSink {
 public:
  explicit RecordingSink(uint64_t size) : bytes(size, 0xee) {}
  uint64_t size() const override { return bytes.size(); }
  Status write_at(uint64_t offset, Bytes data) override {
    if (offset + data.size > bytes.size()) return Status(instar_guest_ErrorCode_ERROR_IO);
    std::memcpy(bytes.data() + offset, data.data, data.size);
    writes.push_back({offset, data.size});
    return Status::Ok();
  }
  Status flush() override { return Status::Ok(); }
  std::vector<uint8_t> bytes;
  std::vector<std::pair<uint64_t, uint64_t>> writes;
};

struct DdRun {
  std::vector<uint8_t> input;
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t buf_size = 1024;
};

ConvertOutcome dd_raw(const DdRun& run, RecordingSink& sink) {
  std::vector<uint8_t> arena_memory(1 << 20);
  Arena arena(arena_memory.data(), arena_memory.size());
  MemoryBlockSource source(Bytes(run.input.data(), run.input.size()));
  CompareImage image;
  ErrorNames detail;
  EXPECT_TRUE(image.open(source, abi::ImageFormat::kRaw, nullptr, false, arena, &detail).ok());
  std::vector<uint8_t> zeros(4096, 0), buf(run.buf_size);
  raw::RawWriter writer(sink, sink.size(), true, true, Bytes(zeros.data(), zeros.size()));
  return dd_copy(image, run.offset, run.length, writer, buf.data(), run.buf_size);
}

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(i * 7 + 1);
  return out;
}

TEST(DdCopy, UnalignedRangeIsWrittenInAlignedPiecesInOrder) {
  DdRun run;
  run.input = pattern(5120);
  run.offset = 1000;  // bs=1000 skip=1
  run.length = 3100;
  RecordingSink sink(3584);  // the length rounded up to 512, as the drivers create it
  ASSERT_EQ(dd_raw(run, sink).kind, instar_guest_ConvertKind_CONVERT_DONE);
  for (uint64_t i = 0; i < run.length; ++i) ASSERT_EQ(sink.bytes[i], run.input[1000 + i]) << i;
  for (uint64_t i = run.length; i < sink.size(); ++i) ASSERT_EQ(sink.bytes[i], 0) << i;
  uint64_t next = 0;
  for (const auto& [offset, size] : sink.writes) {
    EXPECT_EQ(offset, next);
    EXPECT_EQ(offset % 512, 0u);
    EXPECT_EQ(size % 512, 0u);
    next = offset + size;
  }
  EXPECT_EQ(next, sink.size());
}

TEST(DdCopy, ZerosAreWrittenAsData) {
  DdRun run;
  run.input.assign(8192, 0);
  run.length = 8192;
  run.buf_size = 4096;
  RecordingSink sink(8192);
  ASSERT_EQ(dd_raw(run, sink).kind, instar_guest_ConvertKind_CONVERT_DONE);
  const std::vector<std::pair<uint64_t, uint64_t>> expected = {{0, 4096}, {4096, 4096}};
  EXPECT_EQ(sink.writes, expected);
  EXPECT_EQ(sink.bytes, run.input);
}

TEST(DdCopy, EmptyRangeWritesNothing) {
  DdRun run;
  run.input = pattern(1024);
  run.offset = 1024;  // skip to the very end
  RecordingSink sink(0);
  ASSERT_EQ(dd_raw(run, sink).kind, instar_guest_ConvertKind_CONVERT_DONE);
  EXPECT_TRUE(sink.writes.empty());
}

TEST(DdCopy, RangeOutsideTheInputOrTargetIsRefused) {
  DdRun run;
  run.input = pattern(1024);
  run.offset = 512;
  run.length = 1000;  // past the input's end
  RecordingSink sink(1024);
  ConvertOutcome o = dd_raw(run, sink);
  EXPECT_EQ(o.kind, instar_guest_ConvertKind_CONVERT_WRITE_FAILED);
  EXPECT_EQ(o.error.code(), instar_guest_ErrorCode_ERROR_BAD_CONFIG);
  run.length = 512;
  RecordingSink small(0);  // a target too small for the range
  o = dd_raw(run, small);
  EXPECT_EQ(o.error.code(), instar_guest_ErrorCode_ERROR_BAD_CONFIG);
  EXPECT_TRUE(small.writes.empty());
}

}  // namespace
}  // namespace instar
