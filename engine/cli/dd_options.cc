// dd_options.cc: getopt_long and key=value operand parsing of `dd` as in qemu-img.c img_dd (7.2).
#include "engine/cli/dd_options.h"

#include <climits>
#include <cstring>

#include "engine/cli/object_option.h"
#include "engine/cli/option_table.h"
#include "engine/cli/size_argument.h"

namespace instar::cli {

namespace {

enum : int {
  kOptionObject = kLongOnlyOption,
  kOptionImageOpts,
};

// img_dd's ":hf:O:U" and long options.
constexpr OptionSpec kDdOptions[] = {
    {'h', "help", false},
    {kOptionObject, "object", true},
    {kOptionImageOpts, "image-opts", false},
    {'U', "force-share", false},
    {'f', nullptr, true},
    {'O', nullptr, true},
};

// One cvtnum()-parsed operand value: false (lines set) when qemu refuses it.
bool take_number(DdParse& parse, const char* name, const std::string& text, int64_t min,
                 int64_t max, int64_t* out) {
  SizeArgument value = parse_size_argument(name, text, min, max);
  if (!value.value) {
    parse.error = DdParse::Error::kFailed;
    parse.lines = std::move(value.lines);
    return false;
  }
  if (value.warning) {
    parse.warnings.insert(parse.warnings.end(), value.lines.begin(), value.lines.end());
  }
  *out = *value.value;
  return true;
}

// img_dd's operand table (bs, count, if, of, skip) applied to "key=value": false when it ends the
// parse.
bool take_operand(DdParse& parse, const std::string& operand) {
  DdOptions& o = parse.options;
  const size_t equals = operand.find('=');
  const std::string key = operand.substr(0, equals);
  if (equals == std::string::npos ||
      (key != "bs" && key != "count" && key != "if" && key != "of" && key != "skip")) {
    parse.error = DdParse::Error::kFailed;
    parse.lines = {"unrecognized operand " + key};
    return false;
  }
  const std::string value = operand.substr(equals + 1);
  int64_t number = 0;
  if (key == "bs") {
    if (!take_number(parse, "bs", value, 1, INT_MAX, &number)) return false;
    o.block_size = number;
  } else if (key == "count") {
    if (!take_number(parse, "count", value, 0, INT64_MAX, &number)) return false;
    o.count = number;
  } else if (key == "skip") {
    if (!take_number(parse, "skip", value, 0, INT64_MAX, &number)) return false;
    o.skip = number;
  } else if (key == "if") {
    o.input = value;
  } else {
    o.output = value;
  }
  return true;
}

}  // namespace

DdParse parse_dd_options(int argc, char** argv) {
  DdParse parse;
  DdOptions& o = parse.options;
  ObjectOptions objects;
  const OptionScan scan = scan_options(argc, argv, kDdOptions, [&](int id, const char* value) {
    switch (id) {
      case 'h':
        o.help = true;
        return false;
      case 'f':
        o.format = value;
        break;
      case 'O':
        o.output_format = value;
        break;
      case 'U':
        o.force_share = true;
        break;
      case kOptionObject: {
        std::string error;
        if (!TakeObjectOption(objects, value, &o.object_help, &error)) {
          if (!o.object_help) {
            parse.error = DdParse::Error::kFailed;
            parse.lines = {error};
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
      parse.error = DdParse::Error::kUsage;
      parse.lines = {scan.usage_error};
    }
    return parse;
  }
  for (int i = scan.first_operand; i < argc; ++i) {
    if (!take_operand(parse, argv[i])) return parse;
  }
  if (!o.input || !o.output) {
    parse.error = DdParse::Error::kFailed;
    parse.lines = {"Must specify both input and output files"};
  }
  return parse;
}

DdRange dd_range(const DdOptions& options, uint64_t input_size) {
  const uint64_t bs = static_cast<uint64_t>(options.block_size);
  uint64_t size = input_size;
  if (options.count && static_cast<uint64_t>(*options.count) <= INT64_MAX / bs &&
      static_cast<uint64_t>(*options.count) * bs < size) {
    size = static_cast<uint64_t>(*options.count) * bs;
  }
  DdRange range;
  const uint64_t skip = options.skip ? static_cast<uint64_t>(*options.skip) : 0;
  if (options.skip && (skip > INT64_MAX / bs || size < skip * bs)) {
    range.input_offset = size;
    range.skip_past_end = true;
    return range;
  }
  range.input_offset = skip * bs;
  range.length = size - range.input_offset;
  return range;
}

}  // namespace instar::cli
