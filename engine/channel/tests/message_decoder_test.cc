// message_decoder_test.cc: size and field caps, garbage and empty bodies are refused.
#include "engine/channel/message_decoder.h"

#include <gtest/gtest.h>

namespace instar::channel {
namespace {

std::string encode(const instar::guest::GuestMessage& m) {
  return m.SerializeAsString();
}

std::string encode_done(int status) {
  instar::guest::GuestMessage m;
  m.mutable_done()->set_status(status);
  return encode(m);
}

bool decodes(const std::string& bytes, std::string* why = nullptr, DecodeLimits limits = {}) {
  instar::guest::GuestMessage out;
  std::string ignored;
  return decode_message(bytes, limits, &out, why != nullptr ? why : &ignored);
}

TEST(MessageDecoderTest, DecodesAValidMessage) {
  instar::guest::GuestMessage out;
  std::string why;
  ASSERT_TRUE(decode_message(encode_done(3), {}, &out, &why)) << why;
  EXPECT_EQ(out.done().status(), 3);
}

TEST(MessageDecoderTest, RefusesOversizedMessage) {
  instar::guest::GuestMessage m;
  m.mutable_snapshot()->set_name(std::string(900, 'x'));
  m.mutable_snapshot()->set_id(std::string(900, 'x'));
  DecodeLimits limits;
  limits.max_message_bytes = 1000;
  std::string why;
  EXPECT_FALSE(decodes(encode(m), &why, limits));
  EXPECT_NE(why.find("limit 1000"), std::string::npos) << why;
}

TEST(MessageDecoderTest, RefusesGarbageAndEmptyBodies) {
  EXPECT_FALSE(decodes(std::string("\xff\xff\xff\xff\x0f", 5)));
  EXPECT_FALSE(decodes(std::string())) << "a message must carry a body";
  // A length-delimited field whose length runs past the end.
  EXPECT_FALSE(decodes(std::string("\x22\x7f\x08", 3)));
}

TEST(MessageDecoderTest, AcceptsNonUtf8Names) {
  instar::guest::GuestMessage m;
  m.mutable_info()->mutable_qcow2()->set_backing_file(std::string("b\xff\xfe", 3));
  instar::guest::GuestMessage out;
  std::string why;
  ASSERT_TRUE(decode_message(encode(m), {}, &out, &why)) << why;
  EXPECT_EQ(out.info().qcow2().backing_file(), std::string("b\xff\xfe", 3));
}

// A compromised guest packs tens of thousands of numbers into Error.args: no error code takes
// more than three, so the message is refused rather than kept.
TEST(MessageDecoderTest, CapsErrorArgs) {
  instar::guest::GuestMessage m;
  m.mutable_error()->set_code(instar::guest::ERROR_IO);
  for (int i = 0; i < 3; ++i) m.mutable_error()->add_args(i);
  EXPECT_TRUE(decodes(encode(m)));
  for (int i = 0; i < 65000; ++i) m.mutable_error()->add_args(1);
  std::string why;
  EXPECT_FALSE(decodes(encode(m), &why));
  EXPECT_NE(why.find("Error.args"), std::string::npos) << why;
}

TEST(MessageDecoderTest, CapsNames) {
  instar::guest::GuestMessage m;
  m.mutable_snapshot()->set_id(std::string(1024, 'i'));
  EXPECT_TRUE(decodes(encode(m)));
  m.mutable_snapshot()->set_name(std::string(1025, 'n'));
  std::string why;
  EXPECT_FALSE(decodes(encode(m), &why));
  EXPECT_NE(why.find("Snapshot.name"), std::string::npos) << why;
  instar::guest::GuestMessage info;
  info.mutable_info()->mutable_qcow2()->set_backing_format(std::string(33, 'f'));
  EXPECT_FALSE(decodes(encode(info)));
}

}  // namespace
}  // namespace instar::channel
