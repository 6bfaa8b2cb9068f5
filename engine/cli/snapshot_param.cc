// snapshot_param.cc: `-l` as qemu-img 7.2 parses it (qemu_opts_parse_noisily of
// internal_snapshot_opts, or a plain snapshot name).
#include "engine/cli/snapshot_param.h"

#include <algorithm>

#include "engine/cli/qemu_opts.h"

namespace instar::cli {

namespace {

constexpr std::string_view kOptionBase = "snapshot.";  // SNAPSHOT_OPT_BASE
constexpr std::string_view kIdKey = "snapshot.id";
constexpr std::string_view kNameKey = "snapshot.name";

}  // namespace

SnapshotParamResult TakeSnapshotParam(std::string_view value, SnapshotSelection* selection) {
  SnapshotParamResult result;
  if (value.substr(0, kOptionBase.size()) != kOptionBase) {
    selection->id_or_name = std::string(value);
    result.ok = true;
    return result;
  }
  const std::string failed = "Failed in parsing snapshot param '" + std::string(value) + "'";
  const QemuOptsParse parse = ParseQemuOpts(value, "");
  // opts_parse() reads "id=" before anything else: the QemuOpts' own name, never an option.
  if (const std::string* id = LastValue(parse, "id"); id != nullptr && !IsQemuIdentifier(*id)) {
    result.errors = {
        "Parameter 'id' expects an identifier\nIdentifiers consist of letters, "
        "digits, '-', '.', '_', starting with a letter.",
        failed};
    return result;
  }
  // opts_do_parse(): each option in turn, its warning first, then its validation.
  SnapshotSelection parsed;
  parsed.by_options = true;
  for (const QemuOpt& opt : parse.options) {
    if (opt.key == "help" || opt.key == "?") {
      result.errors.push_back(failed);
      result.help =
          "snapshot options:\n  snapshot.id=<str>      - snapshot id\n"
          "  snapshot.name=<str>    - snapshot name\n";
      return result;
    }
    if (opt.warning >= 0) result.warnings.push_back("warning: " + parse.warnings[opt.warning]);
    if (opt.key == "id") continue;
    if (opt.key == kIdKey) {
      parsed.id = opt.value;
    } else if (opt.key == kNameKey) {
      parsed.name = opt.value;
    } else {
      result.errors = {"Invalid parameter '" + opt.key + "'", failed};
      return result;
    }
  }
  parsed.id_or_name = selection->id_or_name;
  *selection = parsed;
  result.ok = true;
  return result;
}

std::optional<std::string> SnapshotSelectionTooLong(const SnapshotSelection& selection) {
  // Only what the guest is given: a plain name is ignored once the options form was seen.
  const std::optional<std::string> given[] = {
      selection.by_options ? selection.id : std::nullopt,
      selection.by_options ? selection.name : std::nullopt,
      selection.by_options ? std::nullopt : selection.id_or_name};
  for (const std::optional<std::string>& name : given) {
    if (name && name->size() > abi::kSnapshotSelectorMax) {
      return "snapshot ids and names longer than " + std::to_string(abi::kSnapshotSelectorMax) +
             " bytes are not supported by instar";
    }
  }
  return std::nullopt;
}

void PutSnapshotSelection(const SnapshotSelection& selection, abi::OpConfig* op) {
  const auto put = [](const std::string& bytes, uint8_t* field, uint32_t* length) {
    std::copy(bytes.begin(), bytes.end(), field);
    *length = static_cast<uint32_t>(bytes.size());
  };
  if (selection.by_options) {
    op->snapshot_select = abi::kSnapshotIdAndName;
    if (selection.id) {
      op->snapshot_flags |= abi::kSnapshotHasId;
      put(*selection.id, op->snapshot_id, &op->snapshot_id_length);
    }
    if (selection.name) {
      op->snapshot_flags |= abi::kSnapshotHasName;
      put(*selection.name, op->snapshot_name, &op->snapshot_name_length);
    }
  } else if (selection.id_or_name) {
    op->snapshot_select = abi::kSnapshotIdOrName;
    put(*selection.id_or_name, op->snapshot_name, &op->snapshot_name_length);
  }
}

}  // namespace instar::cli
