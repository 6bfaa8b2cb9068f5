// refcount_walk_fuzzer.cc: refcount entries of every width (1 to 64 bits) and the check op's
// walk over refcount tables and blocks of that width.
//
// Input layout: byte 0 picks refcount_order (n % 7), the rest is a refcount block. Every entry
// get_refcount() decodes is compared with a bit-by-bit reading of the qcow2 spec's layout, and
// set_refcount() must change exactly the entry it writes. When the rest is a version 3 qcow2
// image, its refcount_order is replaced by the chosen one and the check op walks it, so each
// image's reftable and refblocks are also decoded at every width.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "fuzz/op_harness.h"
#include "guest/formats/qcow2/refcount_entries.h"

namespace {

constexpr uint64_t kMaxEntries = 4096;  // entries compared per input, to keep runs fast
constexpr size_t kRefcountOrderOffset = 96;

// The spec's layout read one bit at a time: entries below 8 bits are packed from bit 0 of each
// byte upwards (entry 0 in the low bits), wider entries are big-endian byte strings.
uint64_t spec_refcount(const std::vector<uint8_t>& block, uint64_t index, uint32_t order) {
  const uint32_t width = 1u << order;
  if (width < 8) {
    uint64_t value = 0;
    for (uint32_t j = 0; j < width; ++j) {
      const uint64_t bit = index * width + j;
      value |= uint64_t{(block[bit / 8] >> (bit % 8)) & 1u} << j;
    }
    return value;
  }
  uint64_t value = 0;
  for (uint32_t j = 0; j < width / 8; ++j) value = (value << 8) | block[index * (width / 8) + j];
  return value;
}

void check_entries(std::vector<uint8_t> block, uint32_t order) {
  using instar::qcow2::get_refcount;
  const uint64_t entries = block.size() * 8 >> order;
  const uint64_t count = entries < kMaxEntries ? entries : kMaxEntries;
  if (count == 0) return;
  // refcount_array_bytes() is the inverse: `entries` fit in the block, one more does not.
  if (instar::qcow2::refcount_array_bytes(entries, order) > block.size() ||
      instar::qcow2::refcount_array_bytes(entries + 1, order) <= block.size()) {
    std::abort();
  }
  for (uint64_t i = 0; i < count; ++i) {
    if (get_refcount(block.data(), i, order) != spec_refcount(block, i, order)) std::abort();
  }
  // Write entry k with entry k+1's bits inverted, then every entry must read as before but k.
  const std::vector<uint8_t> before = block;
  const uint64_t k = block[0] % count;
  const uint64_t value =
      ~spec_refcount(before, (k + 1) % count, order) & instar::qcow2::refcount_max(order);
  instar::qcow2::set_refcount(block.data(), k, order, value);
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t expected = i == k ? value : spec_refcount(before, i, order);
    if (get_refcount(block.data(), i, order) != expected) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint32_t order = data[0] % 7;
  std::vector<uint8_t> rest(data + 1, data + size);
  check_entries(rest, order);

  const bool v3_qcow2 = rest.size() >= kRefcountOrderOffset + 4 && rest[0] == 'Q' &&
                        rest[1] == 'F' && rest[2] == 'I' && rest[3] == 0xfb && rest[4] == 0 &&
                        rest[5] == 0 && rest[6] == 0 && rest[7] == 3;
  if (!v3_qcow2) return 0;
  rest[kRefcountOrderOffset + 0] = 0;
  rest[kRefcountOrderOffset + 1] = 0;
  rest[kRefcountOrderOffset + 2] = 0;
  rest[kRefcountOrderOffset + 3] = static_cast<uint8_t>(order);
  instar::abi::OpConfig op{};
  op.op = static_cast<uint32_t>(instar::abi::Op::kCheck);
  op.input_format[0] = instar::fuzz::chosen_format(true);
  const instar::Bytes image(rest.data(), rest.size());
  instar::fuzz::run_guest_op(op, &image, 1);
  return 0;
}
