// log.cc: the VHDX log search of a read-only open, step for step as vhdx_log_search() and
// vhdx_validate_log_entry() walk the circular log (qemu 7.2's block/vhdx-log.c).
#include "guest/formats/vhdx/log.h"

#include "guest/formats/windowed_reader.h"
#include "guest/lib/mem.h"

namespace instar::vhdx {

namespace {

constexpr uint32_t kLogSignature = 0x65676f6c;   // "loge"
constexpr uint32_t kZeroSignature = 0x6f72657a;  // "zero"
constexpr uint32_t kDescSignature = 0x63736564;  // "desc"
constexpr uint32_t kSector = static_cast<uint32_t>(kLogSectorSize);

// qemu's VHDXLogEntries: the circular buffer's place and the read/write indices (bytes).
struct Log {
  uint64_t offset = 0;
  uint32_t length = 0;
  uint32_t read = 0;
  uint32_t write = 0;
};

uint32_t next_index(uint32_t index, uint32_t length) {  // vhdx_log_inc_idx()
  const uint64_t next = uint64_t{index} + kSector;
  return next >= length ? 0 : static_cast<uint32_t>(next);
}

// The search, with the reads it makes counted: qemu's loop can read the log many times over for
// a crafted one; instar stops at a budget instead of running for hours.
class Search {
 public:
  Search(BlockSource& source, const Header& header)
      : source_(source),
        header_(header),
        budget_(64 * (uint64_t{header.log_length} / kSector) + 64) {}

  Status run(bool* found);

 private:
  // bdrv_pread() of the log at `index`: -EIO for a range past BDRV_MAX_LENGTH, zeros past EOF.
  Status read_at(uint32_t index, MutableBytes out) {
    const uint64_t at = log_.offset + index;
    if (at > kMaxLength || out.size > kMaxLength - at) {
      return Status(instar_guest_ErrorCode_ERROR_VHDX_EIO);
    }
    if (budget_ == 0) return Status(instar_guest_ErrorCode_ERROR_VHDX_EINVAL, kReasonLogLoops);
    --budget_;
    return read_zero_filled(source_, at, out);
  }
  Status peek(LogEntryHeader* h);
  Status validate_entry(uint64_t sequence, bool* valid, LogEntryHeader* entry);

  BlockSource& source_;
  const Header& header_;
  Log log_;
  uint64_t budget_;
  uint8_t sector_[kLogSectorSize];
};

// vhdx_log_peek_hdr(): the entry header at the read index, without advancing it.
Status Search::peek(LogEntryHeader* h) {
  uint32_t read = log_.read;
  if (uint64_t{read} + 64 > log_.length) read = 0;
  if (read == log_.write)
    return Status(instar_guest_ErrorCode_ERROR_VHDX_EINVAL, kReasonLogDescriptor);
  uint8_t raw[64];
  INSTAR_TRY(read_at(read, MutableBytes(raw, 64)));
  *h = decode_log_entry_header(Bytes(raw, 64));
  return Status::Ok();
}

// vhdx_validate_log_entry(): Ok with *valid when the entry at the read index is valid (and
// follows `sequence` if that is not 0); the read index moves past what was read, or one sector on
// for an invalid header. Errors (bad descriptors, failed reads) end the search.
Status Search::validate_entry(uint64_t sequence, bool* valid, LogEntryHeader* entry) {
  *valid = false;
  LogEntryHeader h;
  INSTAR_TRY(peek(&h));
  if (!log_entry_header_valid(h, log_.length, header_.log_guid) ||
      (sequence > 0 && h.sequence != sequence + 1)) {
    log_.read = next_index(log_.read, log_.length);
    return Status::Ok();
  }
  const uint32_t desc_sectors = descriptor_sectors(h.descriptor_count);
  const uint32_t total_sectors = h.entry_length / kSector;
  // vhdx_log_read_desc(): the header and descriptor sectors (read whole first, so a failing read
  // comes before any descriptor check, as in qemu), then each descriptor checked, then the CRC.
  const uint32_t first = log_.read;
  uint32_t read = log_.read;
  for (uint32_t i = 0; i < desc_sectors; ++i) {
    if (read == log_.write)
      return Status(instar_guest_ErrorCode_ERROR_VHDX_EINVAL, kReasonLogDescriptor);
    const uint64_t at = log_.offset + read;
    if (at > kMaxLength || kSector > kMaxLength - at)
      return Status(instar_guest_ErrorCode_ERROR_VHDX_EIO);
    read = next_index(read, log_.length);
  }
  uint32_t crc = 0xffffffff;
  uint32_t checked = 0;  // descriptors checked so far
  read = first;
  for (uint32_t i = 0; i < desc_sectors; ++i) {
    INSTAR_TRY(read_at(read, MutableBytes(sector_, kSector)));
    read = next_index(read, log_.length);
    for (uint32_t at = i == 0 ? 64 : 0; at + 32 <= kSector && checked < h.descriptor_count;
         at += 32, ++checked) {
      if (!log_descriptor_valid(Bytes(sector_ + at, 32), h.sequence)) {
        return Status(instar_guest_ErrorCode_ERROR_VHDX_EINVAL, kReasonLogDescriptor);
      }
    }
    if (i == 0) fill_bytes(sector_ + 4, 0, 4);  // the checksum counts as zero
    crc = crc32c(crc, Bytes(sector_, kSector)) ^ 0xffffffff;
  }
  log_.read = read;
  for (uint32_t i = desc_sectors; i < total_sectors; ++i) {
    INSTAR_TRY(read_at(log_.read, MutableBytes(sector_, kSector)));
    log_.read = next_index(log_.read, log_.length);
    crc = crc32c(crc, Bytes(sector_, kSector)) ^ 0xffffffff;
  }
  if ((crc ^ 0xffffffff) != h.checksum) return Status::Ok();
  *valid = true;
  *entry = h;
  return Status::Ok();
}

// vhdx_log_search(): every start position in turn, each followed as far as its entries chain;
// any valid sequence is one qemu would replay. qemu stops once the read index wraps below where
// the round began; a round that ends exactly where it began would repeat forever in qemu.
Status Search::run(bool* found) {
  log_.offset = header_.log_offset;
  log_.length = header_.log_length;
  log_.read = 0;
  log_.write = log_.length;  // "assume log is full"
  *found = false;
  for (;;) {
    const uint32_t tail = log_.read;
    bool valid = false;
    LogEntryHeader h;
    INSTAR_TRY(validate_entry(0, &valid, &h));
    if (valid) {
      *found = true;
      uint64_t sequence = 0;
      for (;;) {
        INSTAR_TRY(validate_entry(sequence, &valid, &h));
        if (!valid) break;
        sequence = h.sequence;
      }
    }
    if (log_.read < tail) break;
    if (log_.read == tail) return Status(instar_guest_ErrorCode_ERROR_VHDX_EINVAL, kReasonLogLoops);
  }
  return Status::Ok();
}

}  // namespace

LogEntryHeader decode_log_entry_header(Bytes header) {
  LogEntryHeader h;
  const uint8_t* p = header.data;
  h.signature = load_le32(p);
  h.checksum = load_le32(p + 4);
  h.entry_length = load_le32(p + 8);
  h.sequence = load_le64(p + 16);
  h.descriptor_count = load_le32(p + 24);
  copy_bytes(h.log_guid, p + 32, 16);
  return h;
}

bool log_entry_header_valid(const LogEntryHeader& h, uint32_t log_length, const uint8_t* guid) {
  if (h.signature != kLogSignature) return false;
  if (log_length < h.entry_length) return false;
  if (h.entry_length % kSector) return false;
  if (h.sequence == 0) return false;
  for (int i = 0; i < 16; ++i) {
    if (h.log_guid[i] != guid[i]) return false;
  }
  return uint64_t{h.descriptor_count} * 32 <= h.entry_length;
}

bool log_descriptor_valid(Bytes d, uint64_t sequence) {
  const uint32_t signature = load_le32(d.data);
  if (load_le64(d.data + 24) != sequence) return false;
  if (load_le64(d.data + 16) % kSector) return false;
  if (signature == kZeroSignature) return load_le64(d.data + 8) % kSector == 0;
  return signature == kDescSignature;
}

uint32_t descriptor_sectors(uint32_t count) {
  const uint32_t with_header = count + 2;  // qemu's u32 sum
  return with_header / 128 + (with_header % 128 ? 1 : 0);
}

Status check_log(BlockSource& source, const Header& header) {
  if (header.log_offset < kLogMinSize || header.log_offset % kLogMinSize) {
    return Status(instar_guest_ErrorCode_ERROR_VHDX_EINVAL, kReasonLogOffset);
  }
  if (header.log_version != 0) {
    return Status(instar_guest_ErrorCode_ERROR_VHDX_EINVAL, kReasonLogVersion);
  }
  bool guid_zero = true;
  for (uint8_t b : header.log_guid) guid_zero = guid_zero && b == 0;
  if (guid_zero || header.log_length == 0) return Status::Ok();
  if (header.log_length % kLogMinSize) {
    return Status(instar_guest_ErrorCode_ERROR_VHDX_EINVAL, kReasonLogLength);
  }
  Search search(source, header);
  bool found = false;
  INSTAR_TRY(search.run(&found));
  return found ? Status(instar_guest_ErrorCode_ERROR_VHDX_LOG_REPLAY) : Status::Ok();
}

}  // namespace instar::vhdx
