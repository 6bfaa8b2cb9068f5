// compare_image.cc: an input image over its format driver: open, the generic block layer's
// status, reads through the backing chain.
#include "guest/ops/compare_image.h"

#include "guest/formats/probe.h"
#include "guest/formats/windowed_reader.h"
#include "guest/lib/mem.h"

namespace instar {

namespace {

uint64_t min64(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

}  // namespace

Status CompareImage::open(BlockSource& source, abi::ImageFormat format, BlockSource* data_file,
                          bool chained, Arena& arena, ErrorNames* detail) {
  backing_ = nullptr;
  const uint64_t mark = arena.mark();
  uint8_t* head = arena.allocate_array<uint8_t>(kProbeSize);
  if (head == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  INSTAR_TRY(read_zero_filled(source, 0, MutableBytes(head, kProbeSize)));
  const Result<const FormatDriver*> selected = select_driver(format, Bytes(head, kProbeSize));
  arena.release_to(mark);
  if (!selected.ok()) return selected.status();
  driver_ = selected.value()->new_image(arena);
  if (driver_ == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  format_ = selected.value()->format;
  OpenContext context;
  context.data_file = data_file;
  context.chained = chained;
  context.detail = detail;
  INSTAR_TRY(driver_->open(source, context, arena));
  length_ = driver_->length();
  return Status::Ok();
}

void CompareImage::set_backing(CompareImage& backing) {
  backing_ = &backing;
  driver_->set_backing(backing);
}

Status CompareImage::block_status(uint64_t offset, uint64_t bytes, BlockStatus* out) {
  INSTAR_TRY(layer_status(offset, bytes, out));
  if (backing_ == nullptr || (out->flags & kBlockAllocated) != 0) return Status::Ok();
  // bdrv_co_common_block_status_above(): look down the chain for the range this layer leaves
  // unallocated; a layer too short for it ends the search with allocated zeros.
  const uint64_t eof = (out->flags & kBlockEof) != 0 ? offset + out->bytes : 0;
  bytes = out->bytes;
  BlockStatus s = *out;
  for (CompareImage* layer = backing_; layer != nullptr; layer = layer->backing_) {
    INSTAR_TRY(layer->layer_status(offset, bytes, &s));
    if (s.bytes == 0) {
      s.bytes = bytes;
      s.flags = kBlockZero | kBlockAllocated;
      break;
    }
    if ((s.flags & kBlockAllocated) != 0) {
      s.flags &= ~kBlockEof;  // the end of a lower layer is not the end of this image
      break;
    }
    bytes = s.bytes;
  }
  if (offset + s.bytes == eof) s.flags |= kBlockEof;
  *out = s;
  return Status::Ok();
}

Status CompareImage::read_backing(uint64_t offset, MutableBytes out) {
  uint64_t inside = 0;
  if (offset < length_) inside = min64(out.size, length_ - offset);
  fill_bytes(out.data + inside, 0, out.size - inside);
  if (inside == 0) return Status::Ok();
  return read(offset, out.sub(0, inside));
}

// bdrv_co_block_status(): the request clamped to the image, the driver's answer, then the
// generic flags: what the driver reports as data or zeros is allocated in this layer; anything
// else reads as zeros when there is no backing file or the backing file ends before it
// (want_zero).
Status CompareImage::layer_status(uint64_t offset, uint64_t bytes, BlockStatus* out) {
  if (offset >= length_) {  // EOF, pnum 0
    out->flags = kBlockEof;
    out->bytes = 0;
    return Status::Ok();
  }
  bytes = min64(bytes, length_ - offset);
  BlockStatus s;
  INSTAR_TRY(driver_->block_status(offset, bytes, &s));
  if (s.bytes == 0 || s.bytes > bytes) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  if ((s.flags & (kBlockData | kBlockZero)) != 0) {
    s.flags |= kBlockAllocated;
  } else if (backing_ == nullptr || offset >= backing_->length()) {
    s.flags |= kBlockZero;
  }
  if (offset + s.bytes == length_) s.flags |= kBlockEof;
  *out = s;
  return Status::Ok();
}

}  // namespace instar
