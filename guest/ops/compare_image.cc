// compare_image.cc: raw and qcow2 inputs of `compare`: open, block status, reads.
#include "guest/ops/compare_image.h"

#include "guest/formats/probe.h"
#include "guest/formats/qcow2/bitmap_directory.h"
#include "guest/formats/qcow2/feature_bits.h"
#include "guest/formats/qcow2/limits.h"
#include "guest/formats/qcow2/snapshot_table.h"
#include "guest/formats/raw/raw_image.h"
#include "guest/formats/windowed_reader.h"
#include "guest/lib/mem.h"

namespace instar {

namespace {

// Large enough that typical snapshot tables and bitmap directories take a single read.
constexpr uint64_t kTableWindowSize = 256 * 1024;
static_assert(qcow2::kSnapshotNameScratchSize >= qcow2::kBitmapNameScratchSize);
constexpr uint64_t kExtentSize = 16;      // one [start, end) pair of the host's extent map
constexpr uint64_t kExtentWindow = 4096;  // extents read at once

uint64_t min64(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

}  // namespace

Status CompareImage::open(BlockSource& source, abi::ImageFormat format, BlockSource* data_file,
                          bool chained, Arena& arena, qcow2::OpenErrorDetail* detail) {
  source_ = &source;
  backing_ = nullptr;
  declares_backing_ = false;
  const uint64_t mark = arena.mark();
  uint8_t* head = arena.allocate_array<uint8_t>(kProbeSize);
  if (head == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  INSTAR_TRY(read_zero_filled(source, 0, MutableBytes(head, kProbeSize)));
  const Result<DetectedFormat> detected = detect_format(format, Bytes(head, kProbeSize));
  arena.release_to(mark);
  if (!detected.ok()) return detected.status();
  if (detected.value() == DetectedFormat::kRaw) {
    qcow2_ = false;
    length_ = raw::virtual_size(source.size());
    return Status::Ok();
  }
  return open_qcow2(data_file, chained, arena, detail);
}

Status CompareImage::open_qcow2(BlockSource* data_file, bool chained, Arena& arena,
                                qcow2::OpenErrorDetail* detail) {
  // The open's scratch (header area, table window) is dropped once it validated the image.
  const uint64_t mark = arena.mark();
  auto* window = arena.allocate_array<uint8_t>(kTableWindowSize);
  auto* names = arena.allocate_array<uint8_t>(qcow2::kSnapshotNameScratchSize);
  auto* metadata = static_cast<qcow2::Metadata*>(
      arena.allocate(sizeof(qcow2::Metadata), alignof(qcow2::Metadata)));
  if (window == nullptr || names == nullptr || metadata == nullptr) {
    return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  }
  WindowedReader reader(*source_, MutableBytes(window, kTableWindowSize));
  const qcow2::TableScratch tables{&reader, MutableBytes(names, qcow2::kSnapshotNameScratchSize)};
  *metadata = qcow2::Metadata();
  INSTAR_TRY(qcow2::open_image(*source_, arena, tables, metadata, detail));
  const qcow2::Header header = metadata->header;
  const bool has_data_file = (header.incompatible_features & qcow2::kIncompatDataFile) != 0;
  const bool has_backing = metadata->has_backing_file;
  arena.release_to(mark);

  // qemu opens the data file, then needs the key for encrypted images, then the backing file.
  // The host opened both as qemu would have (or refused): what it sent must match the image.
  if (has_data_file && data_file == nullptr) {
    return Status(chained ? instar_guest_ErrorCode_ERROR_BAD_CONFIG
                          : instar_guest_ErrorCode_ERROR_DATA_FILE_NOT_SUPPORTED);
  }
  if (!has_data_file && data_file != nullptr)
    return Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG);
  if (header.crypt_method != qcow2::kCryptNone) {
    return Status(instar_guest_ErrorCode_ERROR_ENCRYPTION_KEY_REQUIRED);
  }
  if (has_backing && !chained) {
    return Status(instar_guest_ErrorCode_ERROR_BACKING_FILE_NOT_SUPPORTED);
  }

  qcow2_ = true;
  declares_backing_ = has_backing;
  length_ = header.virtual_size();
  INSTAR_TRY(map_.init(*source_, arena, header, has_data_file));
  data_.init(*source_, map_, header.compression_type, arena);
  if (data_file != nullptr) data_.set_data_file(*data_file);
  return Status::Ok();
}

void CompareImage::set_backing(CompareImage& backing) {
  backing_ = &backing;
  data_.set_backing(backing);
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

Status CompareImage::layer_status(uint64_t offset, uint64_t bytes, BlockStatus* out) {
  if (offset >= length_) {  // bdrv_co_block_status(): EOF, pnum 0
    out->flags = kBlockEof;
    out->bytes = 0;
    return Status::Ok();
  }
  // bdrv_co_block_status() first clamps the request to the image.
  bytes = min64(bytes, length_ - offset);
  BlockStatus s;
  if (!qcow2_) {
    INSTAR_TRY(raw_status(offset, bytes, &s));
  } else {
    // qcow2_co_block_status() asks for at most INT_MAX bytes.
    qcow2::Mapping m;
    INSTAR_TRY(map_.map(offset, min64(bytes, qcow2::kIntMax), &m));
    s.bytes = m.bytes;
    using qcow2::SubclusterType;
    if (m.type == SubclusterType::kNormal || m.type == SubclusterType::kZeroAlloc ||
        m.type == SubclusterType::kUnallocatedAlloc) {
      s.flags |= kBlockOffsetValid;
      s.host_offset = m.host_offset;
    }
    s.compressed = m.type == SubclusterType::kCompressed;
    if (m.type == SubclusterType::kZeroPlain || m.type == SubclusterType::kZeroAlloc) {
      s.flags |= kBlockZero;
    } else if (m.type != SubclusterType::kUnallocatedPlain &&
               m.type != SubclusterType::kUnallocatedAlloc) {
      s.flags |= kBlockData;
    }
    // Allocated in this layer; otherwise it reads as zeros when there is no backing file or the
    // backing file ends before it (want_zero).
    if ((s.flags & (kBlockData | kBlockZero)) != 0) {
      s.flags |= kBlockAllocated;
    } else if (backing_ == nullptr || offset >= backing_->length()) {
      s.flags |= kBlockZero;
    }
  }
  if (offset + s.bytes == length_) s.flags |= kBlockEof;
  *out = s;
  return Status::Ok();
}

Status CompareImage::set_extent_map(BlockSource& map, Arena& arena) {
  extent_window_ = arena.allocate_array<uint8_t>(kExtentWindow * kExtentSize);
  if (extent_window_ == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  extents_ = &map;
  extent_count_ = map.size() / kExtentSize;
  extent_window_valid_ = false;
  extent_cursor_ = 0;
  return Status::Ok();
}

Status CompareImage::extent(uint64_t index, uint64_t* start, uint64_t* end) {
  if (!extent_window_valid_ || index < extent_window_first_ ||
      index - extent_window_first_ >= kExtentWindow) {
    extent_window_first_ = index - index % kExtentWindow;
    const uint64_t count = min64(kExtentWindow, extent_count_ - extent_window_first_);
    INSTAR_TRY(read_zero_filled(*extents_, extent_window_first_ * kExtentSize,
                                MutableBytes(extent_window_, count * kExtentSize)));
    extent_window_valid_ = true;
  }
  const uint8_t* record = extent_window_ + (index - extent_window_first_) * kExtentSize;
  *start = load_be64(record);
  *end = load_be64(record + 8);
  return Status::Ok();
}

// raw over file-posix (raw_co_block_status, find_allocation): data extents as DATA, holes and
// the zero-read tail of the last sector as ZERO; everything has an offset and is allocated.
Status CompareImage::raw_status(uint64_t offset, uint64_t bytes, BlockStatus* out) {
  const uint64_t file_size = source_->size();
  out->flags = kBlockOffsetValid | kBlockAllocated;
  out->host_offset = offset;  // file-posix maps every byte to itself
  if (offset >= file_size) {  // lseek fails with ENXIO: a trailing hole
    out->flags |= kBlockZero;
    out->bytes = bytes;
    return Status::Ok();
  }
  if (extents_ == nullptr) {
    out->flags |= kBlockData;
    out->bytes = min64(bytes, file_size - offset);
    return Status::Ok();
  }
  // Queries only move forward (the walk and then the tail); a step back restarts the scan.
  uint64_t start = 0, end = 0;
  if (extent_cursor_ > 0) {
    INSTAR_TRY(extent(extent_cursor_ - 1, &start, &end));
    if (offset < end) extent_cursor_ = 0;
  }
  for (; extent_cursor_ < extent_count_; ++extent_cursor_) {
    INSTAR_TRY(extent(extent_cursor_, &start, &end));
    // The host wrote the map, but it is still input: refuse what lseek cannot produce.
    if (start >= end || end > file_size) return Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG);
    if (end > offset) break;
  }
  if (extent_cursor_ == extent_count_ || offset < start) {
    out->flags |= kBlockZero;  // a hole up to the next data, or up to the end
    out->bytes = extent_cursor_ == extent_count_ ? bytes : min64(bytes, start - offset);
  } else {
    out->flags |= kBlockData;
    out->bytes = min64(bytes, end - offset);
  }
  return Status::Ok();
}

Status CompareImage::read(uint64_t offset, MutableBytes out) {
  if (!qcow2_) return read_zero_filled(*source_, offset, out);
  return data_.read(offset, out);
}

}  // namespace instar
