// dd_options.h: `dd` subcommand options and key=value operands with qemu-img 7.2's img_dd
// semantics, and the range img_dd copies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace instar::cli {

struct DdOptions {
  std::optional<std::string> format;       // -f
  std::string output_format = "raw";       // -O
  bool image_opts = false;                 // --image-opts
  bool force_share = false;                // -U
  int64_t block_size = 512;                // bs= (1..INT_MAX)
  std::optional<int64_t> count;            // count= (C_COUNT)
  std::optional<int64_t> skip;             // skip= (C_SKIP), in blocks
  std::optional<std::string> input;        // if= (C_IF)
  std::optional<std::string> output;       // of= (C_OF)
  bool help = false;                       // -h / --help
  std::optional<std::string> object_help;  // --object help
};

struct DdParse {
  enum class Error { kNone, kUsage, kFailed };
  Error error = Error::kNone;
  // kUsage: one line printed with the Try line; kFailed: error_report() lines without the
  // program prefix.
  std::vector<std::string> lines;
  std::vector<std::string> warnings;  // warn_report() lines of accepted values, printed first
  DdOptions options;
};

// Parses argv[0..argc) where argv[0] is "dd", in img_dd's order: getopt_long(":hf:O:U") with
// --object, --image-opts, --force-share; then each operand as key=value (bs, count, if, of, skip;
// a later one replaces an earlier), the first bad one ending the parse; then "Must specify both
// input and output files".
DdParse parse_dd_options(int argc, char** argv);

// What img_dd copies from an input of `input_size` bytes (blk_getlength).
struct DdRange {
  uint64_t input_offset = 0;  // in_pos: skip * bs, or input_size when skipping past the end
  uint64_t length = 0;        // bytes copied to the start of the output
  // skip= lies past the (count-capped) size: "<if>: cannot skip to specified offset" after the
  // empty output is created.
  bool skip_past_end = false;
};

// size = input_size, capped to count * bs when that is smaller (count counts skipped blocks
// too: qemu caps before it skips); then in_pos = skip * bs, or past-the-end handling.
DdRange dd_range(const DdOptions& options, uint64_t input_size);

}  // namespace instar::cli
