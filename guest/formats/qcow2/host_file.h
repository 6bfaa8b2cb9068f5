// host_file.h: the qcow2 file as the writer sees it: a BlockSink plus its length and read-back.
#pragma once

#include <stdint.h>

#include "guest/lib/block_source.h"

namespace instar::qcow2 {

class HostFile {
 public:
  // `readback` (may be null) reads back what was written: the writer only re-reads tables it
  // evicted from its caches.
  HostFile(BlockSink& sink, BlockSource* readback) : sink_(sink), readback_(readback) {}

  Status write(uint64_t offset, Bytes data);
  // Writes `length` zero bytes (what qemu's COW or its write_zeroes fallback leaves).
  Status write_zeros(uint64_t offset, uint64_t length);
  // What a discard (a punched hole) leaves: the part of [offset, offset + length) inside the
  // file reads as zeros; the file does not grow.
  Status discard(uint64_t offset, uint64_t length);
  // ERROR_INTERNAL without a read-back source: the caches were too small for the access pattern.
  Status read(uint64_t offset, MutableBytes out);
  Status flush() { return sink_.flush(); }

  // The file length qemu would see: the end of the furthest write, or of a range the file was
  // grown to without a write (grow_to()).
  uint64_t end() const { return end_; }
  // bdrv_co_truncate() of the file to a larger `end` whose new bytes the host fills in.
  void grow_to(uint64_t end) {
    if (end > end_) end_ = end;
  }
  // An existing image (resize): the file's length before the first write.
  void set_end(uint64_t end) { end_ = end; }

 private:
  BlockSink& sink_;
  BlockSource* readback_;
  uint64_t end_ = 0;
};

}  // namespace instar::qcow2
