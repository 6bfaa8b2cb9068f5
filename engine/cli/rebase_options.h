// rebase_options.h: `rebase` subcommand options with qemu-img 7.2's getopt semantics.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace instar::cli {

struct RebaseOptions {
  std::optional<std::string> format;          // -f
  std::optional<std::string> backing_format;  // -F
  std::optional<std::string> backing;         // -b (may be "": remove the backing file)
  bool unsafe = false;                        // -u
  bool progress = false;                      // -p (cleared by -q)
  bool quiet = false;                         // -q
  bool force_share = false;                   // -U / --force-share
  bool image_opts = false;                    // --image-opts
  std::string cache = "writeback";            // -t (BDRV_DEFAULT_CACHE)
  std::string source_cache = "writeback";     // -T
  std::string filename;
  bool help = false;                       // -h / --help
  std::optional<std::string> object_help;  // --object help
};

struct RebaseParse {
  enum class Error { kNone, kUsage, kFailed };
  Error error = Error::kNone;
  // kUsage: printed with the Try line; kFailed: qemu's error line without the program prefix.
  std::string line;
  RebaseOptions options;
};

// Parses argv[0..argc) where argv[0] is "rebase", in img_rebase's order: getopt errors and
// option values as they come, then the one file name, then the -b/-u requirement. The cache
// modes are checked later (after qemu-img's progress line starts): is_cache_mode().
RebaseParse parse_rebase_options(int argc, char** argv);

}  // namespace instar::cli
