// vpc_driver.h: the VHD (Virtual PC) format behind the driver interface (qemu's block/vpc.c,
// read-only): fixed and dynamic disks; differencing disks read as dynamic ones, as in qemu 7.2.
#pragma once

#include <stdint.h>

#include "guest/formats/driver.h"
#include "guest/formats/raw/raw_driver.h"
#include "guest/formats/vpc/bat.h"
#include "guest/formats/vpc/dynamic_header.h"
#include "guest/formats/vpc/footer.h"

namespace instar::vpc {

// What vpc_open() leaves behind.
struct Opened {
  Footer footer;
  uint64_t sectors = 0;  // bs->total_sectors
  bool dynamic = false;  // the footer was at offset 0: a dynamic header and BAT were read
  DynamicHeader header;  // when dynamic
  EntryTable bat;        // when dynamic: the BAT
};

// One opened vpc image.
class VpcDriver final : public ImageDriver {
 public:
  Status open(BlockSource& source, const OpenContext& context, Arena& arena) override;
  uint64_t length() const override { return opened_.sectors * 512; }
  uint64_t cluster_size() const override;
  Status set_file_facts(const FileFacts& facts, Arena& arena) override;
  Status block_status(uint64_t offset, uint64_t bytes, BlockStatus* out) override;
  Status read(uint64_t offset, MutableBytes out) override;

 private:
  // qemu reads and maps by the footer's type, whichever way the open found the footer: a fixed
  // type maps the guest 1:1 onto the file, any other goes through the BAT.
  bool fixed() const { return opened_.footer.type == kTypeFixed; }
  // The BAT entry of block `index`.
  Status bat_entry(uint64_t index, uint32_t* entry);

  BlockSource* source_ = nullptr;
  Opened opened_;
  raw::RawDriver file_;  // the image file as qemu's file driver answers for it
};

// vpc_open(): the footer found (at offset 0, else a fixed disk's at the end of the file),
// checked and sized; for a footer at offset 0, the dynamic header and BAT read and checked.
Status open_vpc(BlockSource& source, Arena& arena, Opened* opened);

// vpc_get_info()'s cluster_size: the block size, except for a fixed footer type (0).
uint64_t cluster_size_of(const Opened& opened);

extern const FormatDriver kVpcDriver;

}  // namespace instar::vpc
