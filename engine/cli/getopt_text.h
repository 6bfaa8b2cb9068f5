// getopt_text.h: qemu-img's texts for getopt_long's error returns and for --output.
#pragma once

#include <optional>
#include <string>

namespace instar::cli {

enum class OutputFormat { kHuman, kJson };

// For getopt_long's ':' (missing argument) and '?' (unknown option) in an optstring that starts
// with ':': qemu-img's message, naming argv[optind - 1] as qemu does.
std::string getopt_error_text(int c, char** argv);

// --output's value: "human" or "json"; nullopt for anything else (qemu-img then says
// "--output must be used with human or json as argument."). A null value means human.
std::optional<OutputFormat> parse_output_format(const char* value);

inline constexpr const char* kBadOutputText =
    "--output must be used with human or json as argument.";

}  // namespace instar::cli
