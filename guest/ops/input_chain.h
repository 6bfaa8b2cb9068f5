// input_chain.h: opening one input image with the backing chain the host resolved for it
// (compare's and convert's inputs), each image attached as the backing file of the one before.
#pragma once

#include <stdint.h>

#include "guest/abi/abi.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/error_names.h"
#include "guest/lib/status.h"
#include "guest/ops/compare_image.h"

namespace instar {

// The opened images of one input: images[0] is the input, each next one its backing file.
struct InputChain {
  CompareImage* images[abi::kMaxChainImages] = {};
  uint32_t length = 0;
};

// Whether `index` names a device the guest was given.
bool valid_device(uint32_t index, BlockSource* const* devices, uint32_t device_count);

// Opens the input whose top is `top_device` in `top_format`: alone when `length` is 0 (the host
// sent no chain), else every image of `links[0..length)`, top first (links[0] must be the top).
// The chain must be exactly what the images declare: the host found it by asking the guest.
// Images live in `arena`; `detail` carries the names an open error quotes.
Status open_input_chain(uint32_t top_device, uint32_t top_format, const abi::ChainLink* links,
                        uint32_t length, BlockSource* const* devices, uint32_t device_count,
                        Arena& arena, ErrorNames* detail, InputChain* out);

// bdrv_is_allocated_above() over the layers chain.images[first .. end): whether one of them
// allocates `offset`, and in `*n` (the bytes asked on entry) how far that answer holds, with
// bdrv_co_is_allocated_above()'s pnum rules (a lower layer's shorter answer counts only inside
// that layer's length). commit asks it from the top (include_base), rebase from the image's
// backing file (its own layer excluded).
Status allocated_above(const InputChain& chain, uint32_t first, uint32_t end, uint64_t offset,
                       uint64_t* n, bool* allocated);

}  // namespace instar
