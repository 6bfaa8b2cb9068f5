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

// Appends a device to the request and returns its index.
uint32_t add_request_device(sandbox::Request* request, int fd, uint64_t size, bool writable);

// The link of an input whose chain walk failed: its file alone, whose open in the guest then
// reports why.
abi::ChainLink lone_link(uint32_t device, abi::ImageFormat format);

// Fills links[0..chain.size()) from `chain` (top first): the top image is device `top_device`,
// already in the request, or, with abi::kNoDevice, appended; every backing file and external data
// file is appended as a read-only device. With `extent_maps`, each image whose
// ChainImage::extent_map is set gets the map of the data extents of the file holding its data
// (compare_extents.h), kept alive in `maps`, and its file's allocated size. Returns false, with
// `failed` naming the image, when an extent map cannot be made.
bool attach_chain_links(sandbox::Request* request, const std::vector<ChainImage>& chain,
                        uint32_t top_device, bool extent_maps, abi::ChainLink* links,
                        std::vector<sandbox::UniqueFd>* maps, std::string* failed);

// attach_chain_links() into request->op.chain[input], with its length.
bool attach_chain(sandbox::Request* request, uint32_t input, uint32_t top_device,
                  const std::vector<ChainImage>& chain, bool extent_maps,
                  std::vector<sandbox::UniqueFd>* maps, std::string* failed);

// Arena and memory for `images` opened images where the defaults cover `covered`: each image
// beyond keeps its own L2 table and decompression buffers.
void scale_for_chain_images(sandbox::Request* request, size_t images, size_t covered);

// The bytes of every device of the request (saturating): what a whole-image walk may read.
uint64_t total_device_bytes(const sandbox::Request& request);

}  // namespace instar::cli
