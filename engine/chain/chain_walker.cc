// chain_walker.cc: chain state (names, files, depth) and qemu's texts for chain failures.
#include "engine/chain/chain_walker.h"

#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <optional>
#include <utility>

#include "engine/render/backing_path.h"

namespace instar::chain {

namespace {

ChainStep Failure(ChainStep::Kind kind, std::string display, std::string message) {
  ChainStep step;
  step.kind = kind;
  step.display = std::move(display);
  step.message = std::move(message);
  return step;
}

// The texts of a failed walk to `display` (a `what`: "backing name" or "data file name");
// nullopt when the walk opened the file.
std::optional<ChainStep> WalkFailure(const WalkResult& walk, const std::string& display,
                                     const std::string& root, std::string_view what) {
  const std::string open_prefix = "Could not open '" + display + "': ";
  switch (walk.kind) {
    case WalkResult::Kind::kRefused:
      return Failure(ChainStep::Kind::kRefused, display,
                     open_prefix + "refused by instar: " + RefusalText(walk.refusal, what) +
                         " (only files under '" + root + "' are opened)");
    case WalkResult::Kind::kSystemError:
      return Failure(ChainStep::Kind::kQemuError, display,
                     open_prefix + open_prefix + std::strerror(walk.error_number));
    case WalkResult::Kind::kNotRegular:
      return Failure(ChainStep::Kind::kQemuError, display,
                     open_prefix + "'file' driver requires '" + display + "' to be a regular file");
    case WalkResult::Kind::kOpened:
      break;
  }
  return std::nullopt;
}

std::string LoopText(const std::string& display) {
  return "Backing file '" + display + "' creates an infinite loop.";
}

}  // namespace

bool ChainWalker::Start(std::string_view top_filename, dev_t device, ino_t inode,
                        std::string* error) {
  if (!root_.Open(top_filename, error)) return false;
  last_display_ = std::string(top_filename);
  last_dir_.clear();
  names_ = {last_display_};
  files_ = {{device, inode}};
  depth_ = 1;
  return true;
}

ChainStep ChainWalker::Next(std::string_view backing) {
  const std::optional<std::string> full = render::FullBackingFilename(last_display_, backing);
  if (!full) {
    return Failure(ChainStep::Kind::kQemuError, std::string(backing),
                   "Could not determine absolute backing filename, but backing filename '" +
                       std::string(backing) + "' present");
  }
  const std::string& display = *full;
  const std::string open_prefix = "Could not open '" + display + "': ";
  if (names_.count(display) != 0) {
    return Failure(ChainStep::Kind::kQemuError, display, LoopText(display));
  }
  if (depth_ >= kMaxChainDepth) {
    return Failure(ChainStep::Kind::kRefused, display,
                   open_prefix + "refused by instar: backing chain longer than " +
                       std::to_string(kMaxChainDepth) + " images");
  }
  WalkResult walk = root_.Walk(PlanBackingName(root_.spellings(), last_dir_, backing));
  if (std::optional<ChainStep> failed = WalkFailure(walk, display, root_.path(), "backing name")) {
    return std::move(*failed);
  }
  if (!files_.insert({walk.image.device, walk.image.inode}).second) {
    return Failure(ChainStep::Kind::kQemuError, display, LoopText(display));
  }
  names_.insert(display);
  ++depth_;
  last_display_ = display;
  last_dir_ = walk.image.dir;
  ChainStep step;
  step.kind = ChainStep::Kind::kOpened;
  step.display = display;
  step.image = std::move(walk.image);
  return step;
}

ChainStep ChainWalker::OpenDataFile(std::string_view name) const {
  const std::string display(name);
  std::string absolute = display;
  if (!render::PathIsAbsolute(name) && !render::PathHasProtocol(name)) {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) == nullptr) {
      return Failure(ChainStep::Kind::kQemuError, display,
                     "Could not open '" + display + "': Could not open '" + display +
                         "': " + std::strerror(errno));
    }
    absolute = std::string(cwd) + "/" + display;
  }
  WalkResult walk = root_.Walk(PlanBackingName(root_.spellings(), {}, absolute));
  if (walk.kind == WalkResult::Kind::kRefused && walk.refusal == Refusal::kAbsoluteOutside &&
      absolute != display) {
    return Failure(ChainStep::Kind::kRefused, display,
                   "Could not open '" + display +
                       "': refused by instar: data file name, taken relative to the working "
                       "directory as qemu does, outside the image's directory (only files under '" +
                       root_.path() + "' are opened)");
  }
  if (std::optional<ChainStep> failed =
          WalkFailure(walk, display, root_.path(), "data file name")) {
    return std::move(*failed);
  }
  ChainStep step;
  step.kind = ChainStep::Kind::kOpened;
  step.display = display;
  step.image = std::move(walk.image);
  return step;
}

}  // namespace instar::chain
