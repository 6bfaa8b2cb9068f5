// resize_options.h: `resize` subcommand options with qemu-img 7.2's getopt semantics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "guest/abi/abi.h"

namespace instar::cli {

struct ResizeOptions {
  std::optional<std::string> format;  // -f
  bool image_opts = false;            // --image-opts
  std::string preallocation = "off";  // --preallocation
  bool quiet = false;                 // -q
  bool shrink = false;                // --shrink
  std::string filename;
  uint64_t size = 0;                                    // the operand's number
  abi::ResizeRelative relative = abi::kResizeAbsolute;  // its '+' or '-'
  bool help = false;                                    // -h / --help
  std::optional<std::string> object_help;               // --object help
};

struct ResizeParse {
  enum class Error { kNone, kUsage, kFailed };
  Error error = Error::kNone;
  // kUsage: printed with the Try line; kFailed: qemu's error lines without the program prefix,
  // then `hint` as it is.
  std::vector<std::string> lines;
  std::string hint;
  std::vector<std::string> warnings;  // warn_report() lines of an accepted size, printed first
  ResizeOptions options;
};

// Parses argv[0..argc) where argv[0] is "resize", in img_resize's order: the size operand is
// taken off the end before getopt sees the rest (so "-1G" is no option), then getopt errors and
// option values as they come, the file name, and the size.
ResizeParse parse_resize_options(int argc, char** argv);

}  // namespace instar::cli
