// check_options.cc: getopt_long parsing of `check` as in qemu-img.c img_check (7.2).
#include "engine/cli/check_options.h"

#include <cstring>

#include "engine/cli/getopt_text.h"
#include "engine/cli/object_option.h"
#include "engine/cli/option_table.h"
#include "guest/abi/abi.h"

namespace instar::cli {

namespace {

enum : int {
  kOptionOutput = kLongOnlyOption,
  kOptionObject,
  kOptionImageOpts,
};

// img_check's "hf:r:T:qU" and long options.
constexpr OptionSpec kCheckOptions[] = {
    {'h', "help", false},
    {'f', "format", true},
    {'r', "repair", true},
    {'T', nullptr, true},
    {'q', nullptr, false},
    {'U', "force-share", false},
    {kOptionOutput, "output", true},
    {kOptionObject, "object", true},
    {kOptionImageOpts, "image-opts", false},
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
  CheckParse parse;
  const char* output = nullptr;
  const char* cache = "writeback";  // BDRV_DEFAULT_CACHE
  ObjectOptions objects;
  const OptionScan scan = scan_options(argc, argv, kCheckOptions, [&](int id, const char* value) {
    switch (id) {
      case 'h':
        parse.options.help = true;
        return false;
      case 'f':
        parse.options.format = value;
        break;
      case 'r':
        if (std::strcmp(value, "leaks") != 0 && std::strcmp(value, "all") != 0) {
          parse.error = CheckParse::Error::kUsage;
          parse.message =
              std::string("Unknown option value for -r (expecting 'leaks' or 'all'): ") + value;
          return false;
        }
        parse.options.repair = std::strcmp(value, "leaks") == 0
                                   ? abi::kRepairLeaks
                                   : abi::kRepairLeaks | abi::kRepairErrors;
        break;
      case 'T':
        cache = value;
        break;
      case 'q':
        parse.options.quiet = true;
        break;
      case 'U':
        parse.options.force_share = true;
        break;
      case kOptionOutput:
        output = value;
        break;
      case kOptionObject:
        if (!TakeObjectOption(objects, value, &parse.options.object_help, &parse.message)) {
          if (!parse.options.object_help) parse.error = CheckParse::Error::kPlain;
          return false;
        }
        break;
      case kOptionImageOpts:
        parse.options.image_opts = true;
        break;
    }
    return true;
  });
  if (!scan.ok) {
    if (!scan.usage_error.empty()) {
      parse.error = CheckParse::Error::kUsage;
      parse.message = scan.usage_error;
    }
    return parse;
  }
  if (scan.first_operand != argc - 1) {
    parse.error = CheckParse::Error::kUsage;
    parse.message = "Expecting one image file name";
    return parse;
  }
  parse.options.filename = argv[scan.first_operand];
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
  return parse;
}

}  // namespace instar::cli
