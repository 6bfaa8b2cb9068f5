// dd_copy.cc: img_dd's blk_pread / blk_pwrite loop (qemu-img.c 7.2) in 512-aligned writes.
#include "guest/ops/dd_copy.h"

#include "guest/lib/mem.h"
#include "guest/ops/sparse_scan.h"

namespace instar {

namespace {

ConvertOutcome failure(instar_guest_ConvertKind kind, uint64_t offset, const Status& error) {
  ConvertOutcome o;
  o.kind = kind;
  o.offset = offset;
  o.error = error;
  return o;
}

}  // namespace

ConvertOutcome dd_copy(CompareImage& input, uint64_t input_offset, uint64_t length,
                       ImageWriter& target, uint8_t* buf, uint64_t buf_size) {
  const uint64_t sector = kSectorSize;
  if (buf_size < 2 * sector || buf_size % sector != 0 || input_offset > input.length() ||
      length > input.length() - input_offset ||
      (length + sector - 1) / sector * sector > target.size()) {
    return failure(instar_guest_ConvertKind_CONVERT_WRITE_FAILED, 0,
                   Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG));
  }
  uint64_t copied = 0;   // input bytes read so far
  uint64_t written = 0;  // output bytes written so far (a multiple of 512)
  uint64_t carry = 0;    // bytes at buf's start read but not written yet (< 512)
  while (copied < length) {
    const uint64_t n = length - copied < buf_size - carry ? length - copied : buf_size - carry;
    const Status read = input.read(input_offset + copied, MutableBytes(buf + carry, n));
    if (!read.ok()) {
      return failure(instar_guest_ConvertKind_CONVERT_READ_FAILED, input_offset + copied, read);
    }
    copied += n;
    uint64_t have = carry + n;
    uint64_t out = have / sector * sector;
    if (copied == length && out < have) {
      // The last partial sector: the rest of it is the new target's zeros.
      out += sector;
      fill_bytes(buf + have, 0, out - have);
      have = out;
    }
    if (out != 0) {
      const Status st = target.write(written, Bytes(buf, out));
      if (!st.ok()) return failure(instar_guest_ConvertKind_CONVERT_WRITE_FAILED, written, st);
      written += out;
    }
    carry = have - out;
    if (out != 0 && carry != 0) copy_bytes(buf, buf + out, carry);  // no overlap: carry < 512
  }
  const Status finished = target.finish();
  if (!finished.ok()) return failure(instar_guest_ConvertKind_CONVERT_FLUSH_FAILED, 0, finished);
  return ConvertOutcome();
}

}  // namespace instar
