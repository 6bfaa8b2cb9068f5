// measure_options.cc: getopt_long parsing of `measure` as in qemu-img.c img_measure (7.2).
#include "engine/cli/measure_options.h"

#include "engine/cli/creation_options.h"
#include "engine/cli/object_option.h"
#include "engine/cli/option_table.h"
#include "engine/cli/size_argument.h"

namespace instar::cli {

namespace {
enum : int {
  kOptionObject = kLongOnlyOption,
  kOptionImageOpts,
  kOptionOutput,
  kOptionSize,
};

// img_measure's "hf:o:O:l:U" and long options.
constexpr OptionSpec kMeasureOptions[] = {
    {'h', "help", false},
    {'f', nullptr, true},
    {'o', nullptr, true},
    {'O', nullptr, true},
    {'l', nullptr, true},
    {'U', "force-share", false},
    {kOptionImageOpts, "image-opts", false},
    {kOptionObject, "object", true},
    {kOptionOutput, "output", true},
    {kOptionSize, "size", true},
};
}  // namespace

MeasureParse parse_measure_options(int argc, char** argv) {
  MeasureParse parse;
  MeasureOptions& o = parse.options;
  ObjectOptions objects;
  const auto failed = [&parse](MeasureParse::Error error, std::string message) {
    parse.error = error;
    parse.message = std::move(message);
    return false;
  };
  const OptionScan scan = scan_options(
      argc, argv, kMeasureOptions,
      [&](int id, const char* value) {
        switch (id) {
          case 'h':
            return failed(MeasureParse::Error::kHelp, "");
          case 'f':
            o.format = value;
            break;
          case 'O':
            o.out_format = value;
            break;
          case 'o':
            if (!is_valid_option_list(value)) {
              return failed(MeasureParse::Error::kFailed,
                            std::string("Invalid option list: ") + value);
            }
            accumulate_options(&o.options, value);
            break;
          case 'l': {
            SnapshotParamResult taken = TakeSnapshotParam(value, &o.snapshot);
            for (std::string& w : taken.warnings) parse.warnings.push_back(std::move(w));
            if (taken.ok) break;
            std::string lines;
            for (const std::string& l : taken.errors) lines += (lines.empty() ? "" : "\n") + l;
            parse.help_output = taken.help.value_or("");
            return failed(MeasureParse::Error::kFailed, lines);
          }
          case 'U':
            o.force_share = true;
            break;
          case kOptionObject: {
            std::string error;
            if (TakeObjectOption(objects, value, &o.object_help, &error)) break;
            if (!o.object_help) failed(MeasureParse::Error::kFailed, error);
            return false;
          }
          case kOptionImageOpts:
            o.image_opts = true;
            break;
          case kOptionOutput: {
            const std::optional<OutputFormat> format = parse_output_format(value);
            if (!format) return failed(MeasureParse::Error::kFailed, kBadOutputText);
            o.output = *format;
            break;
          }
          case kOptionSize: {
            SizeArgument size = parse_size_argument("image size", value);
            if (!size.value) {
              std::string lines;
              for (const std::string& l : size.lines) lines += (lines.empty() ? "" : "\n") + l;
              return failed(MeasureParse::Error::kFailed, lines);
            }
            if (size.warning) parse.warnings.push_back(size.lines.front());
            o.size = static_cast<uint64_t>(*size.value);
            break;
          }
        }
        return true;
      },
      GetoptErrors::kGetoptPrinted);
  if (!scan.ok) {
    if (scan.getopt_printed) parse.error = MeasureParse::Error::kHelp;
    return parse;
  }
  const int operands = argc - scan.first_operand;
  if (operands > 1) {
    failed(MeasureParse::Error::kFailed, "At most one filename argument is allowed.");
    return parse;
  }
  if (operands == 1) o.filename = argv[scan.first_operand];
  if (!o.filename && (o.image_opts || o.format || o.snapshot.any())) {
    failed(MeasureParse::Error::kFailed, "--image-opts, -f, and -l require a filename argument.");
  } else if (o.filename && o.size) {
    failed(MeasureParse::Error::kFailed, "--size N cannot be used together with a filename.");
  } else if (!o.filename && !o.size) {
    failed(MeasureParse::Error::kFailed, "Either --size N or one filename must be specified.");
  }
  return parse;
}

}  // namespace instar::cli
