// process_sandbox_test.cc: end-to-end runs of the guest helpers through ProcessSandbox.
//
// The production helper must run ops and frame their results; the hostile helper plays a
// compromised guest and must be contained: killed by SIGSYS for any syscall outside the
// allow-list, timed out, capped, and always reaped without leaking fds.
#include "engine/sandbox/process_sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "guest/abi/guest.pb.h"
#include "guest/platform/process/hostile_ops.h"

namespace instar::sandbox {
namespace {

using namespace std::chrono_literals;

constexpr const char kSigsysDiagnostic[] =
    "guest process killed by SIGSYS (seccomp: forbidden system call)";

// A raw image in a temporary file, opened read-only as the engine opens inputs.
class RawImage {
 public:
  explicit RawImage(size_t size) {
    char path[] = "/tmp/instar-sandbox-test-XXXXXX";
    const int fd = mkstemp(path);
    EXPECT_GE(fd, 0);
    std::vector<uint8_t> bytes(size);
    for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(i * 7);
    EXPECT_EQ(write(fd, bytes.data(), size), static_cast<ssize_t>(size));
    close(fd);
    fd_ = open(path, O_RDONLY | O_CLOEXEC);
    unlink(path);
    size_ = size;
  }
  ~RawImage() { close(fd_); }
  Device device() const { return Device{fd_, size_, false}; }

 private:
  int fd_ = -1;
  uint64_t size_ = 0;
};

Request make_request(abi::Op op, uint32_t test_arg, const RawImage& image) {
  Request request;
  request.op.op = static_cast<uint32_t>(op);
  request.op.input_device[0] = 0;
  request.op.input_format[0] = static_cast<uint32_t>(abi::ImageFormat::kRaw);
  request.op.test_arg = test_arg;
  request.devices.push_back(image.device());
  request.limits.wall_time = 10s;  // generous: CI machines are slow; timeouts are tested apart
  request.limits.arena_bytes = 4 << 20;
  return request;
}

ProcessSandbox production() {
  return ProcessSandbox(INSTAR_GUEST_PROCESS_PATH);
}
ProcessSandbox hostile() {
  return ProcessSandbox(INSTAR_GUEST_PROCESS_HOSTILE_PATH);
}

std::string describe(const Outcome& o) {
  std::ostringstream s;
  s << "kind=" << static_cast<int>(o.kind) << " status=" << o.guest_status << " signal=" << o.signal
    << " diagnostic='" << o.diagnostic << "' messages=" << o.messages.size();
  return s.str();
}

void expect_sigsys(const Outcome& o) {
  EXPECT_EQ(o.kind, OutcomeKind::kKilled) << describe(o);
  EXPECT_EQ(o.signal, SIGSYS) << describe(o);
  EXPECT_EQ(o.diagnostic, kSigsysDiagnostic);
}

std::set<std::string> open_fds() {
  std::set<std::string> fds;
  DIR* dir = opendir("/proc/self/fd");
  while (dirent* entry = readdir(dir)) fds.insert(entry->d_name);
  closedir(dir);
  return fds;
}

TEST(ProcessSandbox, ProductionHelperRunsAnOpOnARawFile) {
  RawImage image(1 << 20);
  ProcessSandbox sandbox = production();
  EXPECT_STREQ(sandbox.name(), "process");
  Request request = make_request(abi::Op::kInfo, 0, image);
  request.io_counters = true;
  const Outcome o = sandbox.run(request);
  ASSERT_EQ(o.kind, OutcomeKind::kCompleted) << describe(o);
  EXPECT_EQ(o.guest_status, 0);
  ASSERT_FALSE(o.messages.empty());
  std::vector<instar::guest::GuestMessage> messages(o.messages.size());
  for (size_t i = 0; i < o.messages.size(); ++i) {
    EXPECT_TRUE(messages[i].ParseFromString(o.messages[i])) << "every frame is a GuestMessage";
  }
  ASSERT_TRUE(messages.front().has_info()) << messages.front().DebugString();
  EXPECT_EQ(messages.front().info().format(), instar::guest::FORMAT_RAW);
  EXPECT_EQ(messages.front().info().virtual_size(), 1u << 20);
  EXPECT_TRUE(messages.back().has_done()) << messages.back().DebugString();
  // Counters: the helper read its boot blob and at least the first sector of the image, and
  // used some CPU; the process backend has no VM exits.
  EXPECT_GE(o.reads, 2u);
  EXPECT_GE(o.bytes_read, 512u);
  EXPECT_GT(o.guest_ns, 0u);
  EXPECT_EQ(o.exits, 0u);
  // Without the request, /proc is not read and the read counters stay zero.
  const Outcome plain = sandbox.run(make_request(abi::Op::kInfo, 0, image));
  ASSERT_EQ(plain.kind, OutcomeKind::kCompleted) << describe(plain);
  EXPECT_EQ(plain.reads, 0u);
  EXPECT_EQ(plain.bytes_read, 0u);
}

// The real parser path on a qcow2 image made by qemu-img (skipped where it is not installed).
TEST(ProcessSandbox, ProductionHelperDescribesAQcow2Image) {
  char dir[] = "/tmp/instar-sandbox-qcow2-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/image.qcow2";
  const std::string command = "qemu-img create -q -f qcow2 '" + path + "' 1G >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0) {
    rmdir(dir);
    GTEST_SKIP() << "qemu-img not available";
  }
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  ASSERT_EQ(fstat(fd, &st), 0);
  unlink(path.c_str());
  rmdir(dir);
  Request request;
  request.op.op = static_cast<uint32_t>(abi::Op::kInfo);
  request.op.input_format[0] = static_cast<uint32_t>(abi::ImageFormat::kQcow2);
  request.devices.push_back(Device{fd, static_cast<uint64_t>(st.st_size), false});
  request.limits.wall_time = 10s;
  const Outcome o = production().run(request);
  close(fd);
  ASSERT_EQ(o.kind, OutcomeKind::kCompleted) << describe(o);
  ASSERT_FALSE(o.messages.empty());
  instar::guest::GuestMessage first;
  ASSERT_TRUE(first.ParseFromString(o.messages.front()));
  ASSERT_TRUE(first.has_info()) << first.DebugString();
  EXPECT_EQ(first.info().format(), instar::guest::FORMAT_QCOW2);
  EXPECT_EQ(first.info().virtual_size(), 1ull << 30);
}

TEST(ProcessSandbox, ProductionHelperHasNoTestOps) {
  RawImage image(4096);
  const Outcome o =
      production().run(make_request(abi::Op::kTestForbiddenSyscall, process::kForbidOpenat, image));
  ASSERT_EQ(o.kind, OutcomeKind::kCompleted) << describe(o);
  ASSERT_FALSE(o.messages.empty());
  instar::guest::GuestMessage message;
  ASSERT_TRUE(message.ParseFromString(o.messages[0]));
  ASSERT_TRUE(message.has_error());
  EXPECT_EQ(message.error().code(), instar::guest::ERROR_UNSUPPORTED_OP);
}

TEST(ProcessSandbox, ForbiddenSyscallsAreKilledWithSigsys) {
  RawImage image(4096);
  ProcessSandbox sandbox = hostile();
  for (uint32_t which = 0; which < process::kForbidCount; ++which) {
    SCOPED_TRACE("forbidden syscall selector " + std::to_string(which));
#if defined(INSTAR_COVERAGE_BUILD)
    // Coverage builds let the helper call getpid for libgcov (docs/sandbox-process.md).
    if (which == process::kForbidGetpid) continue;
#endif
    expect_sigsys(sandbox.run(make_request(abi::Op::kTestForbiddenSyscall, which, image)));
  }
}

// The hostile ops run exactly where run_op would parse the image. openat as the very first
// action is killed, so the filter is armed before the guest can touch any image byte.
TEST(ProcessSandbox, FilterIsArmedBeforeAnyImageByteIsRead) {
  RawImage image(4096);
  expect_sigsys(
      hostile().run(make_request(abi::Op::kTestForbiddenSyscall, process::kForbidOpenat, image)));
}

TEST(ProcessSandbox, WritingTheInputDeviceIsKilled) {
  RawImage image(4096);
  expect_sigsys(hostile().run(make_request(abi::Op::kTestWriteInputDevice, 0, image)));
}

TEST(ProcessSandbox, ReadsOutsideTheDeviceAreKilledByTheFilter) {
  RawImage image(4096);
  ProcessSandbox sandbox = hostile();
  expect_sigsys(sandbox.run(
      make_request(abi::Op::kTestReadPastCapacity, process::kPastCapacityRawOffset, image)));
  Request long_read =
      make_request(abi::Op::kTestReadPastCapacity, process::kPastCapacityRawLength, image);
  long_read.limits.max_read_bytes = 1024;
  expect_sigsys(sandbox.run(long_read));
  expect_sigsys(sandbox.run(make_request(abi::Op::kTestBadDevice, 0, image)));
}

TEST(ProcessSandbox, PreadBlockSourceRefusesReadsPastCapacity) {
  RawImage image(4096);
  const Outcome o = hostile().run(
      make_request(abi::Op::kTestReadPastCapacity, process::kPastCapacitySource, image));
  ASSERT_EQ(o.kind, OutcomeKind::kCompleted) << describe(o);
  ASSERT_EQ(o.messages.size(), 1u);
  instar::guest::GuestMessage message;
  ASSERT_TRUE(message.ParseFromString(o.messages[0]));
  EXPECT_EQ(message.error().code(), instar::guest::ERROR_IO);
}

TEST(ProcessSandbox, SpinningGuestTimesOut) {
  RawImage image(4096);
  Request request = make_request(abi::Op::kTestSpinForever, 0, image);
  request.limits.wall_time = 300ms;
  const auto start = std::chrono::steady_clock::now();
  const Outcome o = hostile().run(request);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(o.kind, OutcomeKind::kTimeout) << describe(o);
  EXPECT_EQ(o.diagnostic, "guest process exceeded the wall-clock limit of 300 ms");
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 3s);
}

TEST(ProcessSandbox, OversizedFramesAreAResourceLimit) {
  RawImage image(4096);
  ProcessSandbox sandbox = hostile();
  for (uint32_t kind : {process::kOversizedOneAbove, process::kOversizedHuge}) {
    Request request = make_request(abi::Op::kTestOversizedMessage, kind, image);
    request.limits.max_message_bytes = 1000;
    const Outcome o = sandbox.run(request);
    EXPECT_EQ(o.kind, OutcomeKind::kResourceLimit) << describe(o);
  }
  Request request =
      make_request(abi::Op::kTestOversizedMessage, process::kOversizedOneAbove, image);
  request.limits.max_message_bytes = 1000;
  EXPECT_EQ(sandbox.run(request).diagnostic,
            "guest message of 1001 bytes exceeds the limit of 1000");
}

TEST(ProcessSandbox, MessageFloodIsCappedByTheTotal) {
  RawImage image(4096);
  Request request = make_request(abi::Op::kTestOversizedMessage, process::kOversizedFlood, image);
  request.limits.max_message_bytes = 4096;
  request.limits.max_total_message_bytes = 1 << 20;
  const Outcome o = hostile().run(request);
  EXPECT_EQ(o.kind, OutcomeKind::kResourceLimit) << describe(o);
  EXPECT_EQ(o.diagnostic, "guest messages exceed the total limit of 1048576 bytes");
}

TEST(ProcessSandbox, GarbageProtobufIsDeliveredAsBytes) {
  RawImage image(4096);
  const Outcome o =
      hostile().run(make_request(abi::Op::kTestGarbageMessage, process::kGarbageProtobuf, image));
  ASSERT_EQ(o.kind, OutcomeKind::kCompleted) << describe(o);
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.messages[0], std::string(16, '\xff'));
}

TEST(ProcessSandbox, BrokenFramingIsAGuestFault) {
  RawImage image(4096);
  ProcessSandbox sandbox = hostile();
  Outcome o = sandbox.run(
      make_request(abi::Op::kTestGarbageMessage, process::kGarbageTruncatedFrame, image));
  EXPECT_EQ(o.kind, OutcomeKind::kGuestFault) << describe(o);
  EXPECT_EQ(o.diagnostic, "guest process ended inside a message frame");
  o = sandbox.run(make_request(abi::Op::kTestGarbageMessage, process::kGarbageNoExitFrame, image));
  EXPECT_EQ(o.kind, OutcomeKind::kGuestFault) << describe(o);
  EXPECT_EQ(o.diagnostic, "guest process exited with status 0 without an exit frame");
  o = sandbox.run(make_request(abi::Op::kTestGarbageMessage, process::kGarbageAfterExit, image));
  EXPECT_EQ(o.kind, OutcomeKind::kGuestFault) << describe(o);
}

// Only the helper's setup, before any guest code, reports a setup failure: an exit status of the
// guest that equals a setup code, or exec's 127, is the guest's own exit.
TEST(ProcessSandbox, GuestExitStatusIsNeverASetupFailure) {
  RawImage image(4096);
  ProcessSandbox sandbox = hostile();
  Outcome o = sandbox.run(
      make_request(abi::Op::kTestGarbageMessage, process::kGarbageExitSetupCode, image));
  EXPECT_EQ(o.kind, OutcomeKind::kGuestFault) << describe(o);
  EXPECT_EQ(o.diagnostic, "guest process exited with status 123 without an exit frame");
  o = sandbox.run(make_request(abi::Op::kTestGarbageMessage, process::kGarbageExit127, image));
  EXPECT_EQ(o.kind, OutcomeKind::kGuestFault) << describe(o);
  EXPECT_EQ(o.diagnostic, "guest process exited with status 127 without an exit frame");
}

TEST(ProcessSandbox, HelperRefusesAMalformedBootBlob) {
  RawImage image(4096);
  const Request request = make_request(abi::Op::kInfo, 0, image);
  ProcessSandbox sandbox = production();
  std::vector<uint8_t> blob(sizeof(abi::BootInfo) + sizeof(abi::OpConfig), 0);
  Outcome o = sandbox.run_with_boot_blob(blob, request);
  EXPECT_EQ(o.kind, OutcomeKind::kHostError) << describe(o);
  EXPECT_EQ(o.diagnostic, "guest process setup failed: malformed boot info");
  o = sandbox.run_with_boot_blob({1, 2, 3}, request);
  EXPECT_EQ(o.kind, OutcomeKind::kHostError) << describe(o);
  EXPECT_TRUE(o.messages.empty());
}

TEST(ProcessSandbox, MissingHelperIsAHostError) {
  RawImage image(4096);
  const Outcome o = ProcessSandbox("/nonexistent/instar-guest-process")
                        .run(make_request(abi::Op::kInfo, 0, image));
  EXPECT_EQ(o.kind, OutcomeKind::kHostError);
  EXPECT_NE(o.diagnostic.find("cannot execute guest helper /nonexistent/instar-guest-process"),
            std::string::npos)
      << o.diagnostic;
}

// Runs `body` in a forked child, where lowering this process's limits for good is harmless;
// `body` returns "" when it passed, else what failed. The child must not start threads.
std::string in_child(const std::function<std::string()>& body) {
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const std::string failure = body();
    (void)!write(fds[1], failure.data(), failure.size());
    _exit(failure.empty() ? 0 : 1);
  }
  close(fds[1]);
  std::string failure;
  char buffer[512];
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof buffer)) > 0)
    failure.append(buffer, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status)) return "child died: status " + std::to_string(status);
  if (WEXITSTATUS(status) != 0 && failure.empty()) return "child failed without a reason";
  return failure;
}

std::string expect_outcome(const Outcome& o, OutcomeKind kind, const std::string& diagnostic) {
  if (o.kind == kind && o.diagnostic == diagnostic) return "";
  return "unexpected outcome: " + describe(o);
}

// Glance runs qemu-img under `prlimit --cpu=2 --as=1073741824`: the launcher and the helper
// lower their limits to the caller's, never raise them (setrlimit would fail with EPERM), and a
// run that reaches the caller's CPU limit says so.
TEST(ProcessSandbox, CallersCpuLimitIsKeptAndNamed) {
  RawImage image(4096);
  const std::string failure = in_child([&]() -> std::string {
    const rlimit cpu{1, 1};
    if (setrlimit(RLIMIT_CPU, &cpu) != 0) return "setrlimit failed";
    ProcessSandbox sandbox = hostile();
    const Outcome info = sandbox.run(make_request(abi::Op::kInfo, 0, image));
    if (info.kind != OutcomeKind::kCompleted) return "info under RLIMIT_CPU 1: " + describe(info);
    Request spin = make_request(abi::Op::kTestSpinForever, 0, image);
    spin.limits.wall_time = 20s;
    return expect_outcome(sandbox.run(spin), OutcomeKind::kResourceLimit,
                          "guest process reached its CPU time limit of 1 s (RLIMIT_CPU, set by "
                          "the caller of instar)");
  });
  EXPECT_EQ(failure, "");
}

// This process's address-space size in MiB (VmSize), 0 if unknown.
uint64_t address_space_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmSize:", 0) == 0) return std::stoull(line.substr(7)) >> 10;
  }
  return 0;
}

TEST(ProcessSandbox, CallersAddressSpaceLimitIsKeptAndNamed) {
  RawImage image(4096);
  const std::string failure = in_child([&]() -> std::string {
    // The caller's limit leaves this process room to go on; the helper wants arena + 48 MiB of
    // address space, above the caller's limit here, and needs only the arena and a few MiB.
    const uint64_t limit_mib = std::max<uint64_t>(256, address_space_mib() + 64);
    const rlimit as{limit_mib << 20, limit_mib << 20};
    if (setrlimit(RLIMIT_AS, &as) != 0) return "setrlimit failed";
    ProcessSandbox sandbox = production();
    Request request = make_request(abi::Op::kInfo, 0, image);
    request.limits.arena_bytes = (limit_mib - 32) << 20;
    request.limits.memory_bytes = 1ull << 30;
    const Outcome o = sandbox.run(request);
    if (o.kind != OutcomeKind::kCompleted) return "info under a smaller RLIMIT_AS: " + describe(o);
    request.limits.arena_bytes = (limit_mib + 64) << 20;
    request.limits.memory_bytes = request.limits.arena_bytes;
    return expect_outcome(sandbox.run(request), OutcomeKind::kHostError,
                          "guest process setup failed: cannot map the arena (the caller of "
                          "instar limits its address space, RLIMIT_AS, to " +
                              std::to_string(limit_mib) + " MiB)");
  });
  EXPECT_EQ(failure, "");
}

TEST(ProcessSandbox, InvalidRequestIsRefusedBeforeForking) {
  RawImage image(4096);
  Request request = make_request(abi::Op::kInfo, 0, image);
  request.devices[0].fd = -1;
  const Outcome o = production().run(request);
  EXPECT_EQ(o.kind, OutcomeKind::kHostError);
  EXPECT_EQ(o.diagnostic, "invalid sandbox request: device without an open file");
}

TEST(ProcessSandbox, LeavesNoZombiesAndNoFds) {
  RawImage image(4096);
  ProcessSandbox sandbox = hostile();
  const std::set<std::string> before = open_fds();
  Request spin = make_request(abi::Op::kTestSpinForever, 0, image);
  spin.limits.wall_time = 50ms;
  (void)sandbox.run(spin);
  (void)sandbox.run(make_request(abi::Op::kTestForbiddenSyscall, process::kForbidSocket, image));
  (void)sandbox.run(make_request(abi::Op::kTestGarbageMessage, process::kGarbageAfterExit, image));
  (void)production().run(make_request(abi::Op::kInfo, 0, image));
  (void)ProcessSandbox("/nonexistent").run(make_request(abi::Op::kInfo, 0, image));
  EXPECT_EQ(open_fds(), before);
  errno = 0;
  EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(ProcessSandbox, ConcurrentRunsAreIndependent) {
  RawImage image(1 << 16);
  ProcessSandbox sandbox = production();
  std::atomic<int> completed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      if (sandbox.run(make_request(abi::Op::kInfo, 0, image)).kind == OutcomeKind::kCompleted) {
        ++completed;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(completed.load(), 4);
}

// Reads the children of every thread of this process (CONFIG_PROC_CHILDREN).
std::vector<pid_t> child_pids() {
  std::vector<pid_t> pids;
  DIR* dir = opendir("/proc/self/task");
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream in(std::string("/proc/self/task/") + entry->d_name + "/children");
    pid_t pid;
    while (in >> pid) pids.push_back(pid);
  }
  closedir(dir);
  return pids;
}

std::string read_file(const std::string& path) {
  std::string text;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
  close(fd);
  return text;
}

// Inspects a live, spinning helper from outside: seccomp mode 2, no_new_privs, exactly the abi
// fds, an empty environment, and the rlimits.
TEST(ProcessSandbox, RunningHelperIsConfined) {
  if (access("/proc/self/task", R_OK) != 0) GTEST_SKIP() << "no /proc";
  RawImage image(4096);
  Request request = make_request(abi::Op::kTestSpinForever, 0, image);
  request.limits.wall_time = 2s;
  Outcome outcome;
  std::thread runner([&] { outcome = hostile().run(request); });

  std::string status;
  pid_t pid = -1;
  const auto give_up = std::chrono::steady_clock::now() + 1800ms;
  while (std::chrono::steady_clock::now() < give_up) {
    for (pid_t candidate : child_pids()) {
      const std::string s = read_file("/proc/" + std::to_string(candidate) + "/status");
      if (s.find("Seccomp:\t2") != std::string::npos) {
        pid = candidate;
        status = s;
      }
    }
    if (pid > 0) break;
    std::this_thread::sleep_for(10ms);
  }
  if (pid <= 0) {
    runner.join();
    if (std::ifstream("/proc/self/task/" + std::to_string(gettid()) + "/children").good()) {
      FAIL() << "never saw an armed helper";
    }
    GTEST_SKIP() << "kernel without /proc/<pid>/task/<tid>/children";
  }
  const std::string proc = "/proc/" + std::to_string(pid);
  EXPECT_NE(status.find("NoNewPrivs:\t1"), std::string::npos) << status;
  EXPECT_NE(status.find("CapEff:\t0000000000000000"), std::string::npos) << status;
  std::set<std::string> fds;
  if (DIR* dir = opendir((proc + "/fd").c_str())) {
    while (dirent* entry = readdir(dir)) {
      if (entry->d_name[0] != '.') fds.insert(entry->d_name);
    }
    closedir(dir);
  }
  // 0-2 /dev/null, 4 messages, 5 the device; the boot fd 3 was closed after reading.
  EXPECT_EQ(fds, (std::set<std::string>{"0", "1", "2", "4", "5"}));
  EXPECT_EQ(read_file(proc + "/environ"), "");
  const std::string limits = read_file(proc + "/limits");
  EXPECT_NE(limits.find("Max core file size        0                    0"), std::string::npos)
      << limits;
#if defined(INSTAR_COVERAGE_BUILD)
  // Coverage builds: .gcda files may grow at exit (docs/sandbox-process.md, "Coverage builds").
  EXPECT_NE(limits.find("Max file size             unlimited            unlimited"),
            std::string::npos)
      << limits;
#else
  EXPECT_NE(limits.find("Max file size             0                    0"), std::string::npos)
      << limits;
#endif
  EXPECT_NE(limits.find("Max open files            6                    6"), std::string::npos)
      << limits;
  runner.join();
  EXPECT_EQ(outcome.kind, OutcomeKind::kTimeout) << describe(outcome);
}

TEST(ProcessSandbox, DescribesSignals) {
  EXPECT_EQ(describe_guest_signal(SIGSYS), kSigsysDiagnostic);
  EXPECT_EQ(describe_guest_signal(SIGKILL), "guest process killed by SIGKILL");
  EXPECT_EQ(describe_guest_signal(SIGXCPU), "guest process killed by SIGXCPU (CPU time limit)");
}

}  // namespace
}  // namespace instar::sandbox
