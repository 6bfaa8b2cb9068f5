// outcome_wire_test.cc: the monitor child's result stream, encoded and read back without KVM.
#include "engine/vmm/outcome_wire.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

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

TEST(OutcomeWire, StreamIsFramedForFrameReader) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const sandbox::Outcome in = sample();
  // The pipe holds less than the stream: write from a child, read here.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    _exit(write_outcome_stream(fds[1], in) ? 0 : 1);
  }
  close(fds[1]);
  sandbox::FrameReader reader(1 << 20, 1 << 24);
  std::vector<uint8_t> buffer(4096);
  for (;;) {
    const ssize_t n = read(fds[0], buffer.data(), buffer.size());
    ASSERT_GE(n, 0);
    if (n == 0) break;
    reader.feed(buffer.data(), static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_EQ(status, 0);
  ASSERT_EQ(reader.state(), sandbox::FrameReader::State::kExited);
  EXPECT_EQ(reader.exit_status(), 0);
  ASSERT_EQ(reader.messages().size(), 4u);
  EXPECT_EQ(reader.messages()[0], "first");
  EXPECT_EQ(reader.messages()[1], "");
  EXPECT_EQ(reader.messages()[2], in.messages[2]);
  sandbox::Outcome out;
  EXPECT_TRUE(decode_outcome_trailer(reader.messages()[3], &out));
  EXPECT_EQ(out.diagnostic, in.diagnostic);
}

}  // namespace
}  // namespace instar::vmm
