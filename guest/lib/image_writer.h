// image_writer.h: the seam between an op that produces an image (convert, later create and the
// in-place ops) and the format driver that lays it out on an output BlockSink.
//
// It mirrors the block layer calls qemu-img makes on its target (blk_co_pwrite,
// blk_co_pwrite_compressed, blk_co_pwrite_zeroes, blk_flush + close), so that an op written like
// qemu-img.c over a driver written like block/<format>.c lays the output out byte for byte as
// qemu-img does: the op decides which guest ranges are written in which order, the driver decides
// where they land in the file.
#pragma once

#include <stdint.h>

#include "guest/lib/bytes.h"
#include "guest/lib/status.h"

namespace instar {

// The image a target's backing file names, as qemu's bs->backing reads it: the copy-on-write
// regions of new clusters and the zero test of write_zeroes' partial subclusters look through it
// where the target has nothing allocated.
class TargetBacking {
 public:
  // The backing chain's guest bytes at any offset (zeros beyond its end).
  virtual Status read(uint64_t offset, MutableBytes out) = 0;
  // bdrv_co_is_zero_fast() below the target: [offset, offset + bytes) is known to read as zeros
  // without reading data (block status without want_zero).
  virtual Result<bool> reads_as_zero(uint64_t offset, uint64_t bytes) = 0;

 protected:
  ~TargetBacking() = default;
};

// A byte range [start, end) of the target's file.
struct FileRange {
  uint64_t start = 0;
  uint64_t end = 0;
};

class ImageWriter {
 public:
  // The target's virtual size in bytes (what the op may write below).
  virtual uint64_t size() const = 0;

  // bdi.cluster_size as qemu-img convert reads it from bdrv_get_info(): 0 for raw. convert aligns
  // its chunks to it where qemu-img does (compression, a target with a backing file).
  virtual uint32_t cluster_size() const = 0;

  // bdrv_has_zero_init(): a freshly created target reads as zeros, so zero runs need no write.
  virtual bool has_zero_init() const = 0;

  // blk_co_pwrite(): `data` at guest offset `offset`; offset and data.size are multiples of 512,
  // the range lies inside size().
  virtual Status write(uint64_t offset, Bytes data) = 0;

  // blk_co_pwrite_compressed(): one cluster at a cluster-aligned offset (the image's last cluster
  // may be short). Formats without compressed clusters fail with ERROR_UNSUPPORTED_OP.
  virtual Status write_compressed(uint64_t offset, Bytes data) = 0;

  // blk_co_pwrite_zeroes(): make [offset, offset + bytes) read as zeros; `may_unmap` is
  // BDRV_REQ_MAY_UNMAP.
  virtual Status write_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap) = 0;

  // Writes back every cached table (L2 tables, refcount blocks, header updates) in the order
  // qemu's flush and close write them, then flushes the sink. The output is complete only after
  // finish() succeeded.
  virtual Status finish() = 0;

  // The part of the file the format left for the host to preallocate (qcow2 preallocation=falloc
  // or full: the data area); empty for everything else.
  virtual FileRange preallocated_area() const { return FileRange{}; }

 protected:
  ~ImageWriter() = default;
};

}  // namespace instar
