// table_cache.h: a fixed number of cluster-sized metadata tables (L2 tables or refcount blocks)
// held in memory, written back when evicted or flushed (qcow2-cache.c's role).
#pragma once

#include <stdint.h>

#include "guest/formats/qcow2/host_file.h"
#include "guest/lib/arena.h"

namespace instar::qcow2 {

class TableCache {
 public:
  Status init(Arena& arena, HostFile& file, uint32_t slots, uint64_t table_size);

  // The table at host `offset`, read back from the file if it is not cached. The pointer stays
  // valid until the next get()/get_empty() on this cache.
  Result<uint8_t*> get(uint64_t offset);
  // A zeroed table for `offset` without reading it (qcow2_cache_get_empty() + memset).
  Result<uint8_t*> get_empty(uint64_t offset);
  // The cached table at `offset`, or nullptr.
  uint8_t* lookup(uint64_t offset);
  void mark_dirty(uint64_t offset);
  // Drops the table at `offset` without writing it back (qcow2_cache_discard(): its cluster
  // was freed).
  void discard(uint64_t offset);
  // Writes every dirty table back (qcow2_cache_flush()).
  Status flush();
  // qcow2_cache_set_dependency(): before the next table of this cache is written back, `other`
  // (the refcount blocks) is written back and the file flushed, so a table never reaches the
  // disk before the refcounts, and the data, of the clusters it names (docs/write-safety.md).
  // Once done, the dependency is cleared until it is set again (qcow2_cache_flush_dependency).
  void set_dependency(TableCache* other) { dependency_ = other; }

 private:
  struct Slot {
    uint64_t offset;
    uint64_t last_use;
    bool used;
    bool dirty;
  };
  Result<uint32_t> take_slot(uint64_t offset);
  Status write_back(Slot& slot, uint32_t index);
  uint8_t* data(uint32_t index) { return tables_ + index * table_size_; }

  HostFile* file_ = nullptr;
  Slot* slots_ = nullptr;
  uint8_t* tables_ = nullptr;
  uint32_t nslots_ = 0;
  uint64_t table_size_ = 0;
  uint64_t clock_ = 0;
  TableCache* dependency_ = nullptr;
};

}  // namespace instar::qcow2
