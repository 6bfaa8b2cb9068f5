// info_options.h: `info` subcommand options with qemu-img 7.2's getopt semantics.
#pragma once

#include <optional>
#include <string>

#include "engine/cli/getopt_text.h"

namespace instar::cli {

struct InfoOptions {
  std::optional<std::string> format;  // -f / --format
  OutputFormat output = OutputFormat::kHuman;
  bool backing_chain = false;       // --backing-chain
  bool force_share = false;         // -U / --force-share (always true for a read-only sandbox)
  bool limits = false;              // --limits (10.2)
  std::string cache = "writeback";  // -t / --cache (10.2; BDRV_DEFAULT_CACHE)
  bool help = false;
  bool image_opts = false;                 // --image-opts: the name is an option string
  std::optional<std::string> object_help;  // --object help: what to print before exiting 0
  std::string filename;
};

struct InfoParse {
  enum class Error { kNone, kUsage, kPlain, kUnsupported };
  Error error = Error::kNone;
  std::string message;  // kUsage: printed with the Try line; kPlain/kUnsupported: without
  InfoOptions options;
};

// The options a qemu-img version's info accepts beyond 7.2's (from the profile): unknown to
// getopt otherwise, so they are rejected as "unrecognized option" like older qemu-img does.
struct InfoOptionSet {
  bool limits = false;  // 10.2: --limits
  bool cache = false;   // 10.2: -t CACHE / --cache CACHE
};

// Parses argv[0..argc) where argv[0] is "info", in the order qemu-img checks things: getopt
// errors, then the file-name count, then --output's value. -t's value is checked later, by the
// caller (qemu's collect_image_info_list: "Invalid cache option").
InfoParse parse_info_options(int argc, char** argv, const InfoOptionSet& set = {});

// -t modes that open the file with O_DIRECT (BDRV_O_NOCACHE): "none", "off", "directsync".
bool cache_mode_uses_o_direct(const std::string& mode);

}  // namespace instar::cli
