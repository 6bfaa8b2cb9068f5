// raw_writer.h: the raw format's ImageWriter: guest offsets are file offsets on the output sink.
#pragma once

#include <stdint.h>

#include "guest/lib/block_source.h"
#include "guest/lib/image_writer.h"

namespace instar::raw {

// block/raw-format.c over file-posix as qemu-img convert drives them: writes land at the same
// offset; zeroes are written as zero bytes (the sink has no hole punching: docs/convert.md);
// compressed writes are refused as qemu refuses them ("Compression not supported for this file
// format" is decided by the host before the run).
class RawWriter final : public ImageWriter {
 public:
  // `fresh`: the host created the file for this run, so it reads as zeros (bdrv_has_zero_init of
  // a new file). `flush`: the cache mode flushes on close (everything but cache=unsafe).
  // `zeros` is a zero-filled scratch buffer that write_zeroes() writes from (size: a multiple of
  // 512, at least 512).
  RawWriter(BlockSink& sink, uint64_t size, bool fresh, bool flush, Bytes zeros)
      : sink_(sink), size_(size), fresh_(fresh), flush_(flush), zeros_(zeros) {}

  uint64_t size() const override { return size_; }
  uint32_t cluster_size() const override { return 0; }
  bool has_zero_init() const override { return fresh_; }
  Status write(uint64_t offset, Bytes data) override;
  Status write_compressed(uint64_t offset, Bytes data) override;
  Status write_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap) override;
  Status finish() override;

 private:
  Status check_range(uint64_t offset, uint64_t bytes) const;

  BlockSink& sink_;
  uint64_t size_;
  bool fresh_;
  bool flush_;
  Bytes zeros_;
};

}  // namespace instar::raw
