// map_options.h: `map` subcommand options with qemu-img 7.2's getopt semantics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace instar::cli {

struct MapOptions {
  std::optional<std::string> format;       // -f / --format
  bool json = false;                       // --output=json (human otherwise)
  int64_t start_offset = 0;                // -s / --start-offset
  int64_t max_length = -1;                 // -l / --max-length; -1: to the end
  bool force_share = false;                // -U (always true for a read-only sandbox)
  bool image_opts = false;                 // --image-opts: the name is an option string
  std::optional<std::string> object_help;  // --object help: what to print before exiting 0
  bool help = false;
  std::string filename;
};

struct MapParse {
  enum class Error { kNone, kUsage, kFailed };
  Error error = Error::kNone;
  // kUsage: printed with the Try line; kFailed: qemu-img's error lines, each printed with the
  // program prefix.
  std::vector<std::string> messages;
  // Warnings qemu-img prints while it parses (a multiplier suffix on a hex number), in order,
  // printed with the program prefix whatever follows.
  std::vector<std::string> warnings;
  MapOptions options;
};

// Parses argv[0..argc) where argv[0] is "map", in img_map's order: getopt errors, -h, bad
// --start-offset/--max-length values and --object as they come, then the file-name count, then
// the --output value.
MapParse parse_map_options(int argc, char** argv);

}  // namespace instar::cli
