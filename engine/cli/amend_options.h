// amend_options.h: `amend` subcommand options with qemu-img 7.2's getopt semantics.
#pragma once

#include <optional>
#include <string>

namespace instar::cli {

struct AmendOptions {
  std::optional<std::string> format;       // -f
  std::string options;                     // every -o, joined with ','
  bool progress = false;                   // -p (cleared by -q)
  bool quiet = false;                      // -q
  bool force = false;                      // --force
  bool image_opts = false;                 // --image-opts
  std::string cache = "writeback";         // -t (BDRV_DEFAULT_CACHE)
  std::optional<std::string> filename;     // the one operand; absent for `-f fmt -o help`
  bool help = false;                       // -h / --help
  std::optional<std::string> object_help;  // --object help
};

struct AmendParse {
  enum class Error { kNone, kUsage, kFailed };
  Error error = Error::kNone;
  // kUsage: printed with the Try line; kFailed: qemu's error line without the program prefix.
  std::string line;
  AmendOptions options;
};

// Parses argv[0..argc) where argv[0] is "amend", in img_amend's order: getopt errors and -o lists
// as they come ("Invalid option list: ..."), then "Must specify options (-o)". The operand count
// is checked by the caller (after the -f help case, as img_amend does).
AmendParse parse_amend_options(int argc, char** argv, int* first_operand);

}  // namespace instar::cli
