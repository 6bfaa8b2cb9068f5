// commit_options.h: `commit` subcommand options with qemu-img 7.2's getopt semantics.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace instar::cli {

struct CommitOptions {
  std::optional<std::string> format;  // -f
  std::optional<std::string> base;    // -b (implies -d)
  bool drop = false;                  // -d, or -b
  bool progress = false;              // -p (cleared by -q)
  bool quiet = false;                 // -q
  bool image_opts = false;            // --image-opts
  std::string cache = "writeback";    // -t (BDRV_DEFAULT_CACHE)
  std::string filename;
  bool help = false;                       // -h / --help
  std::optional<std::string> object_help;  // --object help
};

struct CommitParse {
  enum class Error { kNone, kUsage, kFailed };
  Error error = Error::kNone;
  // kUsage: one line printed with the Try line; kFailed: qemu's error lines, each without the
  // program prefix.
  std::vector<std::string> lines;
  std::vector<std::string> warnings;  // warn_report() lines of accepted values, printed first
  CommitOptions options;
};

// Parses argv[0..argc) where argv[0] is "commit", in img_commit's order: getopt errors and
// option values as they come (-r's cvtnum() errors end the parse there), then the one file name.
// The cache mode is checked later: is_cache_mode().
CommitParse parse_commit_options(int argc, char** argv);

}  // namespace instar::cli
