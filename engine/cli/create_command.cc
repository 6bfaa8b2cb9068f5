// create_command.cc: `create` = img_create and bdrv_img_create (block.c), raw_co_create
// (file-posix.c) and qcow2_co_create_opts' host half: options, backing file, files, messages.
#include "engine/cli/create_command.h"
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
#include <vector>

#include "engine/channel/convert_report.h"
#include "engine/cli/backing_chain.h"
#include "engine/cli/convert_target.h"
#include "engine/cli/create_option_help.h"
#include "engine/cli/create_options.h"
#include "engine/cli/creation_options.h"
#include "engine/cli/file_attributes.h"
#include "engine/cli/format_name.h"
#include "engine/cli/formatting_line.h"
#include "engine/cli/guest_runner.h"
#include "engine/cli/measure_command.h"
#include "engine/cli/raw_truncate.h"
#include "engine/cli/time_limits.h"
#include "engine/render/error_text.h"
#include "engine/sandbox/unique_fd.h"

namespace instar::cli {

namespace {

// The qcow2 writer's table caches and buffers, in clusters, plus the L1 table.
constexpr uint64_t kQcow2WriterClusters = 40;
constexpr uint64_t kArenaMax = 512ull << 20;
constexpr uint64_t kMemoryHeadroom = 128ull << 20;

// Options instar passes on to the qcow2 guest or honours itself; the rest are refused.
bool implemented_qcow2_option(const std::string& name) {
  static constexpr const char* kImplemented[] = {
      "size",          "compat",           "cluster_size", "refcount_bits",    "lazy_refcounts",
      "extended_l2",   "compression_type", "backing_file", "backing_fmt",      "data_file",
      "data_file_raw", "preallocation",    "nocow",        "extent_size_hint", "encryption"};
  for (const char* known : kImplemented) {
    if (name == known) return true;
  }
  return false;
}

// error_reportf_err(err, "%s: ", filename) of bdrv_open()'s error for the backing file, from the
// text an image open prints ("<program>: Could not open '<backing>': <error>" after any
// warnings): bdrv_open()'s own error has no "Could not open '<backing>': " of img_open() in
// front, and the new image's name comes after the program.
std::string backing_open_error(const std::string& text, const std::string& program,
                               const std::string& backing, const std::string& filename) {
  const std::string lead = program + ": ";
  const std::string opener = "Could not open '" + backing + "': ";
  size_t at = 0;
  while (at < text.size()) {
    if (text.compare(at, lead.size(), lead) == 0 &&
        text.compare(at + lead.size(), 9, "warning: ") != 0) {
      size_t rest = at + lead.size();
      if (text.compare(rest, opener.size(), opener) == 0) rest += opener.size();
      return text.substr(0, at + lead.size()) + filename + ": " + text.substr(rest);
    }
    const size_t nl = text.find('\n', at);
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  return text;
}

// qemu_create(): O_CREAT without O_TRUNC, mode 0644 less the umask.
bool create_file(const std::string& name, sandbox::UniqueFd* fd, std::string* error) {
  const int raw = open(name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (raw < 0) {
    *error = "Could not create '" + name + "': " + std::strerror(errno);
    return false;
  }
  *fd = sandbox::UniqueFd(raw);
  return true;
}

// file-posix raw_co_create_opts() + raw_co_create(): the size rounded up to 512, the mode
// checked before the file is made, the file emptied, its attributes set (`warning`: a hint the
// filesystem refused), then resized.
bool create_raw(const std::string& name, uint64_t size, const std::string& prealloc,
                const FileAttributes& attributes, std::optional<std::string>* warning,
                std::string* error) {
  const std::optional<Preallocation> mode = parse_preallocation(prealloc);
  if (!mode) {
    *error = "invalid parameter value: " + prealloc;
    return false;
  }
  const uint64_t rounded = size > UINT64_MAX - 511 ? size : (size + 511) / 512 * 512;
  sandbox::UniqueFd fd;
  if (!create_file(name, &fd, error)) return false;
  if (ftruncate(fd.get(), 0) != 0) {
    *error = std::string("Could not resize file: ") + std::strerror(errno);
    return false;
  }
  *warning = apply_file_attributes(fd.get(), attributes);
  return truncate_new_file(fd.get(), rounded, *mode, error);
}

// qcow2_co_create()'s truncate of a new data file, the host's half. Without preallocation: to the
// image's size (`rounded`). With it (data_file_raw: at least metadata), preallocate_co(): the
// copy-on-write zeros of a partial last cluster the guest reports, then, where the file is still
// shorter than the end the guest reports, the truncate with the image's mode (metadata: off).
bool complete_data_file(int fd, uint64_t rounded, const Qcow2Target& t,
                        const guest::ConvertResult& r, std::string* error) {
  const uint64_t zero_start = r.data_file_zero_start();
  const uint64_t zero_end = r.data_file_zero_end();
  const uint64_t end = r.data_file_end();
  if (end == 0 && zero_end == 0) return truncate_new_file(fd, rounded, Preallocation::kOff, error);
  if (end != rounded || zero_start > zero_end || zero_end > rounded + t.cluster_size) {
    *error = "sandbox: the guest asked for a data file range outside the image";
    return false;
  }
  if (zero_end > zero_start && !write_zero_range(fd, zero_start, zero_end, error)) return false;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    *error = std::string("Could not resize file: ") + std::strerror(errno);
    return false;
  }
  const uint64_t length = static_cast<uint64_t>(st.st_size);
  if (end <= length) return true;
  // metadata is no mode of a file: the data file is then sized as with off.
  const Preallocation mode =
      allocates_data(t.preallocation) ? t.preallocation : Preallocation::kOff;
  if (length == 0) return truncate_new_file(fd, end, mode, error);
  if (mode != Preallocation::kOff) return preallocate_range(fd, length, end, mode, error);
  if (ftruncate(fd, static_cast<off_t>(end)) == 0) return true;
  *error = std::string("Could not resize file: ") + std::strerror(errno);
  return false;
}

struct CreateContext {
  const Diagnostics& diag;
  const SandboxChoice& choice;
  const CreateOptions& options;
};

// qcow2_co_create_opts() and qcow2_co_create(): the file (and data file) made first and deleted
// again on any later failure, the QAPI values, then the image written by the guest.
bool create_qcow2(const CreateContext& c, const CreationOptions& opts, uint64_t size,
                  std::string* error) {
  const std::string& name = c.options.filename;
  for (const OptionDesc& d : qcow2_creation_options()) {
    if (opts.find(d.name) != nullptr && !implemented_qcow2_option(d.name)) {
      *error = "create -o " + std::string(d.name) + " is not supported by instar yet";
      return false;
    }
  }
  if (const CreationOptions::Option* o = opts.find("encryption"); o != nullptr && o->flag) {
    *error = "create -o encryption is not supported by instar yet";
    return false;
  }
  sandbox::UniqueFd fd;
  if (!create_file(name, &fd, error)) return false;
  const auto fail = [&](std::string message, const std::string* data_name) {
    unlink(name.c_str());
    if (data_name != nullptr) unlink(data_name->c_str());
    *error = std::move(message);
    return false;
  };
  if (ftruncate(fd.get(), 0) != 0) {
    return fail(std::string("Could not resize file: ") + std::strerror(errno), nullptr);
  }
  // qcow2_co_create_opts() creates its file with the same options: raw_co_create() sets them.
  if (const std::optional<std::string> warning =
          apply_file_attributes(fd.get(), file_attributes(opts))) {
    c.diag.error("warning: " + *warning);
  }
  const CreationOptions::Option* data = opts.find("data_file");
  sandbox::UniqueFd data_fd;
  if (data != nullptr) {
    std::string data_error;
    if (!create_file(data->text, &data_fd, &data_error)) return fail(data_error, nullptr);
    if (ftruncate(data_fd.get(), 0) != 0) {
      return fail(std::string("Could not resize file: ") + std::strerror(errno), &data->text);
    }
  }
  const std::string* data_name = data != nullptr ? &data->text : nullptr;
  Qcow2Target t;
  if (std::optional<std::string> e = qcow2_target_values(opts, &t)) return fail(*e, data_name);
  const CreationOptions::Option* backing = opts.find("backing_file");
  const CreationOptions::Option* backing_fmt = opts.find("backing_fmt");
  if ((backing != nullptr && backing->text.size() > abi::kCreateNameMax) ||
      (data != nullptr && (data->text.empty() || data->text.size() > abi::kCreateNameMax))) {
    return fail(
        "create with a backing or data file name of this length is not supported by "
        "instar yet",
        data_name);
  }
  const uint64_t rounded = size > UINT64_MAX - 511 ? size : (size + 511) / 512 * 512;
  if (rounded > static_cast<uint64_t>(INT64_MAX)) {
    return fail("Could not resize image: Image size cannot be negative", data_name);
  }

  std::string sandbox_error;
  std::unique_ptr<sandbox::Sandbox> sandbox = make_sandbox(c.choice, &sandbox_error);
  if (!sandbox) return fail(sandbox_error, data_name);
  sandbox::Request request;
  abi::OpConfig& op = request.op;
  op.op = static_cast<uint32_t>(abi::Op::kCreate);
  op.input_device[0] = op.input_device[1] = abi::kNoDevice;
  op.output_format = static_cast<uint32_t>(abi::ImageFormat::kQcow2);
  op.output_size = size;
  op.qcow2_cluster_size = t.cluster_size;
  op.qcow2_refcount_bits = t.refcount_bits;
  op.qcow2_create_flags = t.create_flags;
  op.qcow2_compression_type = t.compression_type;
  op.create_preallocation = abi_code(t.preallocation);
  const auto copy_name = [](const CreationOptions::Option* o, uint8_t* to, uint32_t* length) {
    if (o == nullptr) return;
    std::memcpy(to, o->text.data(), o->text.size());
    *length = static_cast<uint32_t>(o->text.size());
  };
  const auto text = [](const CreationOptions::Option* o) {
    return o == nullptr ? std::nullopt : std::optional<std::string>(o->text);
  };
  put_backing_names(text(backing), text(backing_fmt), &op);
  copy_name(data, op.create_data_file, &op.create_data_file_length);
  const uint64_t capacity = qcow2_output_bound(t, rounded, false);
  request.devices.push_back({fd.get(), capacity, true});
  op.output_device = 0;
  const uint64_t cluster = std::min<uint64_t>(t.cluster_size, 2u << 20);
  request.limits.arena_bytes = std::min<uint64_t>(
      kArenaMax, request.limits.arena_bytes + kQcow2WriterClusters * cluster + rounded / cluster);
  request.limits.memory_bytes = request.limits.arena_bytes + kMemoryHeadroom;
  request.limits.wall_time = scaled_wall_time(kConvertTimeLimit, capacity);

  channel::ConvertSequence sequence(1, false, [](uint64_t, uint64_t) {});
  const GuestRun run = run_guest(*sandbox, request, sequence);
  if (!run.ok) return fail(run.failure, data_name);
  const channel::ConvertReport& report = sequence.report();
  if (report.result.kind() != guest::CONVERT_DONE) {
    if (!report.error) return fail("sandbox: the guest failed to create the image", data_name);
    if (report.error->code() == guest::ERROR_IMAGE_TOO_LARGE) {
      // bdrv_img_create() words -EFBIG itself.
      // qemu_opt_get_size() of cluster_size falls back on its default, 65536.
      const CreationOptions::Option* cluster_option = opts.find("cluster_size");
      return fail(std::string("The image size is too large for file format 'qcow2'") +
                      (cluster_option == nullptr || cluster_option->number != 0
                           ? " (try using a larger cluster size)"
                           : ""),
                  data_name);
    }
    if (report.error->code() == guest::ERROR_UNSUPPORTED_OP) {
      return fail("sandbox: the guest could not write this image", data_name);
    }
    return fail(render::GuestErrorText(*report.error).message, data_name);
  }
  std::string prealloc_error;
  if (!preallocate_qcow2_data_area(fd.get(), t, capacity, report.result.prealloc_start(),
                                   report.result.prealloc_end(), &prealloc_error)) {
    return fail(prealloc_error, data_name);
  }
  if (data_fd.get() >= 0) {
    std::string resize_error;
    if (!complete_data_file(data_fd.get(), rounded, t, report.result, &resize_error)) {
      return fail(resize_error, data_name);
    }
  }
  return true;
}

}  // namespace

int run_create_command(const Diagnostics& diag, const SandboxChoice& choice,
                       const std::string& help, bool unsafe_quirks, const chain::RootOptions& roots,
                       int argc, char** argv) {
  const CreateParse parse = parse_create_options(argc, argv);
  const CreateOptions& options = parse.options;
  for (const std::string& warning : parse.warnings) diag.error(warning);
  switch (parse.error) {
    case CreateParse::Error::kNone:
      break;
    case CreateParse::Error::kUsage:
      return diag.usage_error(parse.lines.front());
    case CreateParse::Error::kFailed:
    case CreateParse::Error::kUnsupported:
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
  if (options.option_help) {
    // print_block_option_help(): the format must exist; the file name adds the protocol's.
    const std::string& fmt = options.format;
    if (fmt == "qcow2" || fmt == "raw") {
      put(stdout, create_option_help(fmt, !options.filename.empty()));
      return 0;
    }
    abi::ImageFormat ignored;
    if (lookup_format(fmt, &ignored) == FormatLookup::kUnknown) {
      diag.error("Unknown file format '" + fmt + "'");
    } else {
      diag.error("create -f " + fmt + " -o help is not supported by instar yet");
    }
    return 1;
  }
  const std::string& name = options.filename;
  const auto fail = [&diag, &name](const std::string& message) {
    diag.error(name + ": " + message);
    return 1;
  };

  // bdrv_img_create(): the driver, then the -o list against its options.
  const std::string& fmt = options.format;
  if (fmt != "qcow2" && fmt != "raw") {
    abi::ImageFormat ignored;
    if (lookup_format(fmt, &ignored) == FormatLookup::kUnknown) {
      return fail("Unknown file format '" + fmt + "'");
    }
    diag.error("create -f " + fmt + " is not supported by instar yet");
    return 1;
  }
  const bool qcow2 = fmt == "qcow2";
  CreationOptions opts;
  if (options.options) {
    std::optional<OptionsError> e = parse_creation_options(
        *options.options, qcow2 ? qcow2_creation_options() : raw_creation_options(), &opts);
    for (const std::string& warning : opts.warnings()) diag.error(warning);
    if (e) {
      diag.error(name + ": " + e->message);
      put(stderr, e->hint);
      return 1;
    }
  }
  std::optional<uint64_t> size = options.size;
  if (const CreationOptions::Option* o = opts.find("size")) {
    if (options.size) return fail("The image size must be specified only once");
    size = o->number;
  } else if (size) {
    opts.append({"size", std::to_string(*size), false, *size});
  }
  if (options.backing) {
    if (!qcow2) return fail("Backing file not supported for file format '" + fmt + "'");
    opts.append({"backing_file", *options.backing, false, 0});
  }
  if (options.backing_format) {
    if (!qcow2) return fail("Backing file format not supported for file format '" + fmt + "'");
    opts.append({"backing_fmt", *options.backing_format, false, 0});
  }
  const CreationOptions::Option* backing = opts.find("backing_file");
  const CreationOptions::Option* backing_fmt = opts.find("backing_fmt");
  if (backing != nullptr) {
    if (backing->text == name) {
      return fail("Error: Trying to create an image with the same filename as the backing file");
    }
    if (backing->text.empty()) return fail("Expected backing file name, got empty string");
  }
  if (backing != nullptr && !options.no_open_backing) {
    // The backing file is opened (read-only, with its own chain) in the sandbox, never parsed
    // here: its length and format come from the guest.
    MeasureOptions source;
    if (backing_fmt != nullptr) source.format = backing_fmt->text;
    source.filename = FullBackingName(name, backing->text);
    std::string error;
    const std::optional<MeasureInput> input =
        measure_image_source(diag, choice, unsafe_quirks, roots, source, 0, &error);
    if (!input) {
      put(stderr, backing_open_error(error, diag.program(), *source.filename, name) +
                      "Could not open backing image.\n");
      return 1;
    }
    if (backing_fmt == nullptr) {
      diag.error(name + ": Backing file specified without backing format");
      put(stderr, std::string("Detected format of ") + (input->qcow2 ? "qcow2" : "raw") + ".");
      return 1;
    }
    if (!size) {
      size = input->length;
      opts.append({"size", std::to_string(*size), false, *size});
    }
  } else if (backing != nullptr && backing_fmt == nullptr) {
    return fail("Backing file specified without backing format");
  }
  if (!size) return fail("Image creation needs a size parameter");

  if (!options.quiet) put(stdout, formatting_line(name, fmt, opts));

  std::string error;
  if (qcow2) {
    const CreateContext context{diag, choice, options};
    if (!create_qcow2(context, opts, *size, &error)) return fail(error);
    return 0;
  }
  const CreationOptions::Option* prealloc = opts.find("preallocation");
  std::optional<std::string> warning;
  const bool created = create_raw(name, *size, prealloc != nullptr ? prealloc->text : "off",
                                  file_attributes(opts), &warning, &error);
  if (warning) diag.error("warning: " + *warning);
  if (!created) return fail(error);
  return 0;
}

}  // namespace instar::cli
