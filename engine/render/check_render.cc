// check_render.cc: the text and JSON qemu-img check prints for an ImageCheck.
#include "engine/render/check_render.h"

#include <cinttypes>
#include <cstdio>

#include "engine/render/json_writer.h"
#include "engine/render/qdict.h"

namespace instar::render {

namespace {

// Every line qemu prints here is far below 256 bytes (five 64-bit numbers at most).
std::string format(const char* fmt, auto... args) {
  char line[256];
  const int n = std::snprintf(line, sizeof line, fmt, args...);
  return std::string(line, n < 0 ? 0 : static_cast<size_t>(n));
}

}  // namespace

std::string RenderCheckHuman(const ImageCheck& c) {
  std::string out;
  if (c.corruptions == 0 && c.leaks == 0 && c.check_errors == 0) {
    out += "No errors were found on the image.\n";
  } else {
    if (c.corruptions != 0) {
      out += format("\n%" PRId64 " errors were found on the image.\n", c.corruptions);
      out += "Data may be corrupted, or further writes to the image may corrupt it.\n";
    }
    if (c.leaks != 0) {
      out += format("\n%" PRId64 " leaked clusters were found on the image.\n", c.leaks);
      out += "This means waste of disk space, but no harm to data.\n";
    }
    if (c.check_errors != 0) {
      out +=
          format("\n%" PRId64 " internal errors have occurred during the check.\n", c.check_errors);
    }
  }
  if (c.total_clusters != 0 && c.allocated_clusters != 0) {
    out += format(
        "%" PRId64 "/%" PRId64
        " = %0.2f%% allocated, %0.2f%% fragmented, %0.2f%% compressed clusters\n",
        c.allocated_clusters, c.total_clusters,
        static_cast<double>(c.allocated_clusters) * 100.0 / static_cast<double>(c.total_clusters),
        static_cast<double>(c.fragmented_clusters) * 100.0 /
            static_cast<double>(c.allocated_clusters),
        static_cast<double>(c.compressed_clusters) * 100.0 /
            static_cast<double>(c.allocated_clusters));
  }
  if (c.image_end_offset != 0) out += format("Image end offset: %" PRId64 "\n", c.image_end_offset);
  return out;
}

std::string RenderRepairNote(int64_t leaks_fixed, int64_t corruptions_fixed) {
  return format(
      "The following inconsistencies were found and repaired:\n\n"
      "    %" PRId64
      " leaked clusters\n"
      "    %" PRId64
      " corruptions\n\n"
      "Double checking the fixed image now...\n",
      leaks_fixed, corruptions_fixed);
}

std::string RenderCheckJson(const ImageCheck& c) {
  // QAPI ImageCheck member order (qapi/block-core.json); QDict reorders by hash bucket.
  QDict dict;
  dict.Put("filename", QObject::Str(c.filename));
  dict.Put("format", QObject::Str(c.format));
  dict.Put("check-errors", QObject::Int(c.check_errors));
  const auto put_optional = [&dict](const char* key, int64_t value) {
    if (value != 0) dict.Put(key, QObject::Int(value));
  };
  put_optional("image-end-offset", c.image_end_offset);
  put_optional("corruptions", c.corruptions);
  put_optional("leaks", c.leaks);
  put_optional("corruptions-fixed", c.corruptions_fixed);
  put_optional("leaks-fixed", c.leaks_fixed);
  put_optional("total-clusters", c.total_clusters);
  put_optional("allocated-clusters", c.allocated_clusters);
  put_optional("fragmented-clusters", c.fragmented_clusters);
  put_optional("compressed-clusters", c.compressed_clusters);
  return ToJsonPretty(QObject::Dict(std::move(dict))) + "\n";
}

}  // namespace instar::render
