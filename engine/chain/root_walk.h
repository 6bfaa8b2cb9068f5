// root_walk.h: resolving a planned backing name inside the allowed root, one component at a time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/chain/path_rules.h"
#include "engine/sandbox/unique_fd.h"

namespace instar::chain {

// A chain element opened read-only for the sandbox.
struct OpenedImage {
  sandbox::UniqueFd fd;
  uint64_t size = 0;
  uint64_t allocated = 0;  // st_blocks * 512
  dev_t device = 0;
  ino_t inode = 0;
  // The real (symlink-free) directory under the root that the element's name, as qemu spells
  // it, has as its directory: where the element's own relative backing name continues from.
  Components dir;
};

struct WalkResult {
  enum class Kind {
    kOpened,       // `image` is valid
    kRefused,      // a symlink led outside the root, or ".." above it (`refusal`)
    kSystemError,  // a component inside the root failed (`error_number`, e.g. ENOENT)
    kNotRegular,   // the name resolved to something other than a regular file
  };
  Kind kind = Kind::kSystemError;
  Refusal refusal = Refusal::kNone;
  int error_number = 0;
  OpenedImage image;
};

// The directory every chain element must lie in. Holds it open, so walks are relative to it.
class AllowedRoot {
 public:
  // Opens the directory part of `top_filename` (everything up to its last '/', as qemu's
  // path_combine() takes it; "." when there is none). The user named this path, so symlinks in it
  // are followed. False with *error (strerror text) if it cannot be opened.
  [[nodiscard]] bool Open(std::string_view top_filename, std::string* error);

  const RootSpellings& spellings() const { return spellings_; }
  // The canonical absolute path of the root, for messages and audit records.
  const std::string& path() const { return path_; }

  // Follows `plan` from `plan.start`: every component lstat'ed (audited) before it is entered,
  // each symbolic link's target checked lexically before it is followed (at most 40 links, as
  // the kernel), ".." taken on the real directory reached so far. The file is opened last with
  // O_NOFOLLOW (and openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS where the kernel has it, so a
  // concurrent rename cannot swap a link in). Nothing outside the root is ever touched.
  WalkResult Walk(const LexicalPlan& plan) const;

 private:
  sandbox::UniqueFd fd_;
  std::string path_;
  RootSpellings spellings_;
};

}  // namespace instar::chain
