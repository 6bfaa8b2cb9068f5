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

std::string RefusalText(Refusal refusal, std::string_view what, bool explicit_roots) {
  const std::string name(what);
  const std::string place = explicit_roots ? "the allowed roots" : "the image's directory";
  switch (refusal) {
    case Refusal::kNone:
      return "allowed";
    case Refusal::kJsonPseudoProtocol:
      return "json: pseudo-protocol " + name + "s are refused";
    case Refusal::kProtocol:
      return "protocol-prefixed " + name + "s are refused";
    case Refusal::kAbsoluteOutside:
      return "absolute " + name + " outside " + place;
    case Refusal::kEscapesRoot:
      return name + " leaves " + place;
    case Refusal::kSymlinkOutside:
      return "symbolic link leading outside " + place;
    case Refusal::kHiddenComponent:
      return name +
             " with a hidden component (a name starting with '.'); name the directory "
             "with --allow-root to allow it";
    case Refusal::kNoRoot:
      return "the image's directory is '/', which is never an allowed root; name one with "
             "--allow-root";
  }
  return "refused";
}

bool IsHiddenComponent(std::string_view component) {
  return !component.empty() && component.front() == '.' && component != "." && component != "..";
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
  size_t index = 0;
  return FindRoot({root}, absolute, &index, under_root);
}

bool FindRoot(const std::vector<RootSpellings>& roots, std::string_view absolute, size_t* root,
              Components* under_root) {
  if (!render::PathIsAbsolute(absolute)) return false;
  const Components parts = SplitPath(absolute);
  // Compared before any ".." is resolved: "/root/../elsewhere" is not under "/root".
  const Components* best = nullptr;
  for (size_t i = 0; i < roots.size(); ++i) {
    for (const Components* spelling : {&roots[i].canonical, &roots[i].lexical}) {
      if (StartsWith(parts, *spelling) && (best == nullptr || spelling->size() > best->size())) {
        best = spelling;
        *root = i;
      }
    }
  }
  if (best == nullptr) return false;
  under_root->assign(parts.begin() + static_cast<std::ptrdiff_t>(best->size()), parts.end());
  return true;
}

bool IsRootSpelling(const std::vector<RootSpellings>& roots, const Components& path) {
  for (const RootSpellings& root : roots) {
    if (path == root.canonical || (!root.lexical.empty() && path == root.lexical)) return true;
  }
  return false;
}

namespace {

// The first hidden component of `plan.steps` that is not itself the directory of an allowed root,
// taking the components lexically from the plan's root (the walk checks the real directories).
bool HasRefusedHiddenComponent(const std::vector<RootSpellings>& roots, const LexicalPlan& plan) {
  Components at = roots[plan.root].canonical;
  at.insert(at.end(), plan.start.begin(), plan.start.end());
  for (const std::string& c : plan.steps) {
    if (c == "..") {
      if (!at.empty()) at.pop_back();
      continue;
    }
    at.push_back(c);
    if (IsHiddenComponent(c) && !IsRootSpelling(roots, at)) return true;
  }
  return false;
}

}  // namespace

LexicalPlan PlanBackingName(const std::vector<RootSpellings>& roots, const Location& parent,
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
  if (roots.empty()) {
    plan.refusal = Refusal::kNoRoot;
    return plan;
  }
  if (render::PathIsAbsolute(backing)) {
    if (!FindRoot(roots, backing, &plan.root, &plan.steps)) {
      plan.refusal = Refusal::kAbsoluteOutside;
      plan.steps.clear();
      return plan;
    }
  } else {
    plan.root = parent.root;
    plan.start = parent.dir;
    plan.steps = SplitPath(backing);
  }
  if (!StaysUnderRoot(plan.start, plan.steps)) {
    plan.refusal = Refusal::kEscapesRoot;
  } else if (HasRefusedHiddenComponent(roots, plan)) {
    plan.refusal = Refusal::kHiddenComponent;
  }
  return plan;
}

}  // namespace instar::chain
