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

bool attach_chain(sandbox::Request* request, uint32_t input, uint32_t top_device,
                  const std::vector<ChainImage>& chain, bool extent_maps,
                  std::vector<sandbox::UniqueFd>* maps, std::string* failed) {
  const auto add_device = [request](int fd, uint64_t size) {
    request->devices.push_back({fd, size, false});
    return static_cast<uint32_t>(request->devices.size() - 1);
  };
  request->op.chain_length[input] = static_cast<uint32_t>(chain.size());
  for (size_t k = 0; k < chain.size() && k < abi::kMaxChainImages; ++k) {
    const ChainImage& image = chain[k];
    abi::ChainLink& link = request->op.chain[input][k];
    link.device = k == 0 ? top_device : add_device(image.fd, image.size);
    link.format = static_cast<uint32_t>(image.format);
    link.data_device = image.data_file.get() >= 0
                           ? add_device(image.data_file.get(), image.data_size)
                           : abi::kNoDevice;
    link.extent_device = abi::kNoDevice;
    if (image.extent_map && extent_maps) {
      sandbox::UniqueFd map = make_extent_map(image.fd, image.size);
      if (map.get() < 0) {
        *failed = image.display;
        return false;
      }
      struct stat st {};
      const uint64_t size = fstat(map.get(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
      link.extent_device = add_device(map.get(), size);
      maps->push_back(std::move(map));
    }
  }
  return true;
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
