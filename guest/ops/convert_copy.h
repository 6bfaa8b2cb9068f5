// convert_copy.h: qemu-img 7.2's convert_do_copy over opened inputs and an ImageWriter: block
// status per input, chunking, zero detection, in-order writes, progress.
#pragma once

#include <stdint.h>

#include "guest/abi/guest.npb.h"
#include "guest/lib/image_writer.h"
#include "guest/lib/status.h"
#include "guest/ops/compare_image.h"

namespace instar {

// IO_BUF_SIZE of qemu-img.c in sectors: the largest chunk read and written at once.
inline constexpr uint64_t kConvertBufSectors = 2 * 1024 * 1024 / 512;
// BDRV_REQUEST_MAX_SECTORS: INT_MAX >> 9, the longest block-status query.
inline constexpr uint64_t kRequestMaxSectors = 0x7fffffffu >> 9;

struct ConvertSettings {
  uint64_t min_sparse = 8;     // -S in sectors; 0: no zero detection, fully allocated output
  bool has_zero_init = false;  // the target reads as zeros: zero runs need no write
  bool compressed = false;     // -c: whole clusters through write_compressed()
  uint64_t alignment = 8;      // s.alignment: end alignment of zero detection, in sectors
  uint64_t buf_sectors = kConvertBufSectors;
  // The target has a backing file (-B): block status asks each input's top image alone, and
  // what it leaves unallocated stays unallocated in the target.
  bool target_has_backing = false;
  // The target's backing file length in sectors (a new target), else -1: zeros beyond it are
  // what the unallocated target reads anyway.
  int64_t target_backing_sectors = -1;
  // -C (s.copy_range): a data chunk is copied whole (blk_co_copy_range(), zeros included) until
  // a chunk the source cannot offload (a compressed cluster) turns it off for the rest.
  bool copy_range = false;
  // -p: report qemu_progress_print()'s arguments to the event sink.
  bool progress = false;
  // --salvage (s.salvage): a block status or read that fails with an I/O failure is retried on
  // shorter ranges down to one sector, and that sector is reported, then copied as data (block
  // status) or as zeros (read), instead of ending the conversion.
  bool salvage = false;
};

// One input: the top image of its chain, read through as one device.
struct ConvertInput {
  CompareImage* image = nullptr;
};

// Which of qemu's two salvage warnings a sector gets.
enum class SalvageKind { kBlockStatus, kRead };

// What the copy reports while it runs, in order: qemu_progress_print()'s arguments (with
// settings.progress) and the sectors --salvage gave up on (with settings.salvage).
class ConvertEventSink {
 public:
  virtual Status progress(uint64_t done_sectors, uint64_t total_sectors) = 0;
  // `input`'s sector at byte `offset` failed with `error`; `corruption_event`: the failure is
  // that input's first qcow2 corruption event, whose line qemu prints once per image.
  virtual Status salvaged(SalvageKind kind, uint32_t input, uint64_t offset, const Status& error,
                          bool corruption_event) = 0;

 protected:
  ~ConvertEventSink() = default;
};

struct ConvertOutcome {
  instar_guest_ConvertKind kind = instar_guest_ConvertKind_CONVERT_DONE;
  uint64_t offset = 0;  // the byte offset the error kinds name
  Status error;
  FileRange preallocate;  // ImageWriter::preallocated_area() of the target, reported to the host
  // create with a data file: Qcow2Writer::data_file_zeros() / data_file_end().
  FileRange data_file_zeros;
  uint64_t data_file_end = 0;
};

// Copies the concatenated `inputs` onto `target` (target.size() >= their total length) as
// qemu-img convert does without -W, using `buf` (buf_sectors * 512 bytes). `events` may be null
// when settings ask for neither progress nor salvage. A failing event sink ends the copy with its
// status as a write failure.
ConvertOutcome convert_copy(const ConvertInput* inputs, uint32_t count, ImageWriter& target,
                            const ConvertSettings& settings, uint8_t* buf,
                            ConvertEventSink* events);

}  // namespace instar
