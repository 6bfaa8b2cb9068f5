// vmdk_header_test.cc: the VMDK4 header/footer decoders, the probe and the descriptor lookups.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "guest/formats/vmdk/descriptor.h"
#include "guest/formats/vmdk/header.h"

namespace instar::vmdk {
namespace {

Bytes text(const std::string& s) {
  return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

void put_le32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
void put_le64(std::vector<uint8_t>& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

TEST(VmdkHeaderTest, DecodesThePackedLittleEndianFields) {
  std::vector<uint8_t> b(kHeaderSize, 0);
  put_le32(b, 0, 1);        // version
  put_le32(b, 4, 0x20003);  // flags
  put_le64(b, 8, 204800);   // capacity
  put_le64(b, 16, 128);     // granularity
  put_le64(b, 24, 1);       // desc_offset
  put_le64(b, 32, 20);      // desc_size
  put_le32(b, 40, 512);     // num_gtes_per_gt
  put_le64(b, 44, 21);      // rgd_offset
  put_le64(b, 52, 38);      // gd_offset
  put_le64(b, 60, 128);     // grain_offset
  b[73] = 1;                // compressAlgorithm
  const Header h = decode_header(Bytes(b.data(), b.size()));
  EXPECT_EQ(h.version, 1u);
  EXPECT_EQ(h.flags, 0x20003u);
  EXPECT_EQ(h.capacity, 204800u);
  EXPECT_EQ(h.granularity, 128u);
  EXPECT_EQ(h.desc_offset, 1u);
  EXPECT_EQ(h.desc_size, 20u);
  EXPECT_EQ(h.num_gtes_per_gt, 512u);
  EXPECT_EQ(h.rgd_offset, 21u);
  EXPECT_EQ(h.gd_offset, 38u);
  EXPECT_EQ(h.grain_offset, 128u);
  EXPECT_EQ(h.compress_algorithm, 1u);
}

std::vector<uint8_t> footer(uint32_t footer_type, uint32_t eos_type) {
  std::vector<uint8_t> f(kFooterSize, 0);
  put_le32(f, 12, footer_type);
  const char magic[] = "KDMV";
  std::memcpy(f.data() + 512, magic, 4);
  put_le64(f, 512 + 4 + 8, 4096);  // the footer header's capacity
  put_le32(f, 1024 + 12, eos_type);
  return f;
}

TEST(VmdkHeaderTest, FooterNeedsBothMarkersAndTheMagic) {
  Header h;
  std::vector<uint8_t> good = footer(3, 0);
  ASSERT_TRUE(decode_footer(Bytes(good.data(), good.size()), &h));
  EXPECT_EQ(h.capacity, 4096u);
  std::vector<uint8_t> wrong_marker = footer(1, 0);
  EXPECT_FALSE(decode_footer(Bytes(wrong_marker.data(), wrong_marker.size()), &h));
  std::vector<uint8_t> wrong_eos = footer(3, 2);
  EXPECT_FALSE(decode_footer(Bytes(wrong_eos.data(), wrong_eos.size()), &h));
  good[512] = 'X';
  EXPECT_FALSE(decode_footer(Bytes(good.data(), good.size()), &h));
}

TEST(VmdkProbeTest, ScoresMagicsAndVersionLines) {
  EXPECT_EQ(probe(text("KDMV\x01")), 100);
  EXPECT_EQ(probe(text("COWD\x01")), 100);
  EXPECT_EQ(probe(text("KDM")), 0);
  EXPECT_EQ(probe(text("# Disk DescriptorFile\nversion=1\nCID=1\n")), 100);
  EXPECT_EQ(probe(text("   \r\nversion=3\r\n")), 100);
  EXPECT_EQ(probe(text("version=4\n")), 0);
  EXPECT_EQ(probe(text("  x\nversion=1\n")), 0);  // only blank lines may precede it
  EXPECT_EQ(probe(text("version=1")), 0);         // the line must end
  EXPECT_EQ(probe(text("# only a comment")), 0);
}

TEST(VmdkDescriptorTest, ReadsCidsAsSscanfHexDoes) {
  uint32_t cid = 0;
  const std::string d = "CID=d403f94e\nparentCID=ffffffff\n";
  ASSERT_TRUE(read_cid(text(d), false, &cid));
  EXPECT_EQ(cid, 0xd403f94eu);
  ASSERT_TRUE(read_cid(text(d), true, &cid));
  EXPECT_EQ(cid, 0xffffffffu);
  ASSERT_TRUE(read_cid(text("CID= 0x1f"), false, &cid));
  EXPECT_EQ(cid, 0x1fu);
  ASSERT_TRUE(read_cid(text("CID=-1"), false, &cid));
  EXPECT_EQ(cid, 0xffffffffu);
  ASSERT_TRUE(read_cid(text("CID=123456789abcdef012"), false, &cid));  // saturates
  EXPECT_EQ(cid, 0xffffffffu);
  ASSERT_TRUE(read_cid(text("CID=1234567890"), false, &cid));  // kept to 32 bits
  EXPECT_EQ(cid, 0x34567890u);
  EXPECT_FALSE(read_cid(text("CID=zz"), false, &cid));
  EXPECT_FALSE(read_cid(text("XID=1\n"), false, &cid));
  // "parentCID" holds "CID": the first match wins, as strstr's does.
  ASSERT_TRUE(read_cid(text("parentCID=7\nCID=9\n"), false, &cid));
  EXPECT_EQ(cid, 7u);
  // strstr stops at the first NUL.
  EXPECT_FALSE(read_cid(text(std::string("x\0CID=1", 7)), false, &cid));
}

TEST(VmdkDescriptorTest, ParsesOptionsAsVmdkParseDescriptionDoes) {
  Bytes v;
  const std::string flat = "createType=\"monolithicFlat\"\n";
  ASSERT_TRUE(parse_option(text(flat), "createType", 128, &v));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(v.data), v.size), "monolithicFlat");
  EXPECT_FALSE(parse_option(text("createType=\"unterminated\n"), "createType", 128, &v));
  EXPECT_FALSE(parse_option(text("createType"), "createType", 128, &v));
  // ct[128]: 127 bytes and the NUL fit, 128 do not.
  EXPECT_FALSE(
      parse_option(text("createType=\"" + std::string(128, 'a') + "\""), "createType", 128, &v));
  const std::string longest = "createType=\"" + std::string(127, 'a') + "\"";
  ASSERT_TRUE(parse_option(text(longest), "createType", 128, &v));
  EXPECT_EQ(v.size, 127u);
  EXPECT_TRUE(is_descriptor_file_type(text("twoGbMaxExtentSparse")));
  EXPECT_FALSE(is_descriptor_file_type(text("monolithicSparse")));
}

TEST(VmdkDescriptorTest, FindsTheParentHint) {
  Bytes name;
  EXPECT_EQ(parent_hint(text("CID=1\n"), &name), HintResult::kNone);
  const std::string hint = "parentFileNameHint=\"base.vmdk\"\n";
  ASSERT_EQ(parent_hint(text(hint), &name), HintResult::kFound);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(name.data), name.size), "base.vmdk");
  EXPECT_EQ(parent_hint(text("parentFileNameHint=\"base.vmdk\n"), &name), HintResult::kInvalid);
  const std::string long_name(kBackingNameBufferSize, 'a');
  EXPECT_EQ(parent_hint(text("parentFileNameHint=\"" + long_name + "\""), &name),
            HintResult::kInvalid);
  const std::string longest(kBackingNameBufferSize - 1, 'a');
  EXPECT_EQ(parent_hint(text("parentFileNameHint=\"" + longest + "\""), &name), HintResult::kFound);
}

}  // namespace
}  // namespace instar::vmdk
