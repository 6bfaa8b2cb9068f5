// backend_selection_test.cc: precedence and parsing of --sandbox= / INSTAR_SANDBOX.
#include "engine/sandbox/backend_selection.h"

#include <gtest/gtest.h>

namespace instar::sandbox {
namespace {

TEST(BackendSelection, ParsesTheThreeNames) {
  EXPECT_EQ(parse_backend_choice("auto"), BackendChoice::kAuto);
  EXPECT_EQ(parse_backend_choice("kvm"), BackendChoice::kKvm);
  EXPECT_EQ(parse_backend_choice("process"), BackendChoice::kProcess);
  EXPECT_EQ(parse_backend_choice("KVM"), std::nullopt);
  EXPECT_EQ(parse_backend_choice(""), std::nullopt);
  EXPECT_EQ(parse_backend_choice("kvm "), std::nullopt);
  EXPECT_STREQ(backend_name(Backend::kKvm), "kvm");
  EXPECT_STREQ(backend_name(Backend::kProcess), "process");
}

TEST(BackendSelection, AutoFollowsThePredicate) {
  auto yes = [] { return true; };
  auto no = [] { return false; };
  EXPECT_EQ(select_backend(std::nullopt, nullptr, yes).backend, Backend::kKvm);
  EXPECT_EQ(select_backend(std::nullopt, nullptr, no).backend, Backend::kProcess);
  EXPECT_EQ(select_backend("auto", nullptr, yes).backend, Backend::kKvm);
  EXPECT_EQ(select_backend(std::nullopt, "auto", no).backend, Backend::kProcess);
  EXPECT_EQ(select_backend(std::nullopt, nullptr, nullptr).backend, Backend::kProcess);
  EXPECT_STREQ(select_backend(std::nullopt, nullptr, no).source, "default");
}

TEST(BackendSelection, ExplicitChoicesDoNotProbe) {
  int probes = 0;
  auto probe = [&] {
    ++probes;
    return true;
  };
  EXPECT_EQ(select_backend("process", nullptr, probe).backend, Backend::kProcess);
  EXPECT_EQ(select_backend(std::nullopt, "process", probe).backend, Backend::kProcess);
  const BackendSelection kvm = select_backend("kvm", nullptr, [] { return false; });
  EXPECT_TRUE(kvm.ok);
  EXPECT_EQ(kvm.backend, Backend::kKvm) << "explicit kvm is honoured; the backend reports";
  EXPECT_EQ(probes, 0);
}

TEST(BackendSelection, CommandLineWinsOverEnvironment) {
  auto no = [] { return false; };
  BackendSelection s = select_backend("kvm", "process", no);
  EXPECT_EQ(s.backend, Backend::kKvm);
  EXPECT_STREQ(s.source, "--sandbox");
  s = select_backend(std::nullopt, "kvm", no);
  EXPECT_EQ(s.backend, Backend::kKvm);
  EXPECT_STREQ(s.source, "INSTAR_SANDBOX");
  // An empty variable is unset; a bad CLI value is an error even if the env is fine.
  EXPECT_EQ(select_backend(std::nullopt, "", no).backend, Backend::kProcess);
  EXPECT_FALSE(select_backend("bogus", "process", no).ok);
}

TEST(BackendSelection, InvalidValuesNameTheirSource) {
  auto no = [] { return false; };
  BackendSelection s = select_backend("vm", nullptr, no);
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.error, "invalid value 'vm' for --sandbox (expected auto, kvm or process)");
  s = select_backend(std::nullopt, "Process", no);
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.error, "invalid value 'Process' for INSTAR_SANDBOX (expected auto, kvm or process)");
  EXPECT_FALSE(select_backend("", nullptr, no).ok) << "--sandbox= with nothing";
}

}  // namespace
}  // namespace instar::sandbox
