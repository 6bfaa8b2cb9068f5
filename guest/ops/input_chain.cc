// input_chain.cc: an input and its host-resolved backing chain, opened top first.
#include "guest/ops/input_chain.h"

#include <new>

namespace instar {

bool valid_device(uint32_t index, BlockSource* const* devices, uint32_t device_count) {
  return index < device_count && index < abi::kMaxDevices && devices[index] != nullptr;
}

Status open_input_chain(uint32_t top_device, uint32_t top_format, const abi::ChainLink* links,
                        uint32_t length, BlockSource* const* devices, uint32_t device_count,
                        Arena& arena, ErrorNames* detail, InputChain* out) {
  const bool chained = length != 0;
  if (length > abi::kMaxChainImages || (chained && links[0].device != top_device)) {
    return Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, top_device);
  }
  for (uint32_t k = 0; k < (chained ? length : 1u); ++k) {
    const uint32_t device = chained ? links[k].device : top_device;
    const uint32_t format = chained ? links[k].format : top_format;
    const uint32_t data = chained ? links[k].data_device : abi::kNoDevice;
    const uint32_t extents = chained ? links[k].extent_device : abi::kNoDevice;
    if (!valid_device(device, devices, device_count) ||
        (data != abi::kNoDevice && !valid_device(data, devices, device_count)) ||
        (extents != abi::kNoDevice && !valid_device(extents, devices, device_count))) {
      return Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, device);
    }
    // CompareImage holds a batch of read requests: too large for the guest's stack times 16.
    void* memory = arena.allocate(sizeof(CompareImage), alignof(CompareImage));
    if (memory == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
    CompareImage* image = new (memory) CompareImage();
    detail->clear();
    INSTAR_TRY(image->open(*devices[device], static_cast<abi::ImageFormat>(format),
                           data == abi::kNoDevice ? nullptr : devices[data], chained, arena,
                           detail));
    if (extents != abi::kNoDevice) {
      const FileFacts facts{.extent_map = devices[extents],
                            .allocated_bytes = links[k].allocated_bytes};
      INSTAR_TRY(image->driver().set_file_facts(facts, arena));
    }
    if (k > 0) out->images[k - 1]->set_backing(*image);
    out->images[k] = image;
    out->length = k + 1;
    // Each image but the last must declare a backing file; the last one must not.
    if (chained && image->declares_backing() != (k + 1 < length)) {
      return Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, device);
    }
  }
  return Status::Ok();
}

Status allocated_above(const InputChain& chain, uint32_t first, uint32_t end, uint64_t offset,
                       uint64_t* n, bool* allocated) {
  const uint64_t bytes = *n;
  uint64_t run = bytes;
  for (uint32_t i = first; i < end; ++i) {
    CompareImage& layer = *chain.images[i];
    BlockStatus status;
    INSTAR_TRY(layer.layer_status(offset, bytes, &status));
    if ((status.flags & kBlockAllocated) != 0) {
      *allocated = true;
      *n = status.bytes;
      return Status::Ok();
    }
    if (run > status.bytes && (i == first || offset + status.bytes < layer.length())) {
      run = status.bytes;
    }
  }
  *allocated = false;
  *n = run;
  return Status::Ok();
}

}  // namespace instar
