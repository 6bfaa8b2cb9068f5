// feature_names_test.cc: qemu's "Unsupported qcow2 feature(s)" wording from feature-name tables.
#include "guest/formats/qcow2/feature_names.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace instar::qcow2 {
namespace {

std::vector<uint8_t> entry(uint8_t type, uint8_t bit, const std::string& name) {
  std::vector<uint8_t> e(48, 0);
  e[0] = type;
  e[1] = bit;
  for (size_t i = 0; i < name.size() && i < 46; ++i) e[2 + i] = name[i];
  return e;
}

// The names and the unnamed bits, comma-joined as the host words them
// (engine/render/error_text.cc).
std::string describe(const std::vector<uint8_t>& table, uint64_t mask) {
  ErrorNames names;
  const uint64_t unnamed =
      collect_unsupported_features(Bytes(table.data(), table.size()), mask, &names);
  std::string out;
  for (uint32_t i = 0; i < names.feature_name_count; ++i) {
    if (!out.empty()) out += ", ";
    out.append(reinterpret_cast<const char*>(names.feature_names[i]), names.feature_name_sizes[i]);
  }
  if (unnamed != 0) {
    char hex[24];
    std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(unnamed));
    out += std::string(out.empty() ? "" : ", ") + "Unknown incompatible feature: " + hex;
  }
  return out;
}

std::vector<uint8_t> concat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> all;
  for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

TEST(FeatureNamesTest, NoTable) {
  EXPECT_EQ(describe({}, 0x20), "Unknown incompatible feature: 20");
  EXPECT_EQ(describe({}, 0xff00000000000000ull), "Unknown incompatible feature: ff00000000000000");
}

TEST(FeatureNamesTest, NamedBitsInTableOrderThenTheRest) {
  const auto table = concat({entry(0, 7, "seven"), entry(2, 5, "autoclear five"),
                             entry(0, 5, "five"), entry(0, 5, "five again")});
  EXPECT_EQ(describe(table, 0xa0 | 0x100), "seven, five, Unknown incompatible feature: 100");
  EXPECT_EQ(describe(table, 0xa0), "seven, five");
}

TEST(FeatureNamesTest, NamesAreCutAt46Bytes) {
  EXPECT_EQ(describe(entry(0, 5, std::string(60, 'x')), 0x20), std::string(46, 'x'));
}

TEST(FeatureNamesTest, PartialLastEntryReadsAsZeroPadded) {
  auto table = entry(0, 5, "abcdef");
  table.resize(5);  // "abc" of the name survives
  EXPECT_EQ(describe(table, 0x20), "abc");
}

TEST(FeatureNamesTest, BitNumbersWrapModulo64) {
  EXPECT_EQ(describe(entry(0, 69, "wrapped"), 0x20), "wrapped");
}

TEST(FeatureNamesTest, EveryBitGetsAtMostOneName) {
  std::vector<uint8_t> table;
  for (uint8_t bit = 5; bit < 64; ++bit) {
    for (int copy = 0; copy < 2; ++copy) {
      const auto e = entry(0, bit, std::string(46, 'n'));
      table.insert(table.end(), e.begin(), e.end());
    }
  }
  ErrorNames names;
  EXPECT_EQ(collect_unsupported_features(Bytes(table.data(), table.size()), ~0x1full, &names), 0u);
  EXPECT_EQ(names.feature_name_count, 59u);
  EXPECT_EQ(names.feature_name_sizes[58], 46u);
}

}  // namespace
}  // namespace instar::qcow2
