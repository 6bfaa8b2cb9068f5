// image_argument.cc: -f lookup and the read-only open of an image operand, with qemu's texts.
#include "engine/cli/image_argument.h"

#include <utility>

#include "engine/cli/format_name.h"

namespace instar::cli {

namespace {

// The driver lookup of img_open(): `*format` for `name` (kProbe without one), or `*message`.
bool lookup_driver(const std::optional<std::string>& name, const std::string& filename,
                   abi::ImageFormat* format, std::string* message) {
  *format = abi::ImageFormat::kProbe;
  if (!name) return true;
  switch (lookup_format(*name, format)) {
    case FormatLookup::kSupported:
      return true;
    case FormatLookup::kUnsupported:
      *message = "format '" + *name + "' is not supported by instar yet";
      return false;
    case FormatLookup::kUnknown:
      *message = "Could not open '" + filename + "': Unknown driver '" + *name + "'";
      return false;
  }
  return false;
}

bool open_read_only(ImageFile* image, const std::string& path, const std::string& filename,
                    std::string* message) {
  std::string open_error;
  if (image->open_read_only(path, &open_error)) return true;
  *message = "Could not open '" + filename + "': " + open_error;
  return false;
}

}  // namespace

bool open_image_argument(const std::optional<std::string>& format_name, const std::string& filename,
                         abi::ImageFormat* format, ImageFile* image, std::string* message) {
  return lookup_driver(format_name, filename, format, message) &&
         open_read_only(image, filename, filename, message);
}

bool open_image_operand(std::string_view argument, bool image_opts,
                        const std::optional<std::string>& format_option, ImageOperand* out,
                        std::vector<std::string>* warnings, std::string* message) {
  ImageSpecResult resolved = ResolveImageName(argument, image_opts, format_option);
  for (std::string& warning : resolved.ok ? resolved.spec.warnings : resolved.warnings) {
    warnings->push_back(std::move(warning));
  }
  if (!resolved.ok) {
    *message = std::move(resolved.error);
    return false;
  }
  out->spec = std::move(resolved.spec);
  const std::string filename(argument);
  if (!lookup_driver(EffectiveFormat(out->spec, format_option), filename, &out->format, message) ||
      !open_read_only(&out->file, out->spec.path, filename, message)) {
    return false;
  }
  if (!out->spec.refusal_after_open.empty()) {
    *message = out->spec.refusal_after_open;
    return false;
  }
  return true;
}

std::string no_backing_refusal(const std::string& argument, const std::string& subcommand) {
  return "Could not open '" + argument + "': \"backing\": null is not supported by instar for " +
         subcommand + " (docs/invocation.md)";
}

bool open_image_operand_or_report(const Diagnostics& diag, std::string_view argument,
                                  bool image_opts, const std::optional<std::string>& format_option,
                                  ImageOperand* out) {
  std::vector<std::string> warnings;
  std::string message;
  const bool opened =
      open_image_operand(argument, image_opts, format_option, out, &warnings, &message);
  for (const std::string& warning : warnings) diag.error("warning: " + warning);
  if (!opened) diag.error(message);
  return opened;
}

}  // namespace instar::cli
