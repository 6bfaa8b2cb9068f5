// luks_driver.cc: raw LUKS images: probe, info (the header as qemu opens it with
// QCRYPTO_BLOCK_OPEN_NO_IO) and the key-secret refusal of every other open.
#include "guest/formats/luks/luks_driver.h"

#include <new>

#include "guest/formats/windowed_reader.h"

namespace instar::luks {

namespace {

// qcrypto_block_luks_has_format(): the magic and version, the bytes before cipher_name.
constexpr uint64_t kProbedBytes = 8;
constexpr uint8_t kMagic[6] = {'L', 'U', 'K', 'S', 0xba, 0xbe};

// block_crypto_open_generic() -> qcrypto_block_luks_open(): without QCRYPTO_BLOCK_OPEN_NO_IO the
// key secret is required before anything is read; ERROR_ENCRYPTION_KEY_REQUIRED's arg 1 says
// the option has no "encrypt." prefix here.
Status key_required() {
  return Status(instar_guest_ErrorCode_ERROR_ENCRYPTION_KEY_REQUIRED, 1);
}

// One raw LUKS image opened for I/O: refused, as qemu-img refuses it without --object secret.
class LuksDriver final : public ImageDriver {
 public:
  Status open(BlockSource& source, const OpenContext& context, Arena& arena) override {
    (void)source, (void)context, (void)arena;
    return key_required();
  }
  uint64_t length() const override { return 0; }
  uint64_t cluster_size() const override { return 0; }
  Status block_status(uint64_t offset, uint64_t bytes, BlockStatus* out) override {
    (void)offset, (void)bytes, (void)out;
    return key_required();
  }
  Status read(uint64_t offset, MutableBytes out) override {
    (void)offset, (void)out;
    return key_required();
  }
};

ImageDriver* new_image(Arena& arena) {
  void* memory = arena.allocate(sizeof(LuksDriver), alignof(LuksDriver));
  return memory == nullptr ? nullptr : new (memory) LuksDriver();
}

// qemu-img info's BDRV_O_NO_IO open: the header read through the file (zeros past its end) and
// checked, then bdrv_open()'s refresh of the length: the file less the payload, which must not
// lie past the file's end (block_crypto_co_getlength(): -EIO).
Status describe(const InfoRequest& request, MessageSink& sink, Arena& arena, ErrorNames* detail) {
  uint8_t raw[kHeaderSize];
  INSTAR_TRY(read_zero_filled(*request.source, 0, MutableBytes(raw, sizeof(raw))));
  Header header;
  INSTAR_TRY(decode_header(Bytes(raw, sizeof(raw)), &header, detail));
  const uint64_t file_length =
      (request.source->size() + kSectorSize - 1) / kSectorSize * kSectorSize;
  const uint64_t payload = uint64_t{header.payload_offset_sector} * kSectorSize;
  if (payload > file_length) return Status(instar_guest_ErrorCode_ERROR_LUKS_PAYLOAD_PAST_EOF);
  instar_guest_GuestMessage* message = allocate_message(arena, instar_guest_GuestMessage_info_tag);
  if (message == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  instar_guest_ImageInfo& info = message->body.info;
  info.format = instar_guest_Format_FORMAT_LUKS;
  info.virtual_size = file_length - payload;
  fill_luks_info(header, &info);
  return emit_message(sink, arena, *message);
}

}  // namespace

void fill_luks_info(const Header& h, instar_guest_ImageInfo* info) {
  info->has_luks = true;
  instar_guest_LuksInfo& l = info->luks;
  l.cipher_alg = h.cipher_alg;
  l.cipher_mode = h.cipher_mode;
  l.ivgen_alg = h.ivgen_alg;
  l.ivgen_hash_alg = h.ivgen_hash_alg;
  l.hash_alg = h.hash_alg;
  l.payload_offset = uint64_t{h.payload_offset_sector} * kSectorSize;
  l.master_key_iters = h.master_key_iterations;
  set_bytes(&l.uuid, until_nul(Bytes(h.uuid, kUuidSize)));
  l.slots_count = kKeySlots;
  for (uint32_t i = 0; i < kKeySlots; ++i) {
    const KeySlot& slot = h.slots[i];
    instar_guest_LuksSlot& out = l.slots[i];
    out.active = slot.active == kSlotEnabled;
    out.iters = out.active ? slot.iterations : 0;
    out.stripes = out.active ? slot.stripes : 0;
    out.key_offset = uint64_t{slot.key_offset_sector} * kSectorSize;
  }
}

int probe(Bytes head) {
  if (head.size < kProbedBytes) return 0;
  for (uint64_t i = 0; i < sizeof(kMagic); ++i) {
    if (head.data[i] != kMagic[i]) return 0;
  }
  return load_be16(head.data + 6) == 1 ? 100 : 0;
}

const FormatDriver kLuksDriver = {
    .format = abi::ImageFormat::kLuks,
    .info_format = instar_guest_Format_FORMAT_LUKS,
    .name = "luks",
    .probe = probe,
    .unsupported = instar_guest_ErrorCode_ERROR_NONE,
    .new_image = new_image,
    .describe = describe,
    .check = nullptr,
    .new_writer = nullptr,
};

}  // namespace instar::luks
