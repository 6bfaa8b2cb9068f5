// map_render.cc: img_map's merge loop and dump_map_entry()'s human and JSON lines.
#include "engine/render/map_render.h"

#include <cinttypes>
#include <cstdio>
#include <utility>

namespace instar::render {

namespace {

const char* boolean(bool v) {
  return v ? "true" : "false";
}

// printf("%#-16" PRIx64, v): "0x..." left-aligned in 16 columns, but 0 as plain "0".
std::string hex_column(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%#-16" PRIx64, v);
  return buf;
}

}  // namespace

MapPrinter::MapPrinter(MapStyle style, std::vector<std::string> files,
                       std::function<void(std::string_view)> out)
    : style_(style), files_(std::move(files)), out_(std::move(out)) {}

void MapPrinter::begin(uint64_t start) {
  if (style_.json) {
    out_("[");
  } else {
    char header[80];
    std::snprintf(header, sizeof header, "%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to",
                  "File");
    out_(header);
  }
  curr_ = MapEntry();
  curr_.start = start;
}

bool MapPrinter::mergeable(const MapEntry& curr, const MapEntry& next) const {
  if (curr.length == 0) return false;
  // The filename test of entry_mergeable() is implied: an entry's file is that of its depth.
  if (curr.zero != next.zero || curr.data != next.data || curr.depth != next.depth ||
      curr.present != next.present || curr.has_offset != next.has_offset) {
    return false;
  }
  if (style_.merge_compressed && curr.compressed != next.compressed) return false;
  return !curr.has_offset || curr.offset + curr.length == next.offset;
}

void MapPrinter::add(const MapEntry& entry) {
  if (failed()) return;
  MapEntry next = entry;
  if (mergeable(curr_, next)) {
    curr_.length += next.length;
    return;
  }
  if (curr_.length > 0 && !dump(curr_, &next)) return;
  curr_ = next;
}

void MapPrinter::finish() {
  if (failed() || !dump(curr_, nullptr)) return;
  if (style_.json) out_("]\n");
}

bool MapPrinter::dump(const MapEntry& e, MapEntry* next) {
  if (!style_.json) {
    if (e.data && !e.has_offset) {
      error_ = "File contains external, encrypted or compressed clusters.";
      return false;
    }
    if (e.data && !e.zero) {
      const std::string& file = e.depth < files_.size() ? files_[e.depth] : std::string();
      out_(hex_column(e.start) + hex_column(e.length) + hex_column(e.has_offset ? e.offset : 0) +
           (e.has_offset ? file : std::string()) + "\n");
    }
    // qemu's human format ignores the difference between unallocated, zero and zero data, and
    // makes the next entry plain zeros so that such runs coalesce.
    if (next != nullptr && (!next->data || next->zero)) {
      next->data = false;
      next->zero = true;
    }
    return true;
  }
  char line[256];
  std::snprintf(line, sizeof line,
                "{ \"start\": %" PRIu64 ", \"length\": %" PRIu64 ", \"depth\": %" PRIu32
                ", \"present\": %s, \"zero\": %s, \"data\": %s",
                e.start, e.length, e.depth, boolean(e.present), boolean(e.zero), boolean(e.data));
  std::string text = line;
  if (style_.compressed_field) text += std::string(", \"compressed\": ") + boolean(e.compressed);
  if (e.has_offset) text += ", \"offset\": " + std::to_string(e.offset);
  text += "}";
  if (next != nullptr) text += ",\n";
  out_(text);
  return true;
}

}  // namespace instar::render
