// option_table.cc: builds getopt_long's two forms of an option table and runs it.
#include "engine/cli/option_table.h"

#include <getopt.h>

#include <vector>

#include "engine/cli/getopt_text.h"

namespace instar::cli {

OptionScan scan_options(int argc, char** argv, std::span<const OptionSpec> table,
                        const std::function<bool(int id, const char* value)>& on_option,
                        GetoptErrors errors) {
  const bool worded = errors == GetoptErrors::kQemuWorded;
  // ':' reports a missing argument apart from '?'; without it getopt prints its own message.
  std::string short_options = worded ? ":" : "";
  std::vector<option> long_options;
  for (const OptionSpec& spec : table) {
    const int has_arg = spec.takes_argument ? required_argument : no_argument;
    if (spec.id < kLongOnlyOption) {
      short_options.push_back(static_cast<char>(spec.id));
      if (spec.takes_argument) short_options.push_back(':');
    }
    if (spec.long_name != nullptr)
      long_options.push_back({spec.long_name, has_arg, nullptr, spec.id});
  }
  long_options.push_back({nullptr, 0, nullptr, 0});

  OptionScan scan;
  optind = 0;  // 0, not 1: glibc reinitialises, so each subcommand scans afresh
  opterr = worded ? 0 : 1;
  for (;;) {
    const int c = getopt_long(argc, argv, short_options.c_str(), long_options.data(), nullptr);
    if (c == -1) break;
    if (!worded && c == '?') {
      scan.ok = false;
      scan.getopt_printed = true;
      return scan;
    }
    if (c == ':' || c == '?') {
      scan.ok = false;
      scan.usage_error = getopt_error_text(c, argv);
      return scan;
    }
    if (!on_option(c, optarg)) {
      scan.ok = false;
      return scan;
    }
  }
  scan.first_operand = optind;
  return scan;
}

}  // namespace instar::cli
