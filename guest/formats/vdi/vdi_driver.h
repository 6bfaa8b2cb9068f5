// vdi_driver.h: the VirtualBox vdi format behind the driver interface (qemu's block/vdi.c,
// read-only): dynamic and static images.
#pragma once

#include <stdint.h>

#include "guest/formats/driver.h"
#include "guest/formats/entry_table.h"
#include "guest/formats/raw/raw_driver.h"
#include "guest/formats/vdi/header.h"

namespace instar::vdi {

// One opened vdi image.
class VdiDriver final : public ImageDriver {
 public:
  Status open(BlockSource& source, const OpenContext& context, Arena& arena) override;
  uint64_t length() const override { return header_.disk_size; }
  uint64_t cluster_size() const override { return header_.block_size; }  // vdi_get_info()
  Status set_file_facts(const FileFacts& facts, Arena& arena) override;
  Status block_status(uint64_t offset, uint64_t bytes, BlockStatus* out) override;
  Status read(uint64_t offset, MutableBytes out) override;

 private:
  BlockSource* source_ = nullptr;
  Header header_;
  EntryTable map_;       // the block map
  raw::RawDriver file_;  // the image file as qemu's file driver answers for it
};

// vdi_open(): the header read, decoded and validated, and the block map set up.
Status open_vdi(BlockSource& source, Arena& arena, Header* header, EntryTable* map);

extern const FormatDriver kVdiDriver;

}  // namespace instar::vdi
