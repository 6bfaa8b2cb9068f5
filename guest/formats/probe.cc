// probe.cc: the format driver registry and bdrv_probe_all()'s choice by probe score.
#include "guest/formats/probe.h"

#include "guest/formats/luks/luks_driver.h"
#include "guest/formats/parallels/parallels_driver.h"
#include "guest/formats/qcow/qcow_driver.h"
#include "guest/formats/qcow2/qcow2_driver.h"
#include "guest/formats/qed/qed_driver.h"
#include "guest/formats/raw/raw_driver.h"
#include "guest/formats/vdi/vdi_driver.h"
#include "guest/formats/vhdx/vhdx_driver.h"
#include "guest/formats/vmdk/vmdk_driver.h"
#include "guest/formats/vpc/vpc_driver.h"

namespace instar {

namespace {

// Every format instar knows. On equal scores the earlier one wins (qemu keeps its first best
// too; no two of its probes give the same image the same non-raw score).
const FormatDriver* const kDrivers[] = {&raw::kRawDriver, &qcow::kQcowDriver, &qcow2::kQcow2Driver,
                                        &vmdk::kVmdkDriver, &vdi::kVdiDriver, &vpc::kVpcDriver,
                                        &qed::kQedDriver, &luks::kLuksDriver, &vhdx::kVhdxDriver,
                                        // small-formats
                                        &parallels::kParallelsDriver};

}  // namespace

const FormatDriver* find_driver(abi::ImageFormat format) {
  for (const FormatDriver* driver : kDrivers) {
    if (driver->format == format && driver->unsupported == 0) return driver;
  }
  return nullptr;
}

Result<const FormatDriver*> select_driver(abi::ImageFormat requested, Bytes head) {
  if (requested != abi::ImageFormat::kProbe) {
    const FormatDriver* driver = find_driver(requested);
    if (driver == nullptr) {
      return Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, static_cast<uint32_t>(requested));
    }
    return driver;
  }
  const FormatDriver* best = nullptr;
  int best_score = 0;
  for (const FormatDriver* driver : kDrivers) {
    if (driver->probe == nullptr) continue;
    const int score = driver->probe(head);
    if (score > best_score) {
      best = driver;
      best_score = score;
    }
  }
  if (best == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);  // raw scores 1
  if (best->unsupported != 0) return Status(best->unsupported);
  return best;
}

}  // namespace instar
