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
  kHiddenComponent,     // a component starting with '.' below the root (".ssh/id_rsa")
  kNoRoot,              // no root at all: the image lies in '/' and no --allow-root was given
};

// Why a name was refused, for the user (no filesystem facts in it). `what` names the kind of
// name: "backing name" or "data file name". `explicit_roots`: the roots came from --allow-root
// or INSTAR_ALLOW_ROOT, so "the image's directory" would be the wrong place to name.
std::string RefusalText(Refusal refusal, std::string_view what, bool explicit_roots = false);

// A hidden name: one that starts with '.', other than "." and "..". Below an allowed root such a
// component is refused (docs/chains.md §2): dot-files and dot-directories hold keys and
// credentials (.ssh, .gnupg, .aws) far more often than disk images.
bool IsHiddenComponent(std::string_view component);

// Where a directory lies: which allowed root (an index into the roots) and its real
// (symlink-free) components under that root.
struct Location {
  size_t root = 0;
  Components dir;
};

// Where under the root a backing name points, lexically: `steps` is what the filesystem walk
// processes from `start` (the parent image's real directory under the root), ".." included, so
// that symbolic links met on the way are honoured as the kernel would.
struct LexicalPlan {
  Refusal refusal = Refusal::kNone;
  size_t root = 0;  // the root `start` lies under
  Components start;
  Components steps;
};

// The gate applied before any filesystem access. `parent` is where the parent image's directory
// lies (symlink-free). A relative `backing` continues from it; an absolute one must start with a
// spelling of one of `roots` (the longest such) and continues from that root. Refused: json: and
// protocol prefixes, absolute names outside every root, any ".." that would climb above the root
// when every component is taken as a plain directory, and any hidden component that is not
// itself the directory of an allowed root. No roots at all: everything is refused (kNoRoot).
LexicalPlan PlanBackingName(const std::vector<RootSpellings>& roots, const Location& parent,
                            std::string_view backing);

// For an absolute path (a backing name or a symlink target): the components under the root, or
// false when it is not under either spelling.
bool StripRoot(const RootSpellings& root, std::string_view absolute, Components* under_root);

// StripRoot over several roots: the one with the longest matching spelling (so a root nested in
// another, such as an explicitly named hidden directory, is found as itself).
bool FindRoot(const std::vector<RootSpellings>& roots, std::string_view absolute, size_t* root,
              Components* under_root);

// Whether `path` (absolute, as components) is exactly a spelling of one of `roots`.
bool IsRootSpelling(const std::vector<RootSpellings>& roots, const Components& path);

// Lexical ".." resolution of `steps` from `start`; false when it climbs above the root.
bool StaysUnderRoot(const Components& start, const Components& steps);

}  // namespace instar::chain
