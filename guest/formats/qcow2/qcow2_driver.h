// qcow2_driver.h: the qcow2 format behind the driver interface (qemu's block/qcow2.c, read-only).
#pragma once

#include <stdint.h>

#include "guest/abi/abi.h"
#include "guest/formats/driver.h"
#include "guest/formats/qcow2/cluster_map.h"
#include "guest/formats/qcow2/create_options.h"
#include "guest/formats/qcow2/data_reader.h"
#include "guest/formats/qcow2/metadata_preallocation.h"
#include "guest/formats/qcow2/open.h"
#include "guest/formats/raw/raw_driver.h"

namespace instar::qcow2 {

// The creation options of a qcow2 target as the host passed them in OpConfig (qcow2_* and
// convert's backing and preallocation fields), for a `size`-byte image.
Qcow2CreateOptions create_options(const abi::OpConfig& op, uint64_t size);

// An abi::Qcow2Prealloc value as the writer takes it (unknown values: off; the host sends none).
Preallocation preallocation_mode(uint32_t mode);

// One qcow2 image (not encrypted) with its external data file and backing image as the host
// opened them (docs/chains.md).
class Qcow2Driver final : public ImageDriver {
 public:
  Status open(BlockSource& source, const OpenContext& context, Arena& arena) override;
  uint64_t length() const override { return length_; }
  uint64_t cluster_size() const override { return map_.cluster_size(); }
  bool declares_backing() const override { return declares_backing_; }
  void set_backing(BackingReader& backing) override { data_.set_backing(backing); }
  Status set_file_facts(const FileFacts& facts, Arena& arena) override;
  Status block_status(uint64_t offset, uint64_t bytes, BlockStatus* out) override;
  Status read(uint64_t offset, MutableBytes out) override { return data_.read(offset, out); }
  Status load_snapshot(const SnapshotSelector& selector, Arena& arena) override;
  Status measure_bitmaps(uint64_t length, uint64_t cluster_size, Arena& arena, ErrorNames* detail,
                         bool* supported, uint64_t* size) override;

 private:
  // qcow2_co_block_status()'s first call: s->metadata_preallocation, and with it
  // BDRV_BLOCK_RECURSE for data clusters (their holes in the file then read as zeros).
  Status check_metadata_preallocation();

  BlockSource* source_ = nullptr;
  bool declares_backing_ = false;
  uint64_t length_ = 0;
  ClusterMap map_;
  DataReader data_;
  RefcountGeometry refcounts_;
  Arena* arena_ = nullptr;
  // The file holding the data (the data file, if any) as qemu's file driver answers for it; the
  // preallocation test needs the host's facts, without which it is never made.
  raw::RawDriver data_file_;
  bool has_file_facts_ = false;
  uint64_t allocated_bytes_ = 0;
  bool preallocation_checked_ = false;
  bool metadata_preallocation_ = false;
};

// The scratch an open_image() call needs, in the arena (released by the caller).
struct OpenScratch {
  WindowedReader* reader = nullptr;
  TableScratch tables{};
  Metadata* metadata = nullptr;
};
Status allocate_open_scratch(BlockSource& source, Arena& arena, OpenScratch* out);

// qcow2_probe(): "QFI\xfb" with version >= 2 scores 100.
int probe(Bytes head);

extern const FormatDriver kQcow2Driver;

}  // namespace instar::qcow2
