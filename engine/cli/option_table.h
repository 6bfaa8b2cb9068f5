// option_table.h: a subcommand's options as one declarative table, scanned by getopt_long.
//
// qemu-img declares each subcommand's options twice (a short-option string and a long-option
// array) and loops over getopt_long with ':' first, so that a missing argument and an unknown
// option are told apart. Every instar subcommand does the same through this one scanner: the
// subcommand gives its table and what each option does; the scanner builds both getopt forms,
// permutes operands as getopt_long does and words its errors as qemu-img does.
#pragma once

#include <functional>
#include <span>
#include <string>

namespace instar::cli {

// Ids of options without a short letter start here (above every character).
inline constexpr int kLongOnlyOption = 0x100;

struct OptionSpec {
  int id;                 // the short letter ('f'), or kLongOnlyOption + n for a long-only one
  const char* long_name;  // "format"; nullptr for a short-only option
  bool takes_argument;
};

// How getopt's own errors come out. qemu-img words them itself for most subcommands (optstring
// starting with ':'); a few (measure) leave glibc to print "<argv[0]>: invalid option -- 'x'"
// on stderr and then show the help.
enum class GetoptErrors { kQemuWorded, kGetoptPrinted };

struct OptionScan {
  bool ok = true;           // false: getopt reported an error, or `on_option` stopped the scan
  std::string usage_error;  // getopt's error in qemu-img's words (empty when `on_option` stopped)
  bool getopt_printed = false;  // kGetoptPrinted: getopt printed its error itself
  int first_operand = 0;        // argv index of the first operand, once getopt permuted them last
};

// Calls `on_option(id, value)` (value: the argument, or nullptr) for each option of argv[1..)
// in command-line order; `on_option` returns false to stop there (-h, a bad value). The table
// must hold exactly the subcommand's long options: getopt_long accepts any unambiguous prefix.
OptionScan scan_options(int argc, char** argv, std::span<const OptionSpec> table,
                        const std::function<bool(int id, const char* value)>& on_option,
                        GetoptErrors errors = GetoptErrors::kQemuWorded);

}  // namespace instar::cli
