// image_chain.h: opening one input's backing chain from the OpConfig chain tables the host sent.
#pragma once

#include <stdint.h>

#include "guest/abi/abi.h"
#include "guest/formats/qcow2/open.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/status.h"
#include "guest/ops/compare_image.h"

namespace instar {

// The opened images of one input: images[0] is the input, each next one its backing file.
struct ImageChain {
  CompareImage* images[abi::kMaxChainImages] = {};
  uint32_t length = 0;
};

// Whether `index` names a device the guest was given.
bool valid_device(uint32_t index, BlockSource* const* devices, uint32_t device_count);

// Opens input `i`: alone when the host sent no chain (chain_length 0), else every image of the
// chain the host resolved, top first, each attached as the backing file of the one before, with
// its external data file and (raw) extent map. The chain must be exactly what the images
// declare: the host found it by asking the guest. On an open error `detail` may name images.
Status open_image_chain(const abi::OpConfig& op, uint32_t i, BlockSource* const* devices,
                        uint32_t device_count, Arena& arena, qcow2::OpenErrorDetail* detail,
                        ImageChain* out);

}  // namespace instar
