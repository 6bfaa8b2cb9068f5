// measure_render.h: `qemu-img measure` output (qemu-img.c img_measure,
// dump_json_block_measure_info).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace instar::render {

// BlockMeasureInfo: required, fully-allocated, and bitmaps when the source and target both
// support persistent bitmaps.
struct MeasureInfo {
  uint64_t required = 0;
  uint64_t fully_allocated = 0;
  std::optional<uint64_t> bitmaps;
};

// "required size: N\nfully allocated size: N\n[bitmaps size: N\n]" (PRIu64).
std::string RenderMeasureHuman(const MeasureInfo& info);

// The QAPI object pretty-printed, keys in QDict order, newline-terminated. The members are QAPI
// 'int' (int64): a wrapped size prints negative here and unsigned in the human form, as in qemu.
std::string RenderMeasureJson(const MeasureInfo& info);

}  // namespace instar::render
