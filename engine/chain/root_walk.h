// root_walk.h: resolving a planned backing name inside the allowed roots, one component at a time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/chain/path_rules.h"
#include "engine/sandbox/unique_fd.h"

namespace instar::chain {

// The user's choice of allowed roots: --allow-root DIR (repeatable) or INSTAR_ALLOW_ROOT.
// Empty: the top image's directory is the one root (none when that directory is '/').
struct RootOptions {
  std::vector<std::string> directories;
};

// A chain element opened read-only for the sandbox.
struct OpenedImage {
  sandbox::UniqueFd fd;
  uint64_t size = 0;
  uint64_t allocated = 0;  // st_blocks * 512
  dev_t device = 0;
  ino_t inode = 0;
  // The real (symlink-free) directory under a root that the element's name, as qemu spells it,
  // has as its directory: where the element's own relative backing name continues from.
  Location dir;
};

struct WalkResult {
  enum class Kind {
    kOpened,       // `image` is valid
    kRefused,      // a symlink led outside the roots, ".." above one, a hidden name (`refusal`)
    kSystemError,  // a component inside the root failed (`error_number`, e.g. ENOENT)
    kNotRegular,   // the name resolved to something other than a regular file
  };
  Kind kind = Kind::kSystemError;
  Refusal refusal = Refusal::kNone;
  int error_number = 0;
  OpenedImage image;
};

// One directory chain elements may lie in, held open so walks are relative to it.
class AllowedRoot {
 public:
  // Opens `directory` (the user named it, so symlinks in it are followed). False with *error
  // (strerror text) if it cannot be opened as a directory.
  [[nodiscard]] bool Open(const std::string& directory, std::string* error);

  int fd() const { return fd_.get(); }
  const RootSpellings& spellings() const { return spellings_; }
  // The canonical absolute path of the root, for messages.
  const std::string& path() const { return path_; }

 private:
  sandbox::UniqueFd fd_;
  std::string path_;
  RootSpellings spellings_;
};

// Every directory chain elements may lie in (docs/chains.md §2).
class AllowedRoots {
 public:
  // The roots for a chain whose top image is `top_filename` (as given on the command line):
  // `options.directories` when there are any, else the directory part of `top_filename`
  // (everything up to its last '/', as qemu's path_combine() takes it; "." when there is none),
  // unless that is '/'. Also finds where the top image's directory lies under them, if it does.
  // False with *error when a directory cannot be opened.
  [[nodiscard]] bool Open(const RootOptions& options, std::string_view top_filename,
                          std::string* error);

  bool explicit_roots() const { return explicit_; }
  bool empty() const { return roots_.empty(); }
  // Each root's spellings, by index (what PlanBackingName takes).
  const std::vector<RootSpellings>& spellings() const { return spellings_; }
  // Where the top image's directory lies; nullopt when it is under no root (explicit roots
  // elsewhere), so its relative names are taken as absolute ones.
  const std::optional<Location>& top_location() const { return top_location_; }
  // For refusals: "only files under '/a' are opened", "... under '/a' or '/b' ...".
  std::string Description() const;

  // Follows `plan` from `plan.start` under root `plan.root`, holding an O_PATH fd for every
  // directory entered and looking up one component at a time relative to the last one: each
  // component is lstat'ed (audited) before it is entered with O_NOFOLLOW | O_DIRECTORY, each
  // symbolic link's target checked lexically before it is followed (at most 40 links, as the
  // kernel), ".." pops back to the directory fd already held (never opened), hidden components
  // refused unless they are an allowed root themselves. The file is opened last, by a single
  // component, with O_NOFOLLOW. No multi-component path is ever handed to the kernel, so a
  // concurrent rename cannot send any lookup outside the root, with or without openat2 (which,
  // where present, adds RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS to each single-component open).
  WalkResult Walk(const LexicalPlan& plan) const;

 private:
  std::vector<AllowedRoot> roots_;
  std::vector<RootSpellings> spellings_;
  std::optional<Location> top_location_;
  bool explicit_ = false;
};

}  // namespace instar::chain
