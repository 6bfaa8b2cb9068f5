// Block limits (qemu 10.2 info --limits): each rule of the derivation, and the rendered output.
#include "engine/render/block_limits.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/render/image_info.h"
#include "engine/render/info_render.h"
#include "engine/render/json_writer.h"

namespace instar::render {
namespace {

constexpr HostBlockFacts kHost4k{4096, 1024};

FormatNode Qcow2Node(uint32_t cluster, uint32_t subcluster, uint32_t crypto_sector = 0) {
  FormatNode node;
  node.driver = FormatNode::Driver::kQcow2;
  node.cluster_size = cluster;
  node.subcluster_size = subcluster;
  node.crypto_sector = crypto_sector;
  return node;
}

std::string Json(const BlockLimits& bl) {
  return ToJsonPretty(BlockLimitsToQObject(bl));
}

TEST(BlockLimits, RegularFileWithoutODirect) {
  const BlockLimits file = RegularFileLimits(kHost4k);
  EXPECT_EQ(file.request_alignment, 1u);  // no alignment probing without O_DIRECT
  EXPECT_EQ(file.min_mem_alignment, 1u);  // buf_align 1
  EXPECT_EQ(file.opt_mem_alignment, 4096u);
  EXPECT_EQ(file.max_iov, 1024);  // IOV_MAX default of a node without data children
  // Only block / SG devices get sysfs transfer, segment and discard limits.
  EXPECT_EQ(file.discard_alignment, 0u);
  EXPECT_EQ(file.write_zeroes_alignment, 0u);
  EXPECT_EQ(file.max_transfer, 0u);
  EXPECT_EQ(file.max_hw_transfer, 0u);
  EXPECT_EQ(file.max_hw_iov, 0);
  // opt-mem-alignment is the host page size (64 KiB pages on some arm64 / ppc64 hosts).
  EXPECT_EQ(RegularFileLimits(HostBlockFacts{65536, 1024}).opt_mem_alignment, 65536u);
}

TEST(BlockLimits, MergeTakesLargestAlignmentAndSmallestNonZeroMaximum) {
  BlockLimits parent;
  parent.request_alignment = 1;
  parent.max_transfer = 0;
  parent.max_iov = 16;
  parent.min_mem_alignment = 512;
  BlockLimits child;
  child.request_alignment = 4096;
  child.max_transfer = 1 << 20;
  child.max_iov = 1024;
  child.min_mem_alignment = 1;
  child.opt_mem_alignment = 4096;
  child.discard_alignment = 8192;
  child.max_discard = 1 << 30;
  child.write_zeroes_alignment = 4096;
  const BlockLimits m = MergeChildLimits(parent, child);
  EXPECT_EQ(m.max_transfer, 1u << 20);  // 0 is "no limit": the child's maximum wins
  EXPECT_EQ(m.max_iov, 16);
  EXPECT_EQ(m.min_mem_alignment, 512u);
  EXPECT_EQ(m.opt_mem_alignment, 4096u);
  EXPECT_EQ(m.discard_alignment, 8192u);
  // Not merged by bdrv_merge_limits().
  EXPECT_EQ(m.request_alignment, 1u);
  EXPECT_EQ(m.max_discard, 0u);
  EXPECT_EQ(m.write_zeroes_alignment, 0u);
}

TEST(BlockLimits, Qcow2AlignsZeroesToSubclustersAndDiscardsToClusters) {
  const BlockLimits file = RegularFileLimits(kHost4k);
  const BlockLimits plain = FormatNodeLimits(Qcow2Node(65536, 65536), file);
  EXPECT_EQ(plain.request_alignment, 1u);
  EXPECT_EQ(plain.write_zeroes_alignment, 65536u);
  EXPECT_EQ(plain.discard_alignment, 65536u);
  EXPECT_EQ(plain.max_iov, 1024);
  EXPECT_EQ(plain.min_mem_alignment, 1u);
  EXPECT_EQ(plain.opt_mem_alignment, 4096u);
  const BlockLimits extl2 = FormatNodeLimits(Qcow2Node(131072, 4096), file);
  EXPECT_EQ(extl2.write_zeroes_alignment, 4096u);
  EXPECT_EQ(extl2.discard_alignment, 131072u);
  // Encryption works on 512-byte sectors.
  EXPECT_EQ(FormatNodeLimits(Qcow2Node(65536, 65536, 512), file).request_alignment, 512u);
}

TEST(BlockLimits, ProbedRawProtectsItsFirstSector) {
  const BlockLimits file = RegularFileLimits(kHost4k);
  FormatNode raw;
  raw.driver = FormatNode::Driver::kRaw;
  EXPECT_EQ(FormatNodeLimits(raw, file), file);  // -f raw: the file's limits as they are
  raw.probed = true;
  const BlockLimits probed = FormatNodeLimits(raw, file);
  EXPECT_EQ(probed.request_alignment, 512u);
  EXPECT_EQ(probed.discard_alignment, 0u);
}

TEST(BlockLimits, OptionalMembersOnlyWhenNonZero) {
  EXPECT_EQ(Json(RegularFileLimits(kHost4k)),
            "{\n"
            "    \"request-alignment\": 1,\n"
            "    \"min-mem-alignment\": 1,\n"
            "    \"opt-mem-alignment\": 4096,\n"
            "    \"max-iov\": 1024\n"
            "}");
  BlockLimits all = RegularFileLimits(kHost4k);
  all.max_discard = 1;
  all.discard_alignment = 2;
  all.max_write_zeroes = 3;
  all.write_zeroes_alignment = 4;
  all.opt_transfer = 5;
  all.max_transfer = 6;
  all.max_hw_transfer = 7;
  all.max_hw_iov = 8;
  const QObject obj = BlockLimitsToQObject(all);
  const QDict* d = obj.as_dict();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->size(), 12u);
  for (const char* key :
       {"max-discard", "discard-alignment", "max-write-zeroes", "write-zeroes-alignment",
        "opt-transfer", "max-transfer", "max-hw-transfer", "max-hw-iov"}) {
    EXPECT_NE(d->Get(key), nullptr) << key;
  }
}

// The limits object qemu-img 10.2.2 printed for a 64 KiB-cluster qcow2 on a 4 KiB-page host
// (shared/reference/qemu-versions/differences.md), members in the recorded order.
TEST(BlockLimits, RecordedQcow2Example) {
  EXPECT_EQ(Json(FormatNodeLimits(Qcow2Node(65536, 65536), RegularFileLimits(kHost4k))),
            "{\n"
            "    \"write-zeroes-alignment\": 65536,\n"
            "    \"request-alignment\": 1,\n"
            "    \"min-mem-alignment\": 1,\n"
            "    \"discard-alignment\": 65536,\n"
            "    \"opt-mem-alignment\": 4096,\n"
            "    \"max-iov\": 1024\n"
            "}");
}

TEST(BlockLimits, HostFactsComeFromTheRunningHost) {
  const HostBlockFacts host = CurrentHostBlockFacts();
  EXPECT_GE(host.page_size, 4096u);
  EXPECT_EQ(host.page_size & (host.page_size - 1), 0u);
  EXPECT_GT(host.iov_max, 0);
}

// --- rendered through info (10.2 profile) ---

DecodedImage Qcow2(bool extended_l2) {
  DecodedImage d;
  d.info.set_format(guest::FORMAT_QCOW2);
  d.info.set_virtual_size(67108864);
  d.info.set_cluster_size(extended_l2 ? 131072 : 65536);
  guest::Qcow2Info* q = d.info.mutable_qcow2();
  q->set_version(3);
  q->set_cluster_bits(extended_l2 ? 17 : 16);
  q->set_refcount_order(4);
  if (extended_l2) q->set_incompatible_features(1u << 4);
  q->set_has_backing_file(true);
  q->set_backing_file("base.qcow2");
  q->set_has_backing_format(true);
  q->set_backing_format("qcow2");
  return d;
}

HostFacts LimitsFacts() {
  HostFacts f;
  f.filename = "overlay.qcow2";
  f.actual_size = 1314816;
  f.file_length = 1376256;
  f.limits_host = kHost4k;
  return f;
}

const Profile& P(const char* v) {
  return *FindProfile(v);
}

TEST(BlockLimitsInfo, HumanSectionAfterBackingFileAndInEachChild) {
  const ImageInfo info = *BuildImageInfo(Qcow2(false), LimitsFacts(), P("10.2"));
  const std::string human = RenderInfoHuman(info, P("10.2"));
  EXPECT_NE(human.find("backing file format: qcow2\n"
                       "Block limits:\n"
                       "    write zeroes alignment: 65536\n"
                       "    request alignment: 1\n"
                       "    min mem alignment: 1\n"
                       "    discard alignment: 65536\n"
                       "    opt mem alignment: 4096\n"
                       "    max iov: 1024\n"
                       "Format specific information:\n"),
            std::string::npos)
      << human;
  const std::string child =
      "Child node '/file':\n"
      "    filename: overlay.qcow2\n"
      "    protocol type: file\n"
      "    file length: 1.31 MiB (1376256 bytes)\n"
      "    disk size: 1.25 MiB\n"
      "    Block limits:\n"
      "        request alignment: 1\n"
      "        min mem alignment: 1\n"
      "        opt mem alignment: 4096\n"
      "        max iov: 1024\n";
  ASSERT_GE(human.size(), child.size());
  EXPECT_EQ(human.substr(human.size() - child.size()), child);
}

TEST(BlockLimitsInfo, JsonLimitsObjectIsTheFirstKey) {
  const ImageInfo info = *BuildImageInfo(Qcow2(true), LimitsFacts(), P("10.2"));
  const std::string json = RenderInfoJson(info, P("10.2"));
  EXPECT_EQ(json.substr(0, 27), "{\n    \"limits\": {\n        \"");
  EXPECT_NE(json.find("\"write-zeroes-alignment\": 4096,"), std::string::npos);
  EXPECT_NE(json.find("\"discard-alignment\": 131072,"), std::string::npos);
  // The file child carries its own limits too (first key of its info as well).
  EXPECT_NE(json.find("\"info\": {\n                \"limits\": {\n"), std::string::npos) << json;
}

TEST(BlockLimitsInfo, OnlyWhenAskedAndOnlyFrom102) {
  HostFacts asked = LimitsFacts();
  EXPECT_FALSE(BuildImageInfo(Qcow2(false), asked, P("10.0"))->limits.has_value());
  HostFacts not_asked = LimitsFacts();
  not_asked.limits_host.reset();
  const ImageInfo info = *BuildImageInfo(Qcow2(false), not_asked, P("10.2"));
  EXPECT_FALSE(info.limits.has_value());
  EXPECT_EQ(RenderInfoHuman(info, P("10.2")).find("Block limits"), std::string::npos);
}

TEST(BlockLimitsInfo, ProbedRawImage) {
  DecodedImage raw;
  raw.info.set_format(guest::FORMAT_RAW);
  raw.info.set_virtual_size(1048576);
  HostFacts f = LimitsFacts();
  f.filename = "plain.raw";
  f.format_probed = true;
  EXPECT_EQ(BuildImageInfo(raw, f, P("10.2"))->limits->request_alignment, 512u);
  f.format_probed = false;
  EXPECT_EQ(BuildImageInfo(raw, f, P("10.2"))->limits->request_alignment, 1u);
}

}  // namespace
}  // namespace instar::render
