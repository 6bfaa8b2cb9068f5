// measure_plan.h: what `measure -O fmt -o options --size N` asks for, checked in qemu 7.2's
// order (img_measure's driver lookup and option parsing, then raw_measure / qcow2_measure up to
// the point where they look at the input image).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "guest/formats/qcow2/measure_size.h"

namespace instar::cli {

struct MeasurePlan {
  enum class Target { kRaw, kQcow2 };
  Target target = Target::kRaw;
  uint64_t size_option = 0;       // the "size" creation option (--size, else -o size=, else 0)
  qcow2::MeasureTarget qcow2;     // kQcow2: the layout
  bool qcow2_v3 = true;           // kQcow2: compat 1.1 (bitmaps are reported only then)
  bool preallocate_data = false;  // kQcow2: preallocation=full|falloc
  bool has_backing_file = false;  // kQcow2: -o backing_file=: every cluster counts as data
};

struct MeasurePlanResult {
  std::optional<MeasurePlan> plan;
  std::string error;     // otherwise: qemu-img's complete stderr text
  std::string warnings;  // stderr text qemu-img prints while it parses -o, either way
};

// `out_format` is -O's value, `options` the accumulated -o text (empty: none), `size` --size.
MeasurePlanResult plan_measure(std::string_view program, const std::string& out_format,
                               const std::string& options, std::optional<uint64_t> size);

// The figures qemu-img prints. `input` is the source image when measuring one: its length
// (bdrv_getlength), its allocated data counted at the plan's cluster size as qcow2_measure
// counts it, and its persistent bitmaps' size when the source supports them.
struct MeasureInput {
  uint64_t length = 0;
  uint64_t data_bytes = 0;
  bool supports_bitmaps = false;
  uint64_t bitmaps_size = 0;
  bool qcow2 = false;  // the guest opened it as qcow2 (probed or named)
};
struct MeasureFigures {
  uint64_t required = 0;
  uint64_t fully_allocated = 0;
  std::optional<uint64_t> bitmaps;
};
MeasureFigures compute_measure(const MeasurePlan& plan, const std::optional<MeasureInput>& input);

}  // namespace instar::cli
