// image_spec_test.cc: command-line image names classified as qemu-img 7.2 reads them; json: text
// parsed with qemu's dialect and error texts (measured against /usr/bin/qemu-img 7.2).
#include "engine/cli/image_spec.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/cli/json_options.h"
#include "engine/cli/object_option.h"
#include "engine/cli/qemu_opts.h"

namespace instar::cli {
namespace {

ImageSpecResult Resolve(const std::string& name, bool image_opts = false,
                        std::optional<std::string> format = std::nullopt) {
  return ResolveImageName(name, image_opts, format);
}

std::string JsonError(std::string_view text) {
  const JsonOptionsParse parse = ParseJsonOptions(text);
  EXPECT_FALSE(parse.ok) << text;
  return parse.error;
}

TEST(PathHasProtocolTest, IsAColonBeforeAnySlash) {
  EXPECT_TRUE(PathHasProtocol("a:b"));
  EXPECT_TRUE(PathHasProtocol("nbd+unix:///x"));
  EXPECT_FALSE(PathHasProtocol("./a:b"));
  EXPECT_FALSE(PathHasProtocol("/tmp/a:b"));
  EXPECT_FALSE(PathHasProtocol("plain.qcow2"));
}

TEST(ImageSpecTest, PlainNamesAreLocalFiles) {
  const ImageSpecResult r = Resolve("d/x.qcow2");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.spec.path, "d/x.qcow2");
  EXPECT_EQ(r.spec.display, "d/x.qcow2");
  EXPECT_FALSE(r.spec.driver);
}

TEST(ImageSpecTest, FilePrefixIsTheLocalFile) {
  ImageSpecResult r = Resolve("file:d/x.qcow2");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.spec.path, "d/x.qcow2");
  EXPECT_EQ(r.spec.display, "d/x.qcow2");
  // qemu shows a name that would read as a protocol as "./name".
  r = Resolve("file:a:b");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.spec.path, "a:b");
  EXPECT_EQ(r.spec.display, "./a:b");
  EXPECT_EQ(Resolve("file:").error,
            "Could not open 'file:': The 'file' block driver requires a file name");
}

TEST(ImageSpecTest, ProtocolsAreRefusedUnknownOnesAsQemuDoes) {
  for (const char* name : {"nbd:localhost:10809", "nbd+unix:///x?socket=/s", "http://h/x",
                           "https://h/x", "ssh://h/x", "blkdebug:conf:img", "null-co://",
                           "host_device:/dev/null", "iscsi://h/t/0", "rbd:pool/img"}) {
    const ImageSpecResult r = Resolve(name);
    EXPECT_FALSE(r.ok) << name;
    EXPECT_NE(r.error.find("is not supported by instar (it opens local files only)"),
              std::string::npos)
        << r.error;
    EXPECT_EQ(r.error.rfind(std::string("Could not open '") + name + "': ", 0), 0u) << r.error;
  }
  EXPECT_EQ(Resolve("a:b").error, "Could not open 'a:b': Unknown protocol 'a'");
  EXPECT_EQ(Resolve("vvfat:/tmp").error, "Could not open 'vvfat:/tmp': Unknown protocol 'vvfat'");
}

TEST(ImageSpecTest, JsonNamesALocalFile) {
  for (const char* name :
       {R"(json:{"driver":"qcow2","file":{"driver":"file","filename":"d/b.qcow2"}})",
        R"(json:{"driver":"qcow2","file.filename":"d/b.qcow2"})",
        R"(json:{'driver':'qcow2','file.filename':'d/b.qcow2'})",
        R"(json: {"driver":"qcow2","file.filename":"d/b\u002eqcow2"})"}) {
    const ImageSpecResult r = Resolve(name);
    ASSERT_TRUE(r.ok) << name << ": " << r.error;
    EXPECT_EQ(r.spec.path, "d/b.qcow2");
    EXPECT_EQ(r.spec.display, "d/b.qcow2");
    EXPECT_EQ(r.spec.driver, "qcow2");
    EXPECT_EQ(r.spec.argument, name);
  }
  // No protocol is parsed inside options: "a:b" is the file a:b, shown as such.
  const ImageSpecResult r = Resolve(R"(json:{"file.filename":"a:b"})");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.spec.display, "a:b");
  EXPECT_FALSE(r.spec.driver);
  // -f wins over the json driver, as qemu-img puts it into the options last: an unknown json
  // driver is then no error.
  EXPECT_TRUE(
      Resolve(R"(json:{"driver":"foo","file.filename":"x"})", false, std::string("raw")).ok);
  EXPECT_EQ(EffectiveFormat(Resolve(R"(json:{"driver":"qcow2","file.filename":"x"})").spec,
                            std::string("raw")),
            "raw");
}

TEST(ImageSpecTest, JsonErrorsAreQemus) {
  const std::string p = "Could not open '";
  EXPECT_EQ(Resolve(R"(json:{"driver":"qcow2","file":"x"})").error,
            p + R"(json:{"driver":"qcow2","file":"x"}': Cannot find device='x' nor node-name='x')");
  EXPECT_EQ(Resolve(R"(json:{"filename":"x"})").error,
            p + R"(json:{"filename":"x"}': Must specify either driver or file)");
  EXPECT_EQ(
      Resolve(R"(json:{"driver":"qcow2","filename":"x"})").error,
      p + R"(json:{"driver":"qcow2","filename":"x"}': A block device must be specified for "file")");
  EXPECT_EQ(Resolve("json:[]").error, p + "json:[]': Invalid JSON object given");
  EXPECT_EQ(Resolve("json:").error,
            p + "json:': Could not parse the JSON options: Expecting a JSON value");
}

TEST(ImageSpecTest, JsonProtocolDriversAreRefused) {
  for (const char* name :
       {R"(json:{"driver":"nbd","server":{"type":"unix","path":"/x"}})",
        R"(json:{"driver":"null-co"})",
        R"(json:{"driver":"qcow2","file":{"driver":"nbd","path":"/x"}})",
        R"(json:{"driver":"qcow2","file.filename":"x","file.driver":"host_device"})",
        R"(json:{"driver":"file","filename":"x"})"}) {
    const ImageSpecResult r = Resolve(name);
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("is not supported by instar (it opens local files only)"),
              std::string::npos)
        << r.error;
  }
}

TEST(ImageSpecTest, BackingNullAndUnmodelledOptions) {
  ImageSpecResult r = Resolve(R"(json:{"driver":"qcow2","file.filename":"x","backing":null})");
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.spec.no_backing);
  r = Resolve(R"(json:{"driver":"qcow2","file.filename":"x","backing":""})");
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.spec.no_backing);
  ASSERT_EQ(r.spec.warnings.size(), 1u);
  // Options instar does not model are refused once the file has opened, where qemu looks for
  // options left over: a missing file still reads as qemu reports it.
  r = Resolve(
      R"(json:{"driver":"qcow2","file.filename":"x","backing":{"driver":"qcow2","file.filename":"y"}})");
  ASSERT_TRUE(r.ok);
  EXPECT_NE(r.spec.refusal_after_open.find("option 'backing.driver' is not supported by instar"),
            std::string::npos);
  r = Resolve(R"(json:{"driver":"raw","file.filename":"x","offset":512})");
  ASSERT_TRUE(r.ok);
  EXPECT_NE(r.spec.refusal_after_open.find("option 'offset' is not supported by instar"),
            std::string::npos);
  EXPECT_TRUE(
      Resolve(R"(json:{"driver":"raw","file.filename":"x"})").spec.refusal_after_open.empty());
  // The driver is looked up before anything else.
  EXPECT_EQ(Resolve("driver=qcow2,,file.filename=x", true).error,
            "Could not open 'driver=qcow2,,file.filename=x': Unknown driver "
            "'qcow2,file.filename=x'");
}

TEST(ImageSpecTest, ImageOptsAreQemuOpts) {
  ImageSpecResult r = Resolve("driver=qcow2,file.filename=c,,d", true);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.spec.path, "c,d");
  EXPECT_EQ(r.spec.driver, "qcow2");
  r = Resolve("driver=qcow2,file.filename=x,driver=raw", true);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.spec.driver, "raw");  // the last of a repeated key
  EXPECT_EQ(Resolve("base.qcow2", true).error,
            "Could not open 'base.qcow2': Cannot find device='base.qcow2' nor "
            "node-name='base.qcow2'");
  EXPECT_EQ(Resolve("driver=qcow2,file.path=x", true).error,
            "Could not open 'driver=qcow2,file.path=x': A block device must be specified "
            "for \"file\"");
  EXPECT_EQ(Resolve("driver=qcow2,file.filename=x", true, std::string("qcow2")).error,
            "--image-opts and --format are mutually exclusive");
  r = Resolve("driver=qcow2,file.filename=c,d", true);
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.spec.warnings.size(), 1u);
  EXPECT_EQ(r.spec.warnings[0],
            "short-form boolean option 'd' deprecated\nPlease use d=on instead");
}

TEST(QemuOptsTest, SplitsWithEscapes) {
  const QemuOptsParse p = ParseQemuOpts("x,a=1,,2,nob,help,", "file");
  ASSERT_EQ(p.options.size(), 4u);
  EXPECT_EQ(p.options[0].key, "file");
  EXPECT_EQ(p.options[0].value, "x");
  EXPECT_EQ(p.options[1].value, "1,2");
  EXPECT_EQ(p.options[2].key, "b");
  EXPECT_EQ(p.options[2].value, "off");
  EXPECT_EQ(p.options[3].key, "help");
  EXPECT_EQ(p.warnings.size(), 1u);
}

// Each text below was given to qemu-img 7.2 as `info 'json:TEXT'`; the expected error is what it
// printed after "Could not open '...': ".
TEST(JsonOptionsTest, QemusErrorTexts) {
  const std::string p = "Could not parse the JSON options: ";
  EXPECT_EQ(JsonError(R"({"driver":"qcow2","driver":"raw"})"),
            p + "JSON parse error, duplicate key");
  EXPECT_EQ(JsonError(R"({"a":1} x)"), p + "Expecting at most one JSON value");
  EXPECT_EQ(JsonError(R"({"a":1}{})"), p + "Expecting at most one JSON value");
  EXPECT_EQ(JsonError(R"({"a":"b\x"})"), p + "JSON parse error, invalid escape sequence in string");
  EXPECT_EQ(JsonError(R"({"a":1,})"), p + "JSON parse error, expecting value");
  EXPECT_EQ(JsonError("{"), p + "JSON parse error, premature EOI");
  EXPECT_EQ(JsonError("zz/none"), p + "JSON parse error, invalid keyword 'zz'");
  EXPECT_EQ(JsonError(R"({"a":"\ud800"})"),
            p + "JSON parse error, \\ud800 is not a valid Unicode character");
  EXPECT_EQ(JsonError(R"({"a":"\u12g4"})"),
            p + "JSON parse error, \\u12g4 is not a valid Unicode character");
  EXPECT_EQ(JsonError("{\"a\":\"x\ty\"}"), p + "JSON parse error, stray '\"x\t'");
  EXPECT_EQ(JsonError("{\"a\":\"\xff\"}"), p + "JSON parse error, stray '\"\xff'");
  EXPECT_EQ(JsonError(R"({"a":"abc)"), p + "JSON parse error, stray '\"abc'");
  EXPECT_EQ(JsonError(R"({"a":@})"), p + "JSON parse error, stray '@'");
  EXPECT_EQ(JsonError(R"({"a":01})"), p + "JSON parse error, stray '01'");
  EXPECT_EQ(JsonError(R"({"a":-})"), p + "JSON parse error, stray '-}'");
  EXPECT_EQ(JsonError(R"({"a" 1})"), p + "JSON parse error, missing : in object pair");
  EXPECT_EQ(JsonError(R"({1:1})"), p + "JSON parse error, key is not a string in object");
  EXPECT_EQ(JsonError(R"({"a":1 "b":2})"), p + "JSON parse error, expected separator in dict");
  EXPECT_EQ(JsonError(R"({"a":[1 2]})"), p + "JSON parse error, expected separator in list");
  EXPECT_EQ(JsonError(R"({"a":1}})"), p + "Expecting at most one JSON value");
  EXPECT_EQ(JsonError(R"({"a":%d})"), p + "JSON parse error, stray '%'");
  EXPECT_EQ(JsonError(R"({"a":TRUE})"), p + "JSON parse error, stray 'T'");
  EXPECT_EQ(JsonError(R"("x")"), "Invalid JSON object given");
}

TEST(JsonOptionsTest, NestingLimitIsQemus) {
  const std::string deep = std::string(1025, '[') + std::string(1025, ']');
  EXPECT_EQ(JsonError(deep), "Could not parse the JSON options: JSON nesting depth limit exceeded");
  const std::string limit = "{\"a\":" + std::string(1023, '[') + std::string(1023, ']') + "}";
  EXPECT_TRUE(ParseJsonOptions(limit).ok);
  // Far deeper than the limit: refused by the count, never by the stack.
  EXPECT_FALSE(ParseJsonOptions(std::string(100000, '[')).ok);
}

TEST(JsonOptionsTest, LengthAndNul) {
  const std::string huge = "{\"a\":\"" + std::string(kMaxJsonOptionsBytes, 'x') + "\"}";
  EXPECT_NE(JsonError(huge).find("instar's limit"), std::string::npos);
  // \u0000 is modified UTF-8 in qemu: the two bytes C0 80, never a NUL that would cut a name.
  const JsonOptionsParse parse = ParseJsonOptions(R"({"file.filename":"a\u0000b"})");
  ASSERT_TRUE(parse.ok);
  EXPECT_EQ(parse.options[0].text,
            "a\xC0\x80"
            "b");
  const JsonOptionsParse pair = ParseJsonOptions(R"({"a":"\ud83d\ude00"})");
  ASSERT_TRUE(pair.ok);
  EXPECT_EQ(pair.options[0].text, "\xF0\x9F\x98\x80");
}

TEST(JsonOptionsTest, FlattensAsQdictFlatten) {
  const JsonOptionsParse parse =
      ParseJsonOptions(R"({"file":{"driver":"file","filename":"x"},"l":[1,{}],"e":{},"n":null})");
  ASSERT_TRUE(parse.ok);
  ASSERT_EQ(parse.options.size(), 6u);
  EXPECT_EQ(parse.options[0].key, "file.driver");
  EXPECT_EQ(parse.options[1].key, "file.filename");
  EXPECT_EQ(parse.options[2].key, "l.0");
  EXPECT_EQ(parse.options[3].key, "l.1");
  EXPECT_EQ(parse.options[3].kind, JsonOption::Kind::kEmptyObject);
  EXPECT_EQ(parse.options[4].kind, JsonOption::Kind::kEmptyObject);
  EXPECT_EQ(parse.options[5].kind, JsonOption::Kind::kNull);
}

TEST(ObjectOptionTest, SecretsAreCheckedAsQemuChecksThem) {
  ObjectOptions objects;
  EXPECT_EQ(objects.Add("secret,id=s0,data=abc").kind, ObjectOptionResult::Kind::kAccepted);
  EXPECT_EQ(objects.Add("secret,id=s0,data=x").text,
            "attempt to add duplicate property 's0' to object (type 'container')");
  EXPECT_EQ(objects.Add(R"({"qom-type":"secret","id":"s1","data":"abc"})").kind,
            ObjectOptionResult::Kind::kAccepted);
  EXPECT_EQ(objects.Add("secret,data=abc").text, "Parameter 'id' is missing");
  EXPECT_EQ(objects.Add("secret,id=s2").text, "Either 'file' or 'data' must be provided");
  EXPECT_EQ(objects.Add("bogus,id=s2").text, "Parameter 'qom-type' does not accept value 'bogus'");
  EXPECT_EQ(objects.Add("secret,id=s2,data=a,bogus=1").text, "Parameter 'bogus' is unexpected");
  EXPECT_EQ(objects.Add("id=s2,data=abc").text, "Parameter 'qom-type' is missing");
  EXPECT_EQ(objects.Add("secret,id=s2,data=abc,file=/dev/null").text,
            "'file' and 'data' are mutually exclusive");
  EXPECT_EQ(objects.Add("secret,id=0s,data=abc").text,
            "Parameter 'id' expects an identifier\nIdentifiers consist of letters, digits, '-', "
            "'.', '_', starting with a letter.");
  EXPECT_EQ(objects.Add("secret,id=s3,file=/nonexistent/pw").text,
            "Unable to read /nonexistent/pw: Failed to open file \u201c/nonexistent/pw\u201d: No "
            "such file or directory");
  EXPECT_EQ(objects.Add("help").kind, ObjectOptionResult::Kind::kHelp);
  EXPECT_EQ(objects.Add("secret,help").kind, ObjectOptionResult::Kind::kHelp);
}

}  // namespace
}  // namespace instar::cli
