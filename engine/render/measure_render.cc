// measure_render.cc: the human lines and the JSON object of `qemu-img measure`.
#include "engine/render/measure_render.h"

#include "engine/render/json_writer.h"
#include "engine/render/qdict.h"

namespace instar::render {

std::string RenderMeasureHuman(const MeasureInfo& info) {
  std::string out = "required size: " + std::to_string(info.required) + "\n";
  out += "fully allocated size: " + std::to_string(info.fully_allocated) + "\n";
  if (info.bitmaps) out += "bitmaps size: " + std::to_string(*info.bitmaps) + "\n";
  return out;
}

std::string RenderMeasureJson(const MeasureInfo& info) {
  // Members in schema (visit) order; QDict decides the printed order.
  QDict dict;
  dict.Put("required", QObject::Int(static_cast<int64_t>(info.required)));
  dict.Put("fully-allocated", QObject::Int(static_cast<int64_t>(info.fully_allocated)));
  if (info.bitmaps) dict.Put("bitmaps", QObject::Int(static_cast<int64_t>(*info.bitmaps)));
  return ToJsonPretty(QObject::Dict(std::move(dict))) + "\n";
}

}  // namespace instar::render
