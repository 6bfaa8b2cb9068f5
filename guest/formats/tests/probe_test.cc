// probe_test.cc: format detection and explicit-format precedence.
#include "guest/formats/probe.h"

#include <gtest/gtest.h>

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

Result<DetectedFormat> detect(const std::vector<uint8_t>& head,
                              abi::ImageFormat f = abi::ImageFormat::kProbe) {
  return detect_format(f, Bytes(head.data(), head.size()));
}

TEST(ProbeTest, QcowMagicAndVersion) {
  EXPECT_EQ(detect(head_with(0x514649fb, 3)).value(), DetectedFormat::kQcow2);
  EXPECT_EQ(detect(head_with(0x514649fb, 2)).value(), DetectedFormat::kQcow2);
  EXPECT_EQ(detect(head_with(0x514649fb, 255)).value(), DetectedFormat::kQcow2);
  EXPECT_EQ(detect(head_with(0x514649fb, 0)).value(), DetectedFormat::kRaw);
  EXPECT_EQ(detect(head_with(0x514649fb, 1)).status().code(), instar_guest_ErrorCode_ERROR_QCOW_V1);
  EXPECT_EQ(detect(head_with(0x514649fa, 3)).value(), DetectedFormat::kRaw);
  EXPECT_EQ(detect(std::vector<uint8_t>(kProbeSize, 0)).value(), DetectedFormat::kRaw);
}

TEST(ProbeTest, ExplicitFormatWins) {
  EXPECT_EQ(detect(head_with(0x514649fb, 1), abi::ImageFormat::kRaw).value(), DetectedFormat::kRaw);
  EXPECT_EQ(detect(head_with(0, 0), abi::ImageFormat::kQcow2).value(), DetectedFormat::kQcow2);
  EXPECT_EQ(detect(head_with(0, 0), static_cast<abi::ImageFormat>(7)).status().code(),
            instar_guest_ErrorCode_ERROR_BAD_CONFIG);
}

}  // namespace
}  // namespace instar
