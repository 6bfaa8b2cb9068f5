// message_decoder_test.cc: size caps, garbage and empty bodies are refused.
#include "engine/channel/message_decoder.h"

#include <gtest/gtest.h>

namespace instar::channel {
namespace {

std::string encode_done(int status) {
  instar::guest::GuestMessage m;
  m.mutable_done()->set_status(status);
  return m.SerializeAsString();
}

TEST(MessageDecoderTest, DecodesValidMessages) {
  DecodedMessages d = decode_messages({encode_done(0), encode_done(3)});
  ASSERT_TRUE(d.ok) << d.error;
  ASSERT_EQ(d.messages.size(), 2u);
  EXPECT_EQ(d.messages[1].done().status(), 3);
}

TEST(MessageDecoderTest, RefusesOversizedMessage) {
  instar::guest::GuestMessage m;
  m.mutable_error()->set_detail(std::string(2000, 'x'));
  DecodeLimits limits;
  limits.max_message_bytes = 1000;
  DecodedMessages d = decode_messages({m.SerializeAsString()}, limits);
  EXPECT_FALSE(d.ok);
  EXPECT_NE(d.error.find("limit 1000"), std::string::npos) << d.error;
}

TEST(MessageDecoderTest, RefusesTooManyMessages) {
  DecodeLimits limits;
  limits.max_messages = 2;
  EXPECT_FALSE(decode_messages({encode_done(0), encode_done(0), encode_done(0)}, limits).ok);
}

TEST(MessageDecoderTest, RefusesGarbageAndEmptyBodies) {
  EXPECT_FALSE(decode_messages({std::string("\xff\xff\xff\xff\x0f", 5)}).ok);
  EXPECT_FALSE(decode_messages({std::string()}).ok) << "a message must carry a body";
  // A length-delimited field whose length runs past the end.
  EXPECT_FALSE(decode_messages({std::string("\x22\x7f\x08", 3)}).ok);
}

TEST(MessageDecoderTest, AcceptsNonUtf8Names) {
  instar::guest::GuestMessage m;
  m.mutable_info()->mutable_qcow2()->set_backing_file(std::string("b\xff\xfe", 3));
  DecodedMessages d = decode_messages({m.SerializeAsString()});
  ASSERT_TRUE(d.ok) << d.error;
  EXPECT_EQ(d.messages[0].info().qcow2().backing_file(), std::string("b\xff\xfe", 3));
}

}  // namespace
}  // namespace instar::channel
