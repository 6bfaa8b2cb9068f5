// bat.h: a VHD dynamic disk's block allocation table, read lazily through one window (qemu reads
// it whole at open), and vpc_open()'s scan of it for the end of the allocated data.
#pragma once

#include <stdint.h>

#include "guest/formats/vpc/dynamic_header.h"
#include "guest/formats/windowed_reader.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/status.h"

namespace instar::vpc {

// The max_table_entries big-endian u32 entries at table_offset, zero-filled past EOF as qemu's
// bdrv_pread() gives them.
class Bat {
 public:
  // vpc_open() from the BAT read on: bdrv_pread()'s checks of the read's size and range ("Error
  // reading pagetable"), then
  // free_data_block_offset, the end of the BAT or of the furthest allocated block, which must
  // not lie past the end of the file (its length rounded up to a sector, as bdrv_getlength()).
  Status open(BlockSource& source, const DynamicHeader& header, Arena& arena);
  uint32_t entries() const { return entries_; }
  // The entry of block `index` (< entries()).
  Status entry(uint32_t index, uint32_t* value);

 private:
  WindowedReader* reader_ = nullptr;
  uint64_t offset_ = 0;
  uint32_t entries_ = 0;
};

}  // namespace instar::vpc
