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

// `name` made absolute with the working directory, as the kernel would take it (names with a
// protocol prefix are left for the lexical gate to refuse); nullopt with errno when the working
// directory cannot be read.
std::optional<std::string> FromWorkingDirectory(std::string_view name) {
  if (render::PathIsAbsolute(name) || render::PathHasProtocol(name)) return std::string(name);
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return std::nullopt;
  return std::string(cwd) + "/" + std::string(name);
}

std::string LoopText(const std::string& display) {
  return "Backing file '" + display + "' creates an infinite loop.";
}

}  // namespace

// The texts of a failed walk to `display` (a `what`: "backing name" or "data file name");
// nullopt when the walk opened the file.
std::optional<ChainStep> ChainWalker::WalkFailure(const WalkResult& walk,
                                                  const std::string& display,
                                                  std::string_view what) const {
  const std::string open_prefix = "Could not open '" + display + "': ";
  switch (walk.kind) {
    case WalkResult::Kind::kRefused: {
      std::string text = open_prefix + "refused by instar: " +
                         RefusalText(walk.refusal, what, roots_.explicit_roots());
      if (!roots_.empty()) text += " (" + roots_.Description() + ")";
      return Failure(ChainStep::Kind::kRefused, display, text);
    }
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

bool ChainWalker::Start(std::string_view top_filename, dev_t device, ino_t inode,
                        const RootOptions& roots, std::string* error) {
  if (!roots_.Open(roots, top_filename, error)) return false;
  last_display_ = std::string(top_filename);
  last_dir_ = roots_.top_location();
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
  // A top image under no explicit root has no real directory to continue from: its relative
  // names are taken as qemu spells them (the combined name), made absolute.
  std::string name(backing);
  if (!last_dir_ && !render::PathIsAbsolute(backing) && !render::PathHasProtocol(backing)) {
    const std::optional<std::string> absolute = FromWorkingDirectory(display);
    if (!absolute) {
      return Failure(ChainStep::Kind::kQemuError, display,
                     open_prefix + open_prefix + std::strerror(errno));
    }
    name = *absolute;
  }
  WalkResult walk =
      roots_.Walk(PlanBackingName(roots_.spellings(), last_dir_.value_or(Location{}), name));
  if (std::optional<ChainStep> failed = WalkFailure(walk, display, "backing name")) {
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
  const std::optional<std::string> absolute = FromWorkingDirectory(name);
  if (!absolute) {
    return Failure(ChainStep::Kind::kQemuError, display,
                   "Could not open '" + display + "': Could not open '" + display +
                       "': " + std::strerror(errno));
  }
  WalkResult walk = roots_.Walk(PlanBackingName(roots_.spellings(), Location{}, *absolute));
  if (walk.kind == WalkResult::Kind::kRefused && walk.refusal == Refusal::kAbsoluteOutside &&
      *absolute != display) {
    return Failure(ChainStep::Kind::kRefused, display,
                   "Could not open '" + display +
                       "': refused by instar: data file name, taken relative to the working "
                       "directory as qemu does, outside " +
                       (roots_.explicit_roots() ? "the allowed roots" : "the image's directory") +
                       " (" + roots_.Description() + ")");
  }
  if (std::optional<ChainStep> failed = WalkFailure(walk, display, "data file name")) {
    return std::move(*failed);
  }
  ChainStep step;
  step.kind = ChainStep::Kind::kOpened;
  step.display = display;
  step.image = std::move(walk.image);
  return step;
}

}  // namespace instar::chain
