// host_open.cc: -f lookup and the read-only open of an input image, worded as qemu-img words them.
#include "engine/cli/host_open.h"

#include "engine/cli/format_name.h"
#include "engine/render/error_text.h"

namespace instar::cli {

bool open_input_on_host(const Diagnostics& diag, const std::string& name,
                        const std::optional<std::string>& format, abi::ImageFormat* image_format,
                        ImageFile* file, std::string* error) {
  const std::string prefix = "Could not open '" + name + "': ";
  *image_format = abi::ImageFormat::kProbe;
  if (format) {
    switch (lookup_format(*format, image_format)) {
      case FormatLookup::kSupported:
        break;
      case FormatLookup::kUnsupported:
        *error = render::DiagnosticLine(diag.program(),
                                        "format '" + *format + "' is not supported by instar yet");
        return false;
      case FormatLookup::kUnknown:
        *error =
            render::DiagnosticLine(diag.program(), prefix + "Unknown driver '" + *format + "'");
        return false;
    }
  }
  std::string open_error;
  if (!file->open_read_only(name, &open_error)) {
    *error = render::DiagnosticLine(diag.program(), prefix + open_error);
    return false;
  }
  return true;
}

}  // namespace instar::cli
