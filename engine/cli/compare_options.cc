// compare_options.cc: getopt_long parsing of `compare` as in qemu-img.c img_compare (7.2).
#include "engine/cli/compare_options.h"

#include <getopt.h>

#include "engine/cli/getopt_text.h"

namespace instar::cli {

namespace {
enum : int {
  kOptionObject = 0x100,
  kOptionImageOpts,
};
}  // namespace

CompareParse parse_compare_options(int argc, char** argv) {
  static const option kLongOptions[] = {
      {"help", no_argument, nullptr, 'h'},
      {"object", required_argument, nullptr, kOptionObject},
      {"image-opts", no_argument, nullptr, kOptionImageOpts},
      {"force-share", no_argument, nullptr, 'U'},
      {nullptr, 0, nullptr, 0},
  };
  CompareParse parse;
  CompareOptions& o = parse.options;
  const char* unsupported = nullptr;
  optind = 0;
  opterr = 0;
  for (;;) {
    const int c = getopt_long(argc, argv, ":hf:F:T:pqsU", kLongOptions, nullptr);
    if (c == -1) break;
    switch (c) {
      case 'h':
        o.help = true;
        return parse;
      case 'f':
        o.format[0] = optarg;
        break;
      case 'F':
        o.format[1] = optarg;
        break;
      case 'T':
        o.cache = optarg;
        break;
      case 'p':
        o.progress = true;
        break;
      case 'q':
        o.quiet = true;
        break;
      case 's':
        o.strict = true;
        break;
      case 'U':
        o.force_share = true;
        break;
      case kOptionObject:
        // qemu creates the object right here; instar has no secrets or other objects.
        parse.error = CompareParse::Error::kUnsupported;
        parse.message = "option '--object' is not supported by instar yet";
        return parse;
      case kOptionImageOpts:
        unsupported = "--image-opts";
        break;
      default:  // ':' missing argument, '?' unknown option
        parse.error = CompareParse::Error::kUsage;
        parse.message = getopt_error_text(c, argv);
        return parse;
    }
  }
  if (o.quiet) o.progress = false;  // "Progress is not shown in Quiet mode"
  if (optind != argc - 2) {
    parse.error = CompareParse::Error::kUsage;
    parse.message = "Expecting two image file names";
    return parse;
  }
  o.filename[0] = argv[optind];
  o.filename[1] = argv[optind + 1];
  if (unsupported == nullptr && o.progress) unsupported = "-p";
  if (unsupported != nullptr) {
    parse.error = CompareParse::Error::kUnsupported;
    parse.message = std::string("option '") + unsupported + "' is not supported by instar yet";
  }
  return parse;
}

bool is_cache_mode(const std::string& mode) {
  return mode == "off" || mode == "none" || mode == "directsync" || mode == "writeback" ||
         mode == "unsafe" || mode == "writethrough";
}

}  // namespace instar::cli
