// bitmap_directory.cc: bitmap directory entry decoding and qemu's directory walk.
#include "guest/formats/qcow2/bitmap_directory.h"

#include "guest/formats/qcow2/header_extensions.h"
#include "guest/formats/qcow2/limits.h"

namespace instar::qcow2 {

namespace {

constexpr Status error(instar_guest_ErrorCode code) {
  return Status(code);
}

// calc_dir_entry_size() computes in `int`: the sum is truncated to 32 bits and may turn
// negative for huge extra_data_size, moving qemu's cursor backwards. Kept so the same error
// wins.
int64_t qemu_entry_step(const BitmapDirectoryEntry& e) {
  const uint32_t sum =
      static_cast<uint32_t>(kBitmapDirectoryEntrySize + e.name_size + uint64_t{e.extra_data_size});
  const uint32_t rounded = (sum + 7u) & ~7u;
  return static_cast<int32_t>(rounded);
}

}  // namespace

BitmapDirectoryEntry decode_bitmap_directory_entry(const uint8_t* p) {
  BitmapDirectoryEntry e;
  e.bitmap_table_offset = load_be64(p + 0);
  e.bitmap_table_size = load_be32(p + 8);
  e.flags = load_be32(p + 12);
  e.type = p[16];
  e.granularity_bits = p[17];
  e.name_size = load_be16(p + 18);
  e.extra_data_size = load_be32(p + 20);
  return e;
}

bool bitmap_entry_satisfies_constraints(const BitmapDirectoryEntry& e, uint64_t cluster_size,
                                        uint64_t virtual_size) {
  if (e.bitmap_table_size == 0 || e.bitmap_table_offset == 0 ||
      e.bitmap_table_offset % cluster_size != 0 || e.bitmap_table_size > kBitmapMaxTableSize ||
      e.granularity_bits > kBitmapMaxGranularityBits ||
      e.granularity_bits < kBitmapMinGranularityBits || (e.flags & kBitmapReservedFlags) != 0 ||
      e.name_size > kBitmapMaxNameSize || e.type != kBitmapTypeDirtyTracking) {
    return false;
  }
  const uint64_t phys_bitmap_bytes = uint64_t{e.bitmap_table_size} * cluster_size;
  if (phys_bitmap_bytes > kBitmapMaxPhysSize) return false;
  // A consistent bitmap must cover the whole disk; an in-use one may be stale after a resize.
  if ((e.flags & kBitmapFlagInUse) == 0 &&
      virtual_size > ((phys_bitmap_bytes * 8) << e.granularity_bits)) {
    return false;
  }
  return true;
}

Status BitmapDirectoryReader::start() const {
  if (size_ == 0) return error(instar_guest_ErrorCode_ERROR_BITMAP_DIRECTORY_SIZE_ZERO);
  if (size_ > kMaxBitmapDirectorySize) {
    return Status(instar_guest_ErrorCode_ERROR_BITMAP_DIRECTORY_TOO_LARGE, size_,
                  kMaxBitmapDirectorySize);
  }
  return Status::Ok();
}

Status BitmapDirectoryReader::next(Bitmap* out) {
  if (at_end() || scratch_.size < kBitmapNameScratchSize)
    return error(instar_guest_ErrorCode_ERROR_INTERNAL);
  if (size_ - position_ < kBitmapDirectoryEntrySize) {
    return error(instar_guest_ErrorCode_ERROR_BITMAP_DIRECTORY_BROKEN);
  }
  if (++entries_ > nb_bitmaps_) return error(instar_guest_ErrorCode_ERROR_BITMAPS_MORE_THAN_HEADER);
  uint8_t raw[kBitmapDirectoryEntrySize];
  INSTAR_TRY(reader_.read(offset_ + position_, MutableBytes(raw, sizeof raw)));
  const BitmapDirectoryEntry e = decode_bitmap_directory_entry(raw);
  // position_ < size_ <= 64 MiB, so the signed sum is exact.
  const int64_t next_position = static_cast<int64_t>(position_) + qemu_entry_step(e);
  if (next_position > static_cast<int64_t>(size_)) {
    return error(instar_guest_ErrorCode_ERROR_BITMAP_DIRECTORY_BROKEN);
  }
  if (e.extra_data_size != 0) return error(instar_guest_ErrorCode_ERROR_BITMAP_EXTRA_DATA);
  // With no extra data the step is positive and the name lies inside the directory.
  const MutableBytes name = scratch_.sub(0, e.name_size);
  INSTAR_TRY(reader_.read(offset_ + position_ + kBitmapDirectoryEntrySize, name));
  if (!bitmap_entry_satisfies_constraints(e, cluster_size_, virtual_size_)) {
    failure_name_ = until_nul(name);  // "%.*s" stops at a NUL
    return error(instar_guest_ErrorCode_ERROR_BITMAP_CONSTRAINTS);
  }
  position_ = static_cast<uint64_t>(next_position);
  out->name = until_nul(name);
  out->granularity_bits = e.granularity_bits;
  out->flags = e.flags;
  return Status::Ok();
}

Status BitmapDirectoryReader::finish() const {
  if (entries_ != nb_bitmaps_) return error(instar_guest_ErrorCode_ERROR_BITMAPS_LESS_THAN_HEADER);
  if (position_ != size_) return error(instar_guest_ErrorCode_ERROR_BITMAP_DIRECTORY_BROKEN);
  return Status::Ok();
}

}  // namespace instar::qcow2
