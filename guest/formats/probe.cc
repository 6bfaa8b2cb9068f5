// probe.cc: format detection by magic, with qemu's precedence for an explicit -f.
#include "guest/formats/probe.h"

#include "guest/formats/qcow2/limits.h"

namespace instar {

Result<DetectedFormat> detect_format(abi::ImageFormat requested, Bytes head) {
  switch (requested) {
    case abi::ImageFormat::kRaw:
      return DetectedFormat::kRaw;
    case abi::ImageFormat::kQcow2:
      return DetectedFormat::kQcow2;
    case abi::ImageFormat::kProbe:
      break;
    default:
      return Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, static_cast<uint32_t>(requested));
  }
  if (head.size < 8 || load_be32(head.data) != qcow2::kMagic) return DetectedFormat::kRaw;
  const uint32_t version = load_be32(head.data + 4);
  if (version >= 2) return DetectedFormat::kQcow2;
  if (version == 1) return Status(instar_guest_ErrorCode_ERROR_QCOW_V1);
  return DetectedFormat::kRaw;
}

}  // namespace instar
