// info_probe.h: runs the guest's info, check or compare op over image bytes and decodes what it
// emitted.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "guest/abi/guest.npb.h"

namespace instar::props {

struct OpOutcome {
  int run_op_result = -1;  // run_op's return value (0: the op ran)
  bool frames_ok = false;  // every frame decoded, the last one a Done
  int32_t done_status = -1;
  bool has_info = false;
  instar_guest_ImageInfo info = instar_guest_ImageInfo_init_zero;
  bool has_error = false;
  instar_guest_Error error = instar_guest_Error_init_zero;
  std::vector<instar_guest_Snapshot> snapshots;
  bool has_check_result = false;
  instar_guest_CheckResult check_result = instar_guest_CheckResult_init_zero;
  bool has_compare_result = false;
  instar_guest_CompareResult compare_result = instar_guest_CompareResult_init_zero;
  uint64_t arena_left_used = 0;  // arena bytes still held after the op (must be 0)
  std::string problem;           // why frames_ok is false
};

using InfoOutcome = OpOutcome;

// run_op(kInfo) over a MemoryBlockSource of `image`, probing the format. Not thread-safe: the
// arena and message buffer are reused between calls to keep properties fast.
InfoOutcome probe_info(const std::vector<uint8_t>& image);

// run_op(kCheck) over `image`, probing the format (same buffers as probe_info).
OpOutcome probe_check(const std::vector<uint8_t>& image);

// run_op(kCompare) of `a` (probed) against `b` read as raw, without backing chains.
OpOutcome probe_compare_with_raw(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b);

template <typename PbBytes>
std::string pb_string(const PbBytes& field) {
  return std::string(reinterpret_cast<const char*>(field.bytes), field.size);
}

}  // namespace instar::props
