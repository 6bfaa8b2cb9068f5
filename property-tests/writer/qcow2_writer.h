// qcow2_writer.h: Model -> qcow2 image bytes that qemu-img check calls clean.
#pragma once

#include <stdint.h>

#include <vector>

#include "property-tests/model/model.h"
#include "property-tests/writer/layout.h"

namespace instar::props {

// A written piece of the external data file, which is sparse: clusters sit at their guest
// offset, possibly terabytes in.
struct DataExtent {
  uint64_t offset = 0;
  std::vector<uint8_t> bytes;
};

struct WrittenImage {
  std::vector<uint8_t> bytes;
  std::vector<DataExtent> data_file;  // the external data file's contents, when there is one
  uint64_t data_file_size = 0;
  Layout layout;
};

// Writes a normalised model (normalize()). Layout: cluster 0 = header area, then the active L1,
// L2 tables, snapshot L1 copies, snapshot table, data clusters, packed compressed clusters, and
// last the refcount table and blocks, which cover every cluster including themselves.
WrittenImage write_image(const Model& m);

// L1/L2 entry bits (qcow2 spec):
//   L1: bits 9-55 L2 table offset, bit 63 COPIED (refcount == 1).
//   L2: bits 9-55 host offset, bit 0 reads-as-zero (v3, not with extended L2),
//       bit 62 compressed, bit 63 COPIED.
inline constexpr uint64_t kCopied = uint64_t{1} << 63;
inline constexpr uint64_t kCompressedFlag = uint64_t{1} << 62;
inline constexpr uint64_t kZeroFlag = 1;
inline constexpr uint64_t kOffsetMask = 0x00fffffffffffe00ull;

}  // namespace instar::props
