// image_spec.h: what a command-line image name means, as qemu-img 7.2 reads it: a plain local
// file, "file:PATH", "json:{...}", --image-opts' "driver=...,file.filename=..."; every other
// protocol refused before any filesystem access (docs/invocation.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/cli/diagnostics.h"

namespace instar::cli {

// A name that resolved to a local file. The file itself is opened by the caller (and any name it
// holds through engine/chain's allow-list); nothing here touches the filesystem.
struct ImageSpec {
  std::string argument;  // as given: qemu's "Could not open '<argument>': ..." names it
  std::string path;      // the local file to open, exactly as the kernel is to see it
  std::string display;   // qemu's name for the image: info's "image:", backing names' base
  std::optional<std::string> driver;  // the format named by json:/--image-opts ("driver")
  bool no_backing = false;            // "backing": null: the backing file is not opened
  // An option instar does not model: refused once the file has opened, where qemu checks for
  // options left over (so a missing file still reads as qemu reports it). Empty: none.
  std::string refusal_after_open;
  std::vector<std::string> warnings;  // qemu's warnings, each printed as "<program>: warning: "
};

struct ImageSpecResult {
  bool ok = false;
  ImageSpec spec;
  std::string error;  // the whole diagnostic after "<program>: " (qemu's text where it has one)
  std::vector<std::string> warnings;  // printed before `error` too
};

// qemu's path_has_protocol(): a ':' before any '/'. "a:b" is protocol "a"; "./a:b" is a file.
bool PathHasProtocol(std::string_view name);

// Resolves a command-line image name. `image_opts`: the name is --image-opts' option string.
// `format_option`: -f, which qemu-img refuses together with --image-opts.
ImageSpecResult ResolveImageName(std::string_view argument, bool image_opts,
                                 const std::optional<std::string>& format_option);

// ResolveImageName() with its warnings and error printed through `diag` (qemu's order: the
// warnings first); nullopt when the name is refused.
std::optional<ImageSpec> ResolveImageNameOrReport(const Diagnostics& diag,
                                                  std::string_view argument, bool image_opts,
                                                  const std::optional<std::string>& format_option);

// The format to open a resolved image with: -f wins over json:'s "driver" (qemu-img puts -f into
// the options last), else the spec's driver, else nullopt (probe).
std::optional<std::string> EffectiveFormat(const ImageSpec& spec,
                                           const std::optional<std::string>& format_option);

}  // namespace instar::cli
