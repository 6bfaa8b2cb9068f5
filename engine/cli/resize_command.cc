// resize_command.cc: `resize` = img_resize (qemu-img.c) and, for raw files, file-posix's
// handle_aiocb_truncate(): options, the read-write open, messages and exit codes.
#include "engine/cli/resize_command.h"
#include "engine/cli/diagnostics.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "engine/channel/resize_report.h"
#include "engine/cli/guest_runner.h"
#include "engine/cli/image_file.h"
#include "engine/cli/raw_truncate.h"
#include "engine/cli/resize_options.h"
#include "engine/cli/time_limits.h"
#include "engine/cli/writable_image.h"
#include "engine/render/error_text.h"

namespace instar::cli {

namespace {

// What a qcow2 resize may append to the file (a new L1 table of at most 32 MiB, refcount
// structures, and the L2 tables qemu allocates for cropped ranges before it frees them): the
// guest's device ends this far past the file.
constexpr uint64_t kGrowthBound = 8ull << 30;
// The resize's L1 table, refcount table, table caches and scratch, on top of the default arena.
constexpr uint64_t kResizeArena = 160ull << 20;
constexpr uint64_t kMemoryHeadroom = 128ull << 20;

struct ResizeRun {
  const Diagnostics& diag;
  const ResizeOptions& options;
  const WritableImage& image;
  bool unsafe_quirks;
};

// After the guest: the outcome in qemu-img's words, the raw file's truncation.
int finish(const ResizeRun& r, ImageFile& file, const channel::ResizeReport& report,
           const std::string& sandbox_name) {
  const guest::ResizeResult& result = report.result;
  const Diagnostics& diag = r.diag;
  const guest::Error* open_error =
      result.kind() == guest::RESIZE_OPEN_FAILED ? &*report.error : nullptr;
  if (!ReportWritableOpen(diag, r.image, open_error, result.format(), result.raw_head(),
                          r.unsafe_quirks, sandbox_name)) {
    return 1;
  }
  switch (result.kind()) {
    case guest::RESIZE_NOT_POSITIVE:
      diag.error("New image size must be positive");
      return 1;
    case guest::RESIZE_PREALLOC_NOT_GROW:
      diag.error("Preallocation can only be used for growing images");
      return 1;
    case guest::RESIZE_NEEDS_SHRINK:
      diag.error("Use the --shrink option to perform a shrink operation.");
      diag.error(
          "warning: Shrinking an image will delete all data beyond the shrunken image's end. "
          "Before performing such an operation, make sure there is no important data there.");
      return 1;
    case guest::RESIZE_FAILED: {
      ReportGuestError(diag, *report.error);
      return 1;
    }
    case guest::RESIZE_RAW: {
      std::string error;
      const Preallocation mode = *parse_preallocation(r.options.preallocation);
      if (!truncate_file(file.fd(), file.size(), result.new_size(), mode, &error)) {
        diag.error(error);
        return 1;
      }
      break;
    }
    case guest::RESIZE_DONE: {
      // qcow2_co_truncate()'s bdrv_co_truncate() of the file's tail after a shrink; a failure
      // there is only a warning in qemu.
      struct stat st {};
      if (fstat(file.fd(), &st) == 0 && result.file_length() < static_cast<uint64_t>(st.st_size) &&
          ftruncate(file.fd(), static_cast<off_t>(result.file_length())) != 0) {
        diag.error(std::string("warning: Failed to truncate the tail of the image: "
                               "Could not resize file: ") +
                   std::strerror(errno));
      }
      break;
    }
    default:
      diag.error("sandbox (" + sandbox_name + "): unexpected resize result");
      return 1;
  }
  if (!r.options.quiet) put(stdout, "Image resized.\n");
  return 0;
}

}  // namespace

int run_resize_command(const Diagnostics& diag, const SandboxChoice& choice,
                       const std::string& help, bool unsafe_quirks, int argc, char** argv) {
  const ResizeParse parse = parse_resize_options(argc, argv);
  const ResizeOptions& options = parse.options;
  for (const std::string& warning : parse.warnings) diag.error(warning);
  switch (parse.error) {
    case ResizeParse::Error::kNone:
      break;
    case ResizeParse::Error::kUsage:
      return diag.usage_error(parse.lines.front());
    case ResizeParse::Error::kFailed:
      for (const std::string& line : parse.lines) diag.error(line);
      put(stderr, parse.hint);
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

  WritableImage image;
  if (!OpenWritableImage(diag, "resize", options.filename, options.image_opts, options.format,
                         &image)) {
    return 1;
  }
  const abi::ImageFormat format = image.format;
  ImageFile& file = image.file;

  std::string sandbox_error;
  std::unique_ptr<sandbox::Sandbox> sandbox = make_sandbox(choice, &sandbox_error);
  if (!sandbox) {
    diag.error(sandbox_error);
    return 1;
  }
  sandbox::Request request;
  abi::OpConfig& op = request.op;
  op.op = static_cast<uint32_t>(abi::Op::kResize);
  op.input_device[0] = op.input_device[1] = abi::kNoDevice;
  op.input_format[0] = static_cast<uint32_t>(format);
  op.output_device = 0;
  op.resize_size = options.size;
  op.resize_file_length = file.size();
  op.resize_relative = options.relative;
  op.resize_flags = options.shrink ? abi::kResizeShrink : 0u;
  op.resize_preallocation = abi_code(*parse_preallocation(options.preallocation));
  const uint64_t capacity = file.size() + kGrowthBound;
  request.devices.push_back({file.fd(), capacity, true});
  request.limits.arena_bytes += kResizeArena;
  request.limits.memory_bytes = request.limits.arena_bytes + kMemoryHeadroom;
  request.limits.wall_time = scaled_wall_time(kConvertTimeLimit, file.size());

  channel::ResizeSequence sequence(capacity);
  const GuestRun run = run_guest(*sandbox, request, sequence);
  if (!run.ok) {
    diag.error(run.failure);
    return 1;
  }
  const ResizeRun r{diag, options, image, unsafe_quirks};
  return finish(r, file, sequence.report(), sandbox->name());
}

}  // namespace instar::cli
