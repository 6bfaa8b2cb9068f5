// check_options.cc: getopt_long parsing of `check` as in qemu-img.c img_check (7.2).
#include "engine/cli/check_options.h"

#include <getopt.h>

#include <cstring>

#include "engine/cli/getopt_text.h"

namespace instar::cli {

namespace {

enum : int {
  kOptionOutput = 0x100,
  kOptionObject,
  kOptionImageOpts,
};

// bdrv_parse_cache_mode()'s accepted names.
bool valid_cache_mode(const char* mode) {
  for (const char* known : {"none", "off", "directsync", "writeback", "unsafe", "writethrough"}) {
    if (std::strcmp(mode, known) == 0) return true;
  }
  return false;
}

}  // namespace

CheckParse parse_check_options(int argc, char** argv) {
  static const option kLongOptions[] = {
      {"help", no_argument, nullptr, 'h'},
      {"format", required_argument, nullptr, 'f'},
      {"repair", required_argument, nullptr, 'r'},
      {"output", required_argument, nullptr, kOptionOutput},
      {"object", required_argument, nullptr, kOptionObject},
      {"image-opts", no_argument, nullptr, kOptionImageOpts},
      {"force-share", no_argument, nullptr, 'U'},
      {nullptr, 0, nullptr, 0},
  };
  CheckParse parse;
  const char* output = nullptr;
  const char* cache = "writeback";  // BDRV_DEFAULT_CACHE
  const char* unsupported = nullptr;
  optind = 0;
  opterr = 0;
  for (;;) {
    const int c = getopt_long(argc, argv, ":hf:r:T:qU", kLongOptions, nullptr);
    if (c == -1) break;
    switch (c) {
      case 'h':
        parse.options.help = true;
        return parse;
      case 'f':
        parse.options.format = optarg;
        break;
      case 'r':
        if (std::strcmp(optarg, "leaks") != 0 && std::strcmp(optarg, "all") != 0) {
          parse.error = CheckParse::Error::kUsage;
          parse.message =
              std::string("Unknown option value for -r (expecting 'leaks' or 'all'): ") + optarg;
          return parse;
        }
        unsupported = "-r";
        break;
      case 'T':
        cache = optarg;
        break;
      case 'q':
        parse.options.quiet = true;
        break;
      case 'U':
        parse.options.force_share = true;
        break;
      case kOptionOutput:
        output = optarg;
        break;
      case kOptionObject:
        unsupported = "--object";
        break;
      case kOptionImageOpts:
        unsupported = "--image-opts";
        break;
      default:  // ':' missing argument, '?' unknown option
        parse.error = CheckParse::Error::kUsage;
        parse.message = getopt_error_text(c, argv);
        return parse;
    }
  }
  if (optind != argc - 1) {
    parse.error = CheckParse::Error::kUsage;
    parse.message = "Expecting one image file name";
    return parse;
  }
  parse.options.filename = argv[optind];
  const std::optional<OutputFormat> format = parse_output_format(output);
  if (!format) {
    parse.error = CheckParse::Error::kPlain;
    parse.message = kBadOutputText;
    return parse;
  }
  parse.options.output = *format;
  if (!valid_cache_mode(cache)) {
    parse.error = CheckParse::Error::kPlain;
    parse.message = std::string("Invalid source cache option: ") + cache;
    return parse;
  }
  if (unsupported != nullptr) {
    parse.error = CheckParse::Error::kUnsupported;
    parse.message = std::string("option '") + unsupported + "' is not supported by instar yet";
  }
  return parse;
}

}  // namespace instar::cli
