// convert_command.cc: `convert` = img_convert's host half: open the inputs and their chains,
// create (or open, -n) the output named on the command line, copy in one sandbox run, print
// qemu-img's progress and errors.
#include "engine/cli/convert_command.h"
#include "engine/cli/diagnostics.h"

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
#include "engine/cli/compare_options.h"
#include "engine/cli/convert_devices.h"
#include "engine/cli/convert_options.h"
#include "engine/cli/convert_target.h"
#include "engine/cli/convert_target_name.h"
#include "engine/cli/creation_options.h"
#include "engine/cli/file_attributes.h"
#include "engine/cli/format_name.h"
#include "engine/cli/guest_runner.h"
#include "engine/cli/image_argument.h"
#include "engine/cli/image_file.h"
#include "engine/cli/raw_truncate.h"
#include "engine/cli/stdout_progress.h"
#include "engine/cli/time_limits.h"
#include "engine/render/backing_path.h"
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
// --salvage: at most three ConvertSalvaged messages per sector (block status in both passes, then
// the read), each well under 64 bytes framed.
constexpr uint64_t kSalvagedBytesPerSector = 3 * 64;

// qemu's lines for a sector --salvage gave up on: the image's first corruption event (printed
// whatever -q says), then the warning unless -q.
void print_salvaged(const Diagnostics& diag, bool quiet, const guest::ConvertSalvaged& s) {
  guest::Error e;
  e.set_code(s.code());
  *e.mutable_args() = s.args();
  std::string out;
  if (s.corruption_event()) out += render::GuestErrorText(e).preamble;
  if (!quiet) {
    const char* what = s.kind() == guest::SALVAGE_READ
                           ? "error while reading offset "
                           : "error while reading block status at offset ";
    out += render::DiagnosticLine(diag.program(), "warning: " + std::string(what) +
                                                      std::to_string(s.offset()) + ": " +
                                                      render::IoFailureText(e));
  }
  put(stderr, out);
}

// The most bytes an existing qcow2 target of `file_size` bytes can grow to when `total` bytes are
// converted into it, whatever its options: its file plus what a fully allocated image with the
// smallest clusters and widest entries takes, and room for a reallocated refcount table.
uint64_t existing_qcow2_bound(uint64_t file_size, uint64_t total) {
  Qcow2Target widest;
  widest.cluster_size = 512;
  widest.refcount_bits = 64;
  widest.create_flags = abi::kQcow2ExtendedL2;
  const uint64_t growth = qcow2_output_bound(widest, total, false);
  constexpr uint64_t kMax = INT64_MAX;
  constexpr uint64_t kSlack = 4u << 20;
  return growth > kMax - kSlack || file_size > kMax - kSlack - growth ? kMax
                                                                      : file_size + growth + kSlack;
}

// The -n target `name` (the command line's argument; the file at `path`), opened read-write.
bool open_existing_output(const Diagnostics& diag, const std::string& name, const std::string& path,
                          const std::vector<Input>& inputs, Output* out) {
  const std::string prefix = "Could not open '" + name + "': ";
  const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    diag.error(prefix + "Could not open '" + path + "': " + std::strerror(errno));
    return false;
  }
  out->fd = sandbox::UniqueFd(fd);
  if (locked_by_inputs(fd, inputs)) {
    diag.error(prefix + lock_error(path));
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
bool check_direct(const Diagnostics& diag, const std::string& name, const std::string& path,
                  const std::string& cache) {
  if (cache != "none" && cache != "off" && cache != "directsync") return true;
  const int fd = open(path.c_str(), O_RDWR | O_DIRECT | O_CLOEXEC);
  if (fd < 0) {
    diag.error("Could not open '" + name + "': Could not open '" + path +
               "': " + std::strerror(errno));
    return false;
  }
  close(fd);
  return true;
}

// img_convert's img_open() of input `i`: the name as qemu reads it (file:, json:{...},
// --image-opts), -f or the name's driver, the read-only open. False with `*error` set to the
// whole diagnostic (qemu's warnings first).
bool open_input_file(const Diagnostics& diag, const ConvertOptions& options, size_t i, Input* in,
                     std::string* error) {
  const std::string& name = options.sources[i];
  std::vector<std::string> warnings;
  std::string message;
  const bool opened = open_image_operand(name, options.image_opts, options.format, &in->operand,
                                         &warnings, &message);
  for (const std::string& warning : warnings) {
    *error += render::DiagnosticLine(diag.program(), "warning: " + warning);
  }
  if (opened && in->operand.spec.no_backing) {
    message = no_backing_refusal(name, "convert");
  } else if (opened) {
    return true;
  }
  *error += render::DiagnosticLine(diag.program(), message);
  return false;
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
                                                        std::to_string(r.offset()) + ": " +
                                                        render::IoFailureText(*report.error));
    case guest::CONVERT_READ_FAILED:
      return text.preamble +
             render::DiagnosticLine(diag.program(), "error while reading at byte " +
                                                        std::to_string(r.offset()) + ": " +
                                                        render::IoFailureText(*report.error));
    case guest::CONVERT_WRITE_FAILED:
      if (report.error->code() == guest::ERROR_UNSUPPORTED_OP ||
          report.error->code() == guest::ERROR_BAD_CONFIG) {
        return render::DiagnosticLine(
            diag.program(), "sandbox: the guest refused the output (" + text.message + ")");
      }
      return render::DiagnosticLine(
          diag.program(),
          "error while writing at byte " + std::to_string(r.offset()) + ": Input/output error");
    case guest::CONVERT_TARGET_OPEN_FAILED:
      // img_open() of the -n target; the size check and instar's refusals come after it opened.
      if (report.error->code() == guest::ERROR_CONVERT_TARGET_TOO_SMALL ||
          report.error->code() == guest::ERROR_CONVERT_TARGET_UNSUPPORTED) {
        return render::DiagnosticLine(diag.program(), text.message);
      }
      return render::OpenErrorText(diag.program(), options.output, text);
    case guest::CONVERT_SNAPSHOT_FAILED:
      return text.preamble +
             render::DiagnosticLine(diag.program(), "Failed to load snapshot: " + text.message);
    default:  // CONVERT_FLUSH_FAILED
      return render::DiagnosticLine(diag.program(),
                                    "error while flushing the output: Input/output error");
  }
}

// img_convert's checks of a target backing file (`backing`: -B or -o backing_file), between
// parsing the creation options and creating: nullopt to go on, else the exit code. qemu leaves
// "--target-is-zero" with a backing file through its `out` label with ret still 0: it exits 0.
std::optional<int> check_target_backing(const Diagnostics& diag, const ConvertOptions& options,
                                        const std::optional<std::string>& backing,
                                        bool has_backing_fmt, StdoutProgress& progress) {
  const bool target_has_backing =
      options.skip_create ? options.backing.has_value() : backing.has_value();
  if (options.target_is_zero && target_has_backing) {
    diag.error("Cannot use --target-is-zero when the destination image has a backing file");
    progress.print(100, 0);
    progress.end();
    return 0;
  }
  const auto failed = [&](const std::string& message) {
    diag.error(message);
    progress.end();
    return 1;
  };
  if (options.sources.size() > 1 && target_has_backing) {
    return failed(
        "Having a backing file for the target makes no sense when concatenating multiple input "
        "images");
  }
  if (!options.skip_create && backing && !has_backing_fmt) {
    return failed("Use of backing file requires explicit backing format");
  }
  return std::nullopt;
}

// The target's backing file as img_open_file() opens it after creating the target: the file
// named relative to the target, in the -F / backing_fmt format, with its own chain through the
// allow-list. On failure `error` is qemu's stderr text for the target's open.
struct TargetBackingOpen {
  ImageFile file;
  abi::ImageFormat format = abi::ImageFormat::kProbe;
  ChainOpen chain;
  std::string path;
  std::string error;
};

void open_target_backing(const Diagnostics& diag, sandbox::Sandbox& sandbox,
                         const ConvertOptions& options, const Qcow2Target& target,
                         bool unsafe_quirks, const chain::RootOptions& roots,
                         TargetBackingOpen* out) {
  const std::string prefix =
      "Could not open '" + options.output + "': Could not open backing file: ";
  // Relative to the target's directory, as bdrv_get_full_backing_filename() resolves it.
  const std::optional<std::string> path =
      render::FullBackingFilename(options.output, *target.backing_file);
  if (!path || render::PathHasProtocol(*path)) {
    out->error = render::DiagnosticLine(
        diag.program(), "backing file '" + *target.backing_file + "' is not supported by instar");
    return;
  }
  out->path = *path;
  const std::string& fmt = *target.backing_fmt;
  if (lookup_format(fmt, &out->format) != FormatLookup::kSupported) {
    out->error = render::DiagnosticLine(
        diag.program(), "backing format '" + fmt + "' is not supported by instar yet");
    return;
  }
  std::string open_error;
  if (!out->file.open_read_only(out->path, &open_error)) {
    out->error = render::DiagnosticLine(diag.program(), prefix + open_error);
    return;
  }
  ChainRequest request;
  request.top_fd = out->file.fd();
  request.top_size = out->file.size();
  request.top_display = out->path;
  request.top_format = out->format;
  request.unsafe_quirks = unsafe_quirks;
  request.roots = roots;
  out->chain = OpenImageChain(diag, sandbox, request);
  if (out->chain.kind == ChainOpen::Kind::kFailed) {
    // "<program>: Could not open '<backing>': <reason>" is the target's open failing one level
    // further down.
    const std::string head =
        render::DiagnosticLine(diag.program(), "Could not open '" + out->path + "': ");
    std::string text = out->chain.error;
    const std::string head_line = head.substr(0, head.size() - 1);  // without the newline
    if (text.rfind(head_line, 0) == 0) {
      text = render::DiagnosticLine(diag.program(), prefix + text.substr(head_line.size()));
      text.pop_back();  // the chain's text keeps its own newline
    }
    out->error = text;
  }
}

// img_convert's snapshot load, right after it opened every input and before it looks at the
// target: one guest run that opens the inputs and loads the snapshot, so that a failed load
// leaves the target untouched, as qemu leaves it. False when reported.
bool load_snapshot_first(const Diagnostics& diag, sandbox::Sandbox& sandbox,
                         const ConvertOptions& options, const std::vector<Input>& inputs,
                         size_t opened) {
  const SnapshotSelection& snapshot = options.snapshot;
  if (!snapshot.by_options && inputs.size() > 1) {
    diag.error("No support for concatenating multiple snapshot");
    return false;
  }
  if (const std::optional<std::string> refusal = SnapshotSelectionTooLong(snapshot)) {
    diag.error(*refusal);
    return false;
  }
  sandbox::Request request;
  abi::OpConfig& op = request.op;
  op.op = static_cast<uint32_t>(abi::Op::kConvert);
  op.input_device[0] = op.input_device[1] = abi::kNoDevice;
  op.convert_input_count = static_cast<uint32_t>(opened);
  op.convert_flags = abi::kConvertOpenOnly;
  op.output_device = abi::kNoDevice;
  PutSnapshotSelection(snapshot, &op);
  std::vector<sandbox::UniqueFd> extent_maps;
  size_t images = 0;
  if (!put_inputs(diag, inputs, opened, &request, &extent_maps, &images)) return false;
  request.limits.arena_bytes =
      std::min<uint64_t>(kArenaMax, request.limits.arena_bytes + images * kArenaPerImage);
  request.limits.memory_bytes = request.limits.arena_bytes + kMemoryHeadroom;
  channel::ConvertSequence sequence(static_cast<uint32_t>(opened), false,
                                    [](uint64_t, uint64_t) {});
  const GuestRun run = run_guest(sandbox, request, sequence);
  if (!run.ok) {
    diag.error(run.failure);
    return false;
  }
  const channel::ConvertReport& report = sequence.report();
  if (report.result.kind() == guest::CONVERT_DONE) return true;
  put(stderr, failure_text(diag, options, report));
  return false;
}

}  // namespace

int run_convert_command(const Diagnostics& diag, const SandboxChoice& choice,
                        const std::string& help, bool unsafe_quirks,
                        const chain::RootOptions& roots, int argc, char** argv) {
  const ConvertParse parse = parse_convert_options(argc, argv);
  // --target-image-opts: the options' driver is the target's format (-O is refused with it).
  const ConvertTargetName target_name = resolve_convert_target(parse.options);
  ConvertOptions resolved = parse.options;
  resolved.output_format = target_name.format;
  const ConvertOptions& options = resolved;
  for (const std::string& warning : parse.warnings) diag.error(warning);
  switch (parse.error) {
    case ConvertParse::Error::kNone:
      break;
    case ConvertParse::Error::kUsage:
      return diag.usage_error(parse.lines.front());
    case ConvertParse::Error::kFailed:
    case ConvertParse::Error::kUnsupported:
      for (const std::string& line : parse.lines) diag.error(line);
      put(stdout, parse.help_output);
      return 1;
  }
  if (options.object_help) {
    put(stdout, *options.object_help);
    return 0;
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
  StdoutProgress progress(options.progress, 1.0f);
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
    request.top_fd = inputs[i].operand.file.fd();
    request.top_size = inputs[i].operand.file.size();
    request.top_display = options.sources[i];
    request.top_path = inputs[i].operand.spec.display;
    request.top_format = inputs[i].operand.format;
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
  if (options.snapshot.any() && !top_failed &&
      !load_snapshot_first(diag, *sandbox, options, inputs, opened)) {
    return fail();
  }

  uint64_t total = 0;
  std::optional<Qcow2Target> qcow2_target;  // -O qcow2, a new target
  bool existing_qcow2 = false;              // -n -O qcow2
  std::string raw_preallocation;            // -O raw -o preallocation=
  FileAttributes raw_attributes;            // -O raw -o nocow, extent_size_hint
  if (!top_failed) {
    // Sizes as qemu counts them (blk_nb_sectors) are the guest's to tell; the host bounds the
    // output by the files' sizes rounded as raw would be, and the guest must agree exactly.
    if (options.output_format == "qcow2" && options.skip_create) {
      // The existing target is opened (and judged) by the guest, after the checks below.
      existing_qcow2 = true;
      if (options.backing) {
        diag.error("convert -n -O qcow2 with -B is not supported by instar yet");
        return fail();
      }
      if (options.compress) {
        diag.error("convert -n -O qcow2 with -c is not supported by instar yet");
        return fail();
      }
    } else if (options.output_format == "qcow2") {
      Qcow2TargetResult planned =
          plan_qcow2_target(diag.program(), options.output, options.create_options.value_or(""),
                            options.backing_format);
      if (!planned.target) {
        put(stderr, planned.error);
        return fail();
      }
      qcow2_target = planned.target;
      // add_old_style_options(): -B replaces -o backing_file.
      if (options.backing) qcow2_target->backing_file = options.backing;
      const std::optional<int> refused =
          check_target_backing(diag, options, qcow2_target->backing_file,
                               qcow2_target->backing_fmt.has_value(), progress);
      if (refused) return *refused;
      if (options.compress && qcow2_target->preallocation != Preallocation::kOff) {
        diag.error("Compression and preallocation not supported at the same time");
        return fail();
      }
      if (planned.at_create) {  // qcow2_co_create_opts()' QAPI checks: nothing is created
        put(stderr, planned.error);
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
      // raw's creation options: size (replaced by the inputs' total), preallocation, and the
      // file's nocow and extent_size_hint (file_attributes.h).
      if (options.create_options && !options.skip_create) {
        CreationOptions parsed;
        if (std::optional<OptionsError> e =
                parse_creation_options(*options.create_options, raw_creation_options(), &parsed)) {
          put(stderr, render::DiagnosticLine(diag.program(), e->message) + e->hint);
          return fail();
        }
        if (const CreationOptions::Option* o = parsed.find("preallocation")) {
          raw_preallocation = o->text;
        }
        raw_attributes = file_attributes(parsed);
      }
      if (options.backing && !options.skip_create) {
        diag.error("Backing file not supported for file format 'raw'");
        return fail();
      }
      if (options.backing_format && !options.skip_create) {
        diag.error("Backing file format not supported for file format 'raw'");
        return fail();
      }
      const std::optional<int> refused =
          check_target_backing(diag, options, options.backing, false, progress);
      if (refused) return *refused;
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
    // blk_nb_sectors() * 512: a qcow2's or vmdk's size is already whole sectors, a raw file's
    // rounds up.
    const ChainImage& top = inputs[i].chain.images.front();
    const uint64_t length = top.raw ? (top.size + 511) / 512 * 512 : top.virtual_size;
    total += length;
  }

  if (!top_failed) {
    if (options.skip_create) {
      // img_open() of the target, where --target-image-opts' options are parsed.
      for (const std::string& warning : target_name.warnings) diag.error("warning: " + warning);
      if (target_name.error) {
        diag.error(*target_name.error);
        return fail();
      }
      if (!open_existing_output(diag, options.output, target_name.path, inputs, &output)) {
        return fail();
      }
      if (!check_direct(diag, options.output, target_name.path, options.cache)) return fail();
    } else {
      Preallocation preallocation = Preallocation::kOff;
      if (!qcow2_target && !raw_preallocation.empty()) {
        // raw_co_create_opts(): the mode is parsed before the file is created.
        const std::optional<Preallocation> mode = parse_preallocation(raw_preallocation);
        if (!mode) {
          diag.error(options.output +
                     ": error while converting raw: invalid parameter value: " + raw_preallocation);
          return fail();
        }
        preallocation = *mode;
      }
      if (!create_output(
              diag, options.output,
              options.output + ": error while converting " + options.output_format + ": ",
              qcow2_target ? 0 : total, preallocation, raw_attributes, inputs, &output)) {
        return fail();
      }
      if (!is_cache_mode(options.cache)) {
        diag.error("Invalid cache option: " + options.cache);
        return fail();
      }
      if (!check_direct(diag, options.output, options.output, options.cache)) return fail();
    }
    if (options.skip_create && !is_cache_mode(options.cache)) {
      diag.error("Invalid cache option: " + options.cache);
      return fail();
    }
    if (options.compress && options.skip_create) {
      diag.error("Compression not supported for this file format");
      return fail();
    }
    // A qcow2 target's virtual size is the guest's to read (ERROR_CONVERT_TARGET_TOO_SMALL).
    if (options.skip_create && !existing_qcow2 && output.size < total) {
      diag.error("output file is smaller than input file");
      return fail();
    }
  }
  // A new qcow2 target with a backing file: its chain is opened here and read in the guest; an
  // open failure is reported after the guest created the target (qemu's order).
  TargetBackingOpen target_backing;
  const bool creates_backing = !top_failed && qcow2_target && qcow2_target->backing_file;
  if (creates_backing) {
    open_target_backing(diag, *sandbox, options, *qcow2_target, unsafe_quirks, roots,
                        &target_backing);
  }

  sandbox::Request request;
  abi::OpConfig& op = request.op;
  op.op = static_cast<uint32_t>(abi::Op::kConvert);
  op.input_device[0] = op.input_device[1] = abi::kNoDevice;
  op.convert_input_count = static_cast<uint32_t>(opened);
  op.output_format = static_cast<uint32_t>(qcow2_target || existing_qcow2 ? abi::ImageFormat::kQcow2
                                                                          : abi::ImageFormat::kRaw);
  uint64_t output_capacity = total;
  if (existing_qcow2) {
    op.convert_target_file_length = output.size;
    output_capacity = existing_qcow2_bound(output.size, total);
  }
  if (qcow2_target) {
    op.qcow2_cluster_size = qcow2_target->cluster_size;
    op.qcow2_refcount_bits = qcow2_target->refcount_bits;
    op.qcow2_create_flags = qcow2_target->create_flags;
    op.qcow2_compression_type = qcow2_target->compression_type;
    op.convert_qcow2_preallocation = abi_code(qcow2_target->preallocation);
    output_capacity = qcow2_output_bound(*qcow2_target, total, options.compress);
  }
  op.output_size = total;
  op.min_sparse_sectors = static_cast<uint32_t>(options.min_sparse_sectors);
  op.convert_flags = (options.progress ? abi::kConvertProgress : 0u) |
                     (options.skip_create ? abi::kConvertSkipCreate : 0u) |
                     (options.target_is_zero ? abi::kConvertTargetIsZero : 0u) |
                     (options.out_of_order ? abi::kConvertOutOfOrder : 0u) |
                     (options.compress ? abi::kConvertCompress : 0u) |
                     (options.cache != "unsafe" ? abi::kConvertFlush : 0u) |
                     (options.copy_range ? abi::kConvertCopyRange : 0u) |
                     (options.salvage ? abi::kConvertSalvage : 0u);
  const auto add_device = [&request](int fd, uint64_t size, bool writable) {
    return add_request_device(&request, fd, size, writable);
  };
  PutSnapshotSelection(options.snapshot, &op);
  std::vector<sandbox::UniqueFd> extent_maps;
  size_t images = 0;
  if (!put_inputs(diag, inputs, opened, &request, &extent_maps, &images)) return fail();
  if (request.devices.size() + 1 > abi::kMaxDevices) {
    diag.error("convert of this many images is not supported by instar yet");
    return fail();
  }
  const bool target_has_backing =
      options.skip_create ? options.backing.has_value()
                          : qcow2_target.has_value() && qcow2_target->backing_file.has_value();
  op.convert_backing_flags = target_has_backing ? abi::kConvertTargetHasBacking : 0u;
  // create() checks a format without a file ("Backing format cannot be used without ...").
  if (qcow2_target) {
    put_backing_names(creates_backing ? qcow2_target->backing_file : std::nullopt,
                      qcow2_target->backing_fmt, &op);
  }
  if (creates_backing) {
    const ChainOpen& chain = target_backing.chain;
    if (target_backing.error.empty() && chain.kind == ChainOpen::Kind::kTopFailed) {
      // The guest's open of the backing file reports why.
      op.convert_backing_chain_length = 1;
      op.convert_backing_chain[0] =
          lone_link(add_device(target_backing.file.fd(), target_backing.file.size(), false),
                    target_backing.format);
    } else if (target_backing.error.empty()) {
      op.convert_backing_chain_length = static_cast<uint32_t>(chain.images.size());
      images += chain.images.size();
      if (!add_chain_links(diag, chain, op.convert_backing_chain, &request, &extent_maps)) {
        return fail();
      }
    }
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
      request.limits.max_total_message_bytes + (total >> 30) * kMessageBytesPerGiB +
      (options.salvage ? total / 512 * kSalvagedBytesPerSector : 0);
  uint64_t device_bytes = 0;
  for (const sandbox::Device& device : request.devices) {
    device_bytes =
        device.capacity > UINT64_MAX - device_bytes ? UINT64_MAX : device_bytes + device.capacity;
  }
  request.limits.wall_time = scaled_wall_time(kConvertTimeLimit, device_bytes);

  channel::ConvertSequence::SalvageCallback on_salvaged;
  if (options.salvage) {
    on_salvaged = [&diag, &options](const guest::ConvertSalvaged& s) {
      print_salvaged(diag, options.quiet, s);
    };
  }
  channel::ConvertSequence sequence(
      static_cast<uint32_t>(opened), options.progress,
      [&progress](uint64_t done, uint64_t all) {
        progress.print(
            static_cast<float>(100.0 * static_cast<double>(done) / static_cast<double>(all)), 0);
      },
      std::move(on_salvaged));
  const GuestRun run = run_guest(*sandbox, request, sequence);
  if (!run.ok) {
    diag.error(run.failure);
    return fail();
  }
  const channel::ConvertReport& report = sequence.report();
  if (qcow2_target && !top_failed) {
    // The data area qemu preallocated while creating the target, before the copy.
    std::string prealloc_error;
    if (!preallocate_qcow2_data_area(output.fd.get(), *qcow2_target, output_capacity,
                                     report.result.prealloc_start(), report.result.prealloc_end(),
                                     &prealloc_error)) {
      diag.error(options.output + ": error while converting qcow2: " + prealloc_error);
      return fail();
    }
  }
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
    if (report.result.kind() == guest::CONVERT_BACKING_OPEN_FAILED) {
      // img_open_file() of the created target failed: the file stays, as qemu leaves it.
      if (!target_backing.error.empty()) {
        put(stderr, target_backing.error);
      } else {
        const render::ErrorText text = render::GuestErrorText(*report.error);
        put(stderr, text.preamble +
                        render::DiagnosticLine(
                            diag.program(), "Could not open '" + options.output +
                                                "': Could not open backing file: " + text.message));
      }
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
