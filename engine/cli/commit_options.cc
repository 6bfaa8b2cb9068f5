// commit_options.cc: getopt_long parsing of `commit` as in qemu-img.c img_commit (7.2).
#include "engine/cli/commit_options.h"

#include "engine/cli/object_option.h"
#include "engine/cli/option_table.h"
#include "engine/cli/size_argument.h"

namespace instar::cli {

namespace {

enum : int {
  kOptionObject = kLongOnlyOption,
  kOptionImageOpts,
};

// img_commit's ":f:ht:b:dpqr:" and long options.
constexpr OptionSpec kCommitOptions[] = {
    {'h', "help", false},
    {kOptionObject, "object", true},
    {kOptionImageOpts, "image-opts", false},
    {'f', nullptr, true},
    {'t', nullptr, true},
    {'b', nullptr, true},
    {'d', nullptr, false},
    {'p', nullptr, false},
    {'q', nullptr, false},
    {'r', nullptr, true},
};

}  // namespace

CommitParse parse_commit_options(int argc, char** argv) {
  CommitParse parse;
  CommitOptions& o = parse.options;
  ObjectOptions objects;
  const OptionScan scan = scan_options(argc, argv, kCommitOptions, [&](int id, const char* value) {
    switch (id) {
      case 'h':
        o.help = true;
        return false;
      case 'f':
        o.format = value;
        break;
      case 't':
        o.cache = value;
        break;
      case 'b':
        o.base = value;
        o.drop = true;  // -b implies -d
        break;
      case 'd':
        o.drop = true;
        break;
      case 'p':
        o.progress = true;
        break;
      case 'q':
        o.quiet = true;
        break;
      case 'r': {
        // cvtnum("rate limit", optarg): the job's speed, which changes nothing but the time taken.
        SizeArgument rate = parse_size_argument("rate limit", value);
        if (!rate.value) {
          parse.error = CommitParse::Error::kFailed;
          parse.lines = std::move(rate.lines);
          return false;
        }
        if (rate.warning) parse.warnings.push_back(std::move(rate.lines.front()));
        break;
      }
      case kOptionObject: {
        std::string error;
        if (!TakeObjectOption(objects, value, &o.object_help, &error)) {
          if (!o.object_help) {
            parse.error = CommitParse::Error::kFailed;
            parse.lines.push_back(error);
          }
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
    if (!scan.usage_error.empty()) {
      parse.error = CommitParse::Error::kUsage;
      parse.lines = {scan.usage_error};
    }
    return parse;
  }
  if (o.quiet) o.progress = false;
  if (scan.first_operand != argc - 1) {
    parse.error = CommitParse::Error::kUsage;
    parse.lines = {"Expecting one image file name"};
    return parse;
  }
  o.filename = argv[scan.first_operand];
  return parse;
}

}  // namespace instar::cli
