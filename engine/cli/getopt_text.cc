// getopt_text.cc: the getopt and --output texts shared by every subcommand's option parser.
#include "engine/cli/getopt_text.h"

#include <getopt.h>

#include <cstring>

namespace instar::cli {

std::string getopt_error_text(int c, char** argv) {
  const std::string option = argv[optind - 1];
  return c == ':' ? "missing argument for option '" + option + "'"
                  : "unrecognized option '" + option + "'";
}

std::optional<OutputFormat> parse_output_format(const char* value) {
  if (value == nullptr || std::strcmp(value, "human") == 0) return OutputFormat::kHuman;
  if (std::strcmp(value, "json") == 0) return OutputFormat::kJson;
  return std::nullopt;
}

}  // namespace instar::cli
