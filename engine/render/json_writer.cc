// JSON pretty printer with qemu's layout and string escaping rules.
#include "engine/render/json_writer.h"

#include <cinttypes>
#include <cstdio>

namespace instar::render {
namespace {

// qemu's mod_utf8_codepoint() (util/unicode.c): decodes one code point of modified UTF-8 starting
// at s[*pos], advancing *pos past what it consumed. Returns -1 for anything invalid: stray or
// missing continuation bytes (a missing one is not consumed, so it is decoded again next),
// 0xFE/0xFF, overlong forms (except C0 80, which is U+0000), surrogates, noncharacters and
// values beyond U+10FFFF.
int DecodeModUtf8(std::string_view s, size_t* pos) {
  static constexpr int kMinCodePoint[] = {0x80, 0x800, 0x10000, 0x200000, 0x4000000};
  unsigned byte = static_cast<unsigned char>(s[(*pos)++]);
  if (byte < 0x80) return static_cast<int>(byte);
  if (byte >= 0xFE) return -1;
  if ((byte & 0x40) == 0) return -1;  // continuation byte without a lead byte
  unsigned len = 0;
  unsigned mask = 0x80;
  for (; byte & mask; mask >>= 1) ++len;
  int cp = static_cast<int>(byte & (mask - 1));
  for (unsigned i = 1; i < len; ++i) {
    const unsigned next = *pos < s.size() ? static_cast<unsigned char>(s[*pos]) : 0;
    if ((next & 0xC0) != 0x80) return -1;
    ++*pos;
    cp = (cp << 6) | static_cast<int>(next & 0x3F);
  }
  if (cp > 0x10FFFF) return -1;
  if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE) return -1;
  if (cp >= 0xD800 && cp <= 0xDFFF) return -1;
  if (cp < kMinCodePoint[len - 2] && !(cp == 0 && len == 2)) return -1;
  return cp;
}

void AppendHex4(std::string& out, unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "\\u%04X", v);
  out += buf;
}

// Mirrors the state of qemu's JSONWriter: a stack of "is this container an array" flags and
// whether the next member needs a leading comma.
class PrettyWriter {
 public:
  std::string Finish() { return std::move(out_); }

  void Write(const std::string* name, const QObject& obj) {
    if (const QDict* dict = obj.as_dict()) {
      BeginMember(name);
      out_ += '{';
      Enter(false);
      for (const QDict::Entry* e : dict->Ordered()) Write(&e->key, e->value);
      Leave();
      out_ += '}';
    } else if (const QList* list = obj.as_list()) {
      BeginMember(name);
      out_ += '[';
      Enter(true);
      for (const QObject& item : *list) Write(nullptr, item);
      Leave();
      out_ += ']';
    } else {
      BeginMember(name);
      WriteScalar(obj);
    }
  }

 private:
  void Newline() {
    out_ += '\n';
    out_.append(stack_.size() * 4, ' ');
  }

  // qemu's maybe_comma_name(): comma + newline between members, a newline before the first
  // member of a container, then `"name": ` inside objects.
  void BeginMember(const std::string* name) {
    if (need_comma_) {
      out_ += ',';
      Newline();
    } else {
      if (!out_.empty()) Newline();
      need_comma_ = true;
    }
    if (!stack_.empty() && !stack_.back() && name != nullptr) {
      AppendJsonString(out_, *name);
      out_ += ": ";
    }
  }

  void Enter(bool is_array) {
    stack_.push_back(is_array);
    need_comma_ = false;
  }

  // qemu's end_object/end_array: the closing bracket always goes on a fresh line at the outer
  // indent, which is why an empty container prints as two lines.
  void Leave() {
    stack_.pop_back();
    need_comma_ = true;
    Newline();
  }

  void WriteScalar(const QObject& obj) {
    char buf[32];
    if (const bool* b = obj.as_bool()) {
      out_ += *b ? "true" : "false";
    } else if (const int64_t* i = obj.as_int()) {
      std::snprintf(buf, sizeof(buf), "%" PRId64, *i);
      out_ += buf;
    } else if (const uint64_t* u = obj.as_uint()) {
      std::snprintf(buf, sizeof(buf), "%" PRIu64, *u);
      out_ += buf;
    } else if (const std::string* s = obj.as_str()) {
      AppendJsonString(out_, *s);
    } else {
      out_ += "null";
    }
  }

  std::string out_;
  std::vector<bool> stack_;
  bool need_comma_ = false;
};

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  size_t pos = 0;
  while (pos < s.size() && s[pos] != '\0') {
    int cp = DecodeModUtf8(s, &pos);
    switch (cp) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (cp < 0) cp = 0xFFFD;
        if (cp > 0xFFFF) {
          const unsigned v = static_cast<unsigned>(cp) - 0x10000;
          AppendHex4(out, 0xD800 + (v >> 10));
          AppendHex4(out, 0xDC00 + (v & 0x3FF));
        } else if (cp < 0x20 || cp >= 0x7F) {
          AppendHex4(out, static_cast<unsigned>(cp));
        } else {
          out += static_cast<char>(cp);
        }
    }
  }
  out += '"';
}

std::string ToJsonPretty(const QObject& obj) {
  PrettyWriter writer;
  writer.Write(nullptr, obj);
  return writer.Finish();
}

}  // namespace instar::render
