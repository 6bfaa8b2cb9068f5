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
            "instar: sandbox (process): guest message 0 has Error.args of 65000 (limit 3)\n");
  EXPECT_LT(run.max_rss_kib, kRssCeilingKiB);
}

// Within every field cap, a second Error is already outside info's contract: the stream stops
// there, whatever follows.
TEST(HostileGuestStream, ErrorFloodStopsAtTheFirstUnexpectedMessage) {
  GuestMessage error;
  error.mutable_error()->set_code(instar::guest::ERROR_IO);
  for (int i = 0; i < 3; ++i) error.mutable_error()->add_args(~uint64_t{0});
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

}  // namespace
