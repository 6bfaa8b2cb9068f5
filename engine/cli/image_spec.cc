// image_spec.cc: classifies command-line image names as qemu 7.2's bdrv_fill_options() and
// img_open() do, keeping only the forms that name a local file.
#include "engine/cli/image_spec.h"

#include <algorithm>
#include <array>
#include <span>
#include <utility>

#include "engine/cli/format_name.h"
#include "engine/cli/json_options.h"
#include "engine/cli/qemu_opts.h"

namespace instar::cli {

namespace {

// Prefixes a Debian 12 qemu-img 7.2 opens as protocols (built in, or from qemu-block-extra's
// modules): instar refuses them with its own message. Any other prefix is qemu's "Unknown
// protocol"; "vvfat:" is one of those (the vvfat driver's protocol is "fat").
constexpr std::array<std::string_view, 23> kQemuProtocols = {
    "host_device", "host_cdrom",  "nbd",          "nbd+tcp",      "nbd+unix", "blkdebug",
    "blkverify",   "null-co",     "null-aio",     "nvme",         "fat",      "http",
    "https",       "ftp",         "ftps",         "iscsi",        "iser",     "rbd",
    "gluster",     "gluster+tcp", "gluster+unix", "gluster+rdma", "ssh"};

// Drivers that are not image formats over a local file: protocols, filters, and nfs (a module
// protocol whose prefix qemu registers as "nfs"). Named in json:/--image-opts, refused.
constexpr std::array<std::string_view, 30> kNonLocalDrivers = {
    "blkdebug",     "blklogwrites", "blkreplay",
    "blkverify",    "compress",     "copy-before-write",
    "copy-on-read", "file",         "ftp",
    "ftps",         "gluster",      "host_cdrom",
    "host_device",  "http",         "https",
    "iscsi",        "iser",         "nbd",
    "nfs",          "null-aio",     "null-co",
    "nvme",         "preallocate",  "quorum",
    "rbd",          "replication",  "snapshot-access",
    "ssh",          "throttle",     "vvfat"};

bool Contains(std::span<const std::string_view> list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

std::string OpenError(std::string_view argument, std::string_view reason) {
  return "Could not open '" + std::string(argument) + "': " + std::string(reason);
}

std::string NotLocal(std::string_view argument, std::string_view what, std::string_view name) {
  return OpenError(argument, "the '" + std::string(name) + "' " + std::string(what) +
                                 " is not supported by instar (it opens local files only)");
}

ImageSpecResult Fail(std::string error, std::vector<std::string> warnings = {}) {
  ImageSpecResult result;
  result.error = std::move(error);
  result.warnings = std::move(warnings);
  return result;
}

// The options of json: or --image-opts (flattened, last value of a repeated key), reduced to
// the local file they name. Everything instar does not model is refused by name.
// `format_option`: -f, which replaces "driver" (so an unknown "driver" is then no error).
ImageSpecResult FromOptions(std::string_view argument, const std::vector<JsonOption>& options,
                            const std::optional<std::string>& format_option,
                            std::vector<std::string> warnings) {
  ImageSpec spec;
  spec.argument = std::string(argument);
  const JsonOption* filename = nullptr;        // "file.filename"
  const JsonOption* top_filename = nullptr;    // "filename"
  const JsonOption* file_reference = nullptr;  // "file": a node name
  std::optional<std::string> unsupported;
  for (const JsonOption& option : options) {
    const std::string& key = option.key;
    const bool string = option.kind == JsonOption::Kind::kString;
    if (key == "driver") {
      // qdict_get_try_str(): a driver that is not a string is no driver (qemu then probes).
      if (string) spec.driver = option.text;
    } else if (key == "file.driver") {
      if (!string) {
        unsupported = unsupported.value_or(key);
      } else if (option.text != "file") {
        return Fail(NotLocal(argument, "driver", option.text), warnings);
      }
    } else if (key == "file.filename") {
      // A filename that is not a string is no filename (qemu: "Must specify ...").
      if (string) filename = &option;
    } else if (key == "filename") {
      top_filename = &option;
    } else if (key == "file") {
      if (string)
        file_reference = &option;
      else
        unsupported = unsupported.value_or(key);
    } else if (key == "backing" && option.kind == JsonOption::Kind::kNull) {
      spec.no_backing = true;
    } else if (key == "backing" && string && option.text.empty()) {
      warnings.push_back("Use of \"backing\": \"\" is deprecated; use \"backing\": null instead");
      spec.no_backing = true;
    } else {
      unsupported = unsupported.value_or(key);
    }
  }
  if (spec.driver && Contains(kNonLocalDrivers, *spec.driver)) {
    return Fail(NotLocal(argument, "driver", *spec.driver), warnings);
  }
  if (file_reference != nullptr) {
    return Fail(OpenError(argument, "Cannot find device='" + file_reference->text +
                                        "' nor node-name='" + file_reference->text + "'"),
                warnings);
  }
  // bdrv_open_inherit() looks the driver up before it opens anything.
  if (abi::ImageFormat format{}; !format_option && spec.driver &&
                                 lookup_format(*spec.driver, &format) == FormatLookup::kUnknown) {
    return Fail(OpenError(argument, "Unknown driver '" + *spec.driver + "'"), warnings);
  }
  if (unsupported) {
    spec.refusal_after_open = OpenError(argument, "option '" + *unsupported +
                                                      "' is not supported by instar in image "
                                                      "names (docs/invocation.md)");
  }
  if (filename == nullptr) {
    return Fail(OpenError(argument, spec.driver ? "A block device must be specified for \"file\""
                                                : "Must specify either driver or file"),
                warnings);
  }
  if (top_filename != nullptr) {
    return Fail(OpenError(argument,
                          "option 'filename' is not supported by instar in image "
                          "names (docs/invocation.md)"),
                warnings);
  }
  // Options name the file literally: no protocol prefix is parsed in "file.filename".
  spec.path = filename->text;
  spec.display = filename->text;
  if (spec.path.empty()) {
    return Fail(OpenError(argument, "The 'file' block driver requires a file name"), warnings);
  }
  ImageSpecResult result;
  result.ok = true;
  result.spec = std::move(spec);
  result.spec.warnings = std::move(warnings);
  return result;
}

}  // namespace

bool PathHasProtocol(std::string_view name) {
  const size_t p = name.find_first_of(":/");
  return p != std::string_view::npos && name[p] == ':';
}

ImageSpecResult ResolveImageName(std::string_view argument, bool image_opts,
                                 const std::optional<std::string>& format_option) {
  if (image_opts) {
    if (format_option) return Fail("--image-opts and --format are mutually exclusive");
    QemuOptsParse opts = ParseQemuOpts(argument, "file");
    // QemuOpts keep the last value of a repeated key.
    std::vector<JsonOption> options;
    for (const QemuOpt& opt : opts.options) {
      std::erase_if(options, [&](const JsonOption& o) { return o.key == opt.key; });
      options.push_back(JsonOption{opt.key, JsonOption::Kind::kString, opt.value});
    }
    return FromOptions(argument, options, std::nullopt, std::move(opts.warnings));
  }
  if (argument.starts_with("json:")) {
    const JsonOptionsParse parse = ParseJsonOptions(argument.substr(5));
    if (!parse.ok) return Fail(OpenError(argument, parse.error));
    return FromOptions(argument, parse.options, format_option, {});
  }
  ImageSpecResult result;
  result.spec.argument = std::string(argument);
  if (!PathHasProtocol(argument)) {
    result.ok = true;
    result.spec.path = result.spec.display = std::string(argument);
    return result;
  }
  // bdrv_find_protocol(): the prefix, cut to qemu's 128-byte buffer.
  const std::string_view protocol = argument.substr(0, std::min<size_t>(argument.find(':'), 127));
  if (protocol == "file") {
    const std::string_view path = argument.substr(5);
    if (path.empty()) {
      return Fail(OpenError(argument, "The 'file' block driver requires a file name"));
    }
    result.ok = true;
    result.spec.path = std::string(path);
    // bdrv_refresh_filename() writes a name that would itself read as a protocol as "./name".
    result.spec.display = PathHasProtocol(path) ? "./" + std::string(path) : std::string(path);
    return result;
  }
  if (Contains(kQemuProtocols, protocol)) return Fail(NotLocal(argument, "protocol", protocol));
  return Fail(OpenError(argument, "Unknown protocol '" + std::string(protocol) + "'"));
}

std::optional<ImageSpec> ResolveImageNameOrReport(const Diagnostics& diag,
                                                  std::string_view argument, bool image_opts,
                                                  const std::optional<std::string>& format_option) {
  ImageSpecResult resolved = ResolveImageName(argument, image_opts, format_option);
  for (const std::string& warning : resolved.ok ? resolved.spec.warnings : resolved.warnings) {
    diag.error("warning: " + warning);
  }
  if (!resolved.ok) {
    diag.error(resolved.error);
    return std::nullopt;
  }
  return std::move(resolved.spec);
}

std::optional<std::string> EffectiveFormat(const ImageSpec& spec,
                                           const std::optional<std::string>& format_option) {
  if (format_option) return format_option;
  return spec.driver;
}

}  // namespace instar::cli
