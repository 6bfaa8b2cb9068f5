// compare_options.cc: getopt_long parsing of `compare` as in qemu-img.c img_compare (7.2).
#include "engine/cli/compare_options.h"

#include "engine/cli/getopt_text.h"
#include "engine/cli/object_option.h"
#include "engine/cli/option_table.h"

namespace instar::cli {

namespace {
enum : int {
  kOptionObject = kLongOnlyOption,
  kOptionImageOpts,
};

// img_compare's "hf:F:T:pqsU" and long options.
constexpr OptionSpec kCompareOptions[] = {
    {'h', "help", false},
    {'f', nullptr, true},
    {'F', nullptr, true},
    {'T', nullptr, true},
    {'p', nullptr, false},
    {'q', nullptr, false},
    {'s', nullptr, false},
    {'U', "force-share", false},
    {kOptionObject, "object", true},
    {kOptionImageOpts, "image-opts", false},
};
}  // namespace

CompareParse parse_compare_options(int argc, char** argv) {
  CompareParse parse;
  CompareOptions& o = parse.options;
  const char* unsupported = nullptr;
  ObjectOptions objects;
  const OptionScan scan = scan_options(argc, argv, kCompareOptions, [&](int id, const char* value) {
    switch (id) {
      case 'h':
        o.help = true;
        return false;
      case 'f':
        o.format[0] = value;
        break;
      case 'F':
        o.format[1] = value;
        break;
      case 'T':
        o.cache = value;
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
        // qemu creates the object right here, in the getopt loop.
        if (!TakeObjectOption(objects, value, &o.object_help, &parse.message)) {
          if (!o.object_help) parse.error = CompareParse::Error::kPlain;
          return false;
        }
        break;
      case kOptionImageOpts:
        o.image_opts = true;
        break;
    }
    return true;
  });
  if (!scan.ok) {
    if (!scan.usage_error.empty()) {
      parse.error = CompareParse::Error::kUsage;
      parse.message = scan.usage_error;
    }
    return parse;
  }
  if (o.quiet) o.progress = false;  // "Progress is not shown in Quiet mode"
  if (scan.first_operand != argc - 2) {
    parse.error = CompareParse::Error::kUsage;
    parse.message = "Expecting two image file names";
    return parse;
  }
  o.filename[0] = argv[scan.first_operand];
  o.filename[1] = argv[scan.first_operand + 1];
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
