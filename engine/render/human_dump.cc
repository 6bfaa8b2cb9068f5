// Human dump of a QObject tree (block/qapi.c dump_qobject rules), iterating QDicts in qemu order.
#include "engine/render/human_dump.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace instar::render {
namespace {

void AppendIndent(std::string& out, int indentation) {
  out.append(static_cast<size_t>(indentation) * 4, ' ');
}

void AppendScalar(std::string& out, const QObject& obj) {
  char buf[32];
  if (const bool* b = obj.as_bool()) {
    out += *b ? "true" : "false";
  } else if (const int64_t* i = obj.as_int()) {
    std::snprintf(buf, sizeof(buf), "%" PRId64, *i);
    out += buf;
  } else if (const uint64_t* u = obj.as_uint()) {
    std::snprintf(buf, sizeof(buf), "%" PRIu64, *u);
    out += buf;
  } else if (const std::string* s = obj.as_str()) {
    // qemu prints with "%s": the text stops at an embedded NUL.
    out.append(s->c_str(), std::strlen(s->c_str()));
  }
}

// One "label:" line, then the value either after a space (scalars, closed by a newline) or on
// the next lines one level deeper (composites, which end their own lines).
void AppendMember(std::string& out, int indentation, const std::string& label,
                  const QObject& value) {
  AppendIndent(out, indentation);
  out += label;
  out += ':';
  if (value.is_composite()) {
    out += '\n';
    AppendHumanDump(out, indentation + 1, value);
  } else {
    out += ' ';
    AppendScalar(out, value);
    out += '\n';
  }
}

}  // namespace

void AppendHumanDump(std::string& out, int indentation, const QObject& obj) {
  if (const QDict* dict = obj.as_dict()) {
    for (const QDict::Entry* e : dict->Ordered()) {
      std::string label = e->key;
      for (char& c : label) {
        if (c == '-') c = ' ';  // "refcount-bits" prints as "refcount bits"
      }
      AppendMember(out, indentation, label, e->value);
    }
  } else if (const QList* list = obj.as_list()) {
    for (size_t i = 0; i < list->size(); ++i) {
      AppendMember(out, indentation, "[" + std::to_string(i) + "]", (*list)[i]);
    }
  } else {
    AppendScalar(out, obj);
  }
}

}  // namespace instar::render
