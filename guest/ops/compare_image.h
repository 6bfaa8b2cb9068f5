// compare_image.h: one input of `compare`: its length, qemu's block status and its guest data.
#pragma once

#include <stdint.h>

#include "guest/abi/abi.h"
#include "guest/formats/qcow2/cluster_map.h"
#include "guest/formats/qcow2/data_reader.h"
#include "guest/formats/qcow2/open.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/status.h"

namespace instar {

// BDRV_BLOCK_* bits of qemu 7.2's bdrv_block_status_above() result. Strict mode compares whole
// status words, so every bit qemu sets must be set here too.
inline constexpr uint32_t kBlockData = 0x01;
inline constexpr uint32_t kBlockZero = 0x02;
inline constexpr uint32_t kBlockOffsetValid = 0x04;
inline constexpr uint32_t kBlockAllocated = 0x10;
inline constexpr uint32_t kBlockEof = 0x20;

struct BlockStatus {
  uint32_t flags = 0;
  uint64_t bytes = 0;  // pnum: > 0
};

// An image as img_compare's BlockBackend sees it. Supports raw, and qcow2 without backing file,
// external data file or encryption (those are refused by open() with their own codes).
class CompareImage {
 public:
  // Probes or applies `format` and opens the image as qemu's open would for reading. On failure
  // `detail` may carry the error's text.
  Status open(BlockSource& source, abi::ImageFormat format, Arena& arena,
              qcow2::OpenErrorDetail* detail);

  // Gives a raw image the data extents of its file (big-endian u64 pairs [start, end), in order,
  // as the host found them with SEEK_DATA/SEEK_HOLE), so that block status reports holes as zero
  // extents like qemu's file driver. Without a map the whole file is data.
  Status set_extent_map(BlockSource& map, Arena& arena);

  // blk_getlength(): raw files rounded up to 512, qcow2 virtual sizes rounded down to 512.
  uint64_t length() const { return length_; }

  // bdrv_block_status_above(bs, NULL, offset, bytes): offset < length(), bytes > 0.
  Status block_status(uint64_t offset, uint64_t bytes, BlockStatus* out);

  // blk_pread(): the guest bytes at [offset, offset + out.size) inside length().
  Status read(uint64_t offset, MutableBytes out);

 private:
  Status open_qcow2(Arena& arena, qcow2::OpenErrorDetail* detail);
  Status raw_status(uint64_t offset, uint64_t bytes, BlockStatus* out);
  Status extent(uint64_t index, uint64_t* start, uint64_t* end);

  BlockSource* source_ = nullptr;
  bool qcow2_ = false;
  uint64_t length_ = 0;
  BlockSource* extents_ = nullptr;  // raw: the extent map, if the host sent one
  uint64_t extent_count_ = 0;
  uint8_t* extent_window_ = nullptr;  // kExtentWindow extents from extent_window_first_
  uint64_t extent_window_first_ = 0;
  bool extent_window_valid_ = false;
  uint64_t extent_cursor_ = 0;  // first extent that may end after the last queried offset
  qcow2::ClusterMap map_;
  qcow2::DataReader data_;
};

}  // namespace instar
