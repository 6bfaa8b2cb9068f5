// The profile table (each behaviour change at its release) and each rule in the info renderers.
#include "engine/render/profile.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include <string>

#include "engine/render/info_render.h"
#include "engine/render/snapshot_table.h"

namespace instar::render {
namespace {

const Profile& P(const char* version) {
  const Profile* p = FindProfile(version);
  EXPECT_NE(p, nullptr) << version;
  return p != nullptr ? *p : DefaultProfile();
}

TEST(Profile, MeasuredVersionsOldestFirst) {
  std::string seen;
  for (const Profile& p : KnownProfiles()) seen += p.version.ToString() + " ";
  EXPECT_EQ(seen, "7.2.22 8.2.2 9.2.4 10.0.13 10.2.2 ");
  EXPECT_EQ(DefaultProfile().version.ToString(), "7.2.22");
  EXPECT_EQ(NewestProfile().version.ToString(), "10.2.2");
}

TEST(Profile, ParseVersion) {
  EXPECT_EQ(ParseQemuVersion("8.2")->ToString(), "8.2.0");
  EXPECT_EQ(ParseQemuVersion("10.0.13")->ToString(), "10.0.13");
  for (const char* bad : {"", "8", "8.", ".2", "8.2.", "8.2.1.1", "v8.2", "8.2-rc1", "-1.2"}) {
    EXPECT_FALSE(ParseQemuVersion(bad).has_value()) << bad;
  }
}

TEST(Profile, FindMatchesMinorRelease) {
  EXPECT_EQ(&P("7.2"), &P("7.2.0"));
  EXPECT_EQ(FindProfile("8.1"), nullptr);
  EXPECT_EQ(FindProfile("junk"), nullptr);
}

TEST(Profile, SelectMapsToNearestOlder) {
  auto pick = [](const char* v) {
    const ProfileMatch m = SelectProfile(*ParseQemuVersion(v));
    return m.profile.version.ToString() + (m.exact ? "" : " (mapped)");
  };
  EXPECT_EQ(pick("9.2.0"), "9.2.4");
  EXPECT_EQ(pick("8.1.3"), "7.2.22 (mapped)");
  EXPECT_EQ(pick("9.1"), "8.2.2 (mapped)");
  EXPECT_EQ(pick("10.1"), "10.0.13 (mapped)");
  EXPECT_EQ(pick("11.0"), "10.2.2 (mapped)");
  EXPECT_EQ(pick("6.2"), "7.2.22 (mapped)");  // nothing older: the oldest
}

// CVE-2024-4467's fix is keyed to the exact release of each line, whatever profile renders it:
// upstream 9.1.0, backported to 9.0.2 and 8.2.6; 8.0.x and 8.1.x never got it.
TEST(Profile, DataFileUnderInfoFollowsTheExactRelease) {
  auto opens = [](const char* v) {
    return SelectProfile(*ParseQemuVersion(v)).profile.info_opens_data_file;
  };
  for (const char* v : {"8.0", "8.0.5", "8.1.3", "8.2", "8.2.2", "8.2.5", "9.0", "9.0.1"}) {
    EXPECT_TRUE(opens(v)) << v;
  }
  for (const char* v :
       {"6.2", "7.2.0", "7.2.22", "8.2.6", "8.2.10", "9.0.2", "9.1", "9.1.3", "10.2", "11.0"}) {
    EXPECT_FALSE(opens(v)) << v;
  }
  // 9.1 renders with the nearest older measured profile (8.2) but keeps the data file closed.
  const ProfileMatch m = SelectProfile(*ParseQemuVersion("9.1.0"));
  EXPECT_EQ(m.profile.version.ToString(), "8.2.2");
  EXPECT_TRUE(m.profile.info_child_nodes);
  EXPECT_FALSE(m.profile.info_opens_data_file);
}

// The fix's other face: before it, every release's info ran qcow2's data-file step (refusals of a
// data-file bit without a name, data-file-raw without a data file), 7.2 included.
TEST(Profile, DataFileStepUnderInfoFollowsTheExactRelease) {
  auto runs = [](const char* v) {
    return SelectProfile(*ParseQemuVersion(v)).profile.info_runs_data_file_step;
  };
  for (const char* v : {"6.2", "7.2.0", "7.2.12", "8.1.3", "8.2.2", "8.2.5", "9.0.1"}) {
    EXPECT_TRUE(runs(v)) << v;
  }
  for (const char* v : {"7.2.13", "7.2.22", "8.2.6", "9.0.2", "9.1", "9.2", "10.2", "11.0"}) {
    EXPECT_FALSE(runs(v)) << v;
  }
}

TEST(Profile, BehaviourChangesByRelease) {
  EXPECT_FALSE(P("7.2").info_child_nodes);
  EXPECT_TRUE(P("7.2").format_specific_header_when_empty);
  for (const char* v : {"8.2", "9.2", "10.0", "10.2"}) {
    EXPECT_TRUE(P(v).info_child_nodes) << v;
    EXPECT_FALSE(P(v).format_specific_header_when_empty) << v;
    EXPECT_TRUE(P(v).map_compressed_field) << v;
  }
  // Of the measured releases only 8.2.2 opens a data file under info (CVE-2024-4467).
  EXPECT_FALSE(P("7.2").info_opens_data_file);
  EXPECT_TRUE(P("8.2").info_opens_data_file);
  EXPECT_FALSE(P("9.2").info_opens_data_file);
  EXPECT_FALSE(P("10.0").info_limits);
  EXPECT_TRUE(P("10.2").info_limits);
  EXPECT_FALSE(P("10.0").info_cache_option);
  EXPECT_TRUE(P("10.2").info_cache_option);
  EXPECT_EQ(P("7.2").copyright, "2003-2022");
  EXPECT_EQ(P("10.2").copyright, "2003-2025");
}

class ProfileRender : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

DecodedImage Qcow2WithDataFile() {
  DecodedImage d;
  d.info.set_format(guest::FORMAT_QCOW2);
  d.info.set_virtual_size(8388608);
  d.info.set_cluster_size(65536);
  guest::Qcow2Info* q = d.info.mutable_qcow2();
  q->set_version(3);
  q->set_cluster_bits(16);
  q->set_refcount_order(4);
  q->set_incompatible_features(1u << 2);
  q->set_has_data_file(true);
  q->set_data_file("ext.data");
  return d;
}

HostFacts Facts() {
  HostFacts f;
  f.filename = "d.qcow2";
  f.actual_size = 266240;
  f.file_length = 327000;  // not a multiple of 512
  return f;
}

TEST_F(ProfileRender, ChildNodeSectionOnlyFrom80) {
  const DecodedImage d = Qcow2WithDataFile();
  const std::string old = RenderInfoHuman(*BuildImageInfo(d, Facts(), P("7.2")), P("7.2"));
  EXPECT_EQ(old.find("Child node"), std::string::npos);
  const std::string now = RenderInfoHuman(*BuildImageInfo(d, Facts(), P("9.2")), P("9.2"));
  // The file length is rounded up to 512 (qemu keeps lengths in sectors); no empty
  // "Format specific information:" for the file node.
  const std::string tail =
      "    extended l2: false\n"
      "Child node '/file':\n"
      "    filename: d.qcow2\n"
      "    protocol type: file\n"
      "    file length: 320 KiB (327168 bytes)\n"
      "    disk size: 260 KiB\n";
  ASSERT_GE(now.size(), tail.size());
  EXPECT_EQ(now.substr(now.size() - tail.size()), tail);
}

TEST_F(ProfileRender, DataFileChildFirstAndSummedIn82) {
  const DecodedImage d = Qcow2WithDataFile();
  EXPECT_FALSE(DataFileToOpen(d, P("7.2")).has_value());
  EXPECT_FALSE(DataFileToOpen(d, P("9.2")).has_value());
  ASSERT_EQ(DataFileToOpen(d, P("8.2")).value_or(""), "ext.data");
  HostFacts f = Facts();
  f.data_file = ProtocolFacts{"ext.data", 8388608, 65536};
  const ImageInfo info = *BuildImageInfo(d, f, P("8.2"));
  ASSERT_TRUE(info.children.has_value());
  ASSERT_EQ(info.children->size(), 2u);
  EXPECT_EQ((*info.children)[0].name, "data-file");
  EXPECT_EQ((*info.children)[1].name, "file");
  EXPECT_EQ(info.actual_size.value_or(0), 266240 + 65536);
  const std::string human = RenderInfoHuman(info, P("8.2"));
  EXPECT_NE(human.find("disk size: 324 KiB\n"), std::string::npos);
  EXPECT_LT(human.find("Child node '/data-file':"), human.find("Child node '/file':"));
  // 9.2 ignores the data file facts: it never opens it.
  const ImageInfo later = *BuildImageInfo(d, f, P("9.2"));
  EXPECT_EQ(later.children->size(), 1u);
  EXPECT_EQ(later.actual_size.value_or(0), 266240);
}

TEST_F(ProfileRender, JsonChildrenIsFirstKeyWithEmptyContainers) {
  const DecodedImage d = Qcow2WithDataFile();
  const std::string json = RenderInfoJson(*BuildImageInfo(d, Facts(), P("10.0")), P("10.0"));
  EXPECT_EQ(json.substr(0, 129),
            "{\n"
            "    \"children\": [\n"
            "        {\n"
            "            \"name\": \"file\",\n"
            "            \"info\": {\n"
            "                \"children\": [\n"
            "                ],\n");
  EXPECT_NE(json.find("\"virtual-size\": 327168,"), std::string::npos);
  EXPECT_NE(
      json.find("\"type\": \"file\",\n                    \"data\": {\n                    }"),
      std::string::npos);
  EXPECT_EQ(RenderInfoJson(*BuildImageInfo(d, Facts(), P("7.2")), P("7.2")).find("children"),
            std::string::npos);
}

TEST_F(ProfileRender, SnapshotTableLayoutFrom90) {
  SnapshotRow row;
  row.id = "1";
  row.name = "first";
  row.date_sec = 1700000000;
  row.vm_clock_nsec = 3723004000000ull;  // 1:02:03.004
  EXPECT_EQ(SnapshotTableHeader(P("8.2")),
            "ID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT");
  EXPECT_EQ(SnapshotTableRow(row, P("8.2")),
            "1         first                 0 B 2023-11-14 22:13:20 01:02:03.004           ");
  EXPECT_EQ(SnapshotTableHeader(P("9.2")),
            "ID      TAG               VM_SIZE                DATE        VM_CLOCK     ICOUNT");
  EXPECT_EQ(SnapshotTableRow(row, P("9.2")),
            "1       first                 0 B 2023-11-14 22:13:20  0001:02:03.004         --");
  row.icount = 7;
  const std::string with_icount = SnapshotTableRow(row, P("10.2"));
  EXPECT_EQ(with_icount.substr(with_icount.size() - 11), "          7");
}

}  // namespace
}  // namespace instar::render
