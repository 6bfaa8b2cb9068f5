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
  Status set_file_facts(const FileFacts& facts, Arena& arena) override;
  Status block_status(uint64_t offset, uint64_t bytes, BlockStatus* out) override;
  Status read(uint64_t offset, MutableBytes out) override;

  // bdrv_co_block_status()'s BDRV_BLOCK_RECURSE step, with this file as the format's local file:
  // `out` (DATA with an offset into this file) takes this file's ZERO there, and shrinks to the
  // file's answer; a range at or past the file's end, or a hole reaching it, reads as zeros.
  Status recurse(BlockStatus* out);

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
