// hostile_guest_stream_test.cc: the instar binary driven by a fake compromised guest helper
// (guest_stream_replay.cc). Shows that the host stops a hostile message stream at its first
// violation with bounded memory (peak RSS of the instar process, from wait4), and that it
// prints none of the text such a guest sends.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "guest/abi/abi.h"
#include "guest/abi/guest.pb.h"

namespace {

namespace fs = std::filesystem;
using instar::guest::GuestMessage;

constexpr uint64_t kRssCeilingKiB = 64 * 1024;  // the host's peak RSS must stay below 64 MiB

void append_le32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

void append_frame(std::string* out, const GuestMessage& m) {
  const std::string body = m.SerializeAsString();
  append_le32(out, static_cast<uint32_t>(body.size()));
  *out += body;
}

void append_exit(std::string* out) {
  append_le32(out, instar::abi::kExitFrame);
  append_le32(out, 0);
}

GuestMessage done(int status) {
  GuestMessage m;
  m.mutable_done()->set_status(status);
  return m;
}

struct InstarRun {
  int exit_code = -1;
  std::string stdout_text;
  std::string stderr_text;
  uint64_t max_rss_kib = 0;
};

// A directory holding a copy of instar with the replay helper as its process guest, a small
// image, and the stream the helper will replay.
class FakeGuest {
 public:
  FakeGuest() {
    char pattern[] = "/tmp/instar-fake-guest-XXXXXX";
    dir_ = mkdtemp(pattern);
    fs::copy_file(INSTAR_BINARY_PATH, dir_ / "instar");
    fs::copy_file(INSTAR_REPLAY_HELPER_PATH, dir_ / "instar-guest-process");
    std::ofstream(dir_ / "disk.img", std::ios::binary) << std::string(65536, '\0');
  }
  ~FakeGuest() { fs::remove_all(dir_); }

  void set_stream(const std::string& bytes) {
    std::ofstream(dir_ / "guest-stream", std::ios::binary) << bytes;
  }
  // The stream for one op only (instar runs several guests for some commands).
  void set_stream_for(instar::abi::Op op, const std::string& bytes) {
    std::ofstream(dir_ / ("guest-stream-" + std::to_string(static_cast<uint32_t>(op))),
                  std::ios::binary)
        << bytes;
  }
  // For streams of many MB: written as they are made, so this process stays small. (The child
  // that execs instar starts as a copy of it, and exec keeps that copy's RSS high-water mark.)
  void write_stream(const std::function<void(std::ofstream&)>& fill) {
    std::ofstream out(dir_ / "guest-stream", std::ios::binary);
    fill(out);
  }

  // Runs `instar <args...> disk.img` in the directory and collects what it printed.
  InstarRun run(const std::vector<std::string>& args) const {
    InstarRun result;
    const fs::path out_path = dir_ / "stdout";
    const fs::path err_path = dir_ / "stderr";
    const pid_t pid = fork();
    if (pid == 0) {
      if (chdir(dir_.c_str()) != 0) _exit(120);
      const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(121);
      std::vector<std::string> argv_text = {"instar"};
      argv_text.insert(argv_text.end(), args.begin(), args.end());
      argv_text.push_back("disk.img");
      std::vector<char*> argv;
      for (std::string& a : argv_text) argv.push_back(a.data());
      argv.push_back(nullptr);
      char sandbox[] = "INSTAR_SANDBOX=process";
      char version[] = "INSTAR_QEMU_VERSION=7.2";
      char path[] = "PATH=/usr/bin:/bin";
      char* envp[] = {sandbox, version, path, nullptr};
      execve((dir_ / "instar").c_str(), argv.data(), envp);
      _exit(122);
    }
    int status = 0;
    rusage usage{};
    EXPECT_EQ(wait4(pid, &status, 0, &usage), pid);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.max_rss_kib = static_cast<uint64_t>(usage.ru_maxrss);
    result.stdout_text = read_file(out_path);
    result.stderr_text = read_file(err_path);
    return result;
  }

 private:
  static std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path dir_;
};

// The review's recipe: 1000 Error messages of 65,000 packed args each (65 MB encoded, ~576 MiB
// once all decoded). The first is refused at its field cap; nothing after it is decoded.
TEST(HostileGuestStream, PackedArgsFloodIsRefusedWithBoundedMemory) {
  GuestMessage error;
  error.mutable_error()->set_code(instar::guest::ERROR_IO);
  for (int i = 0; i < 65000; ++i) error.mutable_error()->add_args(1);
  FakeGuest guest;
  uint64_t stream_bytes = 0;
  guest.write_stream([&](std::ofstream& out) {
    std::string frame;
    append_frame(&frame, error);
    for (int i = 0; i < 1000; ++i) out << frame;
    stream_bytes = 1000 * frame.size();
    frame.clear();
    append_frame(&frame, done(1));
    append_exit(&frame);
    out << frame;
  });
  error.Clear();
  ASSERT_GT(stream_bytes, 64'000'000u);
  const InstarRun run = guest.run({"info"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.stderr_text,
            "instar: sandbox (process): guest message 0 has Error.args of 65000 (limit 4)\n");
  EXPECT_LT(run.max_rss_kib, kRssCeilingKiB);
}

// Within every field cap, a second Error is already outside info's contract: the stream stops
// there, whatever follows.
TEST(HostileGuestStream, ErrorFloodStopsAtTheFirstUnexpectedMessage) {
  GuestMessage error;
  error.mutable_error()->set_code(instar::guest::ERROR_IO);
  for (int i = 0; i < 4; ++i) error.mutable_error()->add_args(~uint64_t{0});
  FakeGuest guest;
  guest.write_stream([&](std::ofstream& out) {
    std::string frame;
    append_frame(&frame, error);
    for (int i = 0; i < 200'000; ++i) out << frame;
    frame.clear();
    append_frame(&frame, done(1));
    append_exit(&frame);
    out << frame;
  });
  const InstarRun run = guest.run({"info"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.stderr_text, "instar: sandbox (process): guest did not end with Done\n");
  EXPECT_LT(run.max_rss_kib, kRssCeilingKiB);
}

// A legitimate-looking sequence still goes through: the fake helper is not refused as such.
TEST(HostileGuestStream, AWellFormedErrorIsRendered) {
  GuestMessage error;
  error.mutable_error()->set_code(instar::guest::ERROR_HEADER_TOO_SHORT);
  std::string stream;
  append_frame(&stream, error);
  append_frame(&stream, done(1));
  append_exit(&stream);
  FakeGuest guest;
  guest.set_stream(stream);
  const InstarRun run = guest.run({"info"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.stderr_text, "instar: Could not open 'disk.img': qcow2 header too short\n");
}

// --- finding 5: the guest sends codes and numbers; the host prints none of its text -----------

// The text a compromised guest would like on the user's terminal: an OSC 52 clipboard write, a
// cursor move, and a forged verdict.
const std::string kHostileText =
    "\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2K\rNo errors were found on the image.\n";

void expect_none_of_the_guests_text(const InstarRun& run) {
  for (const std::string* out : {&run.stdout_text, &run.stderr_text}) {
    EXPECT_EQ(out->find('\x1b'), std::string::npos) << *out;
    EXPECT_EQ(out->find('\x07'), std::string::npos) << *out;
    EXPECT_EQ(out->find("No errors were found"), std::string::npos) << *out;
  }
}

std::string stream_of(std::initializer_list<std::string> encoded_messages) {
  std::string stream;
  for (const std::string& body : encoded_messages) {
    append_le32(&stream, static_cast<uint32_t>(body.size()));
    stream += body;
  }
  append_exit(&stream);
  return stream;
}

std::string encoded(const GuestMessage& m) {
  return m.SerializeAsString();
}

// A check diagnostics message as ABI 2 carried it: free text in field 1. The host no longer
// has such a field: the message holds no line and is refused; its text is never printed.
TEST(HostileGuestStream, CheckTextOfTheOldAbiIsNeverPrinted) {
  std::string text_field;
  text_field.push_back(static_cast<char>((1 << 3) | 2));  // field 1, length-delimited
  text_field.push_back(static_cast<char>(kHostileText.size()));
  text_field += kHostileText;
  std::string message;
  message.push_back(static_cast<char>((6 << 3) | 2));  // GuestMessage.check_diagnostics
  message.push_back(static_cast<char>(text_field.size()));
  message += text_field;
  GuestMessage result;
  result.mutable_check_result()->set_format(instar::guest::FORMAT_QCOW2);
  FakeGuest guest;
  guest.set_stream(stream_of({message, encoded(result), encoded(done(0))}));
  const InstarRun run = guest.run({"check"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.stderr_text, "instar: sandbox (process): check diagnostics hold no line\n");
  expect_none_of_the_guests_text(run);
}

// A check line code the host has no template for is a protocol error, not text.
TEST(HostileGuestStream, UnknownCheckLineCodeIsAProtocolError) {
  GuestMessage lines;
  lines.mutable_check_diagnostics()->add_words(9999);
  FakeGuest guest;
  guest.set_stream(stream_of({encoded(lines)}));
  const InstarRun run = guest.run({"check"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.stderr_text, "instar: sandbox (process): unknown check line code 9999\n");
  expect_none_of_the_guests_text(run);
}

// An unknown error code, and a name on an error whose qemu text quotes none, are refused.
TEST(HostileGuestStream, ErrorsCarryNoGuestText) {
  GuestMessage unknown;
  unknown.mutable_error()->set_code(static_cast<instar::guest::ErrorCode>(4242));
  FakeGuest guest;
  guest.set_stream(stream_of({encoded(unknown), encoded(done(1))}));
  InstarRun run = guest.run({"info"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.stderr_text,
            "instar: sandbox (process): guest message 0 has unknown error code 4242\n");

  GuestMessage named;
  named.mutable_error()->set_code(instar::guest::ERROR_IO);
  named.mutable_error()->set_name(kHostileText);
  guest.set_stream(stream_of({encoded(named), encoded(done(1))}));
  run = guest.run({"info"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.stderr_text,
            "instar: sandbox (process): guest message 0 has an Error.name its code does not "
            "print\n");
  expect_none_of_the_guests_text(run);

  // The old free-text field (3) of an Error is ignored: only the host's words are printed.
  GuestMessage io;
  io.mutable_error()->set_code(instar::guest::ERROR_IO);
  std::string error_body = io.error().SerializeAsString();
  error_body.push_back(static_cast<char>((3 << 3) | 2));
  error_body.push_back(static_cast<char>(kHostileText.size()));
  error_body += kHostileText;
  std::string message;
  message.push_back(static_cast<char>((4 << 3) | 2));  // GuestMessage.error
  message.push_back(static_cast<char>(error_body.size()));
  message += error_body;
  guest.set_stream(stream_of({message, encoded(done(1))}));
  run = guest.run({"info"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.stderr_text, "instar: Could not open 'disk.img': Input/output error\n");
  expect_none_of_the_guests_text(run);
}

// A complete check run through the fake helper: the lines printed are the host's templates
// filled with the guest's numbers; with ABI 2's text field the same stream printed the guest's
// text, escape sequences and forged verdict included.
TEST(HostileGuestStream, CheckLinesAreTheHostsWords) {
  std::string old_text;  // ABI 2's CheckDiagnostics.text, field 1
  old_text.push_back(static_cast<char>((1 << 3) | 2));
  old_text.push_back(static_cast<char>(kHostileText.size()));
  old_text += kHostileText;
  GuestMessage lines;
  lines.mutable_check_diagnostics()->ParseFromString(old_text);
  for (uint64_t w : {uint64_t{instar::guest::CHECK_LINE_CLUSTER_LEAKED}, uint64_t{5}, uint64_t{1},
                     uint64_t{0}}) {
    lines.mutable_check_diagnostics()->add_words(w);
  }
  GuestMessage result;
  result.mutable_check_result()->set_format(instar::guest::FORMAT_QCOW2);
  result.mutable_check_result()->set_leaks(1);
  result.mutable_check_result()->set_total_clusters(16);
  result.mutable_check_result()->set_allocated_clusters(1);
  result.mutable_check_result()->set_image_end_offset(0x60000);
  GuestMessage info;
  info.mutable_info()->set_format(instar::guest::FORMAT_QCOW2);
  info.mutable_info()->set_virtual_size(1 << 20);
  info.mutable_info()->set_cluster_size(65536);
  info.mutable_info()->mutable_qcow2()->set_version(3);
  FakeGuest guest;
  guest.set_stream_for(instar::abi::Op::kCheck,
                       stream_of({encoded(lines), encoded(result), encoded(done(0))}));
  guest.set_stream_for(instar::abi::Op::kInfo, stream_of({encoded(info), encoded(done(0))}));
  const InstarRun run = guest.run({"check"});
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_EQ(run.stderr_text, "Leaked cluster 5 refcount=1 reference=0\n");
  EXPECT_EQ(run.stdout_text,
            "\n1 leaked clusters were found on the image.\n"
            "This means waste of disk space, but no harm to data.\n"
            "1/16 = 6.25% allocated, 0.00% fragmented, 0.00% compressed clusters\n"
            "Image end offset: 393216\n");
  expect_none_of_the_guests_text(run);
}

}  // namespace
