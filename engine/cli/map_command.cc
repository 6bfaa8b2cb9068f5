// map_command.cc: `map` = open the image and its chain on the host, walk block status in the
// sandbox, merge and print as qemu-img.c img_map does while the extents arrive.
#include "engine/cli/map_command.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/channel/map_report.h"
#include "engine/cli/backing_chain.h"
#include "engine/cli/chain_devices.h"
#include "engine/cli/guest_runner.h"
#include "engine/cli/image_argument.h"
#include "engine/cli/map_options.h"
#include "engine/cli/time_limits.h"
#include "engine/render/error_text.h"
#include "engine/render/map_render.h"

namespace instar::cli {

namespace {

// Extents come merged, 256 to a message of at most ~12 KiB: the cap lets kMaxMapExtents
// through and nothing is held, each message being printed as it arrives.
constexpr uint64_t kMapMessageBytes = 2ull << 30;

void write(std::FILE* stream, std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stream);
}

// Feeds the checked extents to the printer as they arrive.
class PrintingSink final : public channel::MapExtentSink {
 public:
  explicit PrintingSink(render::MapPrinter& printer) : printer_(printer) {}
  void begin(uint64_t start, uint64_t) override { printer_.begin(start); }
  void extent(const guest::MapExtent& e) override {
    render::MapEntry entry;
    entry.start = e.start();
    entry.length = e.length();
    entry.depth = e.depth();
    entry.data = (e.flags() & channel::kMapData) != 0;
    entry.zero = (e.flags() & channel::kMapZero) != 0;
    entry.present = (e.flags() & channel::kMapAllocated) != 0;
    entry.compressed = (e.flags() & channel::kMapCompressed) != 0;
    entry.has_offset = (e.flags() & channel::kMapOffsetValid) != 0;
    entry.offset = e.offset();
    printer_.add(entry);
  }

 private:
  render::MapPrinter& printer_;
};

}  // namespace

int run_map_command(const Diagnostics& diag, const SandboxChoice& choice,
                    const ProfileSelection& selection, const std::string& help, bool unsafe_quirks,
                    const chain::RootOptions& roots, int argc, char** argv) {
  const MapParse parse = parse_map_options(argc, argv);
  for (const std::string& warning : parse.warnings) diag.error(warning);
  switch (parse.error) {
    case MapParse::Error::kNone:
      break;
    case MapParse::Error::kUsage:
      return diag.usage_error(parse.messages.front());
    case MapParse::Error::kFailed:
      for (const std::string& line : parse.messages) diag.error(line);
      return 1;
  }
  const MapOptions& options = parse.options;
  if (options.object_help) {
    write(stdout, *options.object_help);
    return 0;
  }
  if (options.help) {
    write(stdout, help);
    return 0;
  }
  // What the name means (json:, file:, --image-opts, a protocol refused): before any file access.
  ImageOperand operand;
  if (!open_image_operand_or_report(diag, options.filename, options.image_opts, options.format,
                                    &operand)) {
    return 1;
  }
  if (operand.spec.no_backing) {
    diag.error(no_backing_refusal(options.filename, "map"));
    return 1;
  }
  const abi::ImageFormat format = operand.format;
  const ImageFile& image = operand.file;
  std::string sandbox_error;
  std::unique_ptr<sandbox::Sandbox> sandbox = make_sandbox(choice, &sandbox_error);
  if (!sandbox) {
    diag.error(sandbox_error);
    return 1;
  }
  // img_open() opens the image completely (data file, backing chain) before the walk. A top the
  // guest cannot open goes to the map run alone, which reports that open error as qemu does.
  ChainRequest chain_request;
  chain_request.top_fd = image.fd();
  chain_request.top_size = image.size();
  chain_request.top_display = options.filename;
  chain_request.top_path = operand.spec.display;
  chain_request.top_format = format;
  chain_request.unsafe_quirks = unsafe_quirks;
  chain_request.roots = roots;
  const ChainOpen chain = OpenImageChain(diag, *sandbox, chain_request);
  if (chain.kind == ChainOpen::Kind::kFailed) {
    write(stderr, chain.error);
    return 1;
  }

  sandbox::Request request;
  request.op.op = static_cast<uint32_t>(abi::Op::kMap);
  request.op.input_device[0] = 0;
  request.op.input_format[0] = static_cast<uint32_t>(format);
  request.op.input_device[1] = abi::kNoDevice;
  request.op.map_start = static_cast<uint64_t>(options.start_offset);
  request.op.map_length =
      options.max_length < 0 ? abi::kMapNoMaxLength : static_cast<uint64_t>(options.max_length);
  request.limits.max_total_message_bytes = kMapMessageBytes;
  request.devices.push_back({image.fd(), image.size(), false});
  // The File column names the file that holds each layer's data; every layer gets the map of
  // that file's data extents (raw files' holes are zero extents in qemu's block status, and a
  // metadata-preallocated qcow2's holes too).
  std::vector<std::string> files;
  std::vector<sandbox::UniqueFd> extent_maps;
  const bool chained = chain.kind == ChainOpen::Kind::kOpened;
  const size_t images = chained ? chain.images.size() : 1;
  if (chained) {
    for (const ChainImage& element : chain.images) {
      files.push_back(element.data_file.get() >= 0 ? element.data_display : element.display);
    }
    std::string failed;
    if (!attach_chain(&request, 0, 0, chain.images, true, &extent_maps, &failed)) {
      diag.error("cannot map the extents of '" + failed + "'");
      return 1;
    }
  }
  scale_for_chain_images(&request, images, 1);
  // map reads metadata as check does: its time grows with the bytes of the devices.
  request.limits.wall_time = scaled_wall_time(kCheckTimeLimit, total_device_bytes(request));

  render::MapStyle style;
  style.json = options.json;
  style.merge_compressed = selection.profile.map_compressed_field;
  // block_driver_can_compress(): qcow2 can, raw cannot.
  style.compressed_field =
      options.json && selection.profile.map_compressed_field && chained && chain.images[0].qcow2;
  render::MapPrinter printer(style, std::move(files),
                             [](std::string_view text) { write(stdout, text); });
  PrintingSink sink(printer);
  channel::MapSequence sequence(static_cast<uint32_t>(images),
                                static_cast<uint64_t>(options.start_offset), options.max_length,
                                sink);
  const GuestRun run = run_guest(*sandbox, request, sequence);
  if (!run.ok) {
    std::fflush(stdout);
    diag.error(run.failure);
    return 1;
  }
  const channel::MapReport& report = sequence.report();
  switch (report.end) {
    case guest::MAP_OPEN_FAILED:
      write(stderr, render::OpenErrorText(diag.program(), options.filename,
                                          render::GuestErrorText(*report.error)));
      return 1;
    case guest::MAP_STATUS_FAILED: {
      std::fflush(stdout);
      if (printer.failed()) break;
      const render::ErrorText text = render::GuestErrorText(*report.error);
      write(stderr, text.preamble);
      diag.error("Could not read file metadata: " + render::IoFailureText(*report.error));
      return 1;
    }
    default:
      printer.finish();
      break;
  }
  std::fflush(stdout);
  if (printer.failed()) {
    diag.error(printer.error());
    return 1;
  }
  return 0;
}

}  // namespace instar::cli
