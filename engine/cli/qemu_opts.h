// qemu_opts.h: qemu's "key=value,key=value" option strings (QemuOpts, as --image-opts and
// --object take them), parsed as qemu 7.2's opts_do_parse() does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace instar::cli {

struct QemuOpt {
  std::string key;
  std::string value;
  int warning = -1;  // index of the short-form boolean warning this option gave, or -1
};

struct QemuOptsParse {
  std::vector<QemuOpt> options;  // in command-line order; a repeated key appears twice
  // qemu's warnings for short-form booleans ("d" for d=on, "nod" for d=off), already worded:
  // "short-form boolean option 'd' deprecated\nPlease use d=on instead".
  std::vector<std::string> warnings;
};

// Splits `text` into options. ",," is a literal ',' inside a value; a trailing ',' is ignored.
// The first element without '=' is the value of `implied_key` when one is given (--image-opts:
// "file"); any other element without '=' is a short-form boolean, with qemu's warning.
QemuOptsParse ParseQemuOpts(std::string_view text, std::string_view implied_key);

// id_wellformed(): letters, digits, '-', '.', '_', starting with a letter (QemuOpts "id"s,
// object ids).
bool IsQemuIdentifier(std::string_view id);

// The last value given for `key` (QemuOpts keep the last of repeated keys), or nullptr.
const std::string* LastValue(const QemuOptsParse& parse, std::string_view key);

}  // namespace instar::cli
