// qcow_driver.h: the legacy qcow (v1) format as qemu 7.2 detects it; instar does not open it yet.
#pragma once

#include "guest/formats/driver.h"

namespace instar::qcow {

// qcow_probe(): "QFI\xfb" with version 1 scores 100 (version >= 2 is qcow2's).
int probe(Bytes head);

// Detected so that probing agrees with qemu-img, refused with ERROR_QCOW_V1.
extern const FormatDriver kQcowDriver;

}  // namespace instar::qcow
