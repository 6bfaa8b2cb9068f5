// path_rules.cc: pure path arithmetic for the allow-list; the walk (root_walk.cc) does the I/O.
#include "engine/chain/path_rules.h"

#include "engine/render/backing_path.h"

namespace instar::chain {

namespace {

bool StartsWith(const Components& path, const Components& prefix) {
  if (prefix.empty() || path.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (path[i] != prefix[i]) return false;
  }
  return true;
}

}  // namespace

Components SplitPath(std::string_view path) {
  Components out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(start, end - start);
    if (!part.empty() && part != ".") out.emplace_back(part);
    start = end + 1;
  }
  return out;
}

std::string JoinRelative(const Components& components) {
  if (components.empty()) return ".";
  std::string out;
  for (const std::string& c : components) {
    if (!out.empty()) out += '/';
    out += c;
  }
  return out;
}

std::string RefusalText(Refusal refusal, std::string_view what) {
  const std::string name(what);
  switch (refusal) {
    case Refusal::kNone:
      return "allowed";
    case Refusal::kJsonPseudoProtocol:
      return "json: pseudo-protocol " + name + "s are refused";
    case Refusal::kProtocol:
      return "protocol-prefixed " + name + "s are refused";
    case Refusal::kAbsoluteOutside:
      return "absolute " + name + " outside the image's directory";
    case Refusal::kEscapesRoot:
      return name + " leaves the image's directory";
    case Refusal::kSymlinkOutside:
      return "symbolic link leading outside the image's directory";
  }
  return "refused";
}

bool StaysUnderRoot(const Components& start, const Components& steps) {
  size_t depth = start.size();
  for (const std::string& c : steps) {
    if (c != "..") {
      ++depth;
    } else if (depth == 0) {
      return false;
    } else {
      --depth;
    }
  }
  return true;
}

bool StripRoot(const RootSpellings& root, std::string_view absolute, Components* under_root) {
  if (!render::PathIsAbsolute(absolute)) return false;
  const Components parts = SplitPath(absolute);
  // Compared before any ".." is resolved: "/root/../elsewhere" is not under "/root".
  for (const Components* spelling : {&root.canonical, &root.lexical}) {
    if (StartsWith(parts, *spelling)) {
      under_root->assign(parts.begin() + static_cast<std::ptrdiff_t>(spelling->size()),
                         parts.end());
      return true;
    }
  }
  return false;
}

LexicalPlan PlanBackingName(const RootSpellings& root, const Components& parent_dir,
                            std::string_view backing) {
  LexicalPlan plan;
  if (backing.substr(0, 5) == "json:") {
    plan.refusal = Refusal::kJsonPseudoProtocol;
    return plan;
  }
  if (render::PathHasProtocol(backing)) {
    plan.refusal = Refusal::kProtocol;
    return plan;
  }
  if (render::PathIsAbsolute(backing)) {
    if (!StripRoot(root, backing, &plan.steps)) {
      plan.refusal = Refusal::kAbsoluteOutside;
      plan.steps.clear();
      return plan;
    }
  } else {
    plan.start = parent_dir;
    plan.steps = SplitPath(backing);
  }
  if (!StaysUnderRoot(plan.start, plan.steps)) plan.refusal = Refusal::kEscapesRoot;
  return plan;
}

}  // namespace instar::chain
