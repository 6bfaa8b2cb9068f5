// create_options.cc: getopt_long parsing of `create` as in qemu-img.c img_create (7.2).
#include "engine/cli/create_options.h"

#include "engine/cli/creation_options.h"
#include "engine/cli/object_option.h"
#include "engine/cli/option_table.h"
#include "engine/cli/size_argument.h"

namespace instar::cli {

namespace {

enum : int { kOptionObject = kLongOnlyOption };

// img_create's ":F:b:f:ho:qu" and long options.
constexpr OptionSpec kCreateOptions[] = {
    {'h', "help", false},  {'F', nullptr, true},
    {'b', nullptr, true},  {'f', nullptr, true},
    {'o', nullptr, true},  {'q', nullptr, false},
    {'u', nullptr, false}, {kOptionObject, "object", true},
};

}  // namespace

CreateParse parse_create_options(int argc, char** argv) {
  CreateParse parse;
  CreateOptions& o = parse.options;
  ObjectOptions objects;
  const auto failed = [&parse](CreateParse::Error error, std::string line) {
    parse.error = error;
    parse.lines.push_back(std::move(line));
    return false;
  };
  const OptionScan scan = scan_options(argc, argv, kCreateOptions, [&](int id, const char* value) {
    switch (id) {
      case 'h':
        o.help = true;
        return false;
      case 'F':
        o.backing_format = value;
        break;
      case 'b':
        o.backing = value;
        break;
      case 'f':
        o.format = value;
        break;
      case 'o':
        if (!is_valid_option_list(value)) {
          return failed(CreateParse::Error::kFailed, std::string("Invalid option list: ") + value);
        }
        if (!o.options) o.options = std::string();
        accumulate_options(&*o.options, value);
        break;
      case 'q':
        o.quiet = true;
        break;
      case 'u':
        o.no_open_backing = true;
        break;
      case kOptionObject: {
        std::string error;
        if (!TakeObjectOption(objects, value, &o.object_help, &error)) {
          if (!o.object_help) failed(CreateParse::Error::kFailed, error);
          return false;
        }
        break;
      }
    }
    return true;
  });
  if (!scan.ok) {
    if (!scan.usage_error.empty()) failed(CreateParse::Error::kUsage, scan.usage_error);
    return parse;
  }
  int next = scan.first_operand;
  // has_help_option() comes before the file name is required.
  if (o.options && has_help_option(*o.options)) {
    o.option_help = true;
    if (next < argc) o.filename = argv[next];
    return parse;
  }
  if (next >= argc) {
    failed(CreateParse::Error::kUsage, "Expecting image file name");
    return parse;
  }
  o.filename = argv[next++];
  if (next < argc) {
    SizeArgument size = parse_size_argument("image size", argv[next++]);
    if (!size.value) {
      parse.error = CreateParse::Error::kFailed;
      parse.lines = size.lines;
      return parse;
    }
    if (size.warning) parse.warnings.push_back(size.lines.front());
    o.size = static_cast<uint64_t>(*size.value);
  }
  if (next != argc) {
    failed(CreateParse::Error::kUsage, std::string("Unexpected argument: ") + argv[next]);
  }
  return parse;
}

}  // namespace instar::cli
