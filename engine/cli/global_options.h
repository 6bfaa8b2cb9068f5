// global_options.h: options before the subcommand (qemu-img's and instar's own).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace instar::cli {

struct GlobalOptions {
  std::optional<std::string> sandbox;       // --sandbox=auto|kvm|process (instar only)
  std::optional<std::string> qemu_version;  // --qemu-version=X.Y[.Z] (instar only)
  bool verbose = false;                     // --verbose (instar only; qemu-img has no -v)
  bool unsafe_quirks = false;               // --unsafe-quirks (instar only; docs/chains.md)
  std::vector<std::string> allow_roots;     // --allow-root=DIR, repeatable (instar only)
  std::optional<std::string> timeout;       // --timeout=SECONDS (instar only; time_limits.h)
  bool help = false;                        // -h, --help
  bool version = false;                     // -V, --version
  bool trace_help = false;                  // -T help: qemu lists its trace events and exits
  int command_index = 0;                    // argv index of the subcommand (0 when none)
};

struct GlobalParse {
  bool ok = false;
  std::string error;  // usage error text (printed with the Try line, exit 1)
  GlobalOptions options;
};

// Whether qemu's unsafe behaviours are wanted (today: reading unrecognised content as raw):
// --unsafe-quirks, or INSTAR_UNSAFE_QUIRKS=1 in the environment.
bool unsafe_quirks_enabled(const GlobalOptions& options);

// The directories backing and data files may lie in (docs/chains.md §2): every --allow-root, or
// else INSTAR_ALLOW_ROOT split at ':' (empty entries skipped). Empty: the top image's directory.
std::vector<std::string> allowed_roots(const GlobalOptions& options);

// Parses argv like qemu-img's main(): getopt_long with "+:hVT:", stopping at the subcommand.
// `-T` (trace) is accepted and ignored as qemu-img does for unknown events; `-T help` (or
// enable=help) is noted, since qemu answers it with its list of trace events.
GlobalParse parse_global_options(int argc, char** argv);

}  // namespace instar::cli
