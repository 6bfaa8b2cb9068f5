// check_op_fuzzer.cc: the guest `check` op (qcow2 open, refcount rebuild over L1/L2, snapshot,
// refcount and bitmap tables, comparison with the on-disk refcounts, OFLAG_COPIED pass) over an
// arbitrary image held in memory.
#include <cstddef>
#include <cstdint>

#include "fuzz/op_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  instar::abi::OpConfig op{};
  op.op = static_cast<uint32_t>(instar::abi::Op::kCheck);
  // As in info_op_fuzzer: the last byte picks probing or forced qcow2.
  op.input_format[0] = instar::fuzz::chosen_format(size > 0 && (data[size - 1] & 1));
  const instar::Bytes image(data, size);
  instar::fuzz::run_guest_op(op, &image, 1);
  return 0;
}
