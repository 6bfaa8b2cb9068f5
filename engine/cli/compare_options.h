// compare_options.h: `compare` subcommand options with qemu-img 7.2's getopt semantics.
#pragma once

#include <optional>
#include <string>

namespace instar::cli {

struct CompareOptions {
  std::optional<std::string> format[2];  // -f, -F
  std::string cache = "writeback";       // -T (BDRV_DEFAULT_CACHE)
  bool quiet = false;                    // -q
  bool strict = false;                   // -s
  bool progress = false;                 // -p (off under -q, as qemu)
  bool force_share = false;              // -U (always true for a read-only sandbox)
  bool help = false;
  bool image_opts = false;                 // --image-opts: both names are option strings
  std::optional<std::string> object_help;  // --object help: what to print before exiting 0
  std::string filename[2];
};

struct CompareParse {
  enum class Error { kNone, kUsage, kPlain, kUnsupported };
  Error error = Error::kNone;
  std::string message;  // kUsage: printed with the Try line; kUnsupported: without
  CompareOptions options;
};

// Parses argv[0..argc) where argv[0] is "compare", in img_compare's order: getopt errors (and -h)
// as they come, then the file-name count. Options instar cannot honour (--object, --image-opts,
// -p) are kUnsupported, reported after the usage checks qemu makes first.
CompareParse parse_compare_options(int argc, char** argv);

// bdrv_parse_cache_mode(): whether `mode` is one of qemu's cache modes.
bool is_cache_mode(const std::string& mode);

}  // namespace instar::cli
