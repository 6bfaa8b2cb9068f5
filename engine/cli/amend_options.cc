// amend_options.cc: getopt_long parsing of `amend` as in qemu-img.c img_amend (7.2).
#include "engine/cli/amend_options.h"

#include "engine/cli/creation_options.h"
#include "engine/cli/object_option.h"
#include "engine/cli/option_table.h"

namespace instar::cli {

namespace {

enum : int {
  kOptionObject = kLongOnlyOption,
  kOptionImageOpts,
  kOptionForce,
};

// img_amend's ":ho:f:t:pq" and long options.
constexpr OptionSpec kAmendOptions[] = {
    {'h', "help", false},
    {kOptionObject, "object", true},
    {kOptionImageOpts, "image-opts", false},
    {kOptionForce, "force", false},
    {'o', nullptr, true},
    {'f', nullptr, true},
    {'t', nullptr, true},
    {'p', nullptr, false},
    {'q', nullptr, false},
};

}  // namespace

AmendParse parse_amend_options(int argc, char** argv, int* first_operand) {
  AmendParse parse;
  AmendOptions& o = parse.options;
  const auto failed = [&parse](AmendParse::Error error, std::string line) {
    parse.error = error;
    parse.line = std::move(line);
    return false;
  };
  ObjectOptions objects;
  const OptionScan scan = scan_options(argc, argv, kAmendOptions, [&](int id, const char* value) {
    switch (id) {
      case 'h':
        o.help = true;
        return false;
      case 'o':
        if (!is_valid_option_list(value)) {
          return failed(AmendParse::Error::kFailed, std::string("Invalid option list: ") + value);
        }
        accumulate_options(&o.options, value);
        break;
      case 'f':
        o.format = value;
        break;
      case 't':
        o.cache = value;
        break;
      case 'p':
        o.progress = true;
        break;
      case 'q':
        o.quiet = true;
        break;
      case kOptionObject: {
        std::string error;
        if (!TakeObjectOption(objects, value, &o.object_help, &error)) {
          if (!o.object_help) failed(AmendParse::Error::kFailed, error);
          return false;
        }
        break;
      }
      case kOptionImageOpts:
        o.image_opts = true;
        break;
      case kOptionForce:
        o.force = true;
        break;
    }
    return true;
  });
  if (!scan.ok) {
    if (!scan.usage_error.empty()) failed(AmendParse::Error::kUsage, scan.usage_error);
    return parse;
  }
  if (o.options.empty()) {
    failed(AmendParse::Error::kUsage, "Must specify options (-o)");
    return parse;
  }
  if (o.quiet) o.progress = false;
  *first_operand = scan.first_operand;
  if (scan.first_operand == argc - 1) o.filename = argv[scan.first_operand];
  return parse;
}

}  // namespace instar::cli
