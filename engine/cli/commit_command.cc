// commit_command.cc: `commit` = img_commit (qemu-img.c 7.2): options, the top opened read-write
// with its backing chain, the base found and opened for writing, messages and exit codes
// (docs/commit.md).
#include "engine/cli/commit_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "engine/channel/commit_report.h"
#include "engine/cli/backing_chain.h"
#include "engine/cli/chain_devices.h"
#include "engine/cli/commit_options.h"
#include "engine/cli/compare_options.h"
#include "engine/cli/guest_runner.h"
#include "engine/cli/image_file.h"
#include "engine/cli/stdout_progress.h"
#include "engine/cli/time_limits.h"
#include "engine/cli/writable_image.h"
#include "engine/render/error_text.h"
#include "guest/ops/commit_plan.h"

namespace instar::cli {

namespace {

// The job's buffers (a 1 MiB copy, zeros), the open tables of every chain image and the base's
// writer caches (8 MiB of L2 tables).
constexpr uint64_t kCommitArena = 96ull << 20;
constexpr uint64_t kMemoryHeadroom = 128ull << 20;
// What the copy may append to a qcow2 base besides the data itself: L2 tables and refcount
// blocks and a grown refcount table (as rebase's copy).
constexpr uint64_t kCopySlack = 64ull << 20;
// Emptying rewrites the top's first clusters (header, refcount table and block, L1 table), which
// may reach past a short file's end.
constexpr uint64_t kEmptySlack = 32ull << 20;

struct CommitRun {
  const Diagnostics& diag;
  const CommitOptions& options;
  const WritableImage& image;
  bool unsafe_quirks;
  // What the host refuses once the top is open (no backing file, -b not in the chain): the
  // guest only opens the top, then this is printed.
  std::string after_open;
};

// bdrv_find_backing_image(top, name): the chain image whose parent names `name`, resolved against
// the parent's directory (qemu compares the real paths; instar the files, so only hard links
// differ). 0 when none.
size_t find_backing_image(const std::vector<ChainImage>& chain, const std::string& top_path,
                          const std::string& name) {
  for (size_t k = 0; k + 1 < chain.size(); ++k) {
    const std::string& parent = k == 0 ? top_path : chain[k].display;
    const std::string candidate = FullBackingName(parent, name);
    const int fd = ::open(candidate.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) continue;
    const bool same = SameFile(fd, chain[k + 1].fd);
    ::close(fd);
    if (same) return k + 1;
  }
  return 0;
}

// The base opened for writing: the very file the chain walk resolved within the allow-list,
// reopened read-write through its descriptor (qemu reopens the base read-write for the job).
int reopen_read_write(int fd, std::string* error) {
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  const int rw = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (rw < 0) {
    *error = std::strerror(errno);
    return -1;
  }
  if (!SameFile(rw, fd)) {
    ::close(rw);
    *error = "the file changed while it was open";
    return -1;
  }
  return rw;
}

ChainRequest chain_request(const CommitRun& r, const chain::RootOptions& roots) {
  ChainRequest request;
  request.top_fd = r.image.file.fd();
  request.top_size = r.image.file.size();
  request.top_display = r.image.spec.argument;
  request.top_path = r.image.spec.display;
  request.top_format = r.image.format;
  request.unsafe_quirks = r.unsafe_quirks;
  request.roots = roots;
  return request;
}

// run_block_job()'s prints: the first poll's 0%, the job's progress after the copies the guest
// kept, then 100% when the job is ready and once more after it completes.
void print_job_progress(const guest::CommitResult& result, StdoutProgress& progress) {
  progress.print(0, 0);
  for (const uint64_t done : result.progress()) {
    progress.print(commit::progress_percent(done, result.dirty_bytes()), 0);
  }
  progress.print(100, 0);
  progress.print(100, 0);
}

// Grows (ftruncate) a file the guest reported a new length for.
bool set_length(int fd, uint64_t length, bool grow_only) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return false;
  if (grow_only && static_cast<uint64_t>(st.st_size) >= length) return true;
  return ::ftruncate(fd, static_cast<off_t>(length)) == 0;
}

int finish(const CommitRun& r, const channel::CommitReport& report, const std::string& sandbox_name,
           int base_fd, StdoutProgress& progress) {
  const guest::CommitResult& result = report.result;
  const Diagnostics& diag = r.diag;
  const guest::Error* open_error =
      result.kind() == guest::COMMIT_OPEN_FAILED ? &*report.error : nullptr;
  if (!ReportWritableOpen(diag, r.image, open_error, result.format(), result.raw_head(),
                          r.unsafe_quirks, sandbox_name)) {
    return 1;
  }
  switch (result.kind()) {
    case guest::COMMIT_OPENED:
      diag.error(r.after_open.empty() ? "Image does not have a backing file" : r.after_open);
      return 1;
    case guest::COMMIT_FAILED:
      ReportGuestError(diag, *report.error);
      return 1;
    case guest::COMMIT_DONE:
      break;
    default:
      diag.error("sandbox (" + sandbox_name + "): unexpected commit result");
      return 1;
  }
  // mirror_run() grows a raw base shorter than the top (done here, after the copy: the guest's
  // writes already reach that far where they must); make_completely_empty() truncates the top.
  if (result.base_length() != 0 && !set_length(base_fd, result.base_length(), true)) {
    diag.error("Could not resize the base image: " + std::string(std::strerror(errno)));
    return 1;
  }
  if (result.top_length() != 0 && !set_length(r.image.file.fd(), result.top_length(), false)) {
    diag.error("Could not empty " + r.options.filename + ": " + std::strerror(errno));
    return 1;
  }
  print_job_progress(result, progress);
  return 0;
}

int commit(const Diagnostics& diag, const SandboxChoice& choice, bool unsafe_quirks,
           const chain::RootOptions& roots, const CommitOptions& options,
           StdoutProgress& progress) {
  if (!is_cache_mode(options.cache)) {
    diag.error("Invalid cache option: " + options.cache);
    return 1;
  }
  WritableImage image;
  if (!OpenWritableImage(diag, "commit", options.filename, options.image_opts, options.format,
                         &image)) {
    return 1;
  }
  std::string sandbox_error;
  std::unique_ptr<sandbox::Sandbox> sandbox = make_sandbox(choice, &sandbox_error);
  if (!sandbox) {
    diag.error(sandbox_error);
    return 1;
  }
  CommitRun r{diag, options, image, unsafe_quirks, {}};
  // img_open(): the top with its backing chain.
  ChainOpen chain = OpenImageChain(diag, *sandbox, chain_request(r, roots));
  if (chain.kind == ChainOpen::Kind::kFailed) {
    put(stderr, chain.error);
    return 1;
  }
  progress.print(0, 100);
  size_t base_index = 0;
  if (chain.kind == ChainOpen::Kind::kOpened) {
    if (options.base) {
      base_index = find_backing_image(chain.images, image.spec.display, *options.base);
      if (base_index == 0) {
        r.after_open = "Did not find '" + *options.base + "' in the backing chain of '" +
                       options.filename + "'";
      }
    } else if (chain.images.size() > 1) {
      base_index = 1;  // the traditional behaviour: the immediate backing file
    } else {
      r.after_open = "Image does not have a backing file";
    }
  } else {
    r.after_open = "Could not open '" + image.spec.argument + "' with its backing chain";
  }

  sandbox::Request request;
  abi::OpConfig& op = request.op;
  op.op = static_cast<uint32_t>(abi::Op::kCommit);
  op.input_device[0] = op.input_device[1] = abi::kNoDevice;
  op.input_format[0] = static_cast<uint32_t>(image.format);
  op.output_device = 0;
  op.commit_top_length = image.file.size();
  op.commit_flags = options.drop ? uint32_t{abi::kCommitDrop} : 0u;
  request.devices.push_back({image.file.fd(), image.file.size() + kEmptySlack, !options.drop});
  sandbox::UniqueFd base_fd;
  if (base_index == 0) {
    op.commit_flags |= abi::kCommitOpenOnly;
  } else {
    std::string failed;
    if (!attach_chain(&request, 0, 0, chain.images, false, nullptr, &failed)) {
      diag.error("cannot attach the backing chain of '" + image.spec.argument + "'");
      return 1;
    }
    const ChainImage& base = chain.images[base_index];
    std::string error;
    base_fd = sandbox::UniqueFd(reopen_read_write(base.fd, &error));
    if (base_fd.get() < 0) {
      diag.error("Could not open '" + base.display + "' for writing: " + error);
      return 1;
    }
    const uint64_t top_size = chain.images.front().virtual_size;
    const uint64_t capacity = base.qcow2 ? base.size + top_size + top_size / 8 + kCopySlack
                                         : std::max(base.size, top_size);
    op.commit_base_index = static_cast<uint32_t>(base_index);
    op.commit_base_length = base.size;
    op.commit_base_device = add_request_device(&request, base_fd.get(), capacity, true);
    scale_for_chain_images(&request, chain.images.size(), 2);
  }
  request.limits.arena_bytes += kCommitArena;
  request.limits.memory_bytes = request.limits.arena_bytes + kMemoryHeadroom;
  request.limits.wall_time = scaled_wall_time(kConvertTimeLimit, total_device_bytes(request));
  channel::CommitSequence sequence;
  const GuestRun run = run_guest(*sandbox, request, sequence);
  if (!run.ok) {
    diag.error(run.failure);
    return 1;
  }
  return finish(r, sequence.report(), sandbox->name(), base_fd.get(), progress);
}

}  // namespace

int run_commit_command(const Diagnostics& diag, const SandboxChoice& choice,
                       const std::string& help, bool unsafe_quirks, const chain::RootOptions& roots,
                       int argc, char** argv) {
  const CommitParse parse = parse_commit_options(argc, argv);
  const CommitOptions& options = parse.options;
  for (const std::string& warning : parse.warnings) diag.error(warning);
  switch (parse.error) {
    case CommitParse::Error::kNone:
      break;
    case CommitParse::Error::kUsage:
      return diag.usage_error(parse.lines.front());
    case CommitParse::Error::kFailed:
      for (const std::string& line : parse.lines) diag.error(line);
      return 1;
  }
  if (options.help) {
    put(stdout, help);
    return 0;
  }
  if (options.object_help) {
    put(stdout, *options.object_help);
    return 0;
  }
  StdoutProgress progress(options.progress, 1.0f);
  const int rc = commit(diag, choice, unsafe_quirks, roots, options, progress);
  progress.end();
  if (rc == 0 && !options.quiet) put(stdout, "Image committed.\n");
  return rc;
}

}  // namespace instar::cli
