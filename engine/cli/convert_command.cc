// convert_command.cc: `convert` = img_convert's host half: open the inputs and their chains,
// create (or open, -n) the output named on the command line, copy in one sandbox run, print
// qemu-img's progress and errors.
#include "engine/cli/convert_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/channel/convert_report.h"
#include "engine/cli/backing_chain.h"
#include "engine/cli/compare_extents.h"
#include "engine/cli/compare_options.h"
#include "engine/cli/convert_options.h"
#include "engine/cli/convert_target.h"
#include "engine/cli/format_name.h"
#include "engine/cli/guest_runner.h"
#include "engine/cli/image_file.h"
#include "engine/cli/time_limits.h"
#include "engine/render/error_text.h"
#include "engine/render/progress_text.h"
#include "engine/sandbox/unique_fd.h"

namespace instar::cli {

namespace {

// Arena for the copy buffer (2 MiB), write_zeroes' scratch and each input image's tables.
constexpr uint64_t kArenaPerImage = 16ull << 20;
constexpr uint64_t kArenaMax = 512ull << 20;
constexpr uint64_t kMemoryHeadroom = 128ull << 20;
// A qcow2 target's writer: 16 L2 tables, 16 refcount blocks, its two compression buffers and
// slack, in clusters.
constexpr uint64_t kQcow2WriterClusters = 40;
// Progress: one small message per 2 MiB chunk, at most.
constexpr uint64_t kMessageBytesPerGiB = 16 * 1024;

void put(std::FILE* stream, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stream);
  std::fflush(stream);
}

// One input as opened on the host, with its chain.
struct Input {
  ImageFile file;
  abi::ImageFormat format = abi::ImageFormat::kProbe;
  ChainOpen chain;
};

// Everything the run prints on stdout goes through qemu's progress state.
class Progress {
 public:
  explicit Progress(bool enabled) : printer_(enabled, 1.0f) {}
  void print(float delta, int max) { put(stdout, printer_.print(delta, max)); }
  void end() { put(stdout, printer_.end()); }

 private:
  render::QemuProgress printer_;
};

// The file identity qemu's image locking compares: an output that is one of the open inputs (or
// their backing or data files) fails to get the write lock.
bool same_file(int a, int b) {
  struct stat sa {
  }, sb{};
  return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

std::string lock_error(const std::string& output) {
  return "Failed to get \"write\" lock\nIs another process using the image [" + output + "]?";
}

// The output: created as raw_co_create() does (O_CREAT, mode 0644 less the umask, truncated to
// the virtual size; a qcow2 target's file to 0, the guest writes it) or, with -n, opened as it
// is. `error` is qemu's complete stderr text.
struct Output {
  sandbox::UniqueFd fd;
  bool created = false;  // the file did not exist before this run
  uint64_t size = 0;
};

bool locked_by_inputs(int fd, const std::vector<Input>& inputs) {
  for (const Input& in : inputs) {
    if (same_file(fd, in.file.fd())) return true;
    for (const ChainImage& image : in.chain.images) {
      if (same_file(fd, image.fd)) return true;
      if (image.data_file.get() >= 0 && same_file(fd, image.data_file.get())) return true;
    }
  }
  return false;
}

bool create_output(const Diagnostics& diag, const std::string& name, const std::string& driver,
                   uint64_t size, const std::vector<Input>& inputs, Output* out) {
  const std::string prefix = name + ": error while converting " + driver + ": ";
  int fd = open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  out->created = fd >= 0;
  if (fd < 0 && errno == EEXIST) fd = open(name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    diag.error(prefix + "Could not create '" + name + "': " + std::strerror(errno));
    return false;
  }
  out->fd = sandbox::UniqueFd(fd);
  // qemu takes the write lock before it truncates: an input is never clobbered.
  if (locked_by_inputs(fd, inputs)) {
    diag.error(prefix + lock_error(name));
    return false;
  }
  if (ftruncate(fd, 0) != 0 || ftruncate(fd, static_cast<off_t>(size)) != 0) {
    diag.error(prefix + "Could not resize file: " + std::strerror(errno));
    return false;
  }
  // file-posix's truncate of an empty file allocates its first block (allocate_first_block(),
  // for alignment probing): 512 zero bytes below 4 KiB, else 4 KiB; failures are ignored.
  if (size > 0) {
    static constexpr uint8_t kZeros[4096] = {};
    const size_t first = size < sizeof kZeros ? 512 : sizeof kZeros;
    (void)!pwrite(fd, kZeros, first, 0);
  }
  out->size = size;
  return true;
}

bool open_existing_output(const Diagnostics& diag, const std::string& name,
                          const std::vector<Input>& inputs, Output* out) {
  const std::string prefix = "Could not open '" + name + "': ";
  const int fd = open(name.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    diag.error(prefix + prefix + std::strerror(errno));
    return false;
  }
  out->fd = sandbox::UniqueFd(fd);
  if (locked_by_inputs(fd, inputs)) {
    diag.error(prefix + lock_error(name));
    return false;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    diag.error(prefix + std::strerror(errno));
    return false;
  }
  out->size = static_cast<uint64_t>(st.st_size);
  return true;
}

// cache=none / directsync open the output with O_DIRECT: where the filesystem refuses it, qemu's
// open fails, and so does instar's (the copy itself then writes through the page cache and
// flushes at the end: docs/convert.md).
bool check_direct(const Diagnostics& diag, const std::string& name, const std::string& cache) {
  if (cache != "none" && cache != "off" && cache != "directsync") return true;
  const int fd = open(name.c_str(), O_RDWR | O_DIRECT | O_CLOEXEC);
  if (fd < 0) {
    const std::string prefix = "Could not open '" + name + "': ";
    diag.error(prefix + prefix + std::strerror(errno));
    return false;
  }
  close(fd);
  return true;
}

// The host's half of img_open() for input `i`: -f lookup, then the file. On failure `error` is
// the complete stderr text.
bool open_input_file(const Diagnostics& diag, const ConvertOptions& options, size_t i, Input* in,
                     std::string* error) {
  const std::string& name = options.sources[i];
  const std::string prefix = "Could not open '" + name + "': ";
  if (options.format) {
    switch (lookup_format(*options.format, &in->format)) {
      case FormatLookup::kSupported:
        break;
      case FormatLookup::kUnsupported:
        *error = render::DiagnosticLine(
            diag.program(), "format '" + *options.format + "' is not supported by instar yet");
        return false;
      case FormatLookup::kUnknown:
        *error = render::DiagnosticLine(diag.program(),
                                        prefix + "Unknown driver '" + *options.format + "'");
        return false;
    }
  }
  std::string open_error;
  if (!in->file.open_read_only(name, &open_error)) {
    *error = render::DiagnosticLine(diag.program(), prefix + open_error);
    return false;
  }
  return true;
}

// The option checks of qcow2_co_create() the guest's Qcow2Writer::create() reports.
bool is_create_error(int code) {
  return code >= guest::ERROR_CREATE_CLUSTER_SIZE &&
         code <= guest::ERROR_CREATE_BACKING_NAME_TOO_LONG;
}

// qemu-img's message for a failed run, after "<program>: ".
std::string failure_text(const Diagnostics& diag, const ConvertOptions& options,
                         const channel::ConvertReport& report) {
  const render::ErrorText text = render::GuestErrorText(*report.error);
  const guest::ConvertResult& r = report.result;
  switch (r.kind()) {
    case guest::CONVERT_OPEN_FAILED:
      return render::OpenErrorText(diag.program(), options.sources[r.input()], text);
    case guest::CONVERT_STATUS_FAILED:
      return text.preamble +
             render::DiagnosticLine(diag.program(), "error while reading block status at offset " +
                                                        std::to_string(r.offset()) +
                                                        ": Input/output error");
    case guest::CONVERT_READ_FAILED:
      return text.preamble + render::DiagnosticLine(diag.program(), "error while reading at byte " +
                                                                        std::to_string(r.offset()) +
                                                                        ": Input/output error");
    case guest::CONVERT_WRITE_FAILED:
      if (report.error->code() == guest::ERROR_UNSUPPORTED_OP ||
          report.error->code() == guest::ERROR_BAD_CONFIG) {
        return render::DiagnosticLine(
            diag.program(), "sandbox: the guest refused the output (" + text.message + ")");
      }
      return render::DiagnosticLine(
          diag.program(),
          "error while writing at byte " + std::to_string(r.offset()) + ": Input/output error");
    default:  // CONVERT_FLUSH_FAILED
      return render::DiagnosticLine(diag.program(),
                                    "error while flushing the output: Input/output error");
  }
}

}  // namespace

int run_convert_command(const Diagnostics& diag, const SandboxChoice& choice,
                        const std::string& help, bool unsafe_quirks,
                        const chain::RootOptions& roots, int argc, char** argv) {
  const ConvertParse parse = parse_convert_options(argc, argv);
  const ConvertOptions& options = parse.options;
  for (const std::string& warning : parse.warnings) diag.error(warning);
  switch (parse.error) {
    case ConvertParse::Error::kNone:
      break;
    case ConvertParse::Error::kUsage:
      return diag.usage_error(parse.lines.front());
    case ConvertParse::Error::kFailed:
    case ConvertParse::Error::kUnsupported:
      for (const std::string& line : parse.lines) diag.error(line);
      return 1;
  }
  if (options.help) {
    put(stdout, help);
    return 0;
  }
  if (options.sources.size() > abi::kMaxConvertInputs) {
    diag.error("convert of more than " + std::to_string(abi::kMaxConvertInputs) +
               " images is not supported by instar yet");
    return 1;
  }

  // "Initialize before goto out": qemu prints 0% before it opens anything.
  Progress progress(options.progress);
  progress.print(0, 100);
  const auto fail = [&progress]() {
    progress.end();
    return 1;
  };

  std::unique_ptr<sandbox::Sandbox> sandbox;
  std::vector<Input> inputs(options.sources.size());
  size_t opened = 0;  // inputs the guest must open; fewer when one's top fails to open
  bool top_failed = false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::string error;
    if (!open_input_file(diag, options, i, &inputs[i], &error)) {
      put(stderr, error);
      return fail();
    }
    if (!sandbox) {
      std::string sandbox_error;
      sandbox = make_sandbox(choice, &sandbox_error);
      if (!sandbox) {
        diag.error(sandbox_error);
        return fail();
      }
    }
    ChainRequest request;
    request.top_fd = inputs[i].file.fd();
    request.top_size = inputs[i].file.size();
    request.top_display = options.sources[i];
    request.top_format = inputs[i].format;
    request.unsafe_quirks = unsafe_quirks;
    request.roots = roots;
    inputs[i].chain = OpenImageChain(diag, *sandbox, request);
    opened = i + 1;
    if (inputs[i].chain.kind == ChainOpen::Kind::kFailed) {
      put(stderr, inputs[i].chain.error);
      return fail();
    }
    if (inputs[i].chain.kind == ChainOpen::Kind::kTopFailed) {
      top_failed = true;  // the guest's open of this input reports why, in qemu's words
      break;
    }
  }

  // The target, unless an input failed to open (qemu creates nothing then).
  Output output;
  uint64_t total = 0;
  std::optional<Qcow2Target> qcow2_target;  // -O qcow2
  if (!top_failed) {
    // Sizes as qemu counts them (blk_nb_sectors) are the guest's to tell; the host bounds the
    // output by the files' sizes rounded as raw would be, and the guest must agree exactly.
    if (options.output_format == "qcow2") {
      if (options.skip_create) {
        diag.error("convert -n -O qcow2 is not supported by instar yet");
        return fail();
      }
      Qcow2TargetResult planned =
          plan_qcow2_target(diag.program(), options.output, options.create_options.value_or(""));
      if (!planned.target) {
        put(stderr, planned.error);
        return fail();
      }
      qcow2_target = planned.target;
      if (options.backing) {
        diag.error("convert -B is not supported by instar yet");
        return fail();
      }
    } else if (options.output_format != "raw") {
      abi::ImageFormat ignored;
      if (lookup_format(options.output_format, &ignored) == FormatLookup::kUnknown) {
        diag.error("Unknown file format '" + options.output_format + "'");
      } else {
        diag.error("convert -O " + options.output_format + " is not yet supported by instar");
      }
      return fail();
    } else {
      if (options.create_options) {
        diag.error("convert -o with -O raw is not supported by instar yet");
        return fail();
      }
      if (options.backing) {
        diag.error("Backing file not supported for file format 'raw'");
        return fail();
      }
      // Creating a target qemu checks the driver's compression support before it creates;
      // with -n it checks once the target is open.
      if (options.compress && !options.skip_create) {
        diag.error("Compression not supported for this file format");
        return fail();
      }
    }
  }

  // The guest reports each input's length; the host needs the total first: one convert run
  // without an output device would cost a second sandbox, so the host takes it from the chain
  // walk's info of each top image (raw: the file size rounded up to 512).
  for (size_t i = 0; i < opened && !top_failed; ++i) {
    // blk_nb_sectors() * 512: a qcow2's size is already whole sectors, a raw file's rounds up.
    const ChainImage& top = inputs[i].chain.images.front();
    const uint64_t length = top.qcow2 ? top.virtual_size : (top.size + 511) / 512 * 512;
    total += length;
  }

  if (!top_failed) {
    if (options.skip_create) {
      if (!open_existing_output(diag, options.output, inputs, &output)) return fail();
      if (!check_direct(diag, options.output, options.cache)) return fail();
    } else {
      if (!create_output(diag, options.output, options.output_format, qcow2_target ? 0 : total,
                         inputs, &output)) {
        return fail();
      }
      if (!is_cache_mode(options.cache)) {
        diag.error("Invalid cache option: " + options.cache);
        return fail();
      }
      if (!check_direct(diag, options.output, options.cache)) return fail();
    }
    if (options.skip_create && !is_cache_mode(options.cache)) {
      diag.error("Invalid cache option: " + options.cache);
      return fail();
    }
    if (options.compress && options.skip_create) {
      diag.error("Compression not supported for this file format");
      return fail();
    }
    if (options.skip_create && output.size < total) {
      diag.error("output file is smaller than input file");
      return fail();
    }
  }

  sandbox::Request request;
  abi::OpConfig& op = request.op;
  op.op = static_cast<uint32_t>(abi::Op::kConvert);
  op.input_device[0] = op.input_device[1] = abi::kNoDevice;
  op.convert_input_count = static_cast<uint32_t>(opened);
  op.output_format =
      static_cast<uint32_t>(qcow2_target ? abi::ImageFormat::kQcow2 : abi::ImageFormat::kRaw);
  uint64_t output_capacity = total;
  if (qcow2_target) {
    op.qcow2_cluster_size = qcow2_target->cluster_size;
    op.qcow2_refcount_bits = qcow2_target->refcount_bits;
    op.qcow2_create_flags = qcow2_target->create_flags;
    op.qcow2_compression_type = qcow2_target->compression_type;
    output_capacity = qcow2_output_bound(*qcow2_target, total, options.compress);
  }
  op.output_size = total;
  op.min_sparse_sectors = static_cast<uint32_t>(options.min_sparse_sectors);
  op.convert_flags = (options.progress ? abi::kConvertProgress : 0u) |
                     (options.skip_create ? abi::kConvertSkipCreate : 0u) |
                     (options.target_is_zero ? abi::kConvertTargetIsZero : 0u) |
                     (options.out_of_order ? abi::kConvertOutOfOrder : 0u) |
                     (options.compress ? abi::kConvertCompress : 0u) |
                     (options.cache != "unsafe" ? abi::kConvertFlush : 0u);
  const auto add_device = [&request](int fd, uint64_t size, bool writable) {
    request.devices.push_back({fd, size, writable});
    return static_cast<uint32_t>(request.devices.size() - 1);
  };
  std::vector<sandbox::UniqueFd> extent_maps;
  size_t images = 0;
  for (size_t i = 0; i < opened; ++i) {
    const ChainOpen& chain = inputs[i].chain;
    if (chain.kind != ChainOpen::Kind::kOpened) {  // the top alone: its open fails in the guest
      op.convert_chain_length[i] = 1;
      abi::ChainLink& link = op.convert_chain[i][0];
      link.device = add_device(inputs[i].file.fd(), inputs[i].file.size(), false);
      link.format = static_cast<uint32_t>(inputs[i].format);
      link.data_device = abi::kNoDevice;
      link.extent_device = abi::kNoDevice;
      continue;
    }
    images += chain.images.size();
    op.convert_chain_length[i] = static_cast<uint32_t>(chain.images.size());
    for (size_t k = 0; k < chain.images.size() && k < abi::kMaxChainImages; ++k) {
      const ChainImage& image = chain.images[k];
      abi::ChainLink& link = op.convert_chain[i][k];
      link.device = add_device(image.fd, image.size, false);
      link.format = static_cast<uint32_t>(image.format);
      link.data_device = image.data_file.get() >= 0
                             ? add_device(image.data_file.get(), image.data_size, false)
                             : abi::kNoDevice;
      link.extent_device = abi::kNoDevice;
      // Holes of raw files are zero extents in block status, as qemu's file driver finds them.
      if (!image.qcow2) {
        sandbox::UniqueFd map = make_extent_map(image.fd, image.size);
        if (map.get() < 0) {
          diag.error("cannot map the extents of '" + image.display + "'");
          return fail();
        }
        struct stat st {};
        const uint64_t size = fstat(map.get(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
        link.extent_device = add_device(map.get(), size, false);
        extent_maps.push_back(std::move(map));
      }
    }
  }
  if (request.devices.size() + 1 > abi::kMaxDevices) {
    diag.error("convert of this many images is not supported by instar yet");
    return fail();
  }
  op.output_device =
      top_failed ? abi::kNoDevice : add_device(output.fd.get(), output_capacity, true);

  request.limits.arena_bytes =
      std::min<uint64_t>(kArenaMax, request.limits.arena_bytes + images * kArenaPerImage);
  if (qcow2_target) {
    // The qcow2 writer's table caches, compression buffers and L1 table.
    const uint64_t cluster = std::min<uint64_t>(qcow2_target->cluster_size, 2u << 20);
    request.limits.arena_bytes = std::min<uint64_t>(
        kArenaMax, request.limits.arena_bytes + kQcow2WriterClusters * cluster + total / cluster);
  }
  request.limits.memory_bytes = request.limits.arena_bytes + kMemoryHeadroom;
  request.limits.max_total_message_bytes =
      request.limits.max_total_message_bytes + (total >> 30) * kMessageBytesPerGiB;
  uint64_t device_bytes = 0;
  for (const sandbox::Device& device : request.devices) {
    device_bytes =
        device.capacity > UINT64_MAX - device_bytes ? UINT64_MAX : device_bytes + device.capacity;
  }
  request.limits.wall_time = scaled_wall_time(kConvertTimeLimit, device_bytes);

  channel::ConvertSequence sequence(
      static_cast<uint32_t>(opened), options.progress, [&progress](uint64_t done, uint64_t all) {
        progress.print(
            static_cast<float>(100.0 * static_cast<double>(done) / static_cast<double>(all)), 0);
      });
  const GuestRun run = run_guest(*sandbox, request, sequence);
  if (!run.ok) {
    diag.error(run.failure);
    return fail();
  }
  const channel::ConvertReport& report = sequence.report();
  if (report.result.kind() != guest::CONVERT_DONE) {
    // qemu opens every input before it creates the target: a file instar created for a run whose
    // input then failed to open is removed again.
    if (report.result.kind() == guest::CONVERT_OPEN_FAILED && output.created) {
      unlink(options.output.c_str());
    }
    // qcow2_co_create()'s checks fail before qemu writes the target: it leaves no file.
    if (report.error && is_create_error(report.error->code())) {
      if (output.created) unlink(options.output.c_str());
      diag.error(options.output + ": error while converting qcow2: " +
                 render::GuestErrorText(*report.error).message);
      return fail();
    }
    if (report.error && (report.error->code() == guest::ERROR_BACKING_FILE_NOT_SUPPORTED ||
                         report.error->code() == guest::ERROR_DATA_FILE_NOT_SUPPORTED)) {
      diag.error("convert of this image's backing or data file is not supported yet");
      return fail();
    }
    put(stderr, failure_text(diag, options, report));
    return fail();
  }
  if (top_failed) {
    diag.error("sandbox: the guest opened an input the chain walk could not");
    return fail();
  }
  progress.print(100, 0);
  progress.end();
  return 0;
}

}  // namespace instar::cli
