// map_render.h: qemu-img map's output (qemu-img.c img_map, dump_map_entry) per version profile.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace instar::render {

// One get_block_status() answer (qemu's MapEntry without the filename, which is the file of
// `depth` when the entry has an offset).
struct MapEntry {
  uint64_t start = 0;
  uint64_t length = 0;
  uint32_t depth = 0;
  bool data = false;
  bool zero = false;
  bool present = false;
  bool compressed = false;
  bool has_offset = false;
  uint64_t offset = 0;
};

struct MapStyle {
  bool json = false;
  // 8.0+ JSON: every entry says "compressed" when the top image's driver can compress (qcow2).
  bool compressed_field = false;
  // 8.0+: entry_mergeable() also compares "compressed", whatever the output.
  bool merge_compressed = false;
};

// img_map's loop from the header on: merges entries as entry_mergeable() does and prints each
// finished one with dump_map_entry(), as the text is ready (`out` takes stdout text). `files[d]`
// is the File column of an entry of depth d that has an offset: the name qemu gives the file
// holding that layer's data (the image as the chain resolved it, or its external data file).
class MapPrinter {
 public:
  MapPrinter(MapStyle style, std::vector<std::string> files,
             std::function<void(std::string_view)> out);

  // The header (human) or "[" (JSON), and where the walk starts: printed once the image opened.
  void begin(uint64_t start);
  // The next answer, starting where the last one ended.
  void add(const MapEntry& next);
  // After the last answer: dumps the current entry and closes the JSON list.
  void finish();

  // dump_map_entry() failed (human output of data without an offset: compressed clusters): the
  // error line qemu printed, without the program prefix; nothing more is printed after it.
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  bool mergeable(const MapEntry& curr, const MapEntry& next) const;
  // dump_map_entry(e, next): may rewrite `next` (human), false when it fails.
  bool dump(const MapEntry& e, MapEntry* next);

  MapStyle style_;
  std::vector<std::string> files_;
  std::function<void(std::string_view)> out_;
  MapEntry curr_;
  std::string error_;
};

}  // namespace instar::render
