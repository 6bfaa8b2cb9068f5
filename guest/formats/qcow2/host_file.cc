// host_file.cc: writes that track the file's end, zero fills and read-back of evicted tables.
#include "guest/formats/qcow2/host_file.h"

namespace instar::qcow2 {

namespace {
constexpr uint64_t kZeroChunk = 4096;
const uint8_t kZeros[kZeroChunk] = {};
}  // namespace

Status HostFile::write(uint64_t offset, Bytes data) {
  if (data.size == 0) return Status::Ok();
  INSTAR_TRY(sink_.write_at(offset, data));
  if (offset + data.size > end_) end_ = offset + data.size;
  return Status::Ok();
}

Status HostFile::write_zeros(uint64_t offset, uint64_t length) {
  while (length != 0) {
    const uint64_t n = length < kZeroChunk ? length : kZeroChunk;
    INSTAR_TRY(write(offset, Bytes(kZeros, n)));
    offset += n;
    length -= n;
  }
  return Status::Ok();
}

Status HostFile::discard(uint64_t offset, uint64_t length) {
  if (offset >= end_) return Status::Ok();
  return write_zeros(offset, length < end_ - offset ? length : end_ - offset);
}

Status HostFile::read(uint64_t offset, MutableBytes out) {
  if (readback_ == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  return readback_->read_at(offset, out);
}

}  // namespace instar::qcow2
