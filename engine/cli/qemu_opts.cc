// qemu_opts.cc: QemuOpts splitting with qemu 7.2's escaping and short-form booleans.
#include "engine/cli/qemu_opts.h"

#include <algorithm>

namespace instar::cli {

namespace {

// get_opt_value(): up to the next lone ',' ("a,,b" is "a,b"); `*pos` ends past that ','.
std::string ReadValue(std::string_view text, size_t* pos) {
  std::string value;
  size_t i = *pos;
  while (i < text.size()) {
    if (text[i] == ',') {
      if (i + 1 < text.size() && text[i + 1] == ',') {
        value.push_back(',');
        i += 2;
        continue;
      }
      ++i;
      break;
    }
    value.push_back(text[i++]);
  }
  *pos = i;
  return value;
}

}  // namespace

QemuOptsParse ParseQemuOpts(std::string_view text, std::string_view implied_key) {
  QemuOptsParse parse;
  size_t pos = 0;
  bool first = true;
  while (pos < text.size()) {
    const size_t name_end = text.find_first_of("=,", pos);
    if (name_end != std::string_view::npos && text[name_end] == '=') {
      std::string key(text.substr(pos, name_end - pos));
      pos = name_end + 1;
      parse.options.push_back({std::move(key), ReadValue(text, &pos), -1});
    } else if (first && !implied_key.empty()) {
      parse.options.push_back({std::string(implied_key), ReadValue(text, &pos), -1});
    } else {
      const size_t end = name_end == std::string_view::npos ? text.size() : name_end;
      std::string name(text.substr(pos, end - pos));
      pos = end == text.size() ? end : end + 1;
      if (name == "help" || name == "?") {
        // is_help_option(): kept as an option of its own, without the warning.
        parse.options.push_back({name, "on", -1});
      } else if (name.rfind("no", 0) == 0) {
        const std::string key = name.substr(2);
        parse.warnings.push_back("short-form boolean option '" + name +
                                 "' deprecated\nPlease use " + key + "=off instead");
        parse.options.push_back({key, "off", static_cast<int>(parse.warnings.size()) - 1});
      } else {
        parse.warnings.push_back("short-form boolean option '" + name +
                                 "' deprecated\nPlease use " + name + "=on instead");
        parse.options.push_back({name, "on", static_cast<int>(parse.warnings.size()) - 1});
      }
    }
    first = false;
  }
  return parse;
}

bool IsQemuIdentifier(std::string_view id) {
  if (id.empty() || !((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z'))) {
    return false;
  }
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
  });
}

const std::string* LastValue(const QemuOptsParse& parse, std::string_view key) {
  const std::string* found = nullptr;
  for (const QemuOpt& opt : parse.options) {
    if (opt.key == key) found = &opt.value;
  }
  return found;
}

}  // namespace instar::cli
