// qemu's dump_qobject/dump_qdict/dump_qlist: the "Format specific information" block of info.
#pragma once

#include <string>

#include "engine/render/qdict.h"

namespace instar::render {

// Appends the human dump of `obj` at `indentation` levels (4 spaces each), as block/qapi.c does:
// dict members print "key: value" with '-' in keys shown as ' ', list items print "[i]: value",
// and a dict or list value goes on the following lines one level deeper ("key:" then newline).
// Scalars: integers in decimal, booleans "true"/"false", strings raw (up to the first NUL).
void AppendHumanDump(std::string& out, int indentation, const QObject& obj);

}  // namespace instar::render
