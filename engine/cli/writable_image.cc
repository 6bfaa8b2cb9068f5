// writable_image.cc: the read-write open that resize and rebase share.
#include "engine/cli/writable_image.h"

#include "engine/cli/format_name.h"
#include "engine/cli/safe_detection.h"
#include "engine/render/error_text.h"

namespace instar::cli {

bool OpenWritableImage(const Diagnostics& diag, std::string_view command,
                       const std::string& filename, bool image_opts,
                       const std::optional<std::string>& format_option, WritableImage* out) {
  std::optional<ImageSpec> spec =
      ResolveImageNameOrReport(diag, filename, image_opts, format_option);
  if (!spec) return false;
  out->spec = std::move(*spec);
  if (const std::optional<std::string> fmt = EffectiveFormat(out->spec, format_option)) {
    if (lookup_format(*fmt, &out->format) == FormatLookup::kUnknown) {
      diag.error("Could not open '" + out->spec.argument + "': Unknown driver '" + *fmt + "'");
      return false;
    }
    if (out->format != abi::ImageFormat::kRaw && out->format != abi::ImageFormat::kQcow2) {
      diag.error(std::string(command) + " -f " + *fmt + " is not supported by instar yet");
      return false;
    }
  }
  std::string open_error;
  if (!out->file.open_read_write(out->spec.path, &open_error)) {
    diag.error("Could not open '" + out->spec.argument + "': " + open_error);
    return false;
  }
  if (!out->spec.refusal_after_open.empty()) {
    diag.error(out->spec.refusal_after_open);
    return false;
  }
  return true;
}

bool ReportWritableOpen(const Diagnostics& diag, const WritableImage& image,
                        const guest::Error* open_error, guest::Format format,
                        guest::RawHead raw_head, bool unsafe_quirks,
                        const std::string& sandbox_name) {
  if (open_error != nullptr) {
    put(stderr, render::OpenErrorText(diag.program(), image.spec.argument,
                                      render::GuestErrorText(*open_error)));
    return false;
  }
  if (format != guest::FORMAT_RAW || raw_head == guest::RAW_HEAD_NOT_PROBED) return true;
  std::string warning;
  if (const std::optional<std::string> refusal =
          ProbedRawWriteRefusal(raw_head, image.file.size(), unsafe_quirks, image.spec.argument,
                                image.spec.path, sandbox_name, &warning)) {
    diag.error(*refusal);
    return false;
  }
  put(stderr, warning);
  return true;
}

void ReportGuestError(const Diagnostics& diag, const guest::Error& error) {
  const render::ErrorText text = render::GuestErrorText(error);
  put(stderr, text.preamble);
  diag.error(text.message);
  put(stderr, text.hint);
}

}  // namespace instar::cli
