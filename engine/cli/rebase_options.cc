// rebase_options.cc: getopt_long parsing of `rebase` as in qemu-img.c img_rebase (7.2).
#include "engine/cli/rebase_options.h"

#include "engine/cli/object_option.h"
#include "engine/cli/option_table.h"

namespace instar::cli {

namespace {

enum : int {
  kOptionObject = kLongOnlyOption,
  kOptionImageOpts,
};

// img_rebase's ":hf:F:b:upt:T:qU" and long options.
constexpr OptionSpec kRebaseOptions[] = {
    {'h', "help", false},
    {kOptionObject, "object", true},
    {kOptionImageOpts, "image-opts", false},
    {'U', "force-share", false},
    {'f', nullptr, true},
    {'F', nullptr, true},
    {'b', nullptr, true},
    {'u', nullptr, false},
    {'p', nullptr, false},
    {'t', nullptr, true},
    {'T', nullptr, true},
    {'q', nullptr, false},
};

}  // namespace

RebaseParse parse_rebase_options(int argc, char** argv) {
  RebaseParse parse;
  RebaseOptions& o = parse.options;
  const auto failed = [&parse](RebaseParse::Error error, std::string line) {
    parse.error = error;
    parse.line = std::move(line);
    return false;
  };
  ObjectOptions objects;
  const OptionScan scan = scan_options(argc, argv, kRebaseOptions, [&](int id, const char* value) {
    switch (id) {
      case 'h':
        o.help = true;
        return false;
      case 'f':
        o.format = value;
        break;
      case 'F':
        o.backing_format = value;
        break;
      case 'b':
        o.backing = value;
        break;
      case 'u':
        o.unsafe = true;
        break;
      case 'p':
        o.progress = true;
        break;
      case 't':
        o.cache = value;
        break;
      case 'T':
        o.source_cache = value;
        break;
      case 'q':
        o.quiet = true;
        break;
      case 'U':
        o.force_share = true;
        break;
      case kOptionObject: {
        std::string error;
        if (!TakeObjectOption(objects, value, &o.object_help, &error)) {
          if (!o.object_help) failed(RebaseParse::Error::kFailed, error);
          return false;
        }
        break;
      }
      case kOptionImageOpts:
        o.image_opts = true;
        break;
    }
    return true;
  });
  if (!scan.ok) {
    if (!scan.usage_error.empty()) failed(RebaseParse::Error::kUsage, scan.usage_error);
    return parse;
  }
  if (o.quiet) o.progress = false;
  if (scan.first_operand != argc - 1) {
    failed(RebaseParse::Error::kUsage, "Expecting one image file name");
    return parse;
  }
  if (!o.unsafe && !o.backing) {
    failed(RebaseParse::Error::kUsage, "Must specify backing file (-b) or use unsafe mode (-u)");
    return parse;
  }
  o.filename = argv[scan.first_operand];
  return parse;
}

}  // namespace instar::cli
