// info_command.cc: `info` = open on the host, parse in the sandbox, render like qemu-img.
#include "engine/cli/info_command.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "engine/chain/audit.h"
#include "engine/chain/chain_walker.h"
#include "engine/channel/info_report.h"
#include "engine/cli/backing_chain.h"
#include "engine/cli/compare_options.h"
#include "engine/cli/format_name.h"
#include "engine/cli/guest_runner.h"
#include "engine/cli/help_text.h"
#include "engine/cli/image_file.h"
#include "engine/cli/image_spec.h"
#include "engine/cli/info_options.h"
#include "engine/cli/safe_detection.h"
#include "engine/render/backing_path.h"
#include "engine/render/block_limits.h"
#include "engine/render/error_text.h"
#include "engine/render/image_info.h"
#include "engine/render/info_render.h"
#include "engine/render/profile.h"

namespace instar::cli {

namespace {

void print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
}

// What every image of one `info` run is described with: the top image and each backing file.
struct InfoRun {
  const Diagnostics& diag;
  const render::Profile& profile;
  sandbox::Sandbox& sandbox;
  bool unsafe_quirks;
  // info --limits: the host facts every node's limits derive from (nullopt: not asked for).
  std::optional<render::HostBlockFacts> limits_host;
  // The allow-list every file an image names is opened through (backing and data files), rooted
  // at the top image's directory; `root_error` says why it could not be rooted (then nothing an
  // image names is opened).
  chain::ChainWalker& walker;
  bool rooted;
  std::string root_error;
};

// An opened image: its fd (owned elsewhere), the name qemu shows for it, and the format to open
// it with (kProbe when neither -f nor the parent's backing format names one).
struct ImageToDescribe {
  int fd = -1;
  uint64_t size = 0;
  uint64_t allocated = 0;
  std::string display;
  // The name qemu's open errors give: the command-line argument for the top image (a json: or
  // --image-opts string as typed), `display` for backing files.
  std::string error_name;
  abi::ImageFormat format = abi::ImageFormat::kProbe;
};

// When the top image's directory could not be held open as the allowed root.
std::string RootFailureText(const std::string& top, const std::string& error) {
  return "Could not open the directory of '" + top + "': " + error;
}

// The driver for `name` (nullopt: probe), as img_open() looks it up before opening the file.
bool resolve_format(const Diagnostics& diag, const std::string& display,
                    const std::optional<std::string>& name, abi::ImageFormat* format) {
  *format = abi::ImageFormat::kProbe;
  if (!name) return true;
  switch (lookup_format(*name, format)) {
    case FormatLookup::kSupported:
      return true;
    case FormatLookup::kUnsupported:
      diag.error("format '" + *name + "' is not supported by instar yet");
      return false;
    case FormatLookup::kUnknown:
      diag.error("Could not open '" + display + "': Unknown driver '" + *name + "'");
      return false;
  }
  return false;
}

// Safe detection (docs/chains.md): a probe that fell back to raw is accepted only for content
// nothing else could claim (a zero first sector, empty or tiny files) or a partition table.
bool probed_raw_is_acceptable(const InfoRun& run, const ImageToDescribe& image,
                              const guest::ImageInfo& info) {
  const std::optional<std::string> refusal = ProbedRawRefusal(
      info, image.size, run.unsafe_quirks, image.error_name, "-f raw", run.sandbox.name());
  if (refusal) run.diag.error(*refusal);
  return !refusal;
}

// Describes one image as qemu 7.2's bdrv_query_image_info() does. On failure the diagnostic is
// already printed and nullopt returned (exit code 1).
std::optional<render::ImageInfo> describe_image(const InfoRun& run, const ImageToDescribe& image) {
  sandbox::Request request;
  request.op.op = static_cast<uint32_t>(abi::Op::kInfo);
  request.op.input_device[0] = 0;
  request.op.input_format[0] = static_cast<uint32_t>(image.format);
  // Releases with the CVE-2024-4467 fix open with BDRV_O_NO_IO and never reach the data file.
  if (!run.profile.info_runs_data_file_step) request.op.flags = abi::kOpFlagNoIo;
  request.devices.push_back({image.fd, image.size, false});

  channel::InfoSequence sequence;
  const GuestRun guest_run = run_guest(run.sandbox, request, sequence);
  if (!guest_run.ok) {
    run.diag.error(guest_run.failure);
    return std::nullopt;
  }
  const channel::InfoReport& report = sequence.report();
  if (report.error) {
    const std::string text = render::OpenErrorText(run.diag.program(), image.error_name,
                                                   render::GuestErrorText(*report.error));
    std::fwrite(text.data(), 1, text.size(), stderr);
    return std::nullopt;
  }
  if (image.format == abi::ImageFormat::kProbe &&
      !probed_raw_is_acceptable(run, image, *report.info)) {
    return std::nullopt;
  }
  // qemu's block layer keeps the size in 512-byte sectors in an int64_t and refuses a driver
  // size it cannot hold (block.c, bdrv_refresh_total_sectors: -EFBIG), whatever the format.
  if (report.info->virtual_size() / 512 > static_cast<uint64_t>(INT64_MAX) / 512) {
    run.diag.error("Could not open '" + image.error_name +
                   "': Could not refresh total sector count: File too large");
    return std::nullopt;
  }
  render::DecodedImage decoded;
  decoded.info = *report.info;
  decoded.snapshots = report.snapshots;
  decoded.bitmaps = report.bitmaps;
  if (decoded.info.has_luks()) decoded.luks = render::LuksInfoFromGuest(decoded.info.luks());
  render::HostFacts facts;
  facts.filename = image.display;
  facts.actual_size = static_cast<int64_t>(image.allocated);
  facts.file_length = static_cast<int64_t>(image.size);
  facts.limits_host = run.limits_host;
  facts.format_probed = image.format == abi::ImageFormat::kProbe;
  // The releases before CVE-2024-4467's fix open a qcow2 data file under info
  // (render::kInfoOpensDataFile); instar opens it through the allow-list like every name an
  // image holds, and only stats it (never reads it).
  if (const std::optional<std::string> data_file = render::DataFileToOpen(decoded, run.profile)) {
    if (!run.rooted) {
      run.diag.error(RootFailureText(image.error_name, run.root_error));
      return std::nullopt;
    }
    const chain::ChainStep step = run.walker.OpenDataFile(*data_file);
    if (step.kind != chain::ChainStep::Kind::kOpened) {
      run.diag.error("Could not open '" + image.error_name + "': " + ChainStepReason(step));
      return std::nullopt;
    }
    facts.data_file = render::ProtocolFacts{*data_file, static_cast<int64_t>(step.image.size),
                                            static_cast<int64_t>(step.image.allocated)};
  }
  std::optional<render::ImageInfo> info = render::BuildImageInfo(decoded, facts, run.profile);
  if (!info) {
    run.diag.error(std::string("sandbox (") + run.sandbox.name() +
                   "): inconsistent image description");
  }
  return info;
}

// qemu-img's collect_image_info_list() with --backing-chain: the top image, then each backing
// file named by the previous element, opened through the allow-list (engine/chain). Like qemu,
// nothing is printed unless the whole chain could be described.
bool describe_chain(const InfoRun& run, ImageToDescribe top, std::vector<render::ImageInfo>* out) {
  if (!run.rooted) {
    run.diag.error(RootFailureText(top.error_name, run.root_error));
    return false;
  }
  std::optional<render::ImageInfo> info = describe_image(run, top);
  while (info) {
    out->push_back(*info);
    if (!info->backing_filename) return true;
    const std::string backing = *info->backing_filename;
    const std::optional<std::string> backing_format = info->backing_filename_format;
    // img_open() looks the driver up before it opens the file.
    abi::ImageFormat format = abi::ImageFormat::kProbe;
    const std::string display =
        render::FullBackingFilename(info->filename, backing).value_or(backing);
    if (!resolve_format(run.diag, display, backing_format, &format)) return false;
    chain::ChainStep step = run.walker.Next(backing);
    if (step.kind != chain::ChainStep::Kind::kOpened) {
      run.diag.error(step.message);
      return false;
    }
    ImageToDescribe element;
    element.fd = step.image.fd.get();
    element.size = step.image.size;
    element.allocated = step.image.allocated;
    element.display = step.display;
    element.error_name = step.display;
    element.format = format;
    info = describe_image(run, element);
  }
  return false;
}

}  // namespace

int run_info_command(const Diagnostics& diag, const SandboxChoice& choice,
                     const ProfileSelection& selection, bool unsafe_quirks,
                     const chain::RootOptions& roots, int argc, char** argv) {
  const render::Profile& profile = selection.profile;
  const InfoParse parse =
      parse_info_options(argc, argv, InfoOptionSet{profile.info_limits, profile.info_cache_option});
  switch (parse.error) {
    case InfoParse::Error::kNone:
      break;
    case InfoParse::Error::kUsage:
      return diag.usage_error(parse.message);
    case InfoParse::Error::kPlain:
    case InfoParse::Error::kUnsupported:
      diag.error(parse.message);
      return 1;
  }
  const InfoOptions& options = parse.options;
  if (options.object_help) {
    print(*options.object_help);
    return 0;
  }
  if (options.help) {
    print(help_text(diag.program(), selection));
    return 0;
  }

  // 10.2 collect_image_info_list(): bdrv_parse_cache_mode() before any image is opened.
  if (!is_cache_mode(options.cache)) {
    diag.error("Invalid cache option: " + options.cache);
    return 1;
  }
  // With O_DIRECT qemu probes the request and buffer alignment by reading the file
  // (raw_probe_alignment), which instar does not reproduce: refused rather than guessed.
  if (options.limits && cache_mode_uses_o_direct(options.cache)) {
    diag.error("option '--limits' with cache mode '" + options.cache +
               "' (O_DIRECT) is not supported by instar yet");
    return 1;
  }

  // What the name means (json:, file:, --image-opts, a protocol refused): before any file access.
  const std::optional<ImageSpec> resolved =
      ResolveImageNameOrReport(diag, options.filename, options.image_opts, options.format);
  if (!resolved) return 1;
  const ImageSpec& spec = *resolved;
  ImageToDescribe top;
  top.display = spec.display;
  top.error_name = spec.argument;
  if (!resolve_format(diag, top.error_name, EffectiveFormat(spec, options.format), &top.format)) {
    return 1;
  }
  ImageFile image;
  std::string open_error;
  if (!image.open_read_only(spec.path, &open_error)) {
    diag.error("Could not open '" + spec.argument + "': " + open_error);
    return 1;
  }
  chain::audit::RecordFd("open", image.fd());
  if (!spec.refusal_after_open.empty()) {
    diag.error(spec.refusal_after_open);
    return 1;
  }
  top.fd = image.fd();
  top.size = image.size();
  top.allocated = image.allocated_bytes();

  std::string sandbox_error;
  std::unique_ptr<sandbox::Sandbox> sandbox = make_sandbox(choice, &sandbox_error);
  if (!sandbox) {
    diag.error(sandbox_error);
    return 1;
  }
  chain::ChainWalker walker;
  InfoRun run{diag, profile, *sandbox, unsafe_quirks, std::nullopt, walker, false, {}};
  struct stat st {};
  if (::fstat(top.fd, &st) != 0) {
    run.root_error = std::strerror(errno);
  } else {
    run.rooted = walker.Start(top.display, st.st_dev, st.st_ino, roots, &run.root_error);
  }
  if (options.limits) run.limits_host = render::CurrentHostBlockFacts();
  const bool json = options.output == OutputFormat::kJson;

  if (!options.backing_chain) {
    const std::optional<render::ImageInfo> info = describe_image(run, top);
    if (!info) return 1;
    print(json ? render::RenderInfoJson(*info, profile) : render::RenderInfoHuman(*info, profile));
    return 0;
  }
  std::vector<render::ImageInfo> chain;
  if (!describe_chain(run, top, &chain)) return 1;
  if (json) {
    print(render::RenderChainJson(chain, profile));
  } else {
    std::vector<std::string> blocks;
    for (const render::ImageInfo& info : chain) {
      blocks.push_back(render::RenderInfoHuman(info, profile));
    }
    print(render::JoinChainHuman(blocks));
  }
  return 0;
}

}  // namespace instar::cli
