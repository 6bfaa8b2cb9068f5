// resize.h: qemu 7.2's qcow2_co_truncate() with preallocation off over an opened image: the L1
// table grown (qcow2_grow_l1_table) or the cropped clusters discarded, the L1 and refcount tables
// shrunk, and the header's size written, in a crash-safe order (docs/write-safety.md).
#pragma once

#include <stdint.h>

#include "guest/formats/qcow2/header.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/status.h"

namespace instar::qcow2 {

// qcow2's size_to_l1(): L1 entries that map `size` bytes.
uint64_t size_to_l1(uint64_t size, uint32_t cluster_bits, bool extended_l2);

// The largest L1 table qcow2_grow_l1_table() makes, in entries (QCOW_MAX_L1_SIZE / 8; INT_MAX / 8
// is checked first and is larger).
inline constexpr uint64_t kMaxL1Entries = (32u << 20) / 8;

struct ResizeImage {
  const Header* header;  // as open_image() validated it
  BlockSource* source;   // the image, read back
  BlockSink* sink;       // the same image, written
  uint64_t file_length;  // the file's length before the resize
};

// Resizes the image to `new_size` bytes (a multiple of 512; the caller checked qemu's refusals
// before). On success `*file_length` is the file's length afterwards: for a shrink, qemu's
// truncation to the end of the last used cluster (the host truncates the file to it). Errors:
// ERROR_RESIZE_* with an errno, as qcow2_co_truncate() words them.
Status resize_image(const ResizeImage& image, uint64_t new_size, Arena& arena,
                    uint64_t* file_length);

}  // namespace instar::qcow2
