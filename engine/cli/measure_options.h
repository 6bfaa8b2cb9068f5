// measure_options.h: `measure` subcommand options with qemu-img 7.2's getopt semantics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/cli/snapshot_param.h"

#include "engine/cli/getopt_text.h"

namespace instar::cli {

struct MeasureOptions {
  OutputFormat output = OutputFormat::kHuman;
  std::optional<std::string> format;       // -f
  std::string out_format = "raw";          // -O
  std::string options;                     // -o, accumulated
  std::optional<uint64_t> size;            // --size
  bool force_share = false;                // -U (a read-only sandbox always shares)
  bool image_opts = false;                 // --image-opts: the file name is an option string
  std::optional<std::string> object_help;  // --object help: what to print before exiting 0
  SnapshotSelection snapshot;              // -l
  std::optional<std::string> filename;
};

struct MeasureParse {
  enum class Error {
    kNone,
    kHelp,         // -h, or getopt printed an error: qemu-img shows the help and exits 0
    kFailed,       // `message` lines are qemu-img's error_report lines; exit 1
    kUnsupported,  // an option instar cannot honour: `message`, exit 1
  };
  Error error = Error::kNone;
  std::string message;                // without the program prefix; several lines joined by '\n'
  std::vector<std::string> warnings;  // warn_report() lines of accepted values, printed first
  std::string help_output;            // kFailed: printed on stdout after the message (-l help)
  MeasureOptions options;
};

// Parses argv[0..argc) where argv[0] is "measure", in img_measure's order: each option as it
// comes (-o lists, --output and --size are checked right away), then the file-name count and
// the combinations of --size, -f, -l and a file name.
MeasureParse parse_measure_options(int argc, char** argv);

}  // namespace instar::cli
