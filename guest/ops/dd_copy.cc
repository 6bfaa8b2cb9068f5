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
  // Every piece but the last fills the buffer, a multiple of 512: only the last can end inside a
  // sector, and the rest of that sector is the new target's zeros.
  uint64_t copied = 0;
  while (copied < length) {
    const uint64_t n = length - copied < buf_size ? length - copied : buf_size;
    const Status read = input.read(input_offset + copied, MutableBytes(buf, n));
    if (!read.ok()) {
      return failure(instar_guest_ConvertKind_CONVERT_READ_FAILED, input_offset + copied, read);
    }
    const uint64_t out = (n + sector - 1) / sector * sector;
    fill_bytes(buf + n, 0, out - n);
    const Status st = target.write(copied, Bytes(buf, out));
    if (!st.ok()) return failure(instar_guest_ConvertKind_CONVERT_WRITE_FAILED, copied, st);
    copied += n;
  }
  const Status finished = target.finish();
  if (!finished.ok()) return failure(instar_guest_ConvertKind_CONVERT_FLUSH_FAILED, 0, finished);
  return ConvertOutcome();
}

}  // namespace instar
