// input_chain.cc: opens an input image and its chain, top first, checking what the host sent.
#include "guest/ops/input_chain.h"

#include <new>

namespace instar {

bool valid_device(uint32_t index, BlockSource* const* devices, uint32_t device_count) {
  return index < device_count && index < abi::kMaxDevices && devices[index] != nullptr;
}

// Opens input `i`: alone when the host sent no chain (chain_length 0), else every image of the
// chain the host resolved, top first, each attached as the backing file of the one before. The
// chain must be exactly what the images declare: the host found it by asking the guest.
Status open_input(const abi::OpConfig& op, uint32_t i, BlockSource* const* devices,
                  uint32_t device_count, Arena& arena, qcow2::OpenErrorDetail* detail,
                  InputChain* out) {
  const uint32_t length = op.chain_length[i];
  const bool chained = length != 0;
  if (length > abi::kMaxChainImages || (chained && op.chain[i][0].device != op.input_device[i])) {
    return Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, i);
  }
  for (uint32_t k = 0; k < (chained ? length : 1u); ++k) {
    const uint32_t device = chained ? op.chain[i][k].device : op.input_device[i];
    const uint32_t format = chained ? op.chain[i][k].format : op.input_format[i];
    const uint32_t data = chained ? op.chain[i][k].data_device : abi::kNoDevice;
    const uint32_t extents = chained ? op.chain[i][k].extent_device : abi::kNoDevice;
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
    if (!image->is_qcow2() && extents != abi::kNoDevice) {
      INSTAR_TRY(image->set_extent_map(*devices[extents], arena));
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

}  // namespace instar
