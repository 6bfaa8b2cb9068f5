// rebase_command.cc: `rebase` = img_rebase (qemu-img.c 7.2) and bdrv_change_backing_file()'s
// failures: options, the read-write open, messages and exit codes.
#include "engine/cli/rebase_command.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "engine/channel/rebase_report.h"
#include "engine/cli/backing_chain.h"
#include "engine/cli/chain_devices.h"
#include "engine/cli/compare_options.h"
#include "engine/cli/format_name.h"
#include "engine/cli/guest_runner.h"
#include "engine/cli/image_file.h"
#include "engine/cli/rebase_options.h"
#include "engine/cli/stdout_progress.h"
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
// Safe mode's copy (guest/ops/rebase.cc): the image's L1 and refcount tables, 8 MiB of L2 tables,
// a few clusters of buffers.
constexpr uint64_t kCopyArena = 80ull << 20;
// What the copy may append to the file besides the data itself: L2 tables and refcount blocks
// (at most 1/8 of the data with 512-byte clusters, extended L2 entries and 64-bit refcounts) and
// a grown refcount table.
constexpr uint64_t kCopySlack = 64ull << 20;

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

// Safe mode's qemu_progress_print(local_progress, 100) after each chunk it compared, with
// local_progress = 100 / (size / MIN(size, IO_BUF_SIZE)) in img_rebase's arithmetic.
void print_chunk_progress(const guest::RebaseResult& result, StdoutProgress& progress) {
  constexpr int64_t kIoBufSize = 2 << 20;
  const auto size = static_cast<int64_t>(result.virtual_size());
  if (size == 0 || result.progress_steps() == 0) return;
  const float local =
      static_cast<float>(100) / static_cast<float>(size / std::min(size, kIoBufSize));
  for (uint64_t i = 0; i < result.progress_steps(); ++i) progress.print(local, 100);
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
           StdoutProgress& progress) {
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
      // Safe mode's loop printed a progress step per chunk it finished before the failure.
      print_chunk_progress(result, progress);
      const render::ErrorText text = render::GuestErrorText(*report.error);
      put(stderr, text.preamble);
      switch (result.read_failure()) {
        case 1:
          diag.error("error while reading image metadata: " + text.message);
          return 1;
        case 2:
          diag.error("error while reading from old backing file");
          return 1;
        case 3:
          diag.error("error while reading from new backing file");
          return 1;
        default:
          break;
      }
      diag.error(text.message);
      put(stderr, text.hint);
      return 1;
    }
    case guest::REBASE_CHANGE_FAILED:
      print_chunk_progress(result, progress);
      diag.error(change_failure(r.options, result.change_errno()));
      progress.print(100, 0);
      return 1;
    case guest::REBASE_DONE:
      print_chunk_progress(result, progress);
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

// What the chain walk of the image or of the new backing file is given.
ChainRequest chain_request(const RebaseRun& r, const chain::RootOptions& roots,
                           const ImageFile& file, const std::string& display,
                           const std::string& path, abi::ImageFormat format) {
  ChainRequest request;
  request.top_fd = file.fd();
  request.top_size = file.size();
  request.top_display = display;
  request.top_path = path;
  request.top_format = format;
  request.unsafe_quirks = r.unsafe_quirks;
  request.roots = roots;
  return request;
}

// blk_new_open()'s error for the new backing file, from the chain walk's complete text
// ("<program>: Could not open '<path>': <reason>\n"): the reason alone.
std::string new_backing_reason(const Diagnostics& diag, const ChainOpen& chain,
                               const std::string& path) {
  if (chain.kind == ChainOpen::Kind::kTopFailed) {
    return "instar could not open it as an image";  // docs/rebase.md: not qemu's words
  }
  std::string text = chain.error;
  const std::string lead = diag.program() + ": Could not open '" + path + "': ";
  if (text.compare(0, lead.size(), lead) == 0) text.erase(0, lead.size());
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// Safe mode's devices: the image's chain as input 0 (the image is device 0), the new backing
// file's as input 1 (none for -b "").
bool attach_safe_chains(sandbox::Request* request, const ChainOpen& old_chain,
                        const ImageFile& new_file, abi::ImageFormat new_format,
                        const ChainOpen& new_chain) {
  std::string failed;
  if (!attach_chain(request, 0, 0, old_chain.images, false, nullptr, &failed)) return false;
  size_t images = old_chain.images.size();
  if (new_chain.kind == ChainOpen::Kind::kOpened) {
    const auto device = static_cast<uint32_t>(request->devices.size());
    request->devices.push_back({new_file.fd(), new_file.size(), false});
    request->op.input_device[1] = device;
    request->op.input_format[1] = static_cast<uint32_t>(new_format);
    if (!attach_chain(request, 1, device, new_chain.images, false, nullptr, &failed)) {
      return false;
    }
    images += new_chain.images.size();
  }
  scale_for_chain_images(request, images, 2);
  request->limits.wall_time = scaled_wall_time(kCompareTimeLimit, total_device_bytes(*request));
  return true;
}

// From the cache options to the guest's answer, with the progress line started.
int rebase(const Diagnostics& diag, const SandboxChoice& choice, bool unsafe_quirks,
           const chain::RootOptions& roots, const RebaseOptions& options,
           StdoutProgress& progress) {
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

  std::string sandbox_error;
  std::unique_ptr<sandbox::Sandbox> sandbox = make_sandbox(choice, &sandbox_error);
  if (!sandbox) {
    diag.error(sandbox_error);
    return 1;
  }
  RebaseRun r{diag, options, image, unsafe_quirks, {}};
  // Safe mode: img_open() opens the image with its backing chain (the old one) first.
  ChainOpen old_chain;
  if (!options.unsafe) {
    old_chain = OpenImageChain(
        diag, *sandbox,
        chain_request(r, roots, image.file, image.spec.argument, image.spec.display, image.format));
    if (old_chain.kind == ChainOpen::Kind::kFailed) {
      put(stderr, old_chain.error);
      return 1;
    }
  }
  abi::ImageFormat new_format = abi::ImageFormat::kProbe;
  const bool known_format =
      !options.backing_format ||
      lookup_format(*options.backing_format, &new_format) != FormatLookup::kUnknown;
  if (!known_format) {
    r.after_open = "Invalid format name: '" + *options.backing_format + "'";
  } else if (!options.unsafe && old_chain.kind == ChainOpen::Kind::kTopFailed) {
    // The guest reports the image's own open error; should it open after all, nothing changes.
    r.after_open = "Could not open '" + image.spec.argument + "' with its backing chain";
  }
  // Then the new backing file, with its own chain, read-only.
  ImageFile new_file;
  ChainOpen new_chain;
  const bool safe = !options.unsafe && known_format && old_chain.kind == ChainOpen::Kind::kOpened;
  if (safe && options.backing && !options.backing->empty()) {
    const std::string path = FullBackingName(image.spec.path, *options.backing);
    const std::string lead = "Could not open new backing file '" + *options.backing + "': ";
    std::string open_error;
    if (!new_file.open_read_only(path, &open_error)) {
      diag.error(lead + open_error);
      return 1;
    }
    // A qcow2 image is open for writing and shares no write permission: qemu's image locking
    // refuses it as the new backing file (a raw image shares it, qemu goes on).
    if (old_chain.images.front().qcow2 && SameFile(new_file.fd(), image.file.fd())) {
      diag.error(lead +
                 "Failed to get shared \"write\" lock\nIs another process using the image [" +
                 path + "]?");
      return 1;
    }
    new_chain =
        OpenImageChain(diag, *sandbox, chain_request(r, roots, new_file, path, path, new_format));
    if (new_chain.kind != ChainOpen::Kind::kOpened) {
      diag.error(lead + new_backing_reason(diag, new_chain, path));
      return 1;
    }
  }

  sandbox::Request request;
  fill_request(r, &request);
  if (safe) {
    request.op.rebase_flags &= ~abi::kRebaseUnsafe;
    if (!attach_safe_chains(&request, old_chain, new_file, new_format, new_chain)) {
      diag.error("cannot attach the backing chains of '" + image.spec.argument + "'");
      return 1;
    }
    // bdrv_find_backing_image(): the new backing file is an image below the top of the old
    // chain (compared as files: qemu compares their real paths).
    for (size_t i = 1; i < old_chain.images.size() && i <= 0xff; ++i) {
      if (new_chain.kind == ChainOpen::Kind::kOpened &&
          SameFile(new_file.fd(), old_chain.images[i].fd)) {
        request.op.rebase_flags |= static_cast<uint32_t>(i) << abi::kRebasePrefixShift;
        break;
      }
    }
    // The copy writes at most the image's size in data, plus the tables that map it.
    const uint64_t size = old_chain.images.front().virtual_size;
    request.devices[0].capacity = image.file.size() + size + size / 8 + kCopySlack;
    request.limits.arena_bytes += kCopyArena;
    request.limits.memory_bytes = request.limits.arena_bytes + kMemoryHeadroom;
  }
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
                       const std::string& help, bool unsafe_quirks, const chain::RootOptions& roots,
                       int argc, char** argv) {
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
  StdoutProgress progress(options.progress, 2.0f);
  progress.print(0, 100);
  const int rc = rebase(diag, choice, unsafe_quirks, roots, options, progress);
  progress.end();
  return rc;
}

}  // namespace instar::cli
