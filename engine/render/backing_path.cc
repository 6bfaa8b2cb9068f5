// qemu's path_combine()-based resolution of backing file names relative to the image.
#include "engine/render/backing_path.h"

namespace instar::render {

bool PathHasProtocol(std::string_view path) {
  const size_t stop = path.find_first_of(":/");
  return stop != std::string_view::npos && path[stop] == ':';
}

bool PathIsAbsolute(std::string_view path) {
  return !path.empty() && path.front() == '/';
}

std::optional<std::string> FullBackingFilename(std::string_view image_filename,
                                               std::string_view backing) {
  if (backing.empty()) return std::nullopt;
  if (PathHasProtocol(backing) || PathIsAbsolute(backing)) return std::string(backing);
  // bdrv_dirname() of a json: pseudo-filename has no exact filename to take a directory from.
  if (image_filename.substr(0, 5) == "json:") return std::nullopt;
  // path_combine(image, ""): keep everything up to the last '/', or up to the protocol's ':'
  // when that comes later (e.g. "file:x.qcow2" keeps "file:").
  size_t keep = 0;
  if (PathHasProtocol(image_filename)) keep = image_filename.find(':') + 1;
  const size_t slash = image_filename.rfind('/');
  if (slash != std::string_view::npos && slash + 1 > keep) keep = slash + 1;
  std::string out(image_filename.substr(0, keep));
  out.append(backing);
  return out;
}

}  // namespace instar::render
