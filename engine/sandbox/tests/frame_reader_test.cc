// frame_reader_test.cc: framing, caps and error states of the message pipe parser.
#include "engine/sandbox/frame_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace instar::sandbox {
namespace {

using State = FrameReader::State;

void put32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void frame(std::vector<uint8_t>& out, const std::string& body) {
  put32(out, static_cast<uint32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
}
void exit_frame(std::vector<uint8_t>& out, int32_t status) {
  put32(out, 0xffffffffu);
  put32(out, static_cast<uint32_t>(status));
}

TEST(FrameReader, ParsesMessagesAndExitFrame) {
  std::vector<uint8_t> s;
  frame(s, "hello");
  frame(s, "");
  frame(s, std::string(1000, 'x'));
  exit_frame(s, -3);
  FrameReader reader(1000, 1 << 20);
  EXPECT_EQ(reader.feed(s.data(), s.size()), State::kExited);
  ASSERT_EQ(reader.messages().size(), 3u);
  EXPECT_EQ(reader.messages()[0], "hello");
  EXPECT_EQ(reader.messages()[1], "");
  EXPECT_EQ(reader.messages()[2].size(), 1000u);
  EXPECT_EQ(reader.exit_status(), -3);
  EXPECT_FALSE(reader.mid_frame());
}

TEST(FrameReader, AcceptsAnySplitOfTheStream) {
  std::vector<uint8_t> s;
  frame(s, "abc");
  frame(s, "defgh");
  exit_frame(s, 0);
  for (size_t step = 1; step <= s.size(); ++step) {
    FrameReader reader(64, 1 << 20);
    for (size_t pos = 0; pos < s.size(); pos += step) {
      reader.feed(s.data() + pos, std::min(step, s.size() - pos));
    }
    EXPECT_EQ(reader.state(), State::kExited) << step;
    ASSERT_EQ(reader.messages().size(), 2u) << step;
    EXPECT_EQ(reader.messages()[1], "defgh");
  }
}

// Hands messages over as frames complete and keeps none; a refusal stops the stream there.
class RecordingConsumer final : public MessageConsumer {
 public:
  bool consume(std::string_view encoded, std::string* why) override {
    seen.emplace_back(encoded);
    if (encoded == "stop") {
      *why = "refused";
      return false;
    }
    return true;
  }
  std::vector<std::string> seen;
};

TEST(FrameReader, HandsEachMessageToTheConsumerAsItCompletes) {
  std::vector<uint8_t> s;
  frame(s, "one");
  frame(s, "");
  exit_frame(s, 0);
  RecordingConsumer consumer;
  FrameReader reader(64, 1 << 20, &consumer);
  for (size_t pos = 0; pos < s.size(); ++pos) reader.feed(s.data() + pos, 1);
  EXPECT_EQ(reader.state(), State::kExited);
  EXPECT_EQ(consumer.seen, (std::vector<std::string>{"one", ""}));
  EXPECT_TRUE(reader.messages().empty()) << "a consumer's messages are not kept";
}

TEST(FrameReader, StopsAtTheFirstMessageTheConsumerRefuses) {
  std::vector<uint8_t> s;
  frame(s, "a");
  frame(s, "stop");
  frame(s, "never");
  exit_frame(s, 0);
  RecordingConsumer consumer;
  FrameReader reader(64, 1 << 20, &consumer);
  EXPECT_EQ(reader.feed(s.data(), s.size()), State::kRejected);
  EXPECT_EQ(reader.rejection(), "refused");
  EXPECT_EQ(consumer.seen, (std::vector<std::string>{"a", "stop"}));
  EXPECT_EQ(reader.feed(s.data(), s.size()), State::kRejected) << "later input is ignored";
  EXPECT_EQ(consumer.seen.size(), 2u);
}

TEST(FrameReader, RefusesAFrameAboveTheCapBeforeBufferingIt) {
  std::vector<uint8_t> s;
  put32(s, 101);
  FrameReader reader(100, 1 << 20);
  EXPECT_EQ(reader.feed(s.data(), s.size()), State::kTooLarge);
  EXPECT_EQ(reader.rejected_length(), 101u);
  std::vector<uint8_t> huge;
  put32(huge, 0xfffffffeu);
  FrameReader reader2(100, 1 << 20);
  EXPECT_EQ(reader2.feed(huge.data(), huge.size()), State::kTooLarge);
}

TEST(FrameReader, CapsTheTotalIncludingPerMessageOverhead) {
  std::vector<uint8_t> s;
  for (int i = 0; i < 10; ++i) frame(s, std::string(68, 'a'));  // 10 * (68 + 32) = 1000
  exit_frame(s, 0);
  FrameReader exact(100, 1000);
  EXPECT_EQ(exact.feed(s.data(), s.size()), State::kExited);
  FrameReader below(100, 999);
  EXPECT_EQ(below.feed(s.data(), s.size()), State::kTotalExceeded);
  // Empty frames are not free.
  std::vector<uint8_t> empties;
  for (int i = 0; i < 100; ++i) frame(empties, "");
  FrameReader flood(100, 1000);
  EXPECT_EQ(flood.feed(empties.data(), empties.size()), State::kTotalExceeded);
}

TEST(FrameReader, ReportsTruncationAndTrailingBytes) {
  std::vector<uint8_t> s;
  put32(s, 10);
  s.push_back('x');
  FrameReader reader(100, 1000);
  EXPECT_EQ(reader.feed(s.data(), s.size()), State::kReading);
  EXPECT_TRUE(reader.mid_frame());

  std::vector<uint8_t> half_header = {1, 0};
  FrameReader reader2(100, 1000);
  reader2.feed(half_header.data(), half_header.size());
  EXPECT_TRUE(reader2.mid_frame());

  std::vector<uint8_t> exit_only;
  put32(exit_only, 0xffffffffu);
  FrameReader reader3(100, 1000);
  reader3.feed(exit_only.data(), exit_only.size());
  EXPECT_TRUE(reader3.mid_frame()) << "exit marker without its status";

  std::vector<uint8_t> after;
  exit_frame(after, 0);
  after.push_back(0);
  FrameReader reader4(100, 1000);
  EXPECT_EQ(reader4.feed(after.data(), after.size()), State::kAfterExit);

  FrameReader empty(100, 1000);
  EXPECT_FALSE(empty.mid_frame());
  EXPECT_EQ(empty.state(), State::kReading);
}

}  // namespace
}  // namespace instar::sandbox
