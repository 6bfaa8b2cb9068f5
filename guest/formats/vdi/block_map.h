// block_map.h: a VDI image's block map, read lazily through one window (qemu reads it whole).
#pragma once

#include <stdint.h>

#include "guest/formats/vdi/header.h"
#include "guest/formats/windowed_reader.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/status.h"

namespace instar::vdi {

// The blocks_in_image little-endian u32 entries at offset_bmap. qemu reads the map into memory
// at open (up to 2 GiB); instar reads the part a lookup needs, with the same zero fill past EOF,
// so an entry past the end of the file is 0 (block 0 allocated), as qemu sees it.
class BlockMap {
 public:
  Status open(BlockSource& source, const Header& header, Arena& arena);
  uint32_t blocks() const { return blocks_; }
  // The entry of block `index` (< blocks()).
  Status entry(uint32_t index, uint32_t* value);

 private:
  WindowedReader* reader_ = nullptr;
  uint64_t offset_ = 0;
  uint32_t blocks_ = 0;
};

}  // namespace instar::vdi
