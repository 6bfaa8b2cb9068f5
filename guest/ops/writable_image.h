// writable_image.h: what the in-place ops (resize, snapshot) share before they change an image:
// the file as qemu sees it, the format probe, and what a read-write qcow2 open would do by itself.
#pragma once

#include <stdint.h>

#include "guest/abi/abi.h"
#include "guest/abi/guest.npb.h"
#include "guest/formats/qcow2/open.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"

namespace instar {

// The file's length, not the device's capacity (which leaves room for what the op appends).
// Reads go to the device as they are.
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

struct ProbedImage {
  abi::ImageFormat format = abi::ImageFormat::kProbe;
  // A probed raw image's head (the host's safe detection); RAW_HEAD_NOT_PROBED otherwise.
  instar_guest_RawHead raw_head = instar_guest_RawHead_RAW_HEAD_NOT_PROBED;
};

// The driver qemu's open picks for `source`: `requested`, or the probe of its head (as info).
Result<ProbedImage> probe_image(BlockSource& source, abi::ImageFormat requested, Arena& arena);

// What a read-write open of qemu's would write by itself (clearing autoclear bits, marking
// bitmaps in use, repairing a dirty image) or refuse (a corrupt image), and an external data
// file the host did not open: the in-place ops refuse these before anything is written.
enum ReadWriteObstacle : uint64_t {
  kNoObstacle = 0,
  kObstacleDataFile = 1,
  kObstacleBitmaps = 2,
  kObstacleAutoclear = 3,
  kObstacleDirty = 4,
  kObstacleCorrupt = 5,
};
ReadWriteObstacle read_write_obstacle(const qcow2::Metadata& m);

}  // namespace instar
