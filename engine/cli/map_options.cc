// map_options.cc: getopt_long parsing of `map` as in qemu-img.c img_map (7.2).
#include "engine/cli/map_options.h"

#include "engine/cli/object_option.h"
#include "engine/cli/option_table.h"
#include "engine/cli/size_argument.h"

namespace instar::cli {

namespace {

enum : int {
  kOptionOutput = kLongOnlyOption,
  kOptionObject,
  kOptionImageOpts,
};

// img_map's ":f:s:l:hU" and long options.
constexpr OptionSpec kMapOptions[] = {
    {'h', "help", false},
    {'f', "format", true},
    {kOptionOutput, "output", true},
    {kOptionObject, "object", true},
    {kOptionImageOpts, "image-opts", false},
    {'U', "force-share", false},
    {'s', "start-offset", true},
    {'l', "max-length", true},
};

}  // namespace

MapParse parse_map_options(int argc, char** argv) {
  MapParse parse;
  MapOptions& o = parse.options;
  std::optional<std::string> output;
  ObjectOptions objects;
  // cvtnum() reports and img_map returns 1 the moment a value is bad.
  const auto size_value = [&parse](const char* name, const char* text, int64_t* out) {
    SizeArgument size = parse_size_argument(name, text);
    if (!size.value) {
      parse.error = MapParse::Error::kFailed;
      parse.messages = std::move(size.lines);
      return false;
    }
    for (std::string& line : size.lines) parse.warnings.push_back(std::move(line));
    *out = *size.value;
    return true;
  };
  const OptionScan scan = scan_options(argc, argv, kMapOptions, [&](int id, const char* value) {
    switch (id) {
      case 'h':
        o.help = true;
        return false;
      case 'f':
        o.format = value;
        break;
      case 'U':
        o.force_share = true;
        break;
      case kOptionOutput:
        output = value;
        break;
      case 's':
        return size_value("start offset", value, &o.start_offset);
      case 'l':
        return size_value("max length", value, &o.max_length);
      case kOptionObject: {
        std::string error;
        if (!TakeObjectOption(objects, value, &o.object_help, &error)) {
          if (!o.object_help) {
            parse.error = MapParse::Error::kFailed;
            parse.messages = {error};
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
      parse.error = MapParse::Error::kUsage;
      parse.messages = {scan.usage_error};
    }
    return parse;
  }
  if (scan.first_operand != argc - 1) {
    parse.error = MapParse::Error::kUsage;
    parse.messages = {"Expecting one image file name"};
    return parse;
  }
  o.filename = argv[scan.first_operand];
  if (output && *output == "json") {
    o.json = true;
  } else if (output && *output != "human") {
    parse.error = MapParse::Error::kFailed;
    parse.messages = {"--output must be used with human or json as argument."};
    return parse;
  }
  return parse;
}

}  // namespace instar::cli
