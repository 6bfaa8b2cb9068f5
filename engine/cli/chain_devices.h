// chain_devices.h: an opened backing chain as sandbox devices and OpConfig chain links, shared by
// the commands that read whole chains in one run (compare, measure).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/cli/backing_chain.h"
#include "engine/sandbox/sandbox.h"
#include "engine/sandbox/unique_fd.h"

namespace instar::cli {

// Fills request->op.chain[input] from `chain` (top first): the top image is device
// `top_device`, already in the request; every backing file and external data file is appended as
// a device. With `extent_maps`, each image whose ChainImage::extent_map is set gets the map of its
// file's data extents (compare_extents.h), kept alive in `maps`. Returns false, with `failed`
// naming the image, when an extent map cannot be made.
bool attach_chain(sandbox::Request* request, uint32_t input, uint32_t top_device,
                  const std::vector<ChainImage>& chain, bool extent_maps,
                  std::vector<sandbox::UniqueFd>* maps, std::string* failed);

// Arena and memory for `images` opened images where the defaults cover `covered`: each image
// beyond keeps its own L2 table and decompression buffers.
void scale_for_chain_images(sandbox::Request* request, size_t images, size_t covered);

// The bytes of every device of the request (saturating): what a whole-image walk may read.
uint64_t total_device_bytes(const sandbox::Request& request);

}  // namespace instar::cli
