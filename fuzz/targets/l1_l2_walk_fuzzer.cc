// l1_l2_walk_fuzzer.cc: the L1/L2 walk (ClusterMap over cluster_entries' decoders) and guest
// data reads (DataReader, incl. compressed clusters) over an arbitrary qcow2 image in memory.
//
// The image is opened as qemu's open does (open_image), then the virtual disk is mapped run by
// run from offset 0 and the first bytes of each run are read. Checked beyond "no crash": every
// run is non-empty, no longer than asked and inside one L2 table, as ClusterMap::map promises.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "guest/formats/qcow2/cluster_entries.h"
#include "guest/formats/qcow2/cluster_map.h"
#include "guest/formats/qcow2/data_reader.h"
#include "guest/formats/qcow2/feature_bits.h"
#include "guest/formats/qcow2/limits.h"
#include "guest/formats/qcow2/open.h"
#include "guest/formats/qcow2/snapshot_table.h"
#include "guest/formats/windowed_reader.h"

namespace {

constexpr uint64_t kTableWindowSize = 256 * 1024;
constexpr int kMaxRuns = 2048;         // map() calls per input, to keep runs fast
constexpr uint64_t kReadBytes = 4096;  // bytes read at the start of each run

bool open_header(instar::BlockSource& source, instar::Arena& arena, instar::qcow2::Header* out) {
  namespace q = instar::qcow2;
  auto* window = arena.allocate_array<uint8_t>(kTableWindowSize);
  auto* names = arena.allocate_array<uint8_t>(q::kSnapshotNameScratchSize);
  auto* metadata =
      static_cast<q::Metadata*>(arena.allocate(sizeof(q::Metadata), alignof(q::Metadata)));
  auto* detail = static_cast<q::OpenErrorDetail*>(
      arena.allocate(sizeof(q::OpenErrorDetail), alignof(q::OpenErrorDetail)));
  if (window == nullptr || names == nullptr || metadata == nullptr || detail == nullptr) {
    std::abort();
  }
  instar::WindowedReader reader(source, instar::MutableBytes(window, kTableWindowSize));
  const q::TableScratch tables{&reader, instar::MutableBytes(names, q::kSnapshotNameScratchSize)};
  *metadata = q::Metadata();
  if (!q::open_image(source, arena, tables, metadata, detail).ok()) return false;
  *out = metadata->header;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace q = instar::qcow2;
  static std::vector<uint8_t> arena_memory(32u << 20);
  static std::vector<uint8_t> buffer(kReadBytes);
  instar::Arena arena(arena_memory.data(), arena_memory.size());
  instar::MemoryBlockSource source(instar::Bytes(data, size));
  q::Header header;
  const uint64_t mark = arena.mark();
  if (!open_header(source, arena, &header)) return 0;
  arena.release_to(mark);

  const bool has_data_file = (header.incompatible_features & q::kIncompatDataFile) != 0;
  q::ClusterMap map;
  if (!map.init(source, arena, header, has_data_file).ok()) return 0;
  q::DataReader reader;
  reader.init(source, map, header.compression_type, arena);

  const uint64_t length = header.virtual_size();
  const uint64_t entry_size = q::l2_entry_size(map.geometry().extended_l2);
  const uint64_t l2_span = map.cluster_size() / entry_size * map.cluster_size();
  uint64_t offset = 0;
  for (int run = 0; run < kMaxRuns && offset < length; ++run) {
    const uint64_t ask = length - offset < q::kIntMax ? length - offset : q::kIntMax;
    q::Mapping m;
    if (!map.map(offset, ask, &m).ok()) break;
    if (m.bytes == 0 || m.bytes > ask || offset / l2_span != (offset + m.bytes - 1) / l2_span) {
      std::abort();
    }
    const uint64_t n = m.bytes < kReadBytes ? m.bytes : kReadBytes;
    (void)reader.read(offset, instar::MutableBytes(buffer.data(), n));
    offset += m.bytes;
  }
  return 0;
}
