// info_options.cc: getopt_long parsing of `info` as in qemu-img.c img_info (7.2; 10.2 options).
#include "engine/cli/info_options.h"

#include <getopt.h>

#include <cstring>
#include <vector>

#include "engine/cli/getopt_text.h"

namespace instar::cli {

namespace {
enum : int {
  kOptionOutput = 0x100,
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
  // getopt_long matches abbreviations against this table, so a version's table must hold
  // exactly its own long options (10.2: "--lim" is --limits, earlier it is unrecognized).
  std::vector<option> long_options = {
      {"help", no_argument, nullptr, 'h'},
      {"format", required_argument, nullptr, 'f'},
      {"output", required_argument, nullptr, kOptionOutput},
      {"backing-chain", no_argument, nullptr, kOptionBackingChain},
      {"object", required_argument, nullptr, kOptionObject},
      {"image-opts", no_argument, nullptr, kOptionImageOpts},
      {"force-share", no_argument, nullptr, 'U'},
  };
  if (set.cache) long_options.push_back({"cache", required_argument, nullptr, 't'});
  if (set.limits) long_options.push_back({"limits", no_argument, nullptr, kOptionLimits});
  long_options.push_back({nullptr, 0, nullptr, 0});
  const char* short_options = set.cache ? ":f:ht:U" : ":f:hU";
  InfoParse parse;
  const char* output = nullptr;
  const char* unsupported = nullptr;
  optind = 0;
  opterr = 0;
  for (;;) {
    const int c = getopt_long(argc, argv, short_options, long_options.data(), nullptr);
    if (c == -1) break;
    switch (c) {
      case 'h':
        parse.options.help = true;
        return parse;
      case 'f':
        parse.options.format = optarg;
        break;
      case 'U':
        parse.options.force_share = true;
        break;
      case kOptionOutput:
        output = optarg;
        break;
      case kOptionBackingChain:
        parse.options.backing_chain = true;
        break;
      case kOptionLimits:
        parse.options.limits = true;
        break;
      case 't':
        parse.options.cache = optarg;
        break;
      case kOptionObject:
        unsupported = "--object";
        break;
      case kOptionImageOpts:
        unsupported = "--image-opts";
        break;
      default:  // ':' missing argument, '?' unknown option
        parse.error = InfoParse::Error::kUsage;
        parse.message = getopt_error_text(c, argv);
        return parse;
    }
  }
  if (optind != argc - 1) {
    parse.error = InfoParse::Error::kUsage;
    parse.message = "Expecting one image file name";
    return parse;
  }
  parse.options.filename = argv[optind];
  const std::optional<OutputFormat> format = parse_output_format(output);
  if (!format) {
    parse.error = InfoParse::Error::kPlain;
    parse.message = kBadOutputText;
    return parse;
  }
  parse.options.output = *format;
  if (unsupported != nullptr) {
    parse.error = InfoParse::Error::kUnsupported;
    parse.message = std::string("option '") + unsupported + "' is not supported by instar yet";
  }
  return parse;
}

}  // namespace instar::cli
