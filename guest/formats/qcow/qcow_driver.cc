// qcow_driver.cc: the qcow (v1) probe; everything else about the format is refused for now.
#include "guest/formats/qcow/qcow_driver.h"

#include "guest/formats/qcow2/limits.h"
#include "guest/lib/bytes.h"

namespace instar::qcow {

namespace {

constexpr uint32_t kVersion = 1;  // QCOW_VERSION

}  // namespace

int probe(Bytes head) {
  if (head.size < 8 || load_be32(head.data) != qcow2::kMagic) return 0;
  return load_be32(head.data + 4) == kVersion ? 100 : 0;
}

const FormatDriver kQcowDriver = {
    .format = abi::ImageFormat::kProbe,  // no ABI value: the host never selects it
    .info_format = instar_guest_Format_FORMAT_UNKNOWN,
    .name = "qcow",
    .probe = probe,
    .unsupported = instar_guest_ErrorCode_ERROR_QCOW_V1,
    .new_image = nullptr,
    .describe = nullptr,
    .check = nullptr,
    .new_writer = nullptr,
};

}  // namespace instar::qcow
