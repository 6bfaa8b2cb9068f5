// compare_image.h: one image of an input's chain (compare, map, convert, measure): its length,
// qemu's block status and its guest data through its backing chain, over the image's format
// driver (guest/formats/driver.h).
#pragma once

#include <stdint.h>

#include "guest/abi/abi.h"
#include "guest/formats/driver.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/error_names.h"
#include "guest/lib/status.h"

namespace instar {

// An image as qemu-img's BlockBackend sees it: the format driver's layer plus the generic block
// layer's part (bdrv_co_block_status's clamping and flags, the walk down the backing chain).
class CompareImage final : public BackingReader {
 public:
  // Probes or applies `format` and opens the image as qemu's open would for reading. `data_file`
  // is the image's external data file as the host opened it (nullptr: none). Without `chained`
  // the host resolved no chain: a declared backing file or data file is refused with
  // ERROR_BACKING_FILE_NOT_SUPPORTED / ERROR_DATA_FILE_NOT_SUPPORTED; with it, a declared backing
  // file must then be attached with set_backing(), and a missing data file is ERROR_BAD_CONFIG.
  // On failure `detail` may carry the error's text.
  Status open(BlockSource& source, abi::ImageFormat format, BlockSource* data_file, bool chained,
              Arena& arena, ErrorNames* detail);

  // The opened image's driver, and its format.
  ImageDriver& driver() const { return *driver_; }
  abi::ImageFormat format() const { return format_; }
  // bdrv_get_info()'s cluster_size: 0 for formats whose driver reports none (raw).
  uint64_t cluster_size() const { return driver_->cluster_size(); }
  // The image names a backing file.
  bool declares_backing() const { return driver_->declares_backing(); }
  // The opened image of the backing file this image names; it must outlive this one.
  void set_backing(CompareImage& backing);

  // blk_getlength().
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
  Status read(uint64_t offset, MutableBytes out) { return driver_->read(offset, out); }

  // The guest bytes at any offset: what lies beyond length() reads as zeros, as reads of a
  // backing file beyond its end do.
  Status read_backing(uint64_t offset, MutableBytes out) override;

 private:
  ImageDriver* driver_ = nullptr;
  abi::ImageFormat format_ = abi::ImageFormat::kProbe;
  CompareImage* backing_ = nullptr;
  uint64_t length_ = 0;
};

}  // namespace instar
