// global_options.cc: getopt_long over the global part of the command line.
#include "engine/cli/global_options.h"

#include <getopt.h>

#include <cstdlib>
#include <string_view>

#include "engine/cli/getopt_text.h"
#include "engine/cli/qemu_opts.h"

namespace instar::cli {

namespace {
enum : int {
  kOptionSandbox = 0x100,
  kOptionQemuVersion,
  kOptionVerbose,
  kOptionUnsafeQuirks,
  kOptionAllowRoot,
  kOptionTimeout
};
}  // namespace

GlobalParse parse_global_options(int argc, char** argv) {
  static const option kLongOptions[] = {
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},
      {"trace", required_argument, nullptr, 'T'},
      {"sandbox", required_argument, nullptr, kOptionSandbox},
      {"qemu-version", required_argument, nullptr, kOptionQemuVersion},
      {"verbose", no_argument, nullptr, kOptionVerbose},
      {"unsafe-quirks", no_argument, nullptr, kOptionUnsafeQuirks},
      {"allow-root", required_argument, nullptr, kOptionAllowRoot},
      {"timeout", required_argument, nullptr, kOptionTimeout},
      {nullptr, 0, nullptr, 0},
  };
  GlobalParse parse;
  optind = 0;  // full glibc reset: argv may be parsed more than once in tests
  opterr = 0;
  for (;;) {
    const int c = getopt_long(argc, argv, "+:hVT:", kLongOptions, nullptr);
    if (c == -1) break;
    switch (c) {
      case 'h':
        parse.options.help = true;
        break;
      case 'V':
        parse.options.version = true;
        break;
      case 'T': {
        // trace_opt_parse(): "enable" is the implied first key; "help" or "?" asks for the list.
        const QemuOptsParse trace = ParseQemuOpts(optarg, "enable");
        const std::string* enable = LastValue(trace, "enable");
        if (enable != nullptr && (*enable == "help" || *enable == "?")) {
          parse.options.trace_help = true;
        }
        break;
      }
      case kOptionSandbox:
        parse.options.sandbox = optarg;
        break;
      case kOptionQemuVersion:
        parse.options.qemu_version = optarg;
        break;
      case kOptionVerbose:
        parse.options.verbose = true;
        break;
      case kOptionUnsafeQuirks:
        parse.options.unsafe_quirks = true;
        break;
      case kOptionAllowRoot:
        if (*optarg == '\0') {
          parse.error = "option '--allow-root' needs a directory";
          return parse;
        }
        parse.options.allow_roots.emplace_back(optarg);
        break;
      case kOptionTimeout:
        parse.options.timeout = optarg;
        break;
      default:  // ':' missing argument, '?' unknown option
        parse.error = getopt_error_text(c, argv);
        return parse;
    }
  }
  if (optind < argc) parse.options.command_index = optind;
  parse.ok = true;
  return parse;
}

bool unsafe_quirks_enabled(const GlobalOptions& options) {
  const char* env = std::getenv("INSTAR_UNSAFE_QUIRKS");
  return options.unsafe_quirks || (env != nullptr && std::string_view(env) == "1");
}

std::vector<std::string> allowed_roots(const GlobalOptions& options) {
  if (!options.allow_roots.empty()) return options.allow_roots;
  std::vector<std::string> roots;
  const char* env = std::getenv("INSTAR_ALLOW_ROOT");
  if (env == nullptr) return roots;
  const std::string_view list(env);
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(':', start);
    if (end == std::string_view::npos) end = list.size();
    if (end > start) roots.emplace_back(list.substr(start, end - start));
    start = end + 1;
  }
  return roots;
}

}  // namespace instar::cli
