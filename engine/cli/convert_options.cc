// convert_options.cc: getopt_long parsing of `convert` as in qemu-img.c img_convert (7.2).
#include "engine/cli/convert_options.h"

#include <cerrno>
#include <cstdlib>

#include "engine/cli/compare_options.h"
#include "engine/cli/creation_options.h"
#include "engine/cli/object_option.h"
#include "engine/cli/option_table.h"
#include "engine/cli/size_argument.h"

namespace instar::cli {

namespace {

enum : int {
  kOptionObject = kLongOnlyOption,
  kOptionImageOpts,
  kOptionTargetImageOpts,
  kOptionSalvage,
  kOptionTargetIsZero,
  kOptionBitmaps,
  kOptionSkipBrokenBitmaps,
};

// img_convert's ":hf:O:B:Cco:l:S:pt:T:qnm:WUr:" and long options.
constexpr OptionSpec kConvertOptions[] = {
    {'h', "help", false},
    {'f', nullptr, true},
    {'O', nullptr, true},
    {'B', nullptr, true},
    {'F', nullptr, true},
    {'C', nullptr, false},
    {'c', nullptr, false},
    {'o', nullptr, true},
    {'l', nullptr, true},
    {'S', nullptr, true},
    {'p', nullptr, false},
    {'t', nullptr, true},
    {'T', nullptr, true},
    {'q', nullptr, false},
    {'n', nullptr, false},
    {'m', nullptr, true},
    {'W', nullptr, false},
    {'U', "force-share", false},
    {'r', nullptr, true},
    {kOptionObject, "object", true},
    {kOptionImageOpts, "image-opts", false},
    {kOptionTargetImageOpts, "target-image-opts", false},
    {kOptionSalvage, "salvage", false},
    {kOptionTargetIsZero, "target-is-zero", false},
    {kOptionBitmaps, "bitmaps", false},
    {kOptionSkipBrokenBitmaps, "skip-broken-bitmaps", false},
};

constexpr uint64_t kMaxBufSectors = 32768;  // MAX_BUF_SECTORS: 16 MiB
constexpr int kMaxCoroutines = 16;

// cvtnum()'s outcome for an option: its error lines end the parse; a warning about an accepted
// value is printed first, as qemu prints it while it parses.
bool take_size(SizeArgument* size, ConvertParse* parse) {
  if (!size->value) {
    parse->error = ConvertParse::Error::kFailed;
    parse->lines = std::move(size->lines);
    return false;
  }
  if (size->warning) parse->warnings.push_back(std::move(size->lines.front()));
  return true;
}

}  // namespace

ConvertParse parse_convert_options(int argc, char** argv) {
  ConvertParse parse;
  ConvertOptions& o = parse.options;
  ObjectOptions objects;
  const auto failed = [&parse](std::string line) {
    parse.error = ConvertParse::Error::kFailed;
    parse.lines.push_back(std::move(line));
    return false;
  };
  const OptionScan scan = scan_options(argc, argv, kConvertOptions, [&](int id, const char* value) {
    switch (id) {
      case 'h':
        o.help = true;
        return false;
      case 'f':
        o.format = value;
        break;
      case 'O':
        o.output_format = value;
        o.output_format_given = true;
        break;
      case 'B':
        o.backing = value;
        break;
      case 'F':
        o.backing_format = value;
        break;
      case 'C':
        o.copy_range = true;
        break;
      case 'c':
        o.compress = true;
        break;
      case 'o':
        if (!is_valid_option_list(value))
          return failed(std::string("Invalid option list: ") + value);
        o.create_options = o.create_options ? *o.create_options + "," + value : value;
        break;
      case 'l': {
        SnapshotParamResult taken = TakeSnapshotParam(value, &o.snapshot);
        for (std::string& warning : taken.warnings) parse.warnings.push_back(std::move(warning));
        if (taken.ok) break;
        for (std::string& error : taken.errors) failed(std::move(error));
        parse.help_output = taken.help.value_or("");
        return false;
      }
      case 'S': {
        SizeArgument parsed = parse_size_argument("buffer size for sparse output", value);
        if (!take_size(&parsed, &parse)) return false;
        const uint64_t size = static_cast<uint64_t>(*parsed.value);
        if (size % 512 != 0 || size / 512 > kMaxBufSectors) {
          return failed(
              "Invalid buffer size for sparse output specified. Valid sizes are multiples of 512 "
              "up to 16777216. Select 0 to disable sparse detection (fully allocates output).");
        }
        o.min_sparse_sectors = size / 512;
        o.explicit_min_sparse = true;
        break;
      }
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
      case 'n':
        o.skip_create = true;
        break;
      case 'm': {
        char* end = nullptr;
        errno = 0;
        const long n = std::strtol(value, &end, 10);
        if (*end != '\0' || errno != 0 || n < 1 || n > kMaxCoroutines) {
          return failed(
              "Invalid number of coroutines. Allowed number of coroutines is between 1 and 16");
        }
        o.coroutines = static_cast<int>(n);
        break;
      }
      case 'W':
        o.out_of_order = true;
        break;
      case 'U':
        o.force_share = true;
        break;
      case 'r': {
        SizeArgument parsed = parse_size_argument("rate limit", value);
        if (!take_size(&parsed, &parse)) return false;
        o.rate_limit = true;
        break;
      }
      case kOptionObject: {
        // qemu creates the object right here, in the getopt loop.
        std::string error;
        if (TakeObjectOption(objects, value, &o.object_help, &error)) break;
        if (!o.object_help) failed(error);
        return false;
      }
      case kOptionImageOpts:
        o.image_opts = true;
        break;
      case kOptionTargetImageOpts:
        o.target_image_opts = true;
        break;
      case kOptionSalvage:
        o.salvage = true;
        break;
      case kOptionTargetIsZero:
        o.target_is_zero = true;
        break;
      case kOptionBitmaps:
        o.bitmaps = true;
        break;
      case kOptionSkipBrokenBitmaps:
        o.skip_broken_bitmaps = true;
        break;
    }
    return true;
  });
  if (!scan.ok) {
    if (!scan.usage_error.empty()) {
      parse.error = ConvertParse::Error::kUsage;
      parse.lines = {scan.usage_error};
    }
    return parse;
  }
  // img_convert's checks after getopt, in its order.
  if (o.skip_broken_bitmaps && !o.bitmaps) {
    failed("Use of --skip-broken-bitmaps requires --bitmaps");
  } else if (o.compress && o.copy_range) {
    failed("Cannot enable copy offloading when -c is used");
  } else if (o.explicit_min_sparse && o.copy_range) {
    failed("Cannot enable copy offloading when -S is used");
  } else if (o.copy_range && o.salvage) {
    failed("Cannot use copy offloading in salvaging mode");
  } else if (o.target_image_opts && !o.skip_create) {
    failed("--target-image-opts requires use of -n flag");
  } else if (o.skip_create && o.create_options) {
    failed("-o has no effect when skipping image creation");
  } else if (o.target_is_zero && !o.skip_create) {
    failed("--target-is-zero requires use of -n flag");
  }
  if (parse.error != ConvertParse::Error::kNone) return parse;
  const int operands = argc - scan.first_operand;
  if (operands < 2) {
    failed("Must specify image file name");
    return parse;
  }
  if (!is_cache_mode(o.source_cache)) {
    failed("Invalid source cache option: " + o.source_cache);
    return parse;
  }
  for (int i = scan.first_operand; i < argc - 1; ++i) o.sources.emplace_back(argv[i]);
  o.output = argv[argc - 1];
  if (o.quiet) o.progress = false;

  // What instar does not implement yet: refused, never ignored.
  const char* unsupported = nullptr;
  if (o.bitmaps) unsupported = "--bitmaps";
  if (unsupported != nullptr) {
    parse.error = ConvertParse::Error::kUnsupported;
    parse.lines = {std::string("convert option '") + unsupported +
                   "' is not supported by instar yet"};
  }
  return parse;
}

}  // namespace instar::cli
