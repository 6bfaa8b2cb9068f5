// info_options.h: `info` subcommand options with qemu-img 7.2's getopt semantics.
#pragma once

#include <optional>
#include <string>

#include "engine/cli/getopt_text.h"

namespace instar::cli {

struct InfoOptions {
  std::optional<std::string> format;  // -f / --format
  OutputFormat output = OutputFormat::kHuman;
  bool backing_chain = false;  // --backing-chain
  bool force_share = false;    // -U / --force-share (always true for a read-only sandbox)
  bool help = false;
  std::string filename;
};

struct InfoParse {
  enum class Error { kNone, kUsage, kPlain, kUnsupported };
  Error error = Error::kNone;
  std::string message;  // kUsage: printed with the Try line; kPlain/kUnsupported: without
  InfoOptions options;
};

// Parses argv[0..argc) where argv[0] is "info", in the order qemu-img checks things: getopt
// errors, then the file-name count, then --output's value.
InfoParse parse_info_options(int argc, char** argv);

}  // namespace instar::cli
