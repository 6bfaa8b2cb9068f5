// qed_driver.h: the QED format behind the driver interface (qemu's block/qed.c, read-only):
// images with and without a backing file.
#pragma once

#include <stdint.h>

#include "guest/formats/driver.h"
#include "guest/formats/qed/header.h"
#include "guest/formats/windowed_reader.h"

namespace instar::qed {

// qed_find_cluster()'s answers.
enum class ClusterKind { kFound, kZero, kL2, kL1 };

// An opened image's header, geometry and table readers: what open_qed() sets up.
struct Image {
  Header header;
  Geometry geometry;
  BlockSource* source = nullptr;
  // qemu reads the whole L1 table at open and keeps L2 tables in a small cache; instar reads
  // entries through one window per level, the same bytes either way.
  WindowedReader* l1 = nullptr;
  WindowedReader* l2 = nullptr;
  bool has_backing = false;  // QED_F_BACKING_FILE with a non-empty name (bs->backing_file[0])
  Bytes backing_name;        // up to its first NUL, in the arena
  bool raw_backing = false;  // QED_F_BACKING_FORMAT_NO_PROBE
};

// bdrv_qed_do_open() for a read-only open: the header read and checked, the backing file name
// read; tables are read when first needed.
Status open_qed(BlockSource& source, Arena& arena, Image* image);

// qed_find_cluster(): what the guest bytes at `pos` map to, for at most `*len` bytes (shortened
// to the run, which stays inside one L2 table); `*offset` is the run's first cluster in the file
// (kFound). An invalid L2 table or data cluster offset fails with ERROR_QED_INVALID_OFFSET.
Status find_cluster(Image& image, uint64_t pos, uint64_t* len, ClusterKind* kind, uint64_t* offset);

// One opened qed image.
class QedDriver final : public ImageDriver {
 public:
  Status open(BlockSource& source, const OpenContext& context, Arena& arena) override;
  uint64_t length() const override { return image_.header.image_size; }
  uint64_t cluster_size() const override { return image_.header.cluster_size; }
  bool declares_backing() const override { return image_.has_backing; }
  void set_backing(BackingReader& backing) override { backing_ = &backing; }
  Status block_status(uint64_t offset, uint64_t bytes, BlockStatus* out) override;
  Status read(uint64_t offset, MutableBytes out) override;

 private:
  Image image_;
  BackingReader* backing_ = nullptr;
};

extern const FormatDriver kQedDriver;

}  // namespace instar::qed
