// qemu's JSON pretty printer: layout and string escaping (reference §1).
#include "engine/render/json_writer.h"

#include <gtest/gtest.h>

namespace instar::render {
namespace {

std::string Quoted(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

TEST(JsonString, ReferenceFilenames) {
  // t\xc3\xa9"q\tx\x01😀.raw
  EXPECT_EQ(Quoted("t\xc3\xa9\"q\tx\x01\xf0\x9f\x98\x80.raw"),
            "\"t\\u00E9\\\"q\\tx\\u0001\\uD83D\\uDE00.raw\"");
  // n\nr\rb\bf\fs\x7f\\.raw
  EXPECT_EQ(Quoted("n\nr\rb\bf\fs\x7f\\.raw"), "\"n\\nr\\rb\\bf\\fs\\u007F\\\\.raw\"");
  EXPECT_EQ(Quoted("a/b"), "\"a/b\"");  // '/' is not escaped
}

TEST(JsonString, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(Quoted("\xff"), "\"\\uFFFD\"");
  EXPECT_EQ(Quoted("\x80x"), "\"\\uFFFDx\"");                  // stray continuation byte
  EXPECT_EQ(Quoted("\xc3x"), "\"\\uFFFDx\"");                  // missing continuation: 'x' kept
  EXPECT_EQ(Quoted("\xe0\x80\x80"), "\"\\uFFFD\"");            // overlong
  EXPECT_EQ(Quoted("\xed\xa0\x80"), "\"\\uFFFD\"");            // surrogate code point
  EXPECT_EQ(Quoted("\xef\xbf\xbe"), "\"\\uFFFD\"");            // noncharacter U+FFFE
  EXPECT_EQ(Quoted("\xc0\x80"), "\"\\u0000\"");                // modified UTF-8 NUL
  EXPECT_EQ(Quoted("\xf4\x90\x80\x80"), "\"\\uFFFD\"");        // beyond U+10FFFF
  EXPECT_EQ(Quoted(std::string_view("ab\0cd", 5)), "\"ab\"");  // C string: ends at NUL
}

TEST(JsonPretty, Layout) {
  QDict inner;
  inner.Put("flags", QObject::List({}));
  QDict d;
  d.Put("n", QObject::Int(-5));
  d.Put("u", QObject::Uint(18446744073709551615ULL));
  d.Put("b", QObject::Bool(true));
  d.Put("s", QObject::Str("x"));
  d.Put("l", QObject::List({QObject::Str("auto"), QObject::Dict(inner)}));
  d.Put("e", QObject::Dict(QDict()));
  const std::string json = ToJsonPretty(QObject::Dict(d));
  EXPECT_NE(json.find("    \"n\": -5"), std::string::npos) << json;
  EXPECT_NE(json.find("    \"u\": 18446744073709551615"), std::string::npos);
  EXPECT_NE(json.find("    \"b\": true"), std::string::npos);
  EXPECT_NE(json.find("    \"e\": {\n    }"), std::string::npos);
  EXPECT_NE(json.find("    \"l\": [\n        \"auto\",\n        {\n            \"flags\": [\n"
                      "            ]\n        }\n    ]"),
            std::string::npos)
      << json;
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.back(), '}');
}

TEST(JsonPretty, TopLevelScalarsAndEmptyList) {
  EXPECT_EQ(ToJsonPretty(QObject::Int(3)), "3");
  EXPECT_EQ(ToJsonPretty(QObject::List({})), "[\n]");
  EXPECT_EQ(ToJsonPretty(QObject::List({QObject::Dict(QDict())})), "[\n    {\n    }\n]");
}

}  // namespace
}  // namespace instar::render
