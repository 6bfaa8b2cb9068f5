// check_lines.cc: the table of qemu's check line templates (block/qcow2-refcount.c fprintf
// calls, qcow2_signal_corruption) and their rendering.
#include "engine/render/check_lines.h"

#include <cinttypes>
#include <cstdio>
#include <map>

#include "guest/abi/guest.pb.h"

namespace instar::render {

namespace {

// Placeholders: {d} an unsigned decimal number (qemu's %d/%PRId64 of values that are never
// negative), {x} lowercase hex (%lx, %PRIx64), {#x} printf's %#lx (0 as "0", otherwise "0x..."),
// {.d} printf's %.lu (0 prints nothing), {prog} the program name (error_report()'s prefix),
// {id} and {name} the snapshot's id and name. Rows are keyed by the enum value's name in
// guest.proto, so the table survives renumbering; a unit test checks every code has a row.
struct Template {
  std::string_view code;
  std::string_view text;
};

constexpr Template kTemplates[] = {
    // check_refcounts_l1/l2(), qcow2_inc_refcounts_imrt()
    {"CHECK_LINE_REGION_PAST_EOF",
     "ERROR: counting reference for region exceeding the end of the file by one cluster or "
     "more: offset 0x{x} size 0x{x}\n"},
    {"CHECK_LINE_REFCOUNT_OVERFLOW",
     "ERROR: overflow cluster offset=0x{x}\n"
     "Use qemu-img amend to increase the refcount entry width or qemu-img convert to create a "
     "clean copy if the image cannot be opened for writing\n"},
    {"CHECK_LINE_L1_IO_ERROR", "ERROR: I/O error in check_refcounts_l1\n"},
    {"CHECK_LINE_L2_IO_ERROR", "ERROR: I/O error in check_refcounts_l2\n"},
    {"CHECK_LINE_L1_RESERVED_BITS", "ERROR found L1 entry with reserved bits set: {x}\n"},
    {"CHECK_LINE_L2_TABLE_UNALIGNED",
     "ERROR l2_offset={x}: Table is not cluster aligned; L1 entry corrupted\n"},
    {"CHECK_LINE_L2_RESERVED_BITS", "ERROR found l2 entry with reserved bits set: {x}\n"},
    {"CHECK_LINE_COMPRESSED_COPIED",
     "ERROR: coffset=0x{x}: copied flag must never be set for compressed clusters\n"},
    {"CHECK_LINE_COMPRESSED_WITH_DATA_FILE",
     "ERROR compressed cluster {d} with data file, entry=0x{x}\n"},
    {"CHECK_LINE_COMPRESSED_SUBCLUSTER_BITMAP",
     "ERROR compressed cluster {d} with non-zero subcluster allocation bitmap, entry=0x{x}\n"},
    {"CHECK_LINE_SUBCLUSTER_BITMAP_CORRUPTED",
     "ERROR offset={x}: Allocated cluster has corrupted subcluster allocation bitmap\n"},
    {"CHECK_LINE_DATA_CLUSTER_UNALIGNED",
     "ERROR offset={x}: Data cluster is not properly aligned; L2 entry corrupted.\n"},
    {"CHECK_LINE_PREALLOCATED_CLUSTER_UNALIGNED",
     "ERROR offset={x}: Preallocated cluster is not properly aligned; L2 entry corrupted.\n"},
    {"CHECK_LINE_UNALLOCATED_SUBCLUSTER_MAP",
     "ERROR: Unallocated cluster has non-zero subcluster allocation map\n"},
    // calculate_refcounts(): snapshots
    {"CHECK_LINE_SNAPSHOTS_WITH_DATA_FILE", "ERROR {d} snapshots in image with data file\n"},
    {"CHECK_LINE_SNAPSHOT_L1_UNALIGNED",
     "ERROR snapshot {id} ({name}) l1_offset={#x}: L1 table is not cluster aligned; snapshot "
     "table entry corrupted\n"},
    // qcow2_check_read_snapshot_table()
    {"CHECK_LINE_SNAPSHOT_INCOMPLETE", "ERROR snapshot table entry {d} is incomplete\n"},
    {"CHECK_LINE_SNAPSHOT_L1_TOO_LARGE",
     "ERROR snapshot {id} ({name}) l1_size={#x}: L1 table is too large; snapshot table entry "
     "corrupted\n"},
    // check_refblocks()
    {"CHECK_LINE_REFTABLE_RESERVED_BITS", "ERROR refcount table entry {d} has reserved bits set\n"},
    {"CHECK_LINE_REFBLOCK_UNALIGNED",
     "ERROR refcount block {d} is not cluster aligned; refcount table entry corrupted\n"},
    {"CHECK_LINE_REFBLOCK_OUTSIDE_IMAGE", "ERROR refcount block {d} is outside image\n"},
    {"CHECK_LINE_REFBLOCK_REFCOUNT", "ERROR refcount block {d} refcount={d}\n"},
    // qcow2_get_refcount() -> qcow2_signal_corruption(), compare_refcounts()
    {"CHECK_LINE_REFBLOCK_OFFSET_UNALIGNED",
     "qcow2: Image is corrupt: Refblock offset {#x} unaligned (reftable index: {#x}); further "
     "non-fatal corruption events will be suppressed\n"},
    {"CHECK_LINE_REFCOUNT_READ_ERROR", "Can't get refcount for cluster {d}: Input/output error\n"},
    {"CHECK_LINE_REFCOUNT_TOO_LOW", "ERROR cluster {d} refcount={d} reference={d}\n"},
    {"CHECK_LINE_CLUSTER_LEAKED", "Leaked cluster {d} refcount={d} reference={d}\n"},
    // check_oflag_copied()
    {"CHECK_LINE_L2_READ_ERROR", "ERROR: Could not read L2 table: Input/output error\n"},
    {"CHECK_LINE_OFLAG_COPIED_L2",
     "ERROR OFLAG_COPIED L2 cluster: l1_index={d} l1_entry={x} refcount={d}\n"},
    {"CHECK_LINE_OFLAG_COPIED_DATA",
     "ERROR OFLAG_COPIED data cluster: l2_entry={x} refcount={d}\n"},
    // check -r: the same functions with a fix mode
    {"CHECK_LINE_REPAIR_CLUSTER", "Repairing cluster {d} refcount={d} reference={d}\n"},
    {"CHECK_LINE_REPAIR_OFLAG_COPIED_L2",
     "Repairing OFLAG_COPIED L2 cluster: l1_index={d} l1_entry={x} refcount={d}\n"},
    {"CHECK_LINE_REPAIR_OFLAG_COPIED_DATA",
     "Repairing OFLAG_COPIED data cluster: l2_entry={x} refcount={d}\n"},
    {"CHECK_LINE_NEED_REBUILD", "ERROR need to rebuild refcount structures\n"},
    // block/vmdk.c vmdk_co_check()
    {"CHECK_LINE_VMDK_CLUSTER_OFFSET_FAILED",
     "ERROR: could not get cluster_offset for sector {d}\n"},
    {"CHECK_LINE_VMDK_CLUSTER_PAST_EOF", "ERROR: cluster offset for sector {d} points after EOF\n"},
    // block/vhdx.c vhdx_check_bat_entries(), vhdx_region_check(): error_report() lines
    {"CHECK_LINE_VHDX_BAT_OFFSET_OVERFLOW", "{prog}: VHDX BAT entry {d} offset overflow.\n"},
    {"CHECK_LINE_VHDX_BAT_START_PAST_EOF",
     "{prog}: VHDX BAT entry {d} start offset {d} points after end of file ({d}). Image has "
     "probably been truncated.\n"},
    {"CHECK_LINE_VHDX_BAT_END_PAST_EOF",
     "{prog}: VHDX BAT entry {d} end offset {d} points after end of file ({d}). Image has "
     "probably been truncated.\n"},
    {"CHECK_LINE_VHDX_REGION_OVERLAP",
     "{prog}: VHDX region {d}-{d} overlaps with region {d}-{.d}\n"},
    // block/vdi.c vdi_co_check()
    {"CHECK_LINE_VDI_BLOCK_ALSO_USED", "ERROR: block index {d} also used by {d}\n"},
    {"CHECK_LINE_VDI_BLOCK_TOO_LARGE", "ERROR: block index {d} too large, is {d}\n"},
    {"CHECK_LINE_VDI_ALLOCATED_MISMATCH",
     "ERROR: allocated blocks mismatch, is {d}, should be {d}\n"},
    // small-formats: parallels_co_check()
    {"CHECK_LINE_PARALLELS_UNCLEAN", "ERROR image was not closed correctly\n"},
    {"CHECK_LINE_PARALLELS_OUTSIDE_IMAGE", "ERROR cluster {d} is outside image\n"},
    {"CHECK_LINE_PARALLELS_SPACE_LEAKED", "ERROR space leaked at the end of the image {d}\n"},
};

struct Entry {
  std::string_view text;
  int arity = 0;
  bool names_snapshot = false;
};

int count(std::string_view text, std::string_view what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

// Code -> template, for the rows whose name guest.proto defines.
const std::map<uint64_t, Entry>& table() {
  static const std::map<uint64_t, Entry> entries = [] {
    std::map<uint64_t, Entry> out;
    for (const Template& t : kTemplates) {
      instar::guest::CheckLine code{};
      if (!instar::guest::CheckLine_Parse(std::string(t.code), &code)) continue;
      out[static_cast<uint64_t>(code)] = {t.text,
                                          count(t.text, "{d}") + count(t.text, "{x}") +
                                              count(t.text, "{#x}") + count(t.text, "{.d}"),
                                          count(t.text, "{id}") != 0};
    }
    return out;
  }();
  return entries;
}

const Entry* find(uint64_t code) {
  const auto it = table().find(code);
  return it == table().end() ? nullptr : &it->second;
}

void put_varint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Reads what put_varint wrote (the compact form is only ever written by this file).
uint64_t get_varint(std::string_view data, size_t* at) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    const auto byte = static_cast<uint8_t>(data[(*at)++]);
    v |= uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) return v;
  }
}

void put_bytes(std::string* out, std::string_view bytes) {
  put_varint(out, bytes.size());
  out->append(bytes);
}

std::string_view get_bytes(std::string_view data, size_t* at) {
  const uint64_t n = get_varint(data, at);
  const std::string_view bytes = data.substr(*at, n);
  *at += n;
  return bytes;
}

// A name as qemu's %s prints it: up to its first NUL.
std::string_view c_string(std::string_view bytes) {
  return bytes.substr(0, bytes.find('\0'));
}

std::string format_number(std::string_view placeholder, uint64_t v) {
  char buf[24];
  if (placeholder == "{d}") {
    std::snprintf(buf, sizeof buf, "%" PRIu64, v);
  } else if (placeholder == "{.d}") {
    // printf's "%.lu": precision 0 prints nothing for 0 (vhdx_region_check()'s format).
    if (v == 0) return "";
    std::snprintf(buf, sizeof buf, "%" PRIu64, v);
  } else if (placeholder == "{x}") {
    std::snprintf(buf, sizeof buf, "%" PRIx64, v);
  } else {
    std::snprintf(buf, sizeof buf, v == 0 ? "0" : "0x%" PRIx64, v);
  }
  return buf;
}

}  // namespace

int CheckLineArity(uint64_t code) {
  const Entry* e = find(code);
  return e == nullptr ? -1 : e->arity;
}

bool CheckLineNamesSnapshot(uint64_t code) {
  const Entry* e = find(code);
  return e != nullptr && e->names_snapshot;
}

std::string CheckLines::AppendWords(std::span<const uint64_t> words) {
  size_t at = 0;
  while (at < words.size()) {
    const uint64_t code = words[at++];
    const Entry* e = find(code);
    if (e == nullptr) return "unknown check line code " + std::to_string(code);
    if (e->names_snapshot) return "check line " + std::to_string(code) + " needs a snapshot";
    if (words.size() - at < static_cast<size_t>(e->arity)) {
      return "check line " + std::to_string(code) + " lacks its numbers";
    }
    put_varint(&compact_, code);
    for (int i = 0; i < e->arity; ++i) put_varint(&compact_, words[at++]);
  }
  return {};
}

std::string CheckLines::AppendSnapshotLine(uint64_t code, std::string_view id,
                                           std::string_view name, uint64_t value) {
  const Entry* e = find(code);
  if (e == nullptr || !e->names_snapshot || e->arity != 1) {
    return "check line " + std::to_string(code) + " names no snapshot";
  }
  put_varint(&compact_, code);
  put_varint(&compact_, value);
  put_bytes(&compact_, c_string(id));
  put_bytes(&compact_, c_string(name));
  return {};
}

void CheckLines::Render(const std::function<void(std::string_view)>& out,
                        std::string_view program) const {
  size_t at = 0;
  std::string line;
  while (at < compact_.size()) {
    const Entry& e = *find(get_varint(compact_, &at));
    uint64_t numbers[4] = {};
    for (int i = 0; i < e.arity; ++i) numbers[i] = get_varint(compact_, &at);
    std::string_view id;
    std::string_view name;
    if (e.names_snapshot) {
      id = get_bytes(compact_, &at);
      name = get_bytes(compact_, &at);
    }
    line.clear();
    int next = 0;
    std::string_view text = e.text;
    while (!text.empty()) {
      const size_t open = text.find('{');
      line.append(text.substr(0, open));
      if (open == std::string_view::npos) break;
      const size_t close = text.find('}', open);
      const std::string_view placeholder = text.substr(open, close - open + 1);
      if (placeholder == "{id}") {
        line.append(id);
      } else if (placeholder == "{name}") {
        line.append(name);
      } else if (placeholder == "{prog}") {
        line.append(program);
      } else {
        line.append(format_number(placeholder, numbers[next++]));
      }
      text.remove_prefix(close + 1);
    }
    out(line);
  }
}

}  // namespace instar::render
