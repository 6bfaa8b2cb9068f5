// in_place_image.h: what the ops that change an image in place (resize, rebase) share: the file
// as qemu opens it, and the qcow2 states whose open-time side effects instar does not reproduce.
#pragma once

#include <stdint.h>

#include "guest/abi/abi.h"
#include "guest/abi/guest.npb.h"
#include "guest/formats/driver.h"
#include "guest/formats/qcow2/open.h"
#include "guest/formats/qcow2/qcow2_driver.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/error_names.h"

namespace instar {

// The image as qemu sees it when it opens it: the file's length, not the device's capacity (which
// may leave room for what the op appends). Reads go to the device as they are.
class OpenedFile final : public BlockSource {
 public:
  OpenedFile(BlockSource& device, uint64_t length) : device_(device), length_(length) {}
  uint64_t size() const override { return length_ < device_.size() ? length_ : device_.size(); }
  Status read_at(uint64_t offset, MutableBytes out) override {
    return device_.read_at(offset, out);
  }

 private:
  BlockSource& device_;
  uint64_t length_;
};

// The writable device an in-place op changes (op.output_device, with its sink) and the
// ErrorNames its open errors carry, from `arena`. `failure` is not ok when the config names no
// writable device (ERROR_BAD_CONFIG) or the arena is exhausted; the op then reports it.
struct InPlaceTarget {
  BlockSource* device = nullptr;
  BlockSink* sink = nullptr;
  ErrorNames* names = nullptr;
  Status failure;
};
InPlaceTarget in_place_target(const abi::OpConfig& op, BlockSource* const* devices,
                              BlockSink* const* sinks, uint32_t device_count, Arena& arena);

// The driver qemu's open picks for `source`: `requested`, or the probe's choice for kProbe. A
// probed raw image's head is classified into `*raw_head` (the host's safe detection); otherwise
// it is left as it is.
Result<const FormatDriver*> select_in_place_driver(BlockSource& source, abi::ImageFormat requested,
                                                   Arena& arena, instar_guest_RawHead* raw_head);

// qcow2_open() of the image an in-place op changes, into `scratch` (from `arena`): its open
// errors name what `names` records, which is cleared again once the image is open.
Status open_in_place_qcow2(BlockSource& source, Arena& arena, ErrorNames* names,
                           qcow2::OpenScratch* scratch);

// Why a qcow2 image opened read-write would make qemu write before the op itself (or write more
// than the op), numbered as guest.proto's ERROR_RESIZE_UNSUPPORTED / ERROR_REBASE_UNSUPPORTED
// reasons; kInPlaceSupported when none applies.
enum InPlaceRefusal : uint64_t {
  kInPlaceSupported = 0,
  kInPlaceDataFile = 2,   // qemu opens (and may change) the external data file too
  kInPlaceBitmaps = 3,    // qemu marks bitmaps in use on open and stores them on close
  kInPlaceAutoclear = 4,  // qemu clears unknown autoclear bits on open
  kInPlaceDirty = 5,      // qemu repairs the refcounts on open
  kInPlaceCorrupt = 6,    // qemu refuses to open it read-write
};
InPlaceRefusal in_place_refusal(const qcow2::Metadata& m);

}  // namespace instar
