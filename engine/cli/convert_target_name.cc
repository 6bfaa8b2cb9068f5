// convert_target_name.cc: --target-image-opts' target, resolved without touching the file.
#include "engine/cli/convert_target_name.h"

#include "engine/cli/image_spec.h"

namespace instar::cli {

ConvertTargetName resolve_convert_target(const ConvertOptions& options) {
  ConvertTargetName t;
  t.path = options.output;
  t.format = options.output_format;
  if (!options.target_image_opts) return t;
  // img_open() with image_opts: -O is "--format" to it.
  ImageSpecResult r = ResolveImageName(options.output, true,
                                       options.output_format_given
                                           ? std::optional<std::string>(options.output_format)
                                           : std::nullopt);
  t.warnings = r.ok ? r.spec.warnings : r.warnings;
  if (!r.ok) {
    t.error = r.error;
    return t;
  }
  t.path = r.spec.path;
  if (!r.spec.refusal_after_open.empty()) {
    t.error = r.spec.refusal_after_open;
  } else if (!r.spec.driver) {
    // qemu would probe the target's format (and warn for raw).
    t.error = "--target-image-opts without a driver is not supported by instar yet";
  } else {
    t.format = *r.spec.driver;
  }
  return t;
}

}  // namespace instar::cli
