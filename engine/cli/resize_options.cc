// resize_options.cc: getopt_long parsing of `resize` as in qemu-img.c img_resize (7.2).
#include "engine/cli/resize_options.h"

#include "engine/cli/object_option.h"
#include "engine/cli/option_table.h"
#include "engine/cli/raw_truncate.h"
#include "engine/cli/size_suffix.h"

namespace instar::cli {

namespace {

enum : int {
  kOptionObject = kLongOnlyOption,
  kOptionImageOpts,
  kOptionPreallocation,
  kOptionShrink,
};

// img_resize's ":f:hq" and long options.
constexpr OptionSpec kResizeOptions[] = {
    {'h', "help", false},
    {kOptionObject, "object", true},
    {kOptionImageOpts, "image-opts", false},
    {kOptionPreallocation, "preallocation", true},
    {kOptionShrink, "shrink", false},
    {'f', nullptr, true},
    {'q', nullptr, false},
};

}  // namespace

ResizeParse parse_resize_options(int argc, char** argv) {
  ResizeParse parse;
  ResizeOptions& o = parse.options;
  const auto failed = [&parse](ResizeParse::Error error, std::string line) {
    parse.error = error;
    parse.lines.push_back(std::move(line));
    return false;
  };
  if (argc < 3) {
    failed(ResizeParse::Error::kUsage, "Not enough arguments");
    return parse;
  }
  // "Remove size from argv manually so that negative numbers are not treated as options".
  std::string size = argv[--argc];
  ObjectOptions objects;
  const OptionScan scan = scan_options(argc, argv, kResizeOptions, [&](int id, const char* value) {
    switch (id) {
      case 'h':
        o.help = true;
        return false;
      case 'f':
        o.format = value;
        break;
      case 'q':
        o.quiet = true;
        break;
      case kOptionObject: {
        std::string error;
        if (!TakeObjectOption(objects, value, &o.object_help, &error)) {
          if (!o.object_help) failed(ResizeParse::Error::kFailed, error);
          return false;
        }
        break;
      }
      case kOptionImageOpts:
        o.image_opts = true;
        break;
      case kOptionPreallocation:
        if (!parse_preallocation(value)) {
          return failed(ResizeParse::Error::kFailed,
                        std::string("Invalid preallocation mode '") + value + "'");
        }
        o.preallocation = value;
        break;
      case kOptionShrink:
        o.shrink = true;
        break;
    }
    return true;
  });
  if (!scan.ok) {
    if (!scan.usage_error.empty()) failed(ResizeParse::Error::kUsage, scan.usage_error);
    return parse;
  }
  if (scan.first_operand != argc - 1) {
    failed(ResizeParse::Error::kUsage, "Expecting image file name and size");
    return parse;
  }
  o.filename = argv[scan.first_operand];
  if (!size.empty() && (size[0] == '+' || size[0] == '-')) {
    o.relative = size[0] == '+' ? abi::kResizeGrowBy : abi::kResizeShrinkBy;
    size.erase(0, 1);
  }
  // qemu_opt_set() of the "size" option: parse_option_size()'s errors.
  bool hex_with_suffix = false;
  switch (parse_size(size, &o.size, &hex_with_suffix)) {
    case SizeParse::kOk:
      if (hex_with_suffix) {
        parse.warnings.push_back(
            "warning: Using a multiplier suffix on hex numbers is deprecated: " + size);
      }
      break;
    case SizeParse::kOutOfRange:
      failed(ResizeParse::Error::kFailed,
             "Value '" + size + "' is out of range for parameter 'size'");
      break;
    case SizeParse::kInvalid:
      failed(ResizeParse::Error::kFailed,
             "Parameter 'size' expects a non-negative number below 2^64");
      parse.hint =
          "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n"
          "and exabytes, respectively.\n";
      break;
  }
  return parse;
}

}  // namespace instar::cli
