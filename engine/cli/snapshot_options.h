// snapshot_options.h: `snapshot` subcommand options with qemu-img 7.2's getopt semantics.
#pragma once

#include <optional>
#include <string>

#include "guest/abi/abi.h"

namespace instar::cli {

enum class SnapshotAction { kNone, kList, kCreate, kApply, kDelete };

struct SnapshotOptions {
  SnapshotAction action = SnapshotAction::kNone;
  std::string name;          // the argument of -c, -a or -d
  bool image_opts = false;   // --image-opts
  bool quiet = false;        // -q (img_snapshot prints nothing it would silence)
  bool force_share = false;  // -U / --force-share
  std::string filename;
  bool help = false;                       // -h / --help
  std::optional<std::string> object_help;  // --object help
};

struct SnapshotParse {
  enum class Error { kNone, kUsage, kFailed };
  Error error = Error::kNone;
  std::string message;  // kUsage: printed with the Try line; kFailed: qemu's error line
  SnapshotOptions options;
};

// Parses argv[0..argc) where argv[0] is "snapshot", as img_snapshot does: getopt
// ":la:c:d:hqU" with --help, --object, --image-opts and --force-share ("Cannot mix '-l', '-a',
// '-c', '-d'" at the second action), then exactly one image name. There is no -f: the format is
// probed, or given by --image-opts.
SnapshotParse parse_snapshot_options(int argc, char** argv);

}  // namespace instar::cli
