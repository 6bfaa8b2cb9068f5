// outcome_wire_test.cc: the monitor child's result stream, encoded and read back without KVM.
#include "engine/vmm/outcome_wire.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <vector>

#include "engine/sandbox/frame_reader.h"

namespace instar::vmm {
namespace {

sandbox::Outcome sample() {
  sandbox::Outcome out;
  out.kind = sandbox::OutcomeKind::kResourceLimit;
  out.guest_status = -3;
  out.diagnostic = "guest exceeded the limit of 50 VM exits (rip=0x200000)";
  out.messages = {"first", "", std::string(70000, 'x')};
  out.exits = 51;
  out.hypercalls = 50;
  out.reads = 3;
  out.bytes_read = 4096;
  out.guest_ns = 123456789;
  return out;
}

TEST(OutcomeWire, TrailerRoundTripsEveryField) {
  const sandbox::Outcome in = sample();
  sandbox::Outcome out;
  ASSERT_TRUE(decode_outcome_trailer(encode_outcome_trailer(in), &out));
  EXPECT_EQ(out.kind, in.kind);
  EXPECT_EQ(out.guest_status, in.guest_status);
  EXPECT_EQ(out.diagnostic, in.diagnostic);
  EXPECT_EQ(out.exits, in.exits);
  EXPECT_EQ(out.hypercalls, in.hypercalls);
  EXPECT_EQ(out.reads, in.reads);
  EXPECT_EQ(out.bytes_read, in.bytes_read);
  EXPECT_EQ(out.guest_ns, in.guest_ns);
  EXPECT_TRUE(out.messages.empty()) << "messages travel as their own frames";
}

TEST(OutcomeWire, RefusesWhatEncodeNeverProduces) {
  sandbox::Outcome out;
  std::string trailer = encode_outcome_trailer(sample());
  EXPECT_FALSE(decode_outcome_trailer(trailer.substr(0, kTrailerFixedBytes - 1), &out));
  std::string bad_magic = trailer;
  bad_magic[0] ^= 1;
  EXPECT_FALSE(decode_outcome_trailer(bad_magic, &out));
  std::string bad_kind = trailer;
  bad_kind[4] = 99;
  EXPECT_FALSE(decode_outcome_trailer(bad_kind, &out));
  EXPECT_FALSE(decode_outcome_trailer(trailer + std::string(kMaxTrailerDiagnostic, 'd'), &out));
}

TEST(OutcomeWire, LongDiagnosticsAreCut) {
  sandbox::Outcome in = sample();
  in.diagnostic.assign(kMaxTrailerDiagnostic + 100, 'd');
  sandbox::Outcome out;
  ASSERT_TRUE(decode_outcome_trailer(encode_outcome_trailer(in), &out));
  EXPECT_EQ(out.diagnostic.size(), kMaxTrailerDiagnostic);
}

// What the parent reads from `write`'s end of a pipe, through OutcomeStreamConsumer into
// `messages` (null: collected) and FrameReader.
struct ReadBack {
  sandbox::FrameReader::State state;
  std::string rejection;
  std::optional<sandbox::Outcome> outcome;
};

ReadBack read_back(const std::function<bool(int)>& write, sandbox::MessageConsumer* messages) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  // The pipe holds less than the stream: write from a child, read here.
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    _exit(write(fds[1]) ? 0 : 1);
  }
  close(fds[1]);
  OutcomeStreamConsumer stream(messages);
  sandbox::FrameReader reader(1 << 20, 1 << 24, &stream);
  std::vector<uint8_t> buffer(4096);
  for (;;) {
    const ssize_t n = read(fds[0], buffer.data(), buffer.size());
    if (n <= 0) break;
    reader.feed(buffer.data(), static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return {reader.state(), reader.rejection(), stream.take_outcome()};
}

TEST(OutcomeWire, StreamReadsBackWithItsMessagesInOrder) {
  const sandbox::Outcome in = sample();
  ReadBack got = read_back(
      [&](int fd) {
        for (const std::string& message : in.messages) {
          if (!write_message_frame(fd, message)) return false;
        }
        return write_outcome_end(fd, in);
      },
      nullptr);
  ASSERT_EQ(got.state, sandbox::FrameReader::State::kExited);
  ASSERT_TRUE(got.outcome);
  EXPECT_EQ(got.outcome->messages, in.messages);
  EXPECT_EQ(got.outcome->diagnostic, in.diagnostic);
}

// Collects what it is handed and refuses the message "bad".
class Recorder : public sandbox::MessageConsumer {
 public:
  bool consume(std::string_view encoded, std::string* why) override {
    if (encoded == "bad") {
      *why = "refused";
      return false;
    }
    seen.emplace_back(encoded);
    return true;
  }
  std::vector<std::string> seen;
};

TEST(OutcomeWire, ForwardedMessagesGoToTheConsumerAsTheyArrive) {
  Recorder recorder;
  ReadBack got = read_back(
      [&](int fd) {
        return write_message_frame(fd, "one") && write_message_frame(fd, "two") &&
               write_outcome_end(fd, sample());
      },
      &recorder);
  ASSERT_EQ(got.state, sandbox::FrameReader::State::kExited);
  EXPECT_EQ(recorder.seen, (std::vector<std::string>{"one", "two"}));
  ASSERT_TRUE(got.outcome);
  EXPECT_TRUE(got.outcome->messages.empty());
}

TEST(OutcomeWire, TheFirstRefusedMessageStopsTheStream) {
  Recorder recorder;
  ReadBack got = read_back(
      [&](int fd) {
        return write_message_frame(fd, "bad") && write_message_frame(fd, "after") &&
               write_outcome_end(fd, sample());
      },
      &recorder);
  EXPECT_EQ(got.state, sandbox::FrameReader::State::kRejected);
  EXPECT_EQ(got.rejection, "refused");
  EXPECT_TRUE(recorder.seen.empty());
  EXPECT_FALSE(got.outcome);
}

// A compromised child: frames of no known kind, a forged trailer, anything after the trailer.
TEST(OutcomeWire, TheParentRefusesWhatAnHonestChildNeverSends) {
  const auto raw_frame = [](int fd, std::string_view body) {
    const uint32_t length = static_cast<uint32_t>(body.size());  // little-endian hosts only
    return ::write(fd, &length, 4) == 4 &&
           ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
  };
  EXPECT_EQ(read_back([&](int fd) { return raw_frame(fd, ""); }, nullptr).rejection,
            "KVM monitor sent an untagged frame");
  EXPECT_EQ(read_back([&](int fd) { return raw_frame(fd, "Xjunk"); }, nullptr).rejection,
            "KVM monitor sent a frame of unknown kind");
  EXPECT_EQ(read_back([&](int fd) { return raw_frame(fd, "Tjunk"); }, nullptr).rejection,
            "KVM monitor sent a malformed outcome");
  const ReadBack after = read_back(
      [&](int fd) { return write_outcome_end(fd, sample()) && write_message_frame(fd, "late"); },
      nullptr);
  EXPECT_NE(after.state, sandbox::FrameReader::State::kExited);
}

}  // namespace
}  // namespace instar::vmm
