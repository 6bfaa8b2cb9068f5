// planted.h: the record of one problem an injector planted in an image.
#pragma once

#include <stdint.h>

#include <string>

namespace instar::props {

enum class ProblemKind : uint8_t {
  kHeaderField,             // one header/extension field rewritten (open may fail or not)
  kLeak,                    // a cluster with refcount 1 that nothing references
  kRefcountOffByN,          // a referenced cluster's refcount changed by N
  kDanglingL2,              // an L2 entry pointing at a cluster past the end of the image
  kMisalignedL2,            // an L2 entry whose offset is not cluster aligned
  kOverlap,                 // two L2 entries pointing at the same host cluster
  kBadL1Offset,             // l1_table_offset not cluster aligned
  kBadRefcountTableOffset,  // refcount_table_offset not cluster aligned
  kDirtyBit,                // incompatible bit 0 set
  kCorruptBit,              // incompatible bit 1 set
};

const char* problem_name(ProblemKind kind);

struct Planted {
  ProblemKind kind = ProblemKind::kHeaderField;
  std::string field;  // what was changed, e.g. "header.l1_table_offset" or "l2[3]"
  uint64_t offset = 0;
  uint32_t width = 0;
  uint64_t old_value = 0;
  uint64_t new_value = 0;
  // What qemu-img check is expected to report because of it (for the check properties).
  uint64_t expect_leaks = 0;
  uint64_t expect_corruptions = 0;
  bool expect_open_error = false;
};

}  // namespace instar::props
