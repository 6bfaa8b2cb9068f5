// json_options.cc: a strict parser for qemu's JSON dialect (qobject/json-lexer.c, json-streamer.c,
// json-parser.c of qemu 7.2), words its errors as qemu does, and flattens the result.
#include "engine/cli/json_options.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>

namespace instar::cli {

namespace {

constexpr std::string_view kParsePrefix = "Could not parse the JSON options: ";

enum class TokenKind {
  kLeftCurly,
  kRightCurly,
  kLeftSquare,
  kRightSquare,
  kColon,
  kComma,
  kString,
  kNumber,
  kKeyword
};

struct Token {
  TokenKind kind;
  std::string_view text;  // as written (strings with their quotes)
};

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// The lexer: one token from `text` at `*pos`. On a lexical error returns nullopt with `*stray`
// set to what qemu's lexer had consumed, the offending byte included ("JSON parse error, stray").
std::optional<Token> NextToken(std::string_view text, size_t* pos, std::string* stray) {
  const size_t start = *pos;
  auto fail = [&](size_t end) {
    *stray = std::string(text.substr(start, end - start));
    *pos = end;
    return std::nullopt;
  };
  const char c = text[start];
  auto single = [&](TokenKind kind) {
    *pos = start + 1;
    return Token{kind, text.substr(start, 1)};
  };
  switch (c) {
    case '{':
      return single(TokenKind::kLeftCurly);
    case '}':
      return single(TokenKind::kRightCurly);
    case '[':
      return single(TokenKind::kLeftSquare);
    case ']':
      return single(TokenKind::kRightSquare);
    case ':':
      return single(TokenKind::kColon);
    case ',':
      return single(TokenKind::kComma);
    default:
      break;
  }
  size_t i = start;
  if (c == '"' || c == '\'') {
    ++i;
    while (i < text.size()) {
      const auto b = static_cast<unsigned char>(text[i]);
      if (b == static_cast<unsigned char>(c)) {
        *pos = i + 1;
        return Token{TokenKind::kString, text.substr(start, i + 1 - start)};
      }
      // Control characters and bytes that never occur in UTF-8 end the token as an error.
      if (b < 0x20 || b == 0xC0 || b == 0xC1 || b >= 0xF5) return fail(i + 1);
      if (b == '\\') {
        if (i + 1 >= text.size()) return fail(text.size());
        const auto e = static_cast<unsigned char>(text[i + 1]);
        if (e < 0x20) return fail(i + 2);
        i += 2;
        continue;
      }
      ++i;
    }
    return fail(text.size());  // unterminated: flushed as an error at the end of input
  }
  if (c == '-' || IsDigit(c)) {
    if (c == '-') ++i;
    if (i >= text.size()) return fail(i);
    if (text[i] == '0') {
      ++i;
      if (i < text.size() && IsDigit(text[i])) return fail(i + 1);
    } else if (IsDigit(text[i])) {
      while (i < text.size() && IsDigit(text[i])) ++i;
    } else {
      return fail(i + 1);
    }
    if (i < text.size() && text[i] == '.') {
      ++i;
      if (i >= text.size()) return fail(i);
      if (!IsDigit(text[i])) return fail(i + 1);
      while (i < text.size() && IsDigit(text[i])) ++i;
    }
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
      ++i;
      if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
      if (i >= text.size()) return fail(i);
      if (!IsDigit(text[i])) return fail(i + 1);
      while (i < text.size() && IsDigit(text[i])) ++i;
    }
    *pos = i;
    return Token{TokenKind::kNumber, text.substr(start, i - start)};
  }
  if (c >= 'a' && c <= 'z') {
    while (i < text.size() && text[i] >= 'a' && text[i] <= 'z') ++i;
    *pos = i;
    return Token{TokenKind::kKeyword, text.substr(start, i - start)};
  }
  return fail(start + 1);
}

// A parsed value. Objects keep their members in document order.
struct Value {
  enum class Kind { kObject, kArray, kString, kNumber, kBool, kNull };
  Kind kind = Kind::kNull;
  std::string text;
  std::vector<std::pair<std::string, std::unique_ptr<Value>>> members;  // kObject
  std::vector<std::unique_ptr<Value>> elements;                         // kArray
};

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Four hex digits at `s`, or -1.
int32_t Hex4(std::string_view s) {
  if (s.size() < 4) return -1;
  int32_t v = 0;
  for (size_t k = 0; k < 4; ++k) {
    const int d = HexDigit(s[k]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

// Modified UTF-8, as qemu's mod_utf8_encode(): U+0000 becomes C0 80.
void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp == 0) {
    out->append("\xC0\x80");
  } else if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The length of the valid UTF-8 sequence at `s` (shortest form, no surrogates), or 0.
size_t Utf8Length(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  size_t n = 0;
  uint32_t cp = 0;
  if (b0 < 0x80) return 1;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4;
    cp = b0 & 0x07;
  } else
    return 0;
  if (s.size() < n) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

class Parser {
 public:
  explicit Parser(const std::vector<Token>& tokens) : tokens_(tokens) {}

  std::unique_ptr<Value> ParseValue() {
    const Token* token = Peek();
    if (token == nullptr) return Error("premature EOI");
    switch (token->kind) {
      case TokenKind::kLeftCurly:
        return ParseObject();
      case TokenKind::kLeftSquare:
        return ParseArray();
      case TokenKind::kString: {
        ++next_;
        auto v = std::make_unique<Value>();
        v->kind = Value::Kind::kString;
        if (!Unescape(token->text, &v->text)) return nullptr;
        return v;
      }
      case TokenKind::kNumber: {
        ++next_;
        auto v = std::make_unique<Value>();
        v->kind = Value::Kind::kNumber;
        v->text = std::string(token->text);
        return v;
      }
      case TokenKind::kKeyword: {
        ++next_;
        auto v = std::make_unique<Value>();
        if (token->text == "true" || token->text == "false") {
          v->kind = Value::Kind::kBool;
        } else if (token->text == "null") {
          v->kind = Value::Kind::kNull;
        } else {
          return Error("invalid keyword '" + std::string(token->text) + "'");
        }
        v->text = std::string(token->text);
        return v;
      }
      default:
        return Error("expecting value");
    }
  }

  const std::string& error() const { return error_; }
  bool at_end() const { return next_ == tokens_.size(); }

 private:
  const Token* Peek() const { return next_ < tokens_.size() ? &tokens_[next_] : nullptr; }

  std::unique_ptr<Value> Error(const std::string& message) {
    if (error_.empty()) error_ = "JSON parse error, " + message;
    return nullptr;
  }

  std::unique_ptr<Value> ParseObject() {
    ++next_;  // '{'
    auto object = std::make_unique<Value>();
    object->kind = Value::Kind::kObject;
    const Token* token = Peek();
    if (token == nullptr) return Error("premature EOI");
    if (token->kind == TokenKind::kRightCurly) {
      ++next_;
      return object;
    }
    for (;;) {
      std::unique_ptr<Value> key = ParseValue();
      if (key == nullptr) return nullptr;
      if (key->kind != Value::Kind::kString) return Error("key is not a string in object");
      token = Peek();
      if (token == nullptr) return Error("premature EOI");
      if (token->kind != TokenKind::kColon) return Error("missing : in object pair");
      ++next_;
      std::unique_ptr<Value> value = ParseValue();
      if (value == nullptr) return nullptr;
      for (const auto& member : object->members) {
        if (member.first == key->text) return Error("duplicate key");
      }
      object->members.emplace_back(std::move(key->text), std::move(value));
      token = Peek();
      if (token == nullptr) return Error("premature EOI");
      ++next_;
      if (token->kind == TokenKind::kRightCurly) return object;
      if (token->kind != TokenKind::kComma) return Error("expected separator in dict");
    }
  }

  std::unique_ptr<Value> ParseArray() {
    ++next_;  // '['
    auto array = std::make_unique<Value>();
    array->kind = Value::Kind::kArray;
    const Token* token = Peek();
    if (token == nullptr) return Error("premature EOI");
    if (token->kind == TokenKind::kRightSquare) {
      ++next_;
      return array;
    }
    for (;;) {
      std::unique_ptr<Value> element = ParseValue();
      if (element == nullptr) return nullptr;
      array->elements.push_back(std::move(element));
      token = Peek();
      if (token == nullptr) return Error("premature EOI");
      ++next_;
      if (token->kind == TokenKind::kRightSquare) return array;
      if (token->kind != TokenKind::kComma) return Error("expected separator in list");
    }
  }

  // A string token's bytes, escapes decoded as qemu's parse_string() does.
  bool Unescape(std::string_view quoted, std::string* out) {
    const std::string_view body = quoted.substr(1, quoted.size() - 2);
    for (size_t i = 0; i < body.size();) {
      const char c = body[i];
      if (c != '\\') {
        const size_t n = Utf8Length(body.substr(i));
        if (n == 0) {
          Error("invalid UTF-8 sequence in string");
          return false;
        }
        out->append(body.substr(i, n));
        i += n;
        continue;
      }
      const char e = body[i + 1];  // the lexer guarantees a character after '\'
      switch (e) {
        case '"':
          out->push_back('"');
          break;
        case '\'':
          out->push_back('\'');
          break;
        case '\\':
          out->push_back('\\');
          break;
        case '/':
          out->push_back('/');
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          const std::string_view escape = body.substr(i, 6);
          int32_t cp = Hex4(body.substr(i + 2));
          size_t used = 6;
          if (cp >= 0xD800 && cp <= 0xDBFF && body.substr(i + 6, 2) == "\\u") {
            const int32_t low = Hex4(body.substr(i + 8));
            if (low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
              used = 12;
            }
          }
          if (cp < 0 || (cp >= 0xD800 && cp <= 0xDFFF)) {
            Error(std::string(escape) + " is not a valid Unicode character");
            return false;
          }
          AppendUtf8(static_cast<uint32_t>(cp), out);
          i += used;
          continue;
        }
        default:
          Error("invalid escape sequence in string");
          return false;
      }
      i += 2;
    }
    return true;
  }

  const std::vector<Token>& tokens_;
  size_t next_ = 0;
  std::string error_;
};

// qdict_flatten(): nested objects and arrays become dotted keys; empty ones stay as values.
void Flatten(const Value& value, const std::string& prefix, std::vector<JsonOption>* out) {
  auto leaf = [&](JsonOption::Kind kind, const std::string& text) {
    out->push_back(JsonOption{prefix, kind, text});
  };
  switch (value.kind) {
    case Value::Kind::kObject:
      if (value.members.empty() && !prefix.empty()) return leaf(JsonOption::Kind::kEmptyObject, "");
      for (const auto& [key, member] : value.members) {
        Flatten(*member, prefix.empty() ? key : prefix + "." + key, out);
      }
      return;
    case Value::Kind::kArray:
      if (value.elements.empty()) return leaf(JsonOption::Kind::kEmptyArray, "");
      for (size_t i = 0; i < value.elements.size(); ++i) {
        Flatten(*value.elements[i], prefix + "." + std::to_string(i), out);
      }
      return;
    case Value::Kind::kString:
      return leaf(JsonOption::Kind::kString, value.text);
    case Value::Kind::kNumber:
      return leaf(JsonOption::Kind::kNumber, value.text);
    case Value::Kind::kBool:
      return leaf(JsonOption::Kind::kBool, value.text);
    case Value::Kind::kNull:
      return leaf(JsonOption::Kind::kNull, "");
  }
}

}  // namespace

JsonOptionsParse ParseJsonOptions(std::string_view text) {
  JsonOptionsParse parse;
  auto fail = [&](std::string_view message, bool parse_error = true) {
    parse.error = (parse_error ? std::string(kParsePrefix) : std::string()) + std::string(message);
    return parse;
  };
  if (text.size() > kMaxJsonOptionsBytes) {
    return fail("JSON text longer than " + std::to_string(kMaxJsonOptionsBytes) +
                " bytes (instar's limit)");
  }
  // json-streamer.c: tokens gather until the nesting returns to zero, then the parser sees them;
  // the first error (lexical, nesting, parse) wins; a second value is an error of its own.
  std::vector<Token> tokens;
  std::unique_ptr<Value> result;
  long depth = 0;
  size_t pos = 0;
  for (;;) {
    while (pos < text.size() &&
           (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r')) {
      ++pos;
    }
    if (pos >= text.size()) break;
    std::string stray;
    const std::optional<Token> token = NextToken(text, &pos, &stray);
    if (!token) return fail("JSON parse error, stray '" + stray + "'");
    if (result) return fail("Expecting at most one JSON value");
    tokens.push_back(*token);
    if (token->kind == TokenKind::kLeftCurly || token->kind == TokenKind::kLeftSquare) ++depth;
    if (token->kind == TokenKind::kRightCurly || token->kind == TokenKind::kRightSquare) --depth;
    if (depth > static_cast<long>(kMaxJsonNesting))
      return fail("JSON nesting depth limit exceeded");
    if (depth > 0) continue;
    Parser parser(tokens);
    result = parser.ParseValue();
    if (!result) return fail(parser.error());
    if (!parser.at_end()) return fail("JSON parse error, expecting value");
    tokens.clear();
  }
  if (!tokens.empty()) return fail("JSON parse error, premature EOI");
  if (!result) return fail("Expecting a JSON value");
  if (result->kind != Value::Kind::kObject) return fail("Invalid JSON object given", false);
  Flatten(*result, "", &parse.options);
  if (parse.options.size() > kMaxJsonOptions) {
    return fail("more than " + std::to_string(kMaxJsonOptions) + " options (instar's limit)");
  }
  parse.ok = true;
  return parse;
}

}  // namespace instar::cli
