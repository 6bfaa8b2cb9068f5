// info_op_fuzzer.cc: the whole guest `info` path (probe, qcow2 open, extensions, snapshot table,
// bitmap directory, message encoding) over an arbitrary image held in memory.
#include <cstddef>
#include <cstdint>

#include "fuzz/op_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  instar::abi::OpConfig op{};
  op.op = static_cast<uint32_t>(instar::abi::Op::kInfo);
  // Both the probing path and the forced-qcow2 path, chosen by the input's last byte.
  op.input_format[0] = instar::fuzz::chosen_format(size > 0 && (data[size - 1] & 1));
  const instar::Bytes image(data, size);
  instar::fuzz::run_guest_op(op, &image, 1);
  return 0;
}
