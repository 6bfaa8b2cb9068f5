// compare_op_fuzzer.cc: the guest `compare` op over two images held in memory, both opened,
// block-status walked and read as qemu-img 7.2's img_compare does.
//
// Input layout: u32 little-endian length L of image 0 (taken modulo the bytes that follow), one
// flags byte (bit 0: strict, bit 1: force qcow2 for image 0, bit 2: for image 1), then image 0
// (L bytes) and image 1 (the rest). scripts/fuzz-seeds writes seeds in this layout.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "fuzz/op_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kPrefix = 5;
  if (size < kPrefix) return 0;
  uint32_t first = 0;
  std::memcpy(&first, data, sizeof(first));
  const uint8_t flags = data[4];
  const size_t rest = size - kPrefix;
  const size_t first_size = rest == 0 ? 0 : first % (rest + 1);
  const instar::Bytes images[2] = {instar::Bytes(data + kPrefix, first_size),
                                   instar::Bytes(data + kPrefix + first_size, rest - first_size)};
  instar::abi::OpConfig op{};
  op.op = static_cast<uint32_t>(instar::abi::Op::kCompare);
  op.flags = (flags & 1) != 0 ? uint32_t{instar::abi::kOpFlagStrict} : 0u;
  op.input_device[0] = 0;
  op.input_device[1] = 1;
  op.input_format[0] = instar::fuzz::chosen_format((flags & 2) != 0);
  op.input_format[1] = instar::fuzz::chosen_format((flags & 4) != 0);
  instar::fuzz::run_guest_op(op, images, 2);
  return 0;
}
