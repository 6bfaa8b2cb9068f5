// input_chain.h: opening one input of an op (OpConfig input i) with the backing chain and
// external data files the host resolved, as compare and measure read them.
#pragma once

#include <stdint.h>

#include "guest/abi/abi.h"
#include "guest/formats/qcow2/open.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/status.h"
#include "guest/ops/compare_image.h"

namespace instar {

// Whether devices[index] exists.
bool valid_device(uint32_t index, BlockSource* const* devices, uint32_t device_count);

// The opened images of one input: images[0] is the input, each next one its backing file.
struct InputChain {
  CompareImage* images[abi::kMaxChainImages] = {};
  uint32_t length = 0;
};

// Opens input `i`: alone when the host sent no chain (chain_length 0), else every image of the
// chain the host resolved, top first, each attached as the backing file of the one before. The
// chain must be exactly what the images declare: the host found it by asking the guest.
Status open_input(const abi::OpConfig& op, uint32_t i, BlockSource* const* devices,
                  uint32_t device_count, Arena& arena, qcow2::OpenErrorDetail* detail,
                  InputChain* out);

}  // namespace instar
