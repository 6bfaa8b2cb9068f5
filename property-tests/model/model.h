// model.h: an abstract qcow2 image (what qemu would have written), the input of writer and checks.
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <vector>

namespace instar::props {

enum class Compression : uint8_t { kZlib = 0, kZstd = 1 };

// Deterministic cluster contents, so a reader's output can be compared with the model.
enum class PatternKind : uint8_t { kFill = 0, kCounter = 1, kNoise = 2 };
struct DataPattern {
  PatternKind kind = PatternKind::kFill;
  uint8_t seed = 0;
};

// How one guest cluster is mapped by its L2 entry.
enum class ClusterKind : uint8_t {
  kData = 0,           // allocated host cluster holding the pattern
  kZero = 1,           // reads as zero, no host cluster (v3 zero flag / extended-L2 zero bits)
  kZeroAllocated = 2,  // reads as zero but keeps its host cluster (zero flag + offset)
  kCompressed = 3,     // pattern compressed with the image's compression type
};

struct GuestCluster {
  uint64_t index = 0;  // guest cluster number (guest offset / cluster size)
  ClusterKind kind = ClusterKind::kData;
  DataPattern pattern;
  // Extended L2 only: subclusters of a kData cluster that are allocated; the zero bitmap is the
  // complement restricted to `zero_mask` (alloc & zero must stay disjoint, qemu check).
  uint32_t alloc_mask = 0xffffffff;
  uint32_t zero_mask = 0;
};

struct Snapshot {
  std::string id;
  std::string name;
  uint32_t date_sec = 0;
  uint32_t date_nsec = 0;
  uint64_t vm_clock_nsec = 0;
  uint64_t vm_state_size = 0;
  uint32_t extra_data_size = 24;  // 0 (v2 only), 16 or 24 bytes of QCowSnapshotExtraData
  std::optional<uint64_t> icount;
  // Bit j: this snapshot's L1 still points at the j-th (mod 64) active L2 table, as right after
  // `qemu-img snapshot -c`; shared tables and their data get one more reference each.
  uint64_t shared_l2_mask = 0;
};

// An extension qemu does not know; it keeps such extensions and they must not upset a parser.
struct UnknownExtension {
  uint32_t magic = 0;
  std::vector<uint8_t> data;
};

struct Model {
  uint32_t version = 3;
  uint32_t cluster_bits = 16;
  uint32_t refcount_order = 4;
  uint64_t virtual_size = 0;  // multiple of 512 (qemu rounds at create)
  bool lazy_refcounts = false;
  bool extended_l2 = false;
  Compression compression = Compression::kZlib;
  bool dirty = false;
  bool corrupt = false;
  bool feature_table = true;
  std::optional<std::string> backing_file;
  std::optional<std::string> backing_format;
  std::optional<std::string> data_file;
  bool data_file_raw = false;
  std::vector<UnknownExtension> unknown_extensions;
  std::vector<Snapshot> snapshots;
  std::vector<GuestCluster> clusters;  // sorted by index, unique

  uint64_t cluster_size() const { return uint64_t{1} << cluster_bits; }
  uint32_t refcount_bits() const { return 1u << refcount_order; }
  // Largest refcount the entry width holds.
  uint64_t max_refcount() const {
    return refcount_order == 6 ? ~uint64_t{0} : (uint64_t{1} << refcount_bits()) - 1;
  }
  uint64_t l2_entry_size() const { return extended_l2 ? 16 : 8; }
  uint64_t l2_entries() const { return cluster_size() / l2_entry_size(); }
  // Entries qemu requires in the active L1: ceil(size / bytes one L2 table maps).
  uint64_t l1_size() const;
  uint64_t guest_clusters() const { return (virtual_size + cluster_size() - 1) / cluster_size(); }
  // L1 indexes that have an L2 table (those holding at least one cluster), ascending.
  std::vector<uint64_t> l2_table_indexes() const;
  // References to the j-th L2 table: the active L1 plus each snapshot sharing it.
  uint64_t l2_table_references(size_t ordinal) const;
};

// Header extension magics (qcow2 spec; qemu writes them in this order).
inline constexpr uint32_t kExtBackingFormat = 0xe2792aca;
inline constexpr uint32_t kExtDataFile = 0x44415441;
inline constexpr uint32_t kExtCrypto = 0x0537be77;
inline constexpr uint32_t kExtFeatureTable = 0x6803f857;
inline constexpr uint32_t kExtBitmaps = 0x23852875;

// Bytes of cluster 0 the model needs: header, extensions, end marker and backing file name.
uint64_t header_area_size(const Model& m);

// Makes any combination of field values a model qemu would accept and write: clamps ranges,
// drops what the version or the refcount width cannot hold, fits cluster 0. Generators map every
// draw through it, so shrunk values stay valid too.
Model normalize(Model m);

}  // namespace instar::props
