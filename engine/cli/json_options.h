// json_options.h: qemu's JSON dialect for "json:{...}" file names, flattened as qemu's block layer
// sees the options (qdict_flatten: {"file":{"filename":"x"}} is "file.filename" = "x").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace instar::cli {

// One flattened option. Only strings and null matter to instar's callers; the other kinds are
// kept so that a caller can refuse them by name.
struct JsonOption {
  enum class Kind { kString, kNull, kNumber, kBool, kEmptyObject, kEmptyArray };
  std::string key;  // dotted path: "file.filename", "a.0" for an array's first element
  Kind kind = Kind::kString;
  std::string text;  // kString: the decoded bytes; kNumber/kBool: the literal as written
};

struct JsonOptionsParse {
  bool ok = false;
  // On failure, the reason as qemu 7.2 words it after "Could not open '<name>': ", e.g.
  // "Could not parse the JSON options: JSON parse error, duplicate key" or
  // "Invalid JSON object given".
  std::string error;
  std::vector<JsonOption> options;  // in document order
};

// Limits beyond qemu's own: the text a command line can carry (an argument is at most 128 KiB on
// Linux anyway) and qemu's nesting limit (json-streamer.c MAX_NESTING).
inline constexpr size_t kMaxJsonOptionsBytes = 128 * 1024;
inline constexpr size_t kMaxJsonNesting = 1024;
inline constexpr size_t kMaxJsonOptions = 4096;

// Parses `text` (what follows "json:") as qemu's parse_json_filename() does: exactly one JSON
// value, which must be an object. qemu's dialect: strings in '...' as well as "...", \' escapes,
// \u0000 decoded as the two bytes C0 80 (modified UTF-8), duplicate keys refused.
JsonOptionsParse ParseJsonOptions(std::string_view text);

}  // namespace instar::cli
