// compare_image.h: one image of a `compare` input's chain: its length, qemu's block status and its
// guest data, through its backing chain and external data file.
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
  uint64_t bytes = 0;        // pnum: > 0
  uint64_t host_offset = 0;  // *map: with kBlockOffsetValid, the offset in the layer's file
                             // (a qcow2's external data file when it has one)
  bool compressed = false;   // a compressed qcow2 cluster (qemu 8.0+'s BDRV_BLOCK_COMPRESSED;
                             // kept out of `flags`, which compare -s compares as 7.2 does)
};

// An image as img_compare's BlockBackend sees it: raw, or qcow2 (not encrypted) with its backing
// chain and external data file as the host opened them (docs/chains.md).
class CompareImage final : public qcow2::BackingReader {
 public:
  // Probes or applies `format` and opens the image as qemu's open would for reading. `data_file`
  // is the qcow2's external data file as the host opened it (nullptr: none). Without `chained`
  // the host resolved no chain: a declared backing file or data file is refused with
  // ERROR_BACKING_FILE_NOT_SUPPORTED / ERROR_DATA_FILE_NOT_SUPPORTED; with it, a declared backing
  // file must then be attached with set_backing(), and a missing data file is ERROR_BAD_CONFIG.
  // On failure `detail` may carry the error's text.
  Status open(BlockSource& source, abi::ImageFormat format, BlockSource* data_file, bool chained,
              Arena& arena, qcow2::OpenErrorDetail* detail);

  bool is_qcow2() const { return qcow2_; }
  // bdrv_get_info()'s cluster_size: the qcow2's, 0 for raw (whose driver reports none).
  uint64_t cluster_size() const { return qcow2_ ? map_.cluster_size() : 0; }
  // The image names a backing file (qcow2 only).
  bool declares_backing() const { return declares_backing_; }
  // The opened image of the backing file this image names; it must outlive this one.
  void set_backing(CompareImage& backing);

  // Gives a raw image the data extents of its file (big-endian u64 pairs [start, end), in order,
  // as the host found them with SEEK_DATA/SEEK_HOLE), so that block status reports holes as zero
  // extents like qemu's file driver. Without a map the whole file is data.
  Status set_extent_map(BlockSource& map, Arena& arena);

  // blk_getlength(): raw files rounded up to 512, qcow2 virtual sizes rounded down to 512.
  uint64_t length() const { return length_; }

  // bdrv_block_status_above(bs, NULL, offset, bytes): offset < length(), bytes > 0. Ranges
  // unallocated in this image take the status of the first backing image that has them, as
  // bdrv_co_common_block_status_above() does (zeros beyond a shorter backing file).
  Status block_status(uint64_t offset, uint64_t bytes, BlockStatus* out);

  // bdrv_block_status(bs): this layer alone, with want_zero, as img_map's get_block_status()
  // asks each layer in turn; offset >= length() gives bytes 0 and EOF.
  Status layer_status(uint64_t offset, uint64_t bytes, BlockStatus* out);
  // The backing image set_backing() attached, or nullptr.
  CompareImage* backing() const { return backing_; }

  // blk_pread(): the guest bytes at [offset, offset + out.size) inside length().
  Status read(uint64_t offset, MutableBytes out);

  // The guest bytes at any offset: what lies beyond length() reads as zeros, as reads of a
  // backing file beyond its end do.
  Status read_backing(uint64_t offset, MutableBytes out) override;

 private:
  Status open_qcow2(BlockSource* data_file, bool chained, Arena& arena,
                    qcow2::OpenErrorDetail* detail);
  Status raw_status(uint64_t offset, uint64_t bytes, BlockStatus* out);
  Status extent(uint64_t index, uint64_t* start, uint64_t* end);

  BlockSource* source_ = nullptr;
  CompareImage* backing_ = nullptr;
  bool qcow2_ = false;
  bool declares_backing_ = false;
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
