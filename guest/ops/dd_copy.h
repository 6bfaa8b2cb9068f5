// dd_copy.h: img_dd's copy loop of qemu-img 7.2 (blk_pread / blk_pwrite of every block, no zero
// detection, no block status) over an opened input and an ImageWriter.
#pragma once

#include <stdint.h>

#include "guest/lib/image_writer.h"
#include "guest/ops/compare_image.h"
#include "guest/ops/convert_copy.h"

namespace instar {

// Copies input bytes [input_offset, input_offset + length) to target bytes [0, length), every
// byte written as data, in order, using `buf` (buf_size bytes, a multiple of 512 of at least
// 1024). The writer takes 512-aligned writes only: the range is written in buffer-sized pieces
// from output offset 0, so only the last piece can end inside a sector, and it is completed with
// zeros, which is what the new target (target.size() == length rounded up to 512) holds there
// anyway; clusters are first written in qemu's order, so a qcow2 target's layout is qemu's.
ConvertOutcome dd_copy(CompareImage& input, uint64_t input_offset, uint64_t length,
                       ImageWriter& target, uint8_t* buf, uint64_t buf_size);

}  // namespace instar
