// rebase_command.cc: `rebase` = img_rebase (qemu-img.c 7.2) and bdrv_change_backing_file()'s
// failures: options, the read-write open, messages and exit codes.
#include "engine/cli/rebase_command.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "engine/channel/rebase_report.h"
#include "engine/cli/compare_options.h"
#include "engine/cli/format_name.h"
#include "engine/cli/guest_runner.h"
#include "engine/cli/image_file.h"
#include "engine/cli/rebase_options.h"
#include "engine/cli/time_limits.h"
#include "engine/cli/writable_image.h"
#include "engine/render/error_text.h"
#include "engine/render/progress_text.h"

namespace instar::cli {

namespace {

// What a header rewrite needs besides the default arena: one cluster (at most 2 MiB) and the
// open's tables.
constexpr uint64_t kRebaseArena = 16ull << 20;
constexpr uint64_t kMemoryHeadroom = 128ull << 20;

// img_rebase's stdout: its progress state (qemu_progress_init(progress, 2.0)).
class Progress {
 public:
  explicit Progress(bool enabled) : printer_(enabled, 2.0f) {}
  void print(float delta, int max) { put(stdout, printer_.print(delta, max)); }
  void end() { put(stdout, printer_.end()); }

 private:
  render::QemuProgress printer_;
};

// The name the messages quote: img_rebase prints out_baseimg with %s, "(null)" without -b.
std::string quoted_backing(const RebaseOptions& o) {
  return o.backing ? *o.backing : "(null)";
}

// bdrv_change_backing_file()'s failure in img_rebase's words.
std::string change_failure(const RebaseOptions& o, uint32_t error_number) {
  std::string why;
  if (error_number == ENOSPC) {
    why = "No space left in the file header";
  } else if (error_number == EINVAL && o.backing && !o.backing_format) {
    why = "backing format must be specified";
  } else {
    why = std::strerror(static_cast<int>(error_number));
  }
  return "Could not change the backing file to '" + quoted_backing(o) + "': " + why;
}

struct RebaseRun {
  const Diagnostics& diag;
  const RebaseOptions& options;
  const WritableImage& image;
  bool unsafe_quirks;
  // What the host refuses once the image is open (an unknown -F, a safe rebase): the guest only
  // opens the image, then this is printed.
  std::string after_open;
};

// After the guest: the outcome in qemu-img's words. Returns the exit code.
int finish(const RebaseRun& r, const channel::RebaseReport& report, const std::string& sandbox_name,
           Progress& progress) {
  const guest::RebaseResult& result = report.result;
  const Diagnostics& diag = r.diag;
  const guest::Error* open_error =
      result.kind() == guest::REBASE_OPEN_FAILED ? &*report.error : nullptr;
  if (!ReportWritableOpen(diag, r.image, open_error, result.format(), result.raw_head(),
                          r.unsafe_quirks, sandbox_name)) {
    return 1;
  }
  switch (result.kind()) {
    case guest::REBASE_OPENED:
      if (r.after_open.empty()) break;  // the guest opened when it was asked to change
      diag.error(r.after_open);
      return 1;
    case guest::REBASE_FAILED: {
      const render::ErrorText text = render::GuestErrorText(*report.error);
      put(stderr, text.preamble);
      diag.error(text.message);
      put(stderr, text.hint);
      return 1;
    }
    case guest::REBASE_CHANGE_FAILED:
      diag.error(change_failure(r.options, result.change_errno()));
      progress.print(100, 0);
      return 1;
    case guest::REBASE_DONE:
      progress.print(100, 0);
      return 0;
    default:
      break;
  }
  diag.error("sandbox (" + sandbox_name + "): unexpected rebase result");
  return 1;
}

// Fills the guest's request: the image as its one writable device and the new backing file.
void fill_request(const RebaseRun& r, sandbox::Request* request) {
  const ImageFile& file = r.image.file;
  abi::OpConfig& op = request->op;
  const RebaseOptions& o = r.options;
  op.op = static_cast<uint32_t>(abi::Op::kRebase);
  op.input_device[0] = op.input_device[1] = abi::kNoDevice;
  op.input_format[0] = static_cast<uint32_t>(r.image.format);
  op.output_device = 0;
  op.rebase_file_length = file.size();
  op.rebase_flags = abi::kRebaseUnsafe;
  if (!r.after_open.empty()) op.rebase_flags |= abi::kRebaseOpenOnly;
  // img_rebase: bdrv_change_backing_file(out_baseimg, out_basefmt) for a non-empty -b, else
  // (NULL, NULL): without -b, and with -b "", -F is dropped.
  if (o.backing && !o.backing->empty()) {
    op.rebase_flags |= abi::kRebaseNewName;
    // A name over 1024 bytes is sent as its first 1024: the guest refuses any over 1023.
    const size_t name = std::min(o.backing->size(), sizeof op.convert_backing_name);
    std::memcpy(op.convert_backing_name, o.backing->data(), name);
    op.convert_backing_name_length = static_cast<uint32_t>(name);
    if (o.backing_format) {
      op.rebase_flags |= abi::kRebaseNewFormat;
      // bdrv_find_format() accepted it: a driver name, far below the field's 32 bytes.
      const size_t fmt = std::min(o.backing_format->size(), sizeof op.convert_backing_fmt);
      std::memcpy(op.convert_backing_fmt, o.backing_format->data(), fmt);
      op.convert_backing_fmt_length = static_cast<uint32_t>(fmt);
    }
  }
  request->devices.push_back({file.fd(), file.size(), true});
  request->limits.arena_bytes += kRebaseArena;
  request->limits.memory_bytes = request->limits.arena_bytes + kMemoryHeadroom;
  request->limits.wall_time = scaled_wall_time(kConvertTimeLimit, file.size());
}

// From the cache options to the guest's answer, with the progress line started.
int rebase(const Diagnostics& diag, const SandboxChoice& choice, bool unsafe_quirks,
           const RebaseOptions& options, Progress& progress) {
  if (!is_cache_mode(options.cache)) {
    diag.error("Invalid cache option: " + options.cache);
    return 1;
  }
  if (!is_cache_mode(options.source_cache)) {
    diag.error("Invalid source cache option: " + options.source_cache);
    return 1;
  }
  WritableImage image;
  if (!OpenWritableImage(diag, "rebase", options.filename, options.image_opts, options.format,
                         &image)) {
    return 1;
  }

  RebaseRun r{diag, options, image, unsafe_quirks, {}};
  abi::ImageFormat ignored = abi::ImageFormat::kProbe;
  if (options.backing_format &&
      lookup_format(*options.backing_format, &ignored) == FormatLookup::kUnknown) {
    r.after_open = "Invalid format name: '" + *options.backing_format + "'";
  } else if (!options.unsafe) {
    r.after_open =
        "rebase without -u (safe mode, which compares the old and new backing chains) is not "
        "supported by instar yet";
  }

  std::string sandbox_error;
  std::unique_ptr<sandbox::Sandbox> sandbox = make_sandbox(choice, &sandbox_error);
  if (!sandbox) {
    diag.error(sandbox_error);
    return 1;
  }
  sandbox::Request request;
  fill_request(r, &request);
  channel::RebaseSequence sequence;
  const GuestRun run = run_guest(*sandbox, request, sequence);
  if (!run.ok) {
    diag.error(run.failure);
    return 1;
  }
  return finish(r, sequence.report(), sandbox->name(), progress);
}

}  // namespace

int run_rebase_command(const Diagnostics& diag, const SandboxChoice& choice,
                       const std::string& help, bool unsafe_quirks, int argc, char** argv) {
  const RebaseParse parse = parse_rebase_options(argc, argv);
  const RebaseOptions& options = parse.options;
  switch (parse.error) {
    case RebaseParse::Error::kNone:
      break;
    case RebaseParse::Error::kUsage:
      return diag.usage_error(parse.line);
    case RebaseParse::Error::kFailed:
      diag.error(parse.line);
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
  Progress progress(options.progress);
  progress.print(0, 100);
  const int rc = rebase(diag, choice, unsafe_quirks, options, progress);
  progress.end();
  return rc;
}

}  // namespace instar::cli
