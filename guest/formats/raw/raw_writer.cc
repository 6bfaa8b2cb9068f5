// raw_writer.cc: raw output: every write goes to the same offset of the output device.
#include "guest/formats/raw/raw_writer.h"

namespace instar::raw {

Status RawWriter::check_range(uint64_t offset, uint64_t bytes) const {
  if (offset > size_ || bytes > size_ - offset) {
    return Status(instar_guest_ErrorCode_ERROR_IO, offset, bytes);
  }
  return Status::Ok();
}

Status RawWriter::write(uint64_t offset, Bytes data) {
  INSTAR_TRY(check_range(offset, data.size));
  return sink_.write_at(offset, data);
}

Status RawWriter::write_compressed(uint64_t offset, Bytes data) {
  return Status(instar_guest_ErrorCode_ERROR_UNSUPPORTED_OP, offset, data.size);
}

Status RawWriter::write_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap) {
  (void)may_unmap;  // the sink cannot punch holes: zeros are written (docs/convert.md)
  INSTAR_TRY(check_range(offset, bytes));
  if (zeros_.size == 0) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  uint64_t done = 0;
  while (done < bytes) {
    const uint64_t chunk = bytes - done < zeros_.size ? bytes - done : zeros_.size;
    INSTAR_TRY(sink_.write_at(offset + done, zeros_.sub(0, chunk)));
    done += chunk;
  }
  return Status::Ok();
}

Status RawWriter::finish() {
  return flush_ ? sink_.flush() : Status::Ok();
}

}  // namespace instar::raw
