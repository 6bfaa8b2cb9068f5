// info_options.cc: getopt_long parsing of `info` as in qemu-img.c img_info (7.2; 10.2 options).
#include "engine/cli/info_options.h"

#include <vector>

#include "engine/cli/getopt_text.h"
#include "engine/cli/object_option.h"
#include "engine/cli/option_table.h"

namespace instar::cli {

namespace {
enum : int {
  kOptionOutput = kLongOnlyOption,
  kOptionBackingChain,
  kOptionObject,
  kOptionImageOpts,
  kOptionLimits,
};
}  // namespace

bool cache_mode_uses_o_direct(const std::string& mode) {
  return mode == "none" || mode == "off" || mode == "directsync";
}

InfoParse parse_info_options(int argc, char** argv, const InfoOptionSet& set) {
  // img_info's "f:h" + "U" (and 10.2's "t:"). getopt_long matches abbreviations against the
  // table, so a version's table must hold exactly its own long options (10.2: "--lim" is
  // --limits, earlier it is unrecognized).
  std::vector<OptionSpec> table = {
      {'f', "format", true},
      {'h', "help", false},
      {'U', "force-share", false},
      {kOptionOutput, "output", true},
      {kOptionBackingChain, "backing-chain", false},
      {kOptionObject, "object", true},
      {kOptionImageOpts, "image-opts", false},
  };
  if (set.cache) table.push_back({'t', "cache", true});
  if (set.limits) table.push_back({kOptionLimits, "limits", false});
  InfoParse parse;
  const char* output = nullptr;
  ObjectOptions objects;
  const OptionScan scan = scan_options(argc, argv, table, [&](int id, const char* value) {
    switch (id) {
      case 'h':
        parse.options.help = true;
        return false;
      case 'f':
        parse.options.format = value;
        break;
      case 'U':
        parse.options.force_share = true;
        break;
      case kOptionOutput:
        output = value;
        break;
      case kOptionBackingChain:
        parse.options.backing_chain = true;
        break;
      case kOptionLimits:
        parse.options.limits = true;
        break;
      case 't':
        parse.options.cache = value;
        break;
      case kOptionObject:
        if (!TakeObjectOption(objects, value, &parse.options.object_help, &parse.message)) {
          if (!parse.options.object_help) parse.error = InfoParse::Error::kPlain;
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
      parse.error = InfoParse::Error::kUsage;
      parse.message = scan.usage_error;
    }
    return parse;
  }
  if (scan.first_operand != argc - 1) {
    parse.error = InfoParse::Error::kUsage;
    parse.message = "Expecting one image file name";
    return parse;
  }
  parse.options.filename = argv[scan.first_operand];
  const std::optional<OutputFormat> format = parse_output_format(output);
  if (!format) {
    parse.error = InfoParse::Error::kPlain;
    parse.message = kBadOutputText;
    return parse;
  }
  parse.options.output = *format;
  return parse;
}

}  // namespace instar::cli
