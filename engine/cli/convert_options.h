// convert_options.h: `convert` subcommand options with qemu-img 7.2's getopt semantics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/cli/snapshot_param.h"

namespace instar::cli {

struct ConvertOptions {
  std::optional<std::string> format;          // -f
  std::string output_format = "raw";          // -O
  bool output_format_given = false;           // -O was given (--target-image-opts refuses it)
  std::string cache = "unsafe";               // -t (convert's default)
  std::string source_cache = "writeback";     // -T (BDRV_DEFAULT_CACHE)
  std::optional<std::string> backing;         // -B
  std::optional<std::string> backing_format;  // -F
  std::optional<std::string> create_options;  // -o, accumulated with ','
  SnapshotSelection snapshot;                 // -l
  uint64_t min_sparse_sectors = 8;            // -S / 512 (qemu's default: 4k)
  bool explicit_min_sparse = false;
  bool compress = false;             // -c
  bool copy_range = false;           // -C
  bool progress = false;             // -p (off under -q)
  bool quiet = false;                // -q
  bool skip_create = false;          // -n
  bool out_of_order = false;         // -W
  bool force_share = false;          // -U
  bool target_is_zero = false;       // --target-is-zero
  bool bitmaps = false;              // --bitmaps
  bool skip_broken_bitmaps = false;  // --skip-broken-bitmaps
  bool salvage = false;              // --salvage
  bool image_opts = false;           // --image-opts
  bool target_image_opts = false;    // --target-image-opts
  bool rate_limit = false;           // -r (valid value given)
  int coroutines = 8;                // -m
  bool help = false;
  std::optional<std::string> object_help;  // --object help: what to print before exiting 0
  std::vector<std::string> sources;
  std::string output;
};

struct ConvertParse {
  enum class Error { kNone, kUsage, kFailed, kUnsupported };
  Error error = Error::kNone;
  // kUsage: printed with the Try line; kFailed: qemu's error lines, each without the program
  // prefix; kUnsupported: instar's refusal.
  std::vector<std::string> lines;
  std::vector<std::string> warnings;  // warn_report() lines of accepted values, printed first
  std::string help_output;            // kFailed: printed on stdout after the lines (-l help)
  ConvertOptions options;
};

// Parses argv[0..argc) where argv[0] is "convert", in img_convert's order: getopt errors and value
// errors (-S, -m, -r, -o) as they come, then the cross-option checks, then the file-name count and
// -T. Options instar does not implement yet are kUnsupported, after every check qemu makes first.
ConvertParse parse_convert_options(int argc, char** argv);

}  // namespace instar::cli
