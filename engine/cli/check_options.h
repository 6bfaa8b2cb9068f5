// check_options.h: `check` subcommand options with qemu-img 7.2's getopt semantics (img_check).
#pragma once

#include <optional>
#include <string>

#include "engine/cli/getopt_text.h"

namespace instar::cli {

struct CheckOptions {
  std::optional<std::string> format;  // -f / --format
  OutputFormat output = OutputFormat::kHuman;
  bool quiet = false;        // -q: silences stdout only
  bool force_share = false;  // -U (a read-only sandbox never locks)
  uint32_t repair = 0;       // -r: abi::CheckRepair bits (leaks: kRepairLeaks; all: both)
  bool help = false;
  bool image_opts = false;                 // --image-opts: the name is an option string
  std::optional<std::string> object_help;  // --object help: what to print before exiting 0
  std::string filename;
};

struct CheckParse {
  enum class Error { kNone, kUsage, kPlain, kUnsupported };
  Error error = Error::kNone;
  std::string message;  // kUsage: printed with the Try line; kPlain/kUnsupported: without
  CheckOptions options;
};

// Parses argv[0..argc) where argv[0] is "check", in qemu-img's order: getopt errors and a bad
// -r value as they occur, -h at once, then the file-name count, --output's value and -T's cache
// mode.
CheckParse parse_check_options(int argc, char** argv);

}  // namespace instar::cli
