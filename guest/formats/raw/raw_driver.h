// raw_driver.h: the raw format behind the driver interface: qemu's raw driver over file-posix.
#pragma once

#include <stdint.h>

#include "guest/formats/driver.h"

namespace instar::raw {

// One raw image: guest offsets are file offsets; block status follows the host's extent map.
class RawDriver final : public ImageDriver {
 public:
  Status open(BlockSource& source, const OpenContext& context, Arena& arena) override;
  uint64_t length() const override { return length_; }
  uint64_t cluster_size() const override { return 0; }
  Status set_extent_map(BlockSource& map, Arena& arena) override;
  Status block_status(uint64_t offset, uint64_t bytes, BlockStatus* out) override;
  Status read(uint64_t offset, MutableBytes out) override;

  // qemu 7.2 bdrv_co_block_status()'s BDRV_BLOCK_RECURSE step for a format layer's DATA answer
  // `out` mapped into this file (a static vdi's blocks, a fixed vpc): the file's own status at
  // out->host_offset. A range at or past the file's (sector-rounded) end reads as zeros; a hole
  // reaching the end makes the whole answer ZERO; otherwise the answer shrinks to the file's and
  // takes its ZERO.
  Status add_file_status(BlockStatus* out);

 private:
  Status extent(uint64_t index, uint64_t* start, uint64_t* end);

  BlockSource* source_ = nullptr;
  uint64_t length_ = 0;
  BlockSource* extents_ = nullptr;  // the extent map, if the host sent one
  uint64_t extent_count_ = 0;
  uint8_t* extent_window_ = nullptr;  // kExtentWindow extents from extent_window_first_
  uint64_t extent_window_first_ = 0;
  bool extent_window_valid_ = false;
  uint64_t extent_cursor_ = 0;  // first extent that may end after the last queried offset
};

// What a probed-raw image's head looks like, for the host's safe detection (guest.proto
// RawHead); `head` is the first bytes, zero-filled.
instar_guest_RawHead classify_raw_head(Bytes head);

// raw_probe(): 1 for anything, so that raw is the fallback.
int probe(Bytes head);

extern const FormatDriver kRawDriver;

}  // namespace instar::raw
