// luks_header_test.cc: LUKS v1 header decoding and qemu 7.2's checks, one per error, in order.
#include "guest/formats/luks/header.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "guest/formats/tests/qcow2_image_builder.h"

namespace instar::luks {
namespace {

using test::put_be32;

// What qemu-img 7.2 writes by default: aes xts-plain64 sha256, a 64-byte key, slot i's key
// material at 8 + i * 504 sectors (4000 stripes of 64 bytes, rounded to 8 sectors), payload
// after the last slot.
struct RawHeader {
  std::vector<uint8_t> bytes = std::vector<uint8_t>(kHeaderSize, 0);

  RawHeader() {
    const uint8_t magic[] = {'L', 'U', 'K', 'S', 0xBA, 0xBE};
    std::memcpy(bytes.data(), magic, sizeof(magic));
    bytes[7] = 1;  // version
    text(8, "aes");
    text(40, "xts-plain64");
    text(72, "sha256");
    put_be32(bytes, 104, 4040);  // payload offset (sectors)
    put_be32(bytes, 108, 64);    // master key length
    put_be32(bytes, 164, 8126);  // master key iterations
    text(168, "5fb3aaba-fdfd-47b3-8d53-6bf47079c9c8");
    for (uint32_t i = 0; i < kKeySlots; ++i) {
      slot(i, i == 0 ? kSlotEnabled : kSlotDisabled, i == 0 ? 34133 : 0, 8 + i * 504, 4000);
    }
  }
  void text(size_t offset, const std::string& s, size_t field = 32) {
    std::memset(bytes.data() + offset, 0, field);
    std::memcpy(bytes.data() + offset, s.data(), s.size());
  }
  void slot(uint32_t i, uint32_t active, uint32_t iters, uint32_t offset, uint32_t stripes) {
    const size_t at = 208 + i * 48;
    put_be32(bytes, at, active);
    put_be32(bytes, at + 4, iters);
    put_be32(bytes, at + 40, offset);
    put_be32(bytes, at + 44, stripes);
  }
  Status decode(Header* h, ErrorNames* names) const {
    return decode_header(Bytes(bytes.data(), bytes.size()), h, names);
  }
};

struct Outcome {
  instar_guest_ErrorCode code;
  std::vector<uint64_t> args;
  std::string name;
};

Outcome Decode(const RawHeader& raw) {
  Header h;
  ErrorNames names;
  names.clear();
  const Status s = raw.decode(&h, &names);
  Outcome o{s.code(), {}, std::string(reinterpret_cast<const char*>(names.name), names.name_size)};
  for (int i = 0; i < s.nargs(); ++i) o.args.push_back(s.arg(i));
  return o;
}

TEST(LuksHeader, DecodesWhatQemuImgWrites) {
  Header h;
  ErrorNames names;
  ASSERT_TRUE(RawHeader().decode(&h, &names).ok());
  EXPECT_EQ(h.cipher_alg, instar_guest_LuksCipherAlg_LUKS_CIPHER_AES_256);  // 64-byte xts key
  EXPECT_EQ(h.cipher_mode, instar_guest_LuksCipherMode_LUKS_MODE_XTS);
  EXPECT_EQ(h.ivgen_alg, instar_guest_LuksIvgenAlg_LUKS_IVGEN_PLAIN64);
  EXPECT_EQ(h.ivgen_hash_alg, instar_guest_LuksHashAlg_LUKS_HASH_UNSPECIFIED);
  EXPECT_EQ(h.hash_alg, instar_guest_LuksHashAlg_LUKS_HASH_SHA256);
  EXPECT_EQ(h.payload_offset_sector, 4040u);
  EXPECT_EQ(h.master_key_iterations, 8126u);
  EXPECT_EQ(h.slots[0].active, kSlotEnabled);
  EXPECT_EQ(h.slots[7].key_offset_sector, 8u + 7 * 504);
}

TEST(LuksHeader, EssivNamesItsHashAndCbcUsesTheWholeKey) {
  RawHeader raw;
  raw.text(40, "cbc-essiv:sha256");
  put_be32(raw.bytes, 108, 16);
  Header h;
  ErrorNames names;
  ASSERT_TRUE(raw.decode(&h, &names).ok());
  EXPECT_EQ(h.cipher_alg, instar_guest_LuksCipherAlg_LUKS_CIPHER_AES_128);
  EXPECT_EQ(h.ivgen_alg, instar_guest_LuksIvgenAlg_LUKS_IVGEN_ESSIV);
  EXPECT_EQ(h.ivgen_hash_alg, instar_guest_LuksHashAlg_LUKS_HASH_SHA256);
}

TEST(LuksHeader, MagicThenVersion) {
  RawHeader raw;
  raw.bytes[7] = 2;
  EXPECT_EQ(Decode(raw).code, instar_guest_ErrorCode_ERROR_LUKS_VERSION);
  EXPECT_EQ(Decode(raw).args, std::vector<uint64_t>{2});
  raw.bytes[0] = 'l';
  EXPECT_EQ(Decode(raw).code, instar_guest_ErrorCode_ERROR_LUKS_NOT_LUKS);
}

TEST(LuksHeader, HeaderChecksInQemuOrder) {
  RawHeader raw;
  put_be32(raw.bytes, 164, 0);
  EXPECT_EQ(Decode(raw).code, instar_guest_ErrorCode_ERROR_LUKS_KEY_ITERATIONS_ZERO);
  put_be32(raw.bytes, 104, 7);
  EXPECT_EQ(Decode(raw).code, instar_guest_ErrorCode_ERROR_LUKS_PAYLOAD_OVER_HEADER);
  raw.text(72, std::string(32, 's'));
  EXPECT_EQ(Decode(raw).code, instar_guest_ErrorCode_ERROR_LUKS_NOT_NUL_TERMINATED);
  EXPECT_EQ(Decode(raw).args, std::vector<uint64_t>{2});
  raw.text(40, std::string(32, 'm'));
  EXPECT_EQ(Decode(raw).args, std::vector<uint64_t>{1});
}

TEST(LuksHeader, SlotChecksInQemuOrder) {
  RawHeader raw;
  raw.slot(0, kSlotEnabled, 1000, 7, 4000);
  EXPECT_EQ(Decode(raw).code, instar_guest_ErrorCode_ERROR_LUKS_SLOT_OVER_HEADER);
  raw.slot(0, kSlotEnabled, 0, 8, 4000);
  EXPECT_EQ(Decode(raw).code, instar_guest_ErrorCode_ERROR_LUKS_SLOT_ITERATIONS_ZERO);
  raw.slot(3, kSlotDisabled, 0, 8 + 3 * 504, 0);  // slot 0 is still checked first
  EXPECT_EQ(Decode(raw).code, instar_guest_ErrorCode_ERROR_LUKS_SLOT_ITERATIONS_ZERO);
  raw.slot(0, kSlotEnabled, 1000, 8, 4000);
  EXPECT_EQ(Decode(raw).code, instar_guest_ErrorCode_ERROR_LUKS_SLOT_STRIPES);
  EXPECT_EQ(Decode(raw).args, (std::vector<uint64_t>{3, 0, 4000}));
  raw.slot(2, 0x1234, 0, 8 + 2 * 504, 4000);  // an earlier slot's state is checked first
  EXPECT_EQ(Decode(raw).code, instar_guest_ErrorCode_ERROR_LUKS_SLOT_STATE);
  EXPECT_EQ(Decode(raw).args, std::vector<uint64_t>{2});

  RawHeader over;
  put_be32(over.bytes, 104, 8 + 7 * 504 + 503);  // the last slot's material ends one sector late
  EXPECT_EQ(Decode(over).code, instar_guest_ErrorCode_ERROR_LUKS_SLOT_OVER_PAYLOAD);
  EXPECT_EQ(Decode(over).args, std::vector<uint64_t>{7});

  RawHeader overlap;
  overlap.slot(5, kSlotDisabled, 0, 8 + 1 * 504 + 8, 4000);
  EXPECT_EQ(Decode(overlap).code, instar_guest_ErrorCode_ERROR_LUKS_SLOTS_OVERLAP);
  EXPECT_EQ(Decode(overlap).args, (std::vector<uint64_t>{1, 5}));
}

TEST(LuksHeader, KeyMaterialSizeWrapsAt32BitsAsInQemu) {
  // 4000 stripes of 1073742 bytes wrap to 704 bytes in qemu's unsigned product: the slots pass
  // and the odd key length is refused only by the cipher lookup.
  RawHeader raw;
  put_be32(raw.bytes, 108, 1073742);
  EXPECT_EQ(Decode(raw).code, instar_guest_ErrorCode_ERROR_LUKS_CIPHER_UNSUPPORTED);
}

TEST(LuksHeader, AlgorithmErrorsQuoteTheHeaderStrings) {
  RawHeader raw;
  raw.text(40, "xtsplain64");
  EXPECT_EQ(Decode(raw).code, instar_guest_ErrorCode_ERROR_LUKS_CIPHER_MODE_FORMAT);
  EXPECT_EQ(Decode(raw).name, "xtsplain64");
  raw.text(40, "xts-plain64:whirlpool");  // the ivgen hash is looked up first
  EXPECT_EQ(Decode(raw).code, instar_guest_ErrorCode_ERROR_LUKS_HASH_UNSUPPORTED);
  EXPECT_EQ(Decode(raw).name, "whirlpool");
  raw.text(40, "lrw-plain64");
  EXPECT_EQ(Decode(raw).code, instar_guest_ErrorCode_ERROR_LUKS_CIPHER_MODE_UNSUPPORTED);
  EXPECT_EQ(Decode(raw).name, "lrw");

  RawHeader cipher;
  put_be32(cipher.bytes, 108, 40);  // xts: 20 bytes per key, which aes does not have
  EXPECT_EQ(Decode(cipher).code, instar_guest_ErrorCode_ERROR_LUKS_CIPHER_UNSUPPORTED);
  EXPECT_EQ(Decode(cipher).name, "aes");
  EXPECT_EQ(Decode(cipher).args, std::vector<uint64_t>{20});

  RawHeader hash;
  hash.text(72, "sha3");
  EXPECT_EQ(Decode(hash).code, instar_guest_ErrorCode_ERROR_LUKS_HASH_UNSUPPORTED);
  EXPECT_EQ(Decode(hash).name, "sha3");

  RawHeader ivgen;
  ivgen.text(40, "xts-benbi");
  EXPECT_EQ(Decode(ivgen).code, instar_guest_ErrorCode_ERROR_LUKS_IVGEN_UNSUPPORTED);
  EXPECT_EQ(Decode(ivgen).name, "benbi");
}

TEST(LuksHeader, EssivNeedsAHashWhoseDigestFitsTheCipher) {
  RawHeader raw;
  raw.text(40, "cbc-essiv");
  put_be32(raw.bytes, 108, 16);
  EXPECT_EQ(Decode(raw).code, instar_guest_ErrorCode_ERROR_LUKS_IVGEN_HASH_MISSING);
  raw.text(40, "cbc-essiv:sha1");  // a 20-byte digest: no AES key has that size
  EXPECT_EQ(Decode(raw).code, instar_guest_ErrorCode_ERROR_LUKS_ESSIV_KEY_SIZE);
  EXPECT_EQ(Decode(raw).args, (std::vector<uint64_t>{0, 20}));
  raw.text(40, "cbc-essiv:sha256");  // aes-128 with a 32-byte digest: the ESSIV cipher is aes-256
  EXPECT_EQ(Decode(raw).code, instar_guest_ErrorCode_ERROR_NONE);
  raw.text(8, "cast5");
  EXPECT_EQ(Decode(raw).code, instar_guest_ErrorCode_ERROR_LUKS_ESSIV_CIPHER);
  raw.text(40, "cbc-essiv:md5");  // a 16-byte digest is cast5-128's own key size
  EXPECT_EQ(Decode(raw).code, instar_guest_ErrorCode_ERROR_NONE);
}

TEST(LuksHeader, ANameWithoutNulIsRefusedBeforeItIsRead) {
  RawHeader raw;
  raw.text(8, std::string(32, 'a'));
  EXPECT_EQ(Decode(raw).code, instar_guest_ErrorCode_ERROR_LUKS_NOT_NUL_TERMINATED);
  EXPECT_EQ(Decode(raw).args, std::vector<uint64_t>{0});
  raw.text(8, std::string(31, 'a'));
  EXPECT_EQ(Decode(raw).code, instar_guest_ErrorCode_ERROR_LUKS_CIPHER_UNSUPPORTED);
  EXPECT_EQ(Decode(raw).name, std::string(31, 'a'));
}

}  // namespace
}  // namespace instar::luks
