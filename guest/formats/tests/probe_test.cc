// probe_test.cc: driver selection by probe score and explicit-format precedence.
#include "guest/formats/probe.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "guest/formats/tests/qcow2_image_builder.h"

namespace instar {
namespace {

std::vector<uint8_t> head_with(uint32_t magic, uint32_t version) {
  std::vector<uint8_t> head(kProbeSize, 0);
  test::put_be32(head, 0, magic);
  test::put_be32(head, 4, version);
  return head;
}

Result<const FormatDriver*> detect(const std::vector<uint8_t>& head,
                                   abi::ImageFormat f = abi::ImageFormat::kProbe) {
  return select_driver(f, Bytes(head.data(), head.size()));
}

const FormatDriver* kRaw = find_driver(abi::ImageFormat::kRaw);
const FormatDriver* kQcow2 = find_driver(abi::ImageFormat::kQcow2);

TEST(ProbeTest, QcowMagicAndVersion) {
  EXPECT_EQ(detect(head_with(0x514649fb, 3)).value(), kQcow2);
  EXPECT_EQ(detect(head_with(0x514649fb, 2)).value(), kQcow2);
  EXPECT_EQ(detect(head_with(0x514649fb, 255)).value(), kQcow2);
  EXPECT_EQ(detect(head_with(0x514649fb, 0)).value(), kRaw);
  EXPECT_EQ(detect(head_with(0x514649fb, 1)).value(), find_driver(abi::ImageFormat::kQcow));
  EXPECT_EQ(detect(head_with(0x514649fa, 3)).value(), kRaw);
  EXPECT_EQ(detect(std::vector<uint8_t>(kProbeSize, 0)).value(), kRaw);
}

TEST(ProbeTest, VmdkMagicsAndDescriptors) {
  const FormatDriver* vmdk = find_driver(abi::ImageFormat::kVmdk);
  ASSERT_NE(vmdk, nullptr);
  EXPECT_STREQ(vmdk->name, "vmdk");
  EXPECT_EQ(detect(head_with(0x4b444d56, 1)).value(), vmdk);  // "KDMV"
  EXPECT_EQ(detect(head_with(0x434f5744, 1)).value(), vmdk);  // "COWD"
  std::vector<uint8_t> text(kProbeSize, 0);
  const char descriptor[] = "# Disk DescriptorFile\nversion=1\n";
  std::copy(descriptor, descriptor + sizeof descriptor - 1, text.begin());
  EXPECT_EQ(detect(text).value(), vmdk);
  text[30] = '4';  // version=4
  EXPECT_EQ(detect(text).value(), kRaw);
}

TEST(ProbeTest, VdiSignature) {
  const FormatDriver* vdi = find_driver(abi::ImageFormat::kVdi);
  ASSERT_NE(vdi, nullptr);
  EXPECT_STREQ(vdi->name, "vdi");
  std::vector<uint8_t> head(kProbeSize, 0);
  head[0x40] = 0x7f, head[0x41] = 0x10, head[0x42] = 0xda, head[0x43] = 0xbe;  // LE 0xbeda107f
  EXPECT_EQ(detect(head).value(), vdi);
  head[0x43] = 0xbf;
  EXPECT_EQ(detect(head).value(), kRaw);
}

TEST(ProbeTest, LuksMagicAndVersionOne) {
  const FormatDriver* luks = find_driver(abi::ImageFormat::kLuks);
  ASSERT_NE(luks, nullptr);
  EXPECT_STREQ(luks->name, "luks");
  std::vector<uint8_t> head(kProbeSize, 0);
  const uint8_t magic[] = {'L', 'U', 'K', 'S', 0xba, 0xbe, 0, 1};
  std::copy(magic, magic + sizeof magic, head.begin());
  EXPECT_EQ(detect(head).value(), luks);
  head[7] = 2;  // LUKS2: qemu 7.2 reads only version 1
  EXPECT_EQ(detect(head).value(), kRaw);
}

TEST(ProbeTest, QedMagic) {
  const FormatDriver* qed = find_driver(abi::ImageFormat::kQed);
  ASSERT_NE(qed, nullptr);
  EXPECT_STREQ(qed->name, "qed");
  std::vector<uint8_t> head(kProbeSize, 0);
  head[0] = 'Q', head[1] = 'E', head[2] = 'D';
  EXPECT_EQ(detect(head).value(), qed);
  head[3] = 1;
  EXPECT_EQ(detect(head).value(), kRaw);
}

TEST(ProbeTest, VpcCookie) {
  const FormatDriver* vpc = find_driver(abi::ImageFormat::kVpc);
  ASSERT_NE(vpc, nullptr);
  EXPECT_STREQ(vpc->name, "vpc");
  std::vector<uint8_t> head(kProbeSize, 0);
  std::memcpy(head.data(), "conectix", 8);
  EXPECT_EQ(detect(head).value(), vpc);
  head[7] = 'y';
  EXPECT_EQ(detect(head).value(), kRaw);
}

TEST(ProbeTest, ExplicitFormatWins) {
  EXPECT_EQ(detect(head_with(0x514649fb, 1), abi::ImageFormat::kRaw).value(), kRaw);
  EXPECT_EQ(detect(head_with(0, 0), abi::ImageFormat::kQcow2).value(), kQcow2);
  EXPECT_EQ(detect(head_with(0, 0), static_cast<abi::ImageFormat>(99)).status().code(),
            instar_guest_ErrorCode_ERROR_BAD_CONFIG);
}

}  // namespace
}  // namespace instar

namespace instar {
namespace {

TEST(ProbeTest, RegistryNamesEachOpenableFormatOnce) {
  ASSERT_NE(kRaw, nullptr);
  ASSERT_NE(kQcow2, nullptr);
  EXPECT_STREQ(kRaw->name, "raw");
  EXPECT_STREQ(kQcow2->name, "qcow2");
  EXPECT_EQ(kRaw->info_format, instar_guest_Format_FORMAT_RAW);
  EXPECT_EQ(kQcow2->info_format, instar_guest_Format_FORMAT_QCOW2);
  EXPECT_EQ(find_driver(abi::ImageFormat::kProbe), nullptr);
  EXPECT_EQ(kQcow2->check != nullptr, true);
  EXPECT_EQ(kRaw->check, nullptr);
  EXPECT_NE(kRaw->new_writer, nullptr);
  EXPECT_NE(kQcow2->new_writer, nullptr);
}

TEST(ProbeTest, ScoresAreQemus) {
  const std::vector<uint8_t> v3 = head_with(0x514649fb, 3);
  const std::vector<uint8_t> v1 = head_with(0x514649fb, 1);
  const Bytes q2(v3.data(), v3.size()), q1(v1.data(), v1.size());
  EXPECT_EQ(kRaw->probe(q2), 1);  // raw_probe: the fallback
  EXPECT_EQ(kQcow2->probe(q2), 100);
  EXPECT_EQ(kQcow2->probe(q1), 0);
}

}  // namespace
}  // namespace instar
