// snapshot_options.cc: getopt_long parsing of `snapshot` as in qemu-img.c img_snapshot (7.2).
#include "engine/cli/snapshot_options.h"

#include "engine/cli/object_option.h"
#include "engine/cli/option_table.h"

namespace instar::cli {

namespace {

enum : int {
  kOptionObject = kLongOnlyOption,
  kOptionImageOpts,
};

// img_snapshot's ":la:c:d:hqU" and long options.
constexpr OptionSpec kSnapshotOptions[] = {
    {'h', "help", false},
    {kOptionObject, "object", true},
    {kOptionImageOpts, "image-opts", false},
    {'U', "force-share", false},
    {'l', nullptr, false},
    {'a', nullptr, true},
    {'c', nullptr, true},
    {'d', nullptr, true},
    {'q', nullptr, false},
};

}  // namespace

SnapshotParse parse_snapshot_options(int argc, char** argv) {
  SnapshotParse parse;
  SnapshotOptions& o = parse.options;
  ObjectOptions objects;
  const auto take_action = [&](SnapshotAction action, const char* value) {
    if (o.action != SnapshotAction::kNone) {
      parse.error = SnapshotParse::Error::kUsage;
      parse.message = "Cannot mix '-l', '-a', '-c', '-d'";
      return false;
    }
    o.action = action;
    if (value != nullptr) o.name = value;
    return true;
  };
  const OptionScan scan =
      scan_options(argc, argv, kSnapshotOptions, [&](int id, const char* value) {
        switch (id) {
          case 'h':
            o.help = true;
            return false;
          case 'l':
            return take_action(SnapshotAction::kList, nullptr);
          case 'a':
            return take_action(SnapshotAction::kApply, value);
          case 'c':
            return take_action(SnapshotAction::kCreate, value);
          case 'd':
            return take_action(SnapshotAction::kDelete, value);
          case 'q':
            o.quiet = true;
            break;
          case 'U':
            o.force_share = true;
            break;
          case kOptionObject: {
            std::string error;
            if (!TakeObjectOption(objects, value, &o.object_help, &error)) {
              if (!o.object_help) {
                parse.error = SnapshotParse::Error::kFailed;
                parse.message = error;
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
      parse.error = SnapshotParse::Error::kUsage;
      parse.message = scan.usage_error;
    }
    return parse;
  }
  if (scan.first_operand != argc - 1) {
    parse.error = SnapshotParse::Error::kUsage;
    parse.message = "Expecting one image file name";
    return parse;
  }
  o.filename = argv[scan.first_operand];
  return parse;
}

}  // namespace instar::cli
