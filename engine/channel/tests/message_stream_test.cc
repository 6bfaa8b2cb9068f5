// message_stream_test.cc: messages are decoded and checked one by one; the first violation
// stops the stream and nothing after it is decoded.
#include "engine/channel/message_stream.h"

#include <gtest/gtest.h>

#include "engine/channel/info_report.h"

namespace instar::channel {
namespace {

using instar::guest::GuestMessage;

std::string error_message() {
  GuestMessage m;
  m.mutable_error()->set_code(instar::guest::ERROR_HEADER_TOO_SHORT);
  return m.SerializeAsString();
}
std::string done_message() {
  GuestMessage m;
  m.mutable_done();
  return m.SerializeAsString();
}

// Counts what reaches the sequence, to show nothing past a violation does.
class CountingSequence final : public MessageSequence {
 public:
  std::string accept(GuestMessage& m) override {
    ++accepted;
    return inner.accept(m);
  }
  std::string finish() const override { return inner.finish(); }
  InfoSequence inner;
  int accepted = 0;
};

TEST(MessageStreamTest, AcceptsAWholeSequence) {
  InfoSequence sequence;
  MessageStream stream(sequence, {});
  std::string why;
  ASSERT_TRUE(stream.consume(error_message(), &why)) << why;
  ASSERT_TRUE(stream.consume(done_message(), &why)) << why;
  EXPECT_TRUE(stream.finish(&why)) << why;
  EXPECT_TRUE(sequence.report().error.has_value());
  EXPECT_EQ(stream.messages(), 2u);
}

TEST(MessageStreamTest, StopsAtTheFirstUnexpectedMessage) {
  CountingSequence sequence;
  MessageStream stream(sequence, {});
  std::string why;
  ASSERT_TRUE(stream.consume(error_message(), &why));
  EXPECT_FALSE(stream.consume(error_message(), &why)) << "a second Error is not in the contract";
  EXPECT_EQ(why, "guest did not end with Done");
  // Whatever comes next is refused with the same reason, without being decoded or checked.
  EXPECT_FALSE(stream.consume(std::string("\xff\xff", 2), &why));
  EXPECT_EQ(why, "guest did not end with Done");
  EXPECT_FALSE(stream.consume(done_message(), &why));
  EXPECT_EQ(sequence.accepted, 2);
  EXPECT_FALSE(stream.finish(&why));
}

TEST(MessageStreamTest, RefusesUndecodableMessagesWithTheirIndex) {
  InfoSequence sequence;
  MessageStream stream(sequence, {});
  std::string why;
  ASSERT_TRUE(stream.consume(error_message(), &why));
  EXPECT_FALSE(stream.consume(std::string("\xff\xff\xff\xff\x0f", 5), &why));
  EXPECT_EQ(why, "guest message 1 is not a valid GuestMessage");
}

TEST(MessageStreamTest, AnEmptyStreamIsIncomplete) {
  InfoSequence sequence;
  MessageStream stream(sequence, {});
  std::string why;
  EXPECT_FALSE(stream.finish(&why));
  EXPECT_EQ(why, "guest sent no messages");
}

}  // namespace
}  // namespace instar::channel
