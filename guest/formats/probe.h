// probe.h: choosing the driver for an image the way qemu 7.2 does, among the formats instar has.
#pragma once

#include <stdint.h>

#include "guest/abi/abi.h"
#include "guest/lib/bytes.h"
#include "guest/lib/status.h"

namespace instar {

// Bytes of the image head probing looks at (qemu reads 2048, zero-filled past EOF).
inline constexpr uint64_t kProbeSize = 2048;

enum class DetectedFormat : uint32_t { kRaw, kQcow2 };

// bdrv_probe_all() restricted to raw, qcow2 and qcow (v1): "QFI\xfb" with version >= 2 is qcow2,
// with version 1 the legacy qcow driver's (ERROR_QCOW_V1, which instar does not open), anything
// else (an empty file too) raw. An explicit format skips probing; qcow2 then fails at open when
// the magic is missing (ERROR_NOT_QCOW2). `head` is the first bytes, zero-filled to >= 8.
// Unknown ImageFormat values are ERROR_BAD_CONFIG.
Result<DetectedFormat> detect_format(abi::ImageFormat requested, Bytes head);

}  // namespace instar
