// qemu's JSON pretty printer (qobject_to_json_pretty + util/json-writer.c) over render::QObject.
#pragma once

#include <string>
#include <string_view>

#include "engine/render/qdict.h"

namespace instar::render {

// Appends `s` as a quoted JSON string the way qemu's json-writer does: \" \\ \b \f \n \r \t,
// other code points below 0x20 or from 0x7F up as \uXXXX (uppercase hex), astral code points as a
// surrogate pair, and every byte that is not valid (modified) UTF-8 as \uFFFD. Like qemu, which
// works on C strings, the string ends at its first NUL byte.
void AppendJsonString(std::string& out, std::string_view s);

// The pretty form: 4-space indent per nesting level, `"key": value`, "," at line ends, closing
// brackets on their own line, and empty containers printed as "[" / "]" on two lines. Dict
// members come out in QDict iteration order. No trailing newline (qemu-img adds it).
std::string ToJsonPretty(const QObject& obj);

}  // namespace instar::render
