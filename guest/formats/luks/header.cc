// header.cc: decoding and checking a LUKS v1 header as qemu 7.2 opens one without a key.
#include "guest/formats/luks/header.h"

namespace instar::luks {

namespace {

constexpr uint8_t kMagic[6] = {'L', 'U', 'K', 'S', 0xBA, 0xBE};
constexpr uint32_t kVersion = 1;
// qemu's check_header rounds each slot's key material to the sectors before the first slot.
constexpr uint32_t kHeaderSectors = 4096 / kSectorSize;

constexpr uint64_t kCipherNameOffset = 8;
constexpr uint64_t kCipherModeOffset = 40;
constexpr uint64_t kHashSpecOffset = 72;
constexpr uint64_t kSlotsOffset = 208;
constexpr uint64_t kFieldSize = 32;  // cipher_name, cipher_mode, hash_spec
constexpr uint32_t kStripes = 4000;  // anti-forensic stripes: the only count qemu accepts
constexpr uint64_t kSlotSize = 48;

// A name field as a C string: up to the first NUL (check_header makes sure there is one inside
// the field; before that check, the length says whether there is).
Bytes c_string(Bytes raw, uint64_t offset) {
  uint64_t end = offset;
  while (end < raw.size && raw[end] != 0) ++end;
  return raw.sub(offset, end - offset);
}

bool equals(Bytes b, const char* text) {
  uint64_t i = 0;
  for (; text[i] != 0; ++i) {
    if (i >= b.size || b[i] != static_cast<uint8_t>(text[i])) return false;
  }
  return i == b.size;
}

// A QAPI enum value and its name, as qapi_enum_parse() matches it.
template <typename Enum>
struct Named {
  const char* name;
  Enum value;
};

// qapi_enum_parse(): the value whose name is exactly `name`, or `none`.
template <typename Enum, uint64_t N>
Enum lookup(Bytes name, const Named<Enum> (&table)[N], Enum none) {
  for (const Named<Enum>& entry : table) {
    if (equals(name, entry.name)) return entry.value;
  }
  return none;
}

constexpr instar_guest_LuksHashAlg kNoHash = instar_guest_LuksHashAlg_LUKS_HASH_UNSPECIFIED;
constexpr Named<instar_guest_LuksHashAlg> kHashes[] = {
    {"md5", instar_guest_LuksHashAlg_LUKS_HASH_MD5},
    {"sha1", instar_guest_LuksHashAlg_LUKS_HASH_SHA1},
    {"sha224", instar_guest_LuksHashAlg_LUKS_HASH_SHA224},
    {"sha256", instar_guest_LuksHashAlg_LUKS_HASH_SHA256},
    {"sha384", instar_guest_LuksHashAlg_LUKS_HASH_SHA384},
    {"sha512", instar_guest_LuksHashAlg_LUKS_HASH_SHA512},
    {"ripemd160", instar_guest_LuksHashAlg_LUKS_HASH_RIPEMD160},
};
constexpr Named<instar_guest_LuksCipherMode> kCipherModes[] = {
    {"ecb", instar_guest_LuksCipherMode_LUKS_MODE_ECB},
    {"cbc", instar_guest_LuksCipherMode_LUKS_MODE_CBC},
    {"xts", instar_guest_LuksCipherMode_LUKS_MODE_XTS},
    {"ctr", instar_guest_LuksCipherMode_LUKS_MODE_CTR},
};
constexpr Named<instar_guest_LuksIvgenAlg> kIvgens[] = {
    {"plain", instar_guest_LuksIvgenAlg_LUKS_IVGEN_PLAIN},
    {"plain64", instar_guest_LuksIvgenAlg_LUKS_IVGEN_PLAIN64},
    {"essiv", instar_guest_LuksIvgenAlg_LUKS_IVGEN_ESSIV},
};

uint32_t digest_length(instar_guest_LuksHashAlg hash) {
  switch (hash) {
    case instar_guest_LuksHashAlg_LUKS_HASH_MD5:
      return 16;
    case instar_guest_LuksHashAlg_LUKS_HASH_SHA1:
    case instar_guest_LuksHashAlg_LUKS_HASH_RIPEMD160:
      return 20;
    case instar_guest_LuksHashAlg_LUKS_HASH_SHA224:
      return 28;
    case instar_guest_LuksHashAlg_LUKS_HASH_SHA256:
      return 32;
    case instar_guest_LuksHashAlg_LUKS_HASH_SHA384:
      return 48;
    case instar_guest_LuksHashAlg_LUKS_HASH_SHA512:
      return 64;
    default:
      return 0;
  }
}

// qcrypto_block_luks_cipher_name_map: each LUKS cipher name with its key sizes and the
// algorithm each size selects.
struct CipherSize {
  uint32_t key_bytes;
  instar_guest_LuksCipherAlg algorithm;
};
struct CipherFamily {
  const char* name;
  CipherSize sizes[3];
  uint32_t count;
  uint32_t essiv_family;  // ERROR_LUKS_ESSIV_KEY_SIZE's first argument; kNoEssiv: cast5
};
constexpr uint32_t kNoEssiv = 0xFFFFFFFF;
constexpr CipherFamily kCiphers[] = {
    {"aes",
     {{16, instar_guest_LuksCipherAlg_LUKS_CIPHER_AES_128},
      {24, instar_guest_LuksCipherAlg_LUKS_CIPHER_AES_192},
      {32, instar_guest_LuksCipherAlg_LUKS_CIPHER_AES_256}},
     3,
     0},
    {"cast5",
     {{16, instar_guest_LuksCipherAlg_LUKS_CIPHER_CAST5_128},
      {0, instar_guest_LuksCipherAlg_LUKS_CIPHER_UNSPECIFIED},
      {0, instar_guest_LuksCipherAlg_LUKS_CIPHER_UNSPECIFIED}},
     1,
     kNoEssiv},
    {"serpent",
     {{16, instar_guest_LuksCipherAlg_LUKS_CIPHER_SERPENT_128},
      {24, instar_guest_LuksCipherAlg_LUKS_CIPHER_SERPENT_192},
      {32, instar_guest_LuksCipherAlg_LUKS_CIPHER_SERPENT_256}},
     3,
     1},
    {"twofish",
     {{16, instar_guest_LuksCipherAlg_LUKS_CIPHER_TWOFISH_128},
      {24, instar_guest_LuksCipherAlg_LUKS_CIPHER_TWOFISH_192},
      {32, instar_guest_LuksCipherAlg_LUKS_CIPHER_TWOFISH_256}},
     3,
     2},
};

Status fail_with_name(instar_guest_ErrorCode code, Bytes name, ErrorNames* names,
                      uint64_t arg = 0) {
  if (names != nullptr) names->set_name(name);
  return Status(code, arg);
}

// qcrypto_block_luks_splitkeylen_sectors(), in qemu's integer widths: the key material size is
// a 32-bit product (it wraps), and the caller keeps the result in an unsigned int.
uint32_t key_material_sectors(uint32_t master_key_len, uint32_t stripes) {
  const uint32_t bytes = master_key_len * stripes;
  const uint64_t sectors = (uint64_t{bytes} + kSectorSize - 1) / kSectorSize;
  return static_cast<uint32_t>((sectors + kHeaderSectors - 1) / kHeaderSectors * kHeaderSectors);
}

// qemu's ranges_overlap() over uint64_t: a zero length reaches back to the sector before.
bool ranges_overlap(uint64_t first1, uint64_t len1, uint64_t first2, uint64_t len2) {
  const uint64_t last1 = first1 + len1 - 1;
  const uint64_t last2 = first2 + len2 - 1;
  return !(last2 < first1 || last1 < first2);
}

// qcrypto_block_luks_check_header() after the magic and version, in its order.
Status check_header(Bytes raw, const Header& h) {
  const uint64_t string_fields[] = {kCipherNameOffset, kCipherModeOffset, kHashSpecOffset};
  for (uint32_t f = 0; f < 3; ++f) {
    if (c_string(raw, string_fields[f]).size >= kFieldSize) {
      return Status(instar_guest_ErrorCode_ERROR_LUKS_NOT_NUL_TERMINATED, f);
    }
  }
  if (h.payload_offset_sector < kHeaderSectors) {
    return Status(instar_guest_ErrorCode_ERROR_LUKS_PAYLOAD_OVER_HEADER);
  }
  if (h.master_key_iterations == 0) {
    return Status(instar_guest_ErrorCode_ERROR_LUKS_KEY_ITERATIONS_ZERO);
  }
  for (uint32_t i = 0; i < kKeySlots; ++i) {
    const KeySlot& a = h.slots[i];
    const uint32_t start1 = a.key_offset_sector;
    const uint32_t len1 = key_material_sectors(h.master_key_len, a.stripes);
    if (a.stripes != kStripes) {
      return Status(instar_guest_ErrorCode_ERROR_LUKS_SLOT_STRIPES, i, a.stripes, kStripes);
    }
    if (a.active != kSlotDisabled && a.active != kSlotEnabled) {
      return Status(instar_guest_ErrorCode_ERROR_LUKS_SLOT_STATE, i);
    }
    if (a.active == kSlotEnabled && a.iterations == 0) {
      return Status(instar_guest_ErrorCode_ERROR_LUKS_SLOT_ITERATIONS_ZERO, i);
    }
    if (start1 < kHeaderSectors)
      return Status(instar_guest_ErrorCode_ERROR_LUKS_SLOT_OVER_HEADER, i);
    if (start1 + len1 > h.payload_offset_sector) {  // unsigned int arithmetic, as qemu's
      return Status(instar_guest_ErrorCode_ERROR_LUKS_SLOT_OVER_PAYLOAD, i);
    }
    for (uint32_t j = i + 1; j < kKeySlots; ++j) {
      const uint32_t start2 = h.slots[j].key_offset_sector;
      const uint32_t len2 = key_material_sectors(h.master_key_len, h.slots[j].stripes);
      if (ranges_overlap(start1, len1, start2, len2)) {
        return Status(instar_guest_ErrorCode_ERROR_LUKS_SLOTS_OVERLAP, i, j);
      }
    }
  }
  return Status::Ok();
}

// qcrypto_block_luks_essiv_cipher(): only its failures matter here (info does not show the
// ESSIV cipher).
Status check_essiv_cipher(const CipherFamily& family, uint32_t key_bytes,
                          instar_guest_LuksHashAlg hash) {
  const uint32_t digest = digest_length(hash);
  if (digest == key_bytes) return Status::Ok();
  if (family.essiv_family == kNoEssiv) {
    return Status(instar_guest_ErrorCode_ERROR_LUKS_ESSIV_CIPHER);
  }
  for (uint32_t k = 0; k < family.count; ++k) {
    if (family.sizes[k].key_bytes == digest) return Status::Ok();
  }
  return Status(instar_guest_ErrorCode_ERROR_LUKS_ESSIV_KEY_SIZE, family.essiv_family, digest);
}

Status parse_algorithms(Bytes raw, Header* h, ErrorNames* names) {
  // "<cipher-mode>-<iv-generator>[:<iv-hash>]"
  const Bytes mode_spec = c_string(raw, kCipherModeOffset);
  uint64_t dash = 0;
  while (dash < mode_spec.size && mode_spec[dash] != '-') ++dash;
  if (dash == mode_spec.size) {
    return fail_with_name(instar_guest_ErrorCode_ERROR_LUKS_CIPHER_MODE_FORMAT, mode_spec, names);
  }
  const Bytes mode = mode_spec.sub(0, dash);
  Bytes ivgen = mode_spec.sub(dash + 1, mode_spec.size - dash - 1);
  uint64_t colon = 0;
  while (colon < ivgen.size && ivgen[colon] != ':') ++colon;
  const bool has_ivhash = colon < ivgen.size;
  instar_guest_LuksHashAlg ivhash = kNoHash;
  if (has_ivhash) {
    const Bytes ivhash_name = ivgen.sub(colon + 1, ivgen.size - colon - 1);
    ivgen = ivgen.sub(0, colon);
    ivhash = lookup(ivhash_name, kHashes, kNoHash);
    if (ivhash == kNoHash) {
      return fail_with_name(instar_guest_ErrorCode_ERROR_LUKS_HASH_UNSUPPORTED, ivhash_name, names);
    }
  }
  h->cipher_mode = lookup(mode, kCipherModes, instar_guest_LuksCipherMode_LUKS_MODE_UNSPECIFIED);
  if (h->cipher_mode == instar_guest_LuksCipherMode_LUKS_MODE_UNSPECIFIED) {
    return fail_with_name(instar_guest_ErrorCode_ERROR_LUKS_CIPHER_MODE_UNSUPPORTED, mode, names);
  }

  // The key length names the algorithm; xts keys are two keys of half the length.
  const bool xts = h->cipher_mode == instar_guest_LuksCipherMode_LUKS_MODE_XTS;
  const uint32_t key_bytes = xts ? h->master_key_len / 2 : h->master_key_len;
  const Bytes cipher_name = c_string(raw, kCipherNameOffset);
  const CipherFamily* family = nullptr;
  for (const CipherFamily& candidate : kCiphers) {
    if (!equals(cipher_name, candidate.name)) continue;
    for (uint32_t k = 0; k < candidate.count; ++k) {
      if (candidate.sizes[k].key_bytes == key_bytes) {
        family = &candidate;
        h->cipher_alg = candidate.sizes[k].algorithm;
      }
    }
  }
  if (family == nullptr) {
    return fail_with_name(instar_guest_ErrorCode_ERROR_LUKS_CIPHER_UNSUPPORTED, cipher_name, names,
                          key_bytes);
  }

  const Bytes hash_spec = c_string(raw, kHashSpecOffset);
  h->hash_alg = lookup(hash_spec, kHashes, kNoHash);
  if (h->hash_alg == kNoHash) {
    return fail_with_name(instar_guest_ErrorCode_ERROR_LUKS_HASH_UNSUPPORTED, hash_spec, names);
  }
  h->ivgen_alg = lookup(ivgen, kIvgens, instar_guest_LuksIvgenAlg_LUKS_IVGEN_UNSPECIFIED);
  if (h->ivgen_alg == instar_guest_LuksIvgenAlg_LUKS_IVGEN_UNSPECIFIED) {
    return fail_with_name(instar_guest_ErrorCode_ERROR_LUKS_IVGEN_UNSUPPORTED, ivgen, names);
  }
  if (h->ivgen_alg == instar_guest_LuksIvgenAlg_LUKS_IVGEN_ESSIV) {
    if (!has_ivhash) return Status(instar_guest_ErrorCode_ERROR_LUKS_IVGEN_HASH_MISSING);
    INSTAR_TRY(check_essiv_cipher(*family, key_bytes, ivhash));
    h->ivgen_hash_alg = ivhash;
  }
  return Status::Ok();
}

}  // namespace

Status decode_header(Bytes raw, Header* out, ErrorNames* names) {
  if (raw.size < kHeaderSize) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  raw = raw.sub(0, kHeaderSize);
  Header h;
  h.payload_offset_sector = load_be32(raw.data + 104);
  h.master_key_len = load_be32(raw.data + 108);
  h.master_key_iterations = load_be32(raw.data + 164);
  for (uint64_t i = 0; i < kUuidSize; ++i) h.uuid[i] = raw[168 + i];
  for (uint32_t i = 0; i < kKeySlots; ++i) {
    const uint8_t* slot = raw.data + kSlotsOffset + i * kSlotSize;
    h.slots[i].active = load_be32(slot);
    h.slots[i].iterations = load_be32(slot + 4);
    h.slots[i].key_offset_sector = load_be32(slot + 40);
    h.slots[i].stripes = load_be32(slot + 44);
  }

  for (uint64_t i = 0; i < sizeof(kMagic); ++i) {
    if (raw[i] != kMagic[i]) return Status(instar_guest_ErrorCode_ERROR_LUKS_NOT_LUKS);
  }
  const uint16_t version = load_be16(raw.data + 6);
  if (version != kVersion) return Status(instar_guest_ErrorCode_ERROR_LUKS_VERSION, version);
  INSTAR_TRY(check_header(raw, h));
  INSTAR_TRY(parse_algorithms(raw, &h, names));
  *out = h;
  return Status::Ok();
}

}  // namespace instar::luks
