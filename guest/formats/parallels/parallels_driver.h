// parallels_driver.h: the Parallels (ploop) format behind the driver interface (qemu's
// block/parallels.c, read-only): the BAT, the in-use flag, and parallels_co_check().
#pragma once

#include <stdint.h>

#include "guest/formats/driver.h"
#include "guest/formats/entry_table.h"
#include "guest/formats/parallels/header.h"

namespace instar::parallels {

// An opened image: what open_parallels() sets up.
struct Image {
  Header header;
  Geometry geometry;
  BlockSource* source = nullptr;
  EntryTable bat;  // read lazily where qemu reads it whole with the header
};

// parallels_open() for a read-only open: the header checks, the Format Extension's (refused
// unless its magic is wrong, which qemu refuses too) and bdrv_open()'s size check.
Status open_parallels(BlockSource& source, Arena& arena, Image* image);

// seek_to_sector(): the file sector holding guest `sector`, or -1 when its cluster is not
// allocated.
Status seek_to_sector(Image& image, uint64_t sector, int64_t* file_sector);

// One opened Parallels image.
class ParallelsDriver final : public ImageDriver {
 public:
  Status open(BlockSource& source, const OpenContext& context, Arena& arena) override;
  uint64_t length() const override { return image_.geometry.total_sectors * 512; }
  uint64_t cluster_size() const override { return 0; }  // no bdrv_get_info in 7.2
  Status block_status(uint64_t offset, uint64_t bytes, BlockStatus* out) override;
  Status read(uint64_t offset, MutableBytes out) override;

 private:
  // block_status() of parallels.c: the run of `sectors` at most from `sector` that is
  // unallocated throughout or contiguous in the file; its first file sector or -1.
  Status run(uint64_t sector, uint64_t sectors, int64_t* start, uint64_t* count);

  Image image_;
};

extern const FormatDriver kParallelsDriver;

}  // namespace instar::parallels
