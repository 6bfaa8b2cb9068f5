// convert_test.cc: the convert copy over memory images: qemu-img 7.2's zero detection (-S), the
// writes it makes onto a raw target, progress, and the op's refusals of bad configurations.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "guest/formats/raw/raw_writer.h"
#include "guest/ops/convert.h"
#include "guest/ops/convert_copy.h"
#include "guest/ops/sparse_scan.h"

namespace instar {
namespace {

// Records every write, so tests see which ranges a conversion touched.
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
  Status flush() override {
    ++flushes;
    return Status::Ok();
  }
  std::vector<uint8_t> bytes;
  std::vector<std::pair<uint64_t, uint64_t>> writes;
  int flushes = 0;
};

class Progress final : public ConvertEventSink {
 public:
  Status progress(uint64_t done, uint64_t total) override {
    events.push_back({done, total});
    return Status::Ok();
  }
  Status salvaged(SalvageKind kind, uint32_t input, uint64_t offset, const Status& error,
                  bool corruption_event) override {
    salvages.push_back({kind, input, offset, error.code(), corruption_event});
    return Status::Ok();
  }
  struct Salvage {
    SalvageKind kind;
    uint32_t input;
    uint64_t offset;
    int code;
    bool corruption_event;
    bool operator==(const Salvage&) const = default;
  };
  std::vector<std::pair<uint64_t, uint64_t>> events;
  std::vector<Salvage> salvages;
};

// A memory image whose reads fail with `code` wherever they touch [bad_start, bad_end).
class FailingSource final : public BlockSource {
 public:
  FailingSource(Bytes data, uint64_t bad_start, uint64_t bad_end, instar_guest_ErrorCode code)
      : data_(data), bad_start_(bad_start), bad_end_(bad_end), code_(code) {}
  uint64_t size() const override { return data_.size; }
  Status read_at(uint64_t offset, MutableBytes out) override {
    if (offset < bad_end_ && bad_start_ < offset + out.size) {
      return Status(code_, offset, out.size);
    }
    std::memcpy(out.data, data_.data + offset, out.size);
    return Status::Ok();
  }

 private:
  Bytes data_;
  uint64_t bad_start_, bad_end_;
  instar_guest_ErrorCode code_;
};

std::vector<uint8_t> sectors(const std::vector<int>& data) {  // 1: data sector, 0: zero sector
  std::vector<uint8_t> out(data.size() * 512, 0);
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i]) out[i * 512 + 7] = 0x5a;
  }
  return out;
}

TEST(SparseScan, ZeroRunsShorterThanMinAreWrittenWithData) {
  // 4 data, 4 zero, 4 data, 16 zero: min 8 keeps the short hole inside the write.
  std::vector<int> layout = {1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1};
  layout.resize(28, 0);
  const std::vector<uint8_t> buf = sectors(layout);
  uint64_t n = 0;
  EXPECT_TRUE(is_allocated_sectors_min(buf.data(), 28, &n, 8, 0, 8));
  EXPECT_EQ(n, 16u);  // 12 data sectors, end aligned up to 8 sectors
  EXPECT_FALSE(is_allocated_sectors_min(buf.data() + 16 * 512, 12, &n, 8, 16, 8));
  EXPECT_EQ(n, 12u);
}

TEST(SparseScan, ZeroRunEndsAlignDownAndShortHeadsCountAsData) {
  const std::vector<uint8_t> buf = sectors({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1});
  uint64_t n = 0;
  // 10 zero sectors from sector 0, alignment 8: the zero run ends at 8.
  EXPECT_FALSE(is_allocated_sectors(buf.data(), 12, &n, 0, 8));
  EXPECT_EQ(n, 8u);
  // From sector 6: 4 zeros end at 10, tail 2 <= 4 so not taken as data; aligned down to 8.
  EXPECT_FALSE(is_allocated_sectors(buf.data() + 6 * 512, 6, &n, 6, 8));
  EXPECT_EQ(n, 2u);
  // From sector 9: one zero sector then data; tail 2 > 1 run: the zero is written as data.
  EXPECT_TRUE(is_allocated_sectors(buf.data() + 9 * 512, 3, &n, 9, 8));
  EXPECT_EQ(n, 3u);
}

struct RawRun {
  std::vector<uint8_t> input;
  ConvertSettings settings;
  bool fresh = true;
  uint64_t bad_start = 0, bad_end = 0;  // reads touching this range fail with bad_code
  instar_guest_ErrorCode bad_code = instar_guest_ErrorCode_ERROR_IO;
};

// Converts a raw memory image onto a recording sink through RawWriter.
ConvertOutcome convert_raw(RawRun run, RecordingSink& sink, Progress* progress) {
  std::vector<uint8_t> arena_memory(8 << 20);
  Arena arena(arena_memory.data(), arena_memory.size());
  FailingSource source(Bytes(run.input.data(), run.input.size()), run.bad_start, run.bad_end,
                       run.bad_code);
  run.settings.progress = progress != nullptr;
  CompareImage image;
  ErrorNames detail;
  EXPECT_TRUE(image.open(source, abi::ImageFormat::kRaw, nullptr, false, arena, &detail).ok());
  std::vector<uint8_t> zeros(4096, 0), buf(kConvertBufSectors * 512);
  raw::RawWriter writer(sink, run.input.size(), run.fresh, true, Bytes(zeros.data(), 4096));
  ConvertInput input{&image};
  return convert_copy(&input, 1, writer, run.settings, buf.data(), progress);
}

TEST(ConvertCopy, FreshRawTargetGetsOnlyTheDataRuns) {
  RawRun run;
  run.input.assign(6 << 20, 0);
  std::memset(run.input.data() + 4096, 1, 8192);      // data at 4k..12k
  std::memset(run.input.data() + (5 << 20), 2, 512);  // one sector at 5M
  run.settings.has_zero_init = true;
  RecordingSink sink(run.input.size());
  Progress progress;
  const ConvertOutcome o = convert_raw(run, sink, &progress);
  ASSERT_EQ(o.kind, instar_guest_ConvertKind_CONVERT_DONE);
  const std::vector<std::pair<uint64_t, uint64_t>> expected = {{4096, 8192}, {5u << 20, 4096}};
  EXPECT_EQ(sink.writes, expected);  // the 512-byte write is aligned up to -S's 4 KiB
  EXPECT_EQ(sink.flushes, 1);
  // Raw without an extent map is all data: 3 chunks of 2 MiB, progress after each.
  const std::vector<std::pair<uint64_t, uint64_t>> events = {
      {4096, 12288}, {8192, 12288}, {12288, 12288}};
  EXPECT_EQ(progress.events, events);
  for (size_t i = 0; i < run.input.size(); ++i) {
    if (sink.bytes[i] != 0xee) {
      ASSERT_EQ(sink.bytes[i], run.input[i]) << i;
    }
  }
}

TEST(ConvertCopy, FailedReadEndsTheCopyWithoutSalvage) {
  RawRun run;
  run.input.assign(3 << 20, 7);
  run.bad_start = (1 << 20) + 100;
  run.bad_end = (1 << 20) + 600;
  run.settings.has_zero_init = true;
  RecordingSink sink(run.input.size());
  const ConvertOutcome o = convert_raw(run, sink, nullptr);
  EXPECT_EQ(o.kind, instar_guest_ConvertKind_CONVERT_READ_FAILED);
  EXPECT_EQ(o.offset, 0u);  // the chunk's start: qemu's "error while reading at byte 0"
  EXPECT_EQ(o.error.code(), instar_guest_ErrorCode_ERROR_IO);
}

TEST(ConvertCopy, SalvageReadsFailingSectorsAsZerosOneByOne) {
  RawRun run;
  run.input.assign(3 << 20, 7);
  run.bad_start = (1 << 20) + 100;  // sectors 2048 and 2049
  run.bad_end = (1 << 20) + 600;
  run.settings.has_zero_init = true;
  run.settings.salvage = true;
  RecordingSink sink(run.input.size());
  Progress events;
  const ConvertOutcome o = convert_raw(run, sink, &events);
  ASSERT_EQ(o.kind, instar_guest_ConvertKind_CONVERT_DONE);
  const std::vector<Progress::Salvage> expected = {
      {SalvageKind::kRead, 0, 1u << 20, instar_guest_ErrorCode_ERROR_IO, false},
      {SalvageKind::kRead, 0, (1u << 20) + 512, instar_guest_ErrorCode_ERROR_IO, false}};
  EXPECT_EQ(events.salvages, expected);
  for (size_t i = 0; i < run.input.size(); ++i) {
    const bool lost = i >= (1u << 20) && i < (1u << 20) + 1024;
    // The two zeroed sectors are too short a run for -S's 4 KiB: written as data, as zeros.
    ASSERT_EQ(sink.bytes[i], lost ? 0 : 7) << i;
  }
}

TEST(ConvertCopy, SalvageDoesNotSwallowInstarRefusals) {
  RawRun run;
  run.input.assign(1 << 20, 7);
  run.settings.salvage = true;
  run.bad_start = 512 << 10;  // past the head the open reads
  run.bad_end = (512 << 10) + 512;
  run.bad_code = instar_guest_ErrorCode_ERROR_UNSUPPORTED_OP;  // not an I/O failure of qemu's
  RecordingSink sink(run.input.size());
  Progress events;
  const ConvertOutcome o = convert_raw(run, sink, &events);
  EXPECT_EQ(o.kind, instar_guest_ConvertKind_CONVERT_READ_FAILED);
  EXPECT_TRUE(events.salvages.empty());
  // Without an event sink a salvaged sector cannot be reported: that fails too.
  run.bad_code = instar_guest_ErrorCode_ERROR_IO;
  EXPECT_NE(convert_raw(run, sink, nullptr).kind, instar_guest_ConvertKind_CONVERT_DONE);
}

TEST(ConvertCopy, NoSparseDetectionWritesEverything) {
  RawRun run;
  run.input.assign(3 << 20, 0);
  run.input[100] = 9;
  run.settings.min_sparse = 0;
  run.settings.alignment = 1;
  RecordingSink sink(run.input.size());
  ASSERT_EQ(convert_raw(run, sink, nullptr).kind, instar_guest_ConvertKind_CONVERT_DONE);
  EXPECT_EQ(sink.bytes, run.input);
  const std::vector<std::pair<uint64_t, uint64_t>> expected = {{0, 2 << 20}, {2 << 20, 1 << 20}};
  EXPECT_EQ(sink.writes, expected);
}

TEST(ConvertCopy, ExistingTargetGetsZerosWritten) {
  RawRun run;
  run.input.assign(1 << 20, 0);
  run.input[0] = 1;
  run.fresh = false;  // -n: the target is not known to read as zeros
  RecordingSink sink(run.input.size());
  ASSERT_EQ(convert_raw(run, sink, nullptr).kind, instar_guest_ConvertKind_CONVERT_DONE);
  EXPECT_EQ(sink.bytes, run.input);  // no 0xee byte is left
}

// A convert of one raw input (device 0) of `size` bytes onto device 1 in `format`.
abi::OpConfig one_raw_input(uint64_t size, abi::ImageFormat format) {
  abi::OpConfig op{};
  op.op = static_cast<uint32_t>(abi::Op::kConvert);
  op.convert_input_count = 1;
  op.convert_chain_length[0] = 1;
  op.convert_chain[0][0] = {0, static_cast<uint32_t>(abi::ImageFormat::kRaw), abi::kNoDevice,
                            abi::kNoDevice, abi::kAllocationUnknown};
  op.output_device = 1;
  op.output_format = static_cast<uint32_t>(format);
  op.output_size = size;
  return op;
}

TEST(ConvertOp, RefusesAnOutputThatIsNotWritableOrTooSmall) {
  std::vector<uint8_t> image(1 << 20, 3), arena_memory(16 << 20), messages(1 << 16);
  Arena arena(arena_memory.data(), arena_memory.size());
  MemoryBlockSource source(Bytes(image.data(), image.size()));
  RecordingSink small(4096);
  BlockSource* devices[2] = {&source, &source};
  abi::OpConfig op = one_raw_input(image.size(), abi::ImageFormat::kRaw);
  for (BlockSink* sink_of_1 : {static_cast<BlockSink*>(nullptr), static_cast<BlockSink*>(&small)}) {
    BlockSink* sinks[2] = {nullptr, sink_of_1};
    MemoryMessageSink out(messages.data(), messages.size());
    ASSERT_TRUE(run_convert(op, devices, sinks, 2, out, arena).ok());
    EXPECT_TRUE(small.writes.empty());
  }
}

// -O qcow2: make_writer() creates the image from OpConfig's options, and create()'s checks fail
// before anything is written.
TEST(ConvertOp, WritesAQcow2TargetFromItsCreationOptions) {
  std::vector<uint8_t> image(1 << 20, 3), arena_memory(16 << 20), messages(1 << 16);
  MemoryBlockSource source(Bytes(image.data(), image.size()));
  abi::OpConfig op = one_raw_input(image.size(), abi::ImageFormat::kQcow2);
  op.min_sparse_sectors = 8;
  op.qcow2_refcount_bits = 16;
  for (const uint32_t cluster_size : {65536u, 1000u}) {
    Arena arena(arena_memory.data(), arena_memory.size());
    op.qcow2_cluster_size = cluster_size;
    RecordingSink target(4 << 20);
    MemoryBlockSource readback(Bytes(target.bytes.data(), target.bytes.size()));
    BlockSource* devices[2] = {&source, &readback};
    BlockSink* sinks[2] = {nullptr, &target};
    MemoryMessageSink out(messages.data(), messages.size());
    ASSERT_TRUE(run_convert(op, devices, sinks, 2, out, arena).ok());
    if (cluster_size == 1000) {
      EXPECT_TRUE(target.writes.empty());
      continue;
    }
    const uint8_t magic[4] = {'Q', 'F', 'I', 0xfb};
    EXPECT_EQ(std::memcmp(target.bytes.data(), magic, 4), 0);
    EXPECT_EQ(target.bytes[7], 3);  // compat 1.1
    // The data follows the header, refcount table and block, L1 and L2 tables (5 clusters).
    EXPECT_EQ(std::memcmp(target.bytes.data() + 5 * 65536, image.data(), image.size()), 0);
  }
}

}  // namespace
}  // namespace instar
