// probe.h: the registry of format drivers and choosing one for an image the way qemu 7.2 does.
#pragma once

#include <stdint.h>

#include "guest/abi/abi.h"
#include "guest/formats/driver.h"
#include "guest/lib/bytes.h"
#include "guest/lib/status.h"

namespace instar {

// Bytes of the image head probing looks at (qemu reads 2048, zero-filled past EOF).
inline constexpr uint64_t kProbeSize = 2048;

// The driver an explicit format names (-f / -F), or nullptr for kProbe and unknown values.
const FormatDriver* find_driver(abi::ImageFormat format);

// bdrv_probe_all() over the registered formats: the highest probe score wins, the first
// registered on a tie (qemu's driver list order); raw's score of 1 makes it the fallback. A
// winner instar does not open fails with its `unsupported` error (qcow v1: ERROR_QCOW_V1).
// An explicit format skips probing; its own open then fails when the content is not that format
// (qcow2: ERROR_NOT_QCOW2). `head` is the first bytes, zero-filled to kProbeSize. Unknown
// ImageFormat values are ERROR_BAD_CONFIG.
Result<const FormatDriver*> select_driver(abi::ImageFormat requested, Bytes head);

}  // namespace instar
