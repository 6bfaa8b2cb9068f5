// qcow_driver.h: the legacy qcow (v1) format behind the driver interface (qemu's block/qcow.c,
// read-only): L1/L2 lookups, compressed clusters, backing files; AES images open for info only.
#pragma once

#include <stdint.h>

#include "guest/formats/driver.h"
#include "guest/formats/qcow/header.h"
#include "guest/formats/windowed_reader.h"

namespace instar::qcow {

// An opened image: what open_qcow() sets up.
struct Image {
  Header header;
  Geometry geometry;
  BlockSource* source = nullptr;
  // qemu reads the L1 table whole at open and caches 16 L2 tables; instar reads entries through
  // one window per level, the same bytes either way.
  WindowedReader* l1 = nullptr;
  WindowedReader* l2 = nullptr;
  bool has_backing = false;  // a non-empty name (bs->backing_file[0])
  Bytes backing_name;        // up to its first NUL, in the arena
};

// qcow_open() (`no_io`: BDRV_O_NO_IO, which lets an AES image open without its key).
Status open_qcow(BlockSource& source, bool no_io, Arena& arena, Image* image);

// get_cluster_offset() without allocation: the L2 entry of the cluster holding `offset` (0 when
// the L1 or L2 entry is 0). An L2 table read past BDRV_MAX_LENGTH fails with ERROR_SMALL_EIO.
Status cluster_entry(Image& image, uint64_t offset, uint64_t* entry);

// One opened qcow image.
class QcowDriver final : public ImageDriver {
 public:
  Status open(BlockSource& source, const OpenContext& context, Arena& arena) override;
  uint64_t length() const override { return image_.geometry.length; }
  uint64_t cluster_size() const override { return image_.geometry.cluster_size; }
  bool declares_backing() const override { return image_.has_backing; }
  void set_backing(BackingReader& backing) override { backing_ = &backing; }
  Status block_status(uint64_t offset, uint64_t bytes, BlockStatus* out) override;
  Status read(uint64_t offset, MutableBytes out) override;

 private:
  Status inflate(uint64_t entry);

  Image image_;
  BackingReader* backing_ = nullptr;
  Arena* arena_ = nullptr;
  // decompress_cluster()'s one-cluster cache (cluster_cache_offset): compressed clusters are
  // inflated once however many reads they take.
  uint8_t* cluster_cache_ = nullptr;
  bool cached_ = false;
  uint64_t cached_offset_ = 0;  // the cached cluster's compressed offset (qemu's cache key)
};

extern const FormatDriver kQcowDriver;

}  // namespace instar::qcow
