// kvm_test_support.h: test support for KVM-labelled tests: the /dev/kvm policy and temp files.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/vmm/kvm_probe.h"
#include "engine/vmm/kvm_vm.h"

namespace instar::vmm::testing {

// KVM tests FAIL when KVM is missing (CI must run them natively or in the nested-KVM rig);
// INSTAR_KVM_TESTS_SKIP_OK=1 turns that into a skip for machines that knowingly lack KVM.
#define INSTAR_KVM_TEST_PRECONDITION(ok, what)                                              \
  do {                                                                                      \
    if (!(ok)) {                                                                            \
      const char* skip_ok = std::getenv("INSTAR_KVM_TESTS_SKIP_OK");                        \
      if (skip_ok != nullptr && std::string(skip_ok) == "1") {                              \
        GTEST_SKIP() << what << " and INSTAR_KVM_TESTS_SKIP_OK=1";                          \
      }                                                                                     \
      FAIL() << what << "; run under scripts/nested-kvm or set INSTAR_KVM_TESTS_SKIP_OK=1"; \
    }                                                                                       \
  } while (0)

// For tests of the monitor itself with hand-assembled guests (no SSE): /dev/kvm opens, API 12.
#define INSTAR_REQUIRE_KVM_DEVICE() \
  INSTAR_KVM_TEST_PRECONDITION(::instar::vmm::kvm_available(), "/dev/kvm is not available")

// For tests booting compiled guests: /dev/kvm runs long-mode SSE code (kvm_probe.h).
#define INSTAR_REQUIRE_KVM()       \
  INSTAR_KVM_TEST_PRECONDITION(    \
      ::instar::vmm::kvm_usable(), \
      "/dev/kvm cannot run an instar guest (" + ::instar::vmm::probe_kvm() + ")")

// A file in $TMPDIR (or /tmp) holding `bytes`, removed when the object goes away.
class TempFile {
 public:
  explicit TempFile(const std::vector<uint8_t>& bytes);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace instar::vmm::testing
