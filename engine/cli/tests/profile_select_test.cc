// Output profile selection: --qemu-version over INSTAR_QEMU_VERSION over PATH's qemu-img.
#include "engine/cli/profile_select.h"

#include <gtest/gtest.h>

#include "engine/cli/global_options.h"

namespace instar::cli {
namespace {

std::optional<render::QemuVersion> none() {
  return std::nullopt;
}

std::optional<render::QemuVersion> installed_7_2_22() {
  return render::QemuVersion{7, 2, 22};
}

TEST(ProfileSelect, CommandLineBeatsEnvironmentBeatsPath) {
  ProfileRequest r;
  r.cli_value = "9.2";
  r.env_value = "8.2";
  EXPECT_EQ(select_profile(r, installed_7_2_22).profile.version.ToString(), "9.2.4");
  r.cli_value.reset();
  EXPECT_EQ(select_profile(r, installed_7_2_22).profile.version.ToString(), "8.2.2");
  r.env_value.reset();
  const ProfileSelection detected = select_profile(r, installed_7_2_22);
  EXPECT_EQ(detected.profile.version.ToString(), "7.2.22");
  EXPECT_EQ(detected.reported.ToString(), "7.2.22");
  EXPECT_TRUE(detected.note.empty());
  EXPECT_EQ(select_profile(r, none).profile.version, render::NewestProfile().version);
}

TEST(ProfileSelect, UnknownVersionMapsOlderWithNote) {
  ProfileRequest r;
  r.cli_value = "9.1.1";
  const ProfileSelection s = select_profile(r, none);
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(s.profile.version.ToString(), "8.2.2");
  EXPECT_EQ(s.reported.ToString(), "8.2.2");
  EXPECT_EQ(s.note,
            "instar: no output profile for qemu-img 9.1.1 (--qemu-version); using the 8.2 "
            "profile\n");
  // A patch release of a measured X.Y is that profile, reported as asked.
  r.cli_value = "10.0.2";
  EXPECT_EQ(select_profile(r, none).reported.ToString(), "10.0.2");
  EXPECT_TRUE(select_profile(r, none).note.empty());
}

TEST(ProfileSelect, MalformedVersionIsAnError) {
  ProfileRequest r;
  r.env_value = "latest";
  const ProfileSelection s = select_profile(r, installed_7_2_22);
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.error, "invalid INSTAR_QEMU_VERSION 'latest' (expected X.Y or X.Y.Z)");
}

TEST(ProfileSelect, ParsesQemuImgVersionOutput) {
  EXPECT_EQ(parse_qemu_img_version("qemu-img version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n"
                                   "Copyright (c) 2003-2022 Fabrice Bellard\n")
                ->ToString(),
            "7.2.22");
  EXPECT_EQ(parse_qemu_img_version("qemu-img version 10.2.2\n")->ToString(), "10.2.2");
  // instar answering as qemu-img is never taken for the user's qemu-img.
  EXPECT_FALSE(parse_qemu_img_version("qemu-img version 7.2.22 (instar 0.1.0)\n").has_value());
  EXPECT_FALSE(parse_qemu_img_version("QEMU emulator version 8.2.2\n").has_value());
  EXPECT_FALSE(parse_qemu_img_version("").has_value());
}

TEST(ProfileSelect, GlobalOptions) {
  char a0[] = "instar", a1[] = "--qemu-version=8.2", a2[] = "--verbose", a3[] = "info";
  char* argv[] = {a0, a1, a2, a3, nullptr};
  const GlobalParse p = parse_global_options(4, argv);
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.options.qemu_version.value_or(""), "8.2");
  EXPECT_TRUE(p.options.verbose);
  EXPECT_EQ(p.options.command_index, 3);
}

}  // namespace
}  // namespace instar::cli
