// info_command.cc: `info` = open on the host, parse in the sandbox, render like qemu-img.
#include "engine/cli/info_command.h"

#include <cstdio>
#include <string>
#include <string_view>

#include "engine/channel/info_report.h"
#include "engine/cli/format_name.h"
#include "engine/cli/guest_runner.h"
#include "engine/cli/help_text.h"
#include "engine/cli/image_file.h"
#include "engine/cli/info_options.h"
#include "engine/render/error_text.h"
#include "engine/render/image_info.h"
#include "engine/render/info_render.h"
#include "engine/render/profile.h"

namespace instar::cli {

namespace {

void print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
}

// qemu-img 10.2's info --limits (BlockLimitsInfo) reports the block layer's alignment and transfer
// limits, which depend on how qemu would open the file (O_DIRECT probing, device limits) and were
// not measured: refused clearly rather than guessed. Before 10.2 getopt rejects it as qemu does.
bool asks_for_limits(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg == "--limits") return true;
  }
  return false;
}

}  // namespace

int run_info_command(const Diagnostics& diag, const SandboxChoice& choice,
                     const ProfileSelection& selection, int argc, char** argv) {
  const render::Profile& profile = *selection.profile;
  if (profile.info_limits && asks_for_limits(argc, argv)) {
    diag.error("option '--limits' is not supported by instar yet");
    return 1;
  }
  const InfoParse parse = parse_info_options(argc, argv);
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
  if (options.help) {
    print(help_text(diag.program(), selection));
    return 0;
  }
  if (options.backing_chain) {
    diag.error("option '--backing-chain' is not supported by instar yet");
    return 1;
  }
  const std::string open_prefix = "Could not open '" + options.filename + "': ";

  abi::ImageFormat format = abi::ImageFormat::kProbe;
  if (options.format) {
    switch (lookup_format(*options.format, &format)) {
      case FormatLookup::kSupported:
        break;
      case FormatLookup::kUnsupported:
        diag.error("format '" + *options.format + "' is not supported by instar yet");
        return 1;
      case FormatLookup::kUnknown:
        diag.error(open_prefix + "Unknown driver '" + *options.format + "'");
        return 1;
    }
  }

  ImageFile image;
  std::string open_error;
  if (!image.open_read_only(options.filename, &open_error)) {
    diag.error(open_prefix + open_error);
    return 1;
  }

  std::string sandbox_error;
  std::unique_ptr<sandbox::Sandbox> sandbox = make_sandbox(choice, &sandbox_error);
  if (!sandbox) {
    diag.error(sandbox_error);
    return 1;
  }
  sandbox::Request request;
  request.op.op = static_cast<uint32_t>(abi::Op::kInfo);
  request.op.input_device[0] = 0;
  request.op.input_format[0] = static_cast<uint32_t>(format);
  request.devices.push_back({image.fd(), image.size(), false});

  const GuestRun run = run_guest(*sandbox, request);
  if (!run.ok) {
    diag.error(run.failure);
    return 1;
  }
  const channel::InfoReportResult assembled = channel::assemble_info_report(run.messages);
  if (!assembled.ok) {
    diag.error(std::string("sandbox (") + sandbox->name() + "): " + assembled.protocol_error);
    return 1;
  }
  const channel::InfoReport& report = assembled.report;
  if (report.error) {
    const std::string text = render::OpenErrorText(diag.program(), options.filename,
                                                   render::GuestErrorText(*report.error));
    std::fwrite(text.data(), 1, text.size(), stderr);
    return 1;
  }
  render::DecodedImage decoded;
  decoded.info = *report.info;
  decoded.snapshots = report.snapshots;
  decoded.bitmaps = report.bitmaps;
  render::HostFacts facts;
  facts.filename = options.filename;
  facts.actual_size = static_cast<int64_t>(image.allocated_bytes());
  facts.file_length = static_cast<int64_t>(image.size());
  // 8.0 .. 9.0 open a qcow2 data file under info; the host only stats it (never reads it).
  if (const std::optional<std::string> data_file = render::DataFileToOpen(decoded, profile)) {
    ImageFile data;
    std::string data_error;
    if (!data.open_read_only(*data_file, &data_error)) {
      diag.error(open_prefix + data_error);
      return 1;
    }
    facts.data_file = render::ProtocolFacts{*data_file, static_cast<int64_t>(data.size()),
                                            static_cast<int64_t>(data.allocated_bytes())};
  }
  const std::optional<render::ImageInfo> info = render::BuildImageInfo(decoded, facts, profile);
  if (!info) {
    diag.error(std::string("sandbox (") + sandbox->name() + "): inconsistent image description");
    return 1;
  }
  print(options.output == OutputFormat::kJson ? render::RenderInfoJson(*info, profile)
                                              : render::RenderInfoHuman(*info, profile));
  return 0;
}

}  // namespace instar::cli
