// convert_op_fuzzer.cc: the guest `convert` op on a fuzzed image (probed or forced qcow2) into an
// in-memory output device, as raw or as qcow2 (with -c, zlib or zstd), checking that a raw
// target is never written past its planned end (the input's virtual size).
//
// Input layout: one flags byte, then the image. Flags: bit 0 qcow2 output, bit 1 -c (qcow2 only),
// bit 2 zstd (with -c), bit 3 force qcow2 input, bits 4-5 -S (0, 1, 8 or 128 sectors), bit 6
// 4 KiB target clusters, bit 7 -p. scripts/fuzz-seeds writes seeds in this layout.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "fuzz/op_harness.h"
#include "guest/lib/memory_block_sink.h"

namespace {

// A virtual size above this is still opened, but the output device is too small to convert onto
// (the guest refuses it): the fuzzer spends its time on images it can convert in milliseconds.
constexpr uint64_t kMaxConvertedSize = 32u << 20;

// The output device: memory of `capacity` bytes (its size, as a file device's capacity is), with
// every write checked against the end the conversion plans (`planned_end`).
class PlannedOutput final : public instar::BlockSink, public instar::BlockSource {
 public:
  PlannedOutput(instar::MutableBytes memory, uint64_t planned_end)
      : memory_(memory), capacity_(memory.size), planned_end_(planned_end) {}
  uint64_t size() const override { return capacity_; }
  instar::Status write_at(uint64_t offset, instar::Bytes data) override {
    // A raw target is the guest data itself: nothing may land past the virtual size.
    if (offset > planned_end_ || data.size > planned_end_ - offset) std::abort();
    return memory_.write_at(offset, data);
  }
  instar::Status flush() override { return memory_.flush(); }
  instar::Status read_at(uint64_t offset, instar::MutableBytes out) override {
    return memory_.read_at(offset, out);
  }

 private:
  instar::MemoryBlockSink memory_;
  uint64_t capacity_;
  uint64_t planned_end_;
};

uint64_t be64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
  return v;
}

// The virtual size the guest will find: a qcow2 header's size field, else the raw length rounded
// up to whole sectors (as the host computes a raw input's size).
uint64_t virtual_size(instar::Bytes image, bool force_qcow2) {
  const bool qcow2 =
      image.size >= 32 && image[0] == 'Q' && image[1] == 'F' && image[2] == 'I' && image[3] == 0xfb;
  if (qcow2 || (force_qcow2 && image.size >= 32)) return be64(image.data + 24);
  return (image.size + 511) / 512 * 512;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t flags = data[0];
  const instar::Bytes image(data + 1, size - 1);
  const bool qcow2_output = (flags & 1) != 0;
  const bool force_qcow2 = (flags & 8) != 0;
  static constexpr uint32_t kSparse[4] = {0, 1, 8, 128};

  instar::abi::OpConfig op{};
  op.op = static_cast<uint32_t>(instar::abi::Op::kConvert);
  op.convert_input_count = 1;
  op.convert_chain_length[0] = 1;
  op.convert_chain[0][0] = {0, instar::fuzz::chosen_format(force_qcow2), instar::abi::kNoDevice,
                            instar::abi::kNoDevice, instar::abi::kAllocationUnknown};
  op.output_device = 1;
  op.output_format = static_cast<uint32_t>(qcow2_output ? instar::abi::ImageFormat::kQcow2
                                                        : instar::abi::ImageFormat::kRaw);
  op.output_size = virtual_size(image, force_qcow2);
  op.min_sparse_sectors = kSparse[(flags >> 4) & 3];
  if (qcow2_output && (flags & 2) != 0) op.convert_flags |= instar::abi::kConvertCompress;
  // 0x80: both kinds of event message, -p's progress and --salvage's salvaged sectors.
  if ((flags & 0x80) != 0) {
    op.convert_flags |= instar::abi::kConvertProgress | instar::abi::kConvertSalvage;
  }
  op.qcow2_cluster_size = (flags & 0x40) != 0 ? 4096 : 65536;
  op.qcow2_refcount_bits = 16;
  op.qcow2_compression_type = (flags & 4) != 0 ? 1 : 0;

  // Raw: exactly the virtual size. qcow2: the data plus room for every table of 4 KiB clusters.
  const uint64_t vsize = op.output_size <= kMaxConvertedSize ? op.output_size : 0;
  const uint64_t capacity = qcow2_output ? vsize + vsize / 8 + (1u << 20) : vsize;
  static std::vector<uint8_t> memory(kMaxConvertedSize + kMaxConvertedSize / 8 + (1u << 20));
  PlannedOutput output(instar::MutableBytes(memory.data(), capacity),
                       qcow2_output ? capacity : vsize);
  instar::fuzz::run_guest_op(op, &image, 1, {&output, &output});
  return 0;
}
