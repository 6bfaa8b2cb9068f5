// driver.h: the guest's image format driver interface, after qemu's BlockDriver: what each format
// provides (probe, open, block status, read, info, check, writer) so the ops stay format-agnostic.
//
// A format is one FormatDriver (its static description and entry points, in the registry of
// probe.cc) and, for formats instar opens, an ImageDriver subclass (one opened image, like
// bs->opaque with the driver's callbacks). docs/formats.md says how a new format plugs in.
#pragma once

#include <stdint.h>

#include "guest/abi/abi.h"
#include "guest/abi/guest.npb.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/bytes.h"
#include "guest/lib/error_names.h"
#include "guest/lib/image_writer.h"
#include "guest/lib/message_sink.h"
#include "guest/lib/status.h"

namespace instar {

// BDRV_BLOCK_* bits of qemu 7.2's bdrv_block_status_above() result. Strict mode compares whole
// status words, so every bit qemu sets must be set here too.
inline constexpr uint32_t kBlockData = 0x01;
inline constexpr uint32_t kBlockZero = 0x02;
inline constexpr uint32_t kBlockOffsetValid = 0x04;
inline constexpr uint32_t kBlockAllocated = 0x10;
inline constexpr uint32_t kBlockEof = 0x20;

struct BlockStatus {
  uint32_t flags = 0;
  uint64_t bytes = 0;        // pnum: > 0
  uint64_t host_offset = 0;  // *map: with kBlockOffsetValid, the offset in the layer's file
                             // (a qcow2's external data file when it has one)
  bool compressed = false;   // a compressed cluster (qemu 8.0+'s BDRV_BLOCK_COMPRESSED; kept out
                             // of `flags`, which compare -s compares as 7.2 does)
};

// The guest bytes of an image's backing file at any offset (zeros past its end).
class BackingReader {
 public:
  virtual Status read_backing(uint64_t offset, MutableBytes out) = 0;

 protected:
  ~BackingReader() = default;
};

// What the host learned about an image's files from the file system, never from their bytes.
struct FileFacts {
  // The data-extent map of the file holding the image's data (its external data file, if any):
  // big-endian u64 [start, end) pairs, in order, from SEEK_DATA/SEEK_HOLE.
  BlockSource* extent_map = nullptr;
  // The image file's bdrv_get_allocated_file_size() (st_blocks * 512), or abi::kAllocationUnknown.
  uint64_t allocated_bytes = abi::kAllocationUnknown;
};

// What the host resolved around an image before the guest opens it (docs/chains.md).
struct OpenContext {
  // The external data file the image names, as the host opened it (nullptr: none).
  BlockSource* data_file = nullptr;
  // The host resolved the input's chain: a declared backing file will be attached with
  // ImageDriver::set_backing(). Without it, an image that declares a backing file or data file is
  // refused (ERROR_BACKING_FILE_NOT_SUPPORTED / ERROR_DATA_FILE_NOT_SUPPORTED).
  bool chained = false;
  // The image names an open error quotes (feature names, bitmap names); may be filled on failure.
  ErrorNames* detail = nullptr;
};

// Which internal snapshot bdrv_snapshot_load_tmp() loads: the one whose id and name match those
// given (at least one is).
struct SnapshotSelector {
  bool has_id = false;
  Bytes id;
  bool has_name = false;
  Bytes name;
};

// One opened image of one format, read-only: the BlockDriver callbacks compare, map, convert and
// measure use. Instances live in the Arena (FormatDriver::new_image) and are never destroyed.
class ImageDriver {
 public:
  // bdrv_open(): validates the image as qemu's open does for reading. `arena` holds what the
  // image keeps (tables, caches) for its whole life.
  virtual Status open(BlockSource& source, const OpenContext& context, Arena& arena) = 0;

  // blk_getlength(): the guest-visible length in bytes.
  virtual uint64_t length() const = 0;

  // bdrv_get_info()'s cluster_size: 0 for formats whose driver reports none (raw).
  virtual uint64_t cluster_size() const = 0;

  // The image names a backing file; the opened backing image is then given to set_backing().
  virtual bool declares_backing() const { return false; }
  virtual void set_backing(BackingReader& backing) { (void)backing; }

  // What the host found out about the image's files with fstat() and SEEK_DATA/SEEK_HOLE, for
  // the formats whose block status asks the file system as qemu's file driver does (raw; the
  // BDRV_BLOCK_RECURSE step of a static vdi or a metadata-preallocated qcow2). Others ignore it.
  virtual Status set_file_facts(const FileFacts& facts, Arena& arena) {
    (void)facts;
    (void)arena;
    return Status::Ok();
  }

  // The driver's bdrv_co_block_status() for this layer alone: 0 < bytes and offset + bytes <=
  // length() (the generic layer clamps). Sets out->bytes > 0 and kBlockData / kBlockZero /
  // kBlockOffsetValid with host_offset / compressed. Leaves kBlockAllocated and kBlockEof, and
  // the zeros of unallocated ranges without a backing file, to the generic layer
  // (compare_image.cc), as bdrv_co_block_status() does.
  virtual Status block_status(uint64_t offset, uint64_t bytes, BlockStatus* out) = 0;

  // blk_pread(): the guest bytes at [offset, offset + out.size) inside length(); ranges the image
  // leaves unallocated read from the backing file (zeros without one).
  virtual Status read(uint64_t offset, MutableBytes out) = 0;

  // bdrv_snapshot_load_tmp(): from now on the image reads as internal snapshot `selector`
  // (its length stays the image's). Formats without internal snapshots refuse, as qemu's
  // generic layer does.
  virtual Status load_snapshot(const SnapshotSelector& selector, Arena& arena) {
    (void)selector, (void)arena;
    return Status(instar_guest_ErrorCode_ERROR_SNAPSHOT_LOAD_UNSUPPORTED);
  }

  // qemu-img measure's bitmaps: whether the source can carry persistent dirty bitmaps into a
  // qcow2 target (`supported`) and the bytes they take there for `cluster_size` clusters.
  // Formats without bitmaps leave both unset (false, 0).
  virtual Status measure_bitmaps(uint64_t length, uint64_t cluster_size, Arena& arena,
                                 ErrorNames* detail, bool* supported, uint64_t* size) {
    (void)length, (void)cluster_size, (void)arena, (void)detail, (void)supported, (void)size;
    return Status::Ok();
  }

 protected:
  ~ImageDriver() = default;
};

// What `info` asks a format to describe.
struct InfoRequest {
  BlockSource* source;
  Bytes head;   // the first kProbeSize bytes, zero-filled past EOF
  bool probed;  // the format was probed, not given with -f
  bool no_io;   // qemu-img info's BDRV_O_NO_IO open (abi::kOpFlagNoIo)
};

// What an op that produces an image (convert; later create) asks a format's writer factory for.
struct WriterRequest {
  const abi::OpConfig* op;  // the target's creation options as the host passed them
  BlockSink* sink;          // the output file
  BlockSource* readback;    // reads the output back (the writer's evicted tables)
  uint64_t size;            // the target's virtual size
  bool fresh;               // the host created the file for this run (not convert -n)
  TargetBacking* backing;   // the target's backing chain (a backing file was given), or nullptr
};

// One image format: qemu's BlockDriver's static part and its entry points.
struct FormatDriver {
  abi::ImageFormat format;          // the ABI value the host selects it with (-f / -F)
  instar_guest_Format info_format;  // how ImageInfo / CheckResult name it to the host
  const char* name;                 // qemu's format_name
  // bdrv_probe(): qemu's score for the image head (0: not this format), nullptr for formats qemu
  // never probes. select_driver() picks the highest, like bdrv_probe_all().
  int (*probe)(Bytes head);
  // Formats qemu-img detects but instar does not open yet: the error selecting them gives
  // (e.g. ERROR_QCOW_V1); 0 for formats instar opens.
  instar_guest_ErrorCode unsupported;
  // A fresh, unopened ImageDriver in `arena` (nullptr when the arena is exhausted).
  ImageDriver* (*new_image)(Arena& arena);
  // `info`: validates the image and emits its ImageInfo (and any following messages, such as
  // snapshots), but neither the failure's Error nor Done. On failure `detail` may name what the
  // error quotes.
  Status (*describe)(const InfoRequest& request, MessageSink& sink, Arena& arena,
                     ErrorNames* detail);
  // `check`: emits the check's messages and its CheckResult (guest/ops/check.h), or nullptr for
  // formats qemu-img check says "does not support checks" of.
  Status (*check)(BlockSource& source, MessageSink& sink, Arena& arena);
  // bdrv_create() and the open of the new target: an ImageWriter in `arena` over request.sink,
  // its metadata laid out as qemu's create does; nullptr with `*why` set (left Ok when the arena
  // is exhausted). nullptr for formats instar cannot create.
  ImageWriter* (*new_writer)(const WriterRequest& request, Arena& arena, Status* why);
};

}  // namespace instar
