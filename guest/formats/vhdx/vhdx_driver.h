// vhdx_driver.h: the Hyper-V VHDX format behind the driver interface (qemu 7.2's block/vhdx.c,
// read-only): dynamic and fixed images. Differencing images are refused at open, as qemu does.
#pragma once

#include <stdint.h>

#include "guest/formats/driver.h"
#include "guest/formats/vhdx/structures.h"
#include "guest/formats/windowed_reader.h"

namespace instar::vhdx {

// What vhdx_open() leaves behind.
struct Opened {
  Header header;
  RegionTable regions;
  Regions* registered = nullptr;  // the log and region table entries (in the arena)
  Geometry geometry;
  WindowedReader* bat = nullptr;  // reads BAT entries (qemu reads the whole BAT region at open)
};

// Whether vhdx_open() runs vhdx_check_bat_entries(): not for qemu-img check (BDRV_O_CHECK),
// whose vhdx_co_check() runs it counting instead of failing.
enum class BatCheck { kAtOpen, kSkip };

// vhdx_open() read-only: file signature, headers, log, region table, metadata, the BAT's size
// and read, and (kAtOpen) the BAT entries' bounds.
Status open_vhdx(BlockSource& source, Arena& arena, BatCheck bat_check, Opened* opened);

// The BAT entry at `index` (< the BAT region's entries).
Status read_bat_entry(const Opened& opened, uint64_t index, uint64_t* entry);

// One opened vhdx image.
class VhdxDriver final : public ImageDriver {
 public:
  Status open(BlockSource& source, const OpenContext& context, Arena& arena) override;
  uint64_t length() const override { return opened_.geometry.total_sectors * 512; }
  uint64_t cluster_size() const override { return opened_.geometry.block_size; }
  Status block_status(uint64_t offset, uint64_t bytes, BlockStatus* out) override;
  Status read(uint64_t offset, MutableBytes out) override;

 private:
  BlockSource* source_ = nullptr;
  Opened opened_;
};

extern const FormatDriver kVhdxDriver;

}  // namespace instar::vhdx
