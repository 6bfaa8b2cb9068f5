// root_walk_testing.h: test-only controls of the allow-list walk; the engine never includes this.
#pragma once

#include <functional>
#include <string_view>

namespace instar::chain::testing {

// Called after each component has been looked up (lstat'ed) and before the walk acts on what it
// found: lets a test change the tree between two steps of one walk. Empty: no hook.
void SetAfterLookupHook(std::function<void(std::string_view component)> hook);

// True: the walk opens every component with plain openat, as on kernels (or seccomp profiles)
// where openat2 fails with ENOSYS or EPERM.
void SetOpenat2Unavailable(bool unavailable);

}  // namespace instar::chain::testing
