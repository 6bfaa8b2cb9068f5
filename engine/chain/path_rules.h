// path_rules.h: the lexical allow-list gate for backing file names, without filesystem access.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace instar::chain {

// A path as its components, without empty ("//") and "." components; ".." is kept.
using Components = std::vector<std::string>;

Components SplitPath(std::string_view path);

// "a/b" from {"a", "b"}; "." for no components (the root itself, for openat).
std::string JoinRelative(const Components& components);

// The allowed root's absolute spellings, as component lists: `canonical` is realpath() of the
// top image's directory; `lexical` the same directory as the user spelled it (made absolute with
// the working directory), or empty when that spelling holds ".." and so may not name the same
// directory. Absolute names are accepted under either.
struct RootSpellings {
  Components canonical;
  Components lexical;
};

enum class Refusal {
  kNone,
  kJsonPseudoProtocol,  // "json:{...}" (CVE-2024-4467 class: options chosen by the image)
  kProtocol,            // "nbd:", "file:", "http:", any prefix qemu's path_has_protocol() sees
  kAbsoluteOutside,     // an absolute name not under the root
  kEscapesRoot,         // ".." climbing above the root
  kSymlinkOutside,      // a symbolic link whose target is not under the root
};

// Why a name was refused, for the user (no filesystem facts in it). `what` names the kind of
// name: "backing name" or "data file name".
std::string RefusalText(Refusal refusal, std::string_view what);

// Where under the root a backing name points, lexically: `steps` is what the filesystem walk
// processes from `start` (the parent image's real directory under the root), ".." included, so
// that symbolic links met on the way are honoured as the kernel would.
struct LexicalPlan {
  Refusal refusal = Refusal::kNone;
  Components start;
  Components steps;
};

// The gate applied before any filesystem access. `parent_dir` is the parent image's directory
// under the root (symlink-free). A relative `backing` continues from it; an absolute one must
// start with a root spelling and continues from the root. Refused: json: and protocol prefixes,
// absolute names outside the root, and any ".." that would climb above the root when every
// component is taken as a plain directory.
LexicalPlan PlanBackingName(const RootSpellings& root, const Components& parent_dir,
                            std::string_view backing);

// For an absolute path (a backing name or a symlink target): the components under the root, or
// false when it is not under either spelling.
bool StripRoot(const RootSpellings& root, std::string_view absolute, Components* under_root);

// Lexical ".." resolution of `steps` from `start`; false when it climbs above the root.
bool StaysUnderRoot(const Components& start, const Components& steps);

}  // namespace instar::chain
