// chain_devices.cc: chain links, auxiliary devices and limits for a whole-chain sandbox run.
#include "engine/cli/chain_devices.h"

#include <sys/stat.h>

#include <algorithm>
#include <utility>

#include "engine/cli/compare_extents.h"

namespace instar::cli {

namespace {

// Arena for each image beyond those the defaults cover (an L2 table and decompression buffers
// of up to 2 MiB clusters), within what check may use too.
constexpr uint64_t kArenaPerImage = 16ull << 20;
constexpr uint64_t kChainArenaMax = 512ull << 20;
constexpr uint64_t kChainMemoryHeadroom = 128ull << 20;

}  // namespace

uint32_t add_request_device(sandbox::Request* request, int fd, uint64_t size, bool writable) {
  request->devices.push_back({fd, size, writable});
  return static_cast<uint32_t>(request->devices.size() - 1);
}

abi::ChainLink lone_link(uint32_t device, abi::ImageFormat format) {
  return {.device = device,
          .format = static_cast<uint32_t>(format),
          .data_device = abi::kNoDevice,
          .extent_device = abi::kNoDevice,
          .allocated_bytes = abi::kAllocationUnknown};
}

bool attach_chain_links(sandbox::Request* request, const std::vector<ChainImage>& chain,
                        uint32_t top_device, bool extent_maps, abi::ChainLink* links,
                        std::vector<sandbox::UniqueFd>* maps, std::string* failed) {
  for (size_t k = 0; k < chain.size() && k < abi::kMaxChainImages; ++k) {
    const ChainImage& image = chain[k];
    const uint32_t device = k == 0 && top_device != abi::kNoDevice
                                ? top_device
                                : add_request_device(request, image.fd, image.size, false);
    abi::ChainLink& link = links[k] = lone_link(device, image.format);
    const bool external = image.data_file.get() >= 0;
    if (external) {
      link.data_device = add_request_device(request, image.data_file.get(), image.data_size, false);
    }
    if (!image.extent_map || !extent_maps) continue;
    // The data lives in the external data file when there is one (qemu's block status recurses
    // into s->data_file); the allocation qemu weighs it against is the image file's own.
    sandbox::UniqueFd map = external ? make_extent_map(image.data_file.get(), image.data_size)
                                     : make_extent_map(image.fd, image.size);
    if (map.get() < 0) {
      *failed = image.display;
      return false;
    }
    struct stat st {};
    const uint64_t size = fstat(map.get(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
    link.extent_device = add_request_device(request, map.get(), size, false);
    maps->push_back(std::move(map));
    link.allocated_bytes = allocated_file_size(image.fd);
  }
  return true;
}

bool attach_chain(sandbox::Request* request, uint32_t input, uint32_t top_device,
                  const std::vector<ChainImage>& chain, bool extent_maps,
                  std::vector<sandbox::UniqueFd>* maps, std::string* failed) {
  request->op.chain_length[input] = static_cast<uint32_t>(chain.size());
  return attach_chain_links(request, chain, top_device, extent_maps, request->op.chain[input], maps,
                            failed);
}

void scale_for_chain_images(sandbox::Request* request, size_t images, size_t covered) {
  if (images <= covered) return;
  request->limits.arena_bytes = std::min<uint64_t>(
      kChainArenaMax, request->limits.arena_bytes + (images - covered) * kArenaPerImage);
  request->limits.memory_bytes = request->limits.arena_bytes + kChainMemoryHeadroom;
}

uint64_t total_device_bytes(const sandbox::Request& request) {
  uint64_t bytes = 0;
  for (const sandbox::Device& device : request.devices) {
    bytes = device.capacity > UINT64_MAX - bytes ? UINT64_MAX : bytes + device.capacity;
  }
  return bytes;
}

}  // namespace instar::cli
