// create_options.h: `create` subcommand options with qemu-img 7.2's getopt semantics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace instar::cli {

struct CreateOptions {
  std::string format = "raw";                 // -f
  std::optional<std::string> backing;         // -b
  std::optional<std::string> backing_format;  // -F
  std::optional<std::string> options;         // -o, accumulated
  bool quiet = false;                         // -q
  bool no_open_backing = false;               // -u (BDRV_O_NO_BACKING)
  std::string filename;
  std::optional<uint64_t> size;            // the size operand (cvtnum); none: -1 in qemu
  bool help = false;                       // -h / --help: print the help, exit 0
  bool option_help = false;                // -o help / -o ?: qemu lists the format's options
  std::optional<std::string> object_help;  // --object help: print it, exit 0
};

struct CreateParse {
  enum class Error { kNone, kUsage, kFailed, kUnsupported };
  Error error = Error::kNone;
  // kUsage: printed with the Try line; kFailed: qemu's error lines, each without the program
  // prefix; kUnsupported: instar's refusal.
  std::vector<std::string> lines;
  std::vector<std::string> warnings;  // warn_report() lines of accepted values, printed first
  CreateOptions options;
};

// Parses argv[0..argc) where argv[0] is "create", in img_create's order: getopt errors and -o
// lists as they come, then `-o help`, the file name, the size operand and extra operands.
CreateParse parse_create_options(int argc, char** argv);

}  // namespace instar::cli
