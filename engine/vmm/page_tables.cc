// page_tables.cc: identity-mapped long-mode page tables whose protections follow abi.h's memory
// map.
#include "engine/vmm/page_tables.h"

#include <cstring>
#include <string>

#include "guest/abi/abi.h"

namespace instar::vmm {
namespace {

constexpr uint64_t kEntriesPerTable = 512;

void put_entry(std::span<uint8_t> low_memory, uint64_t table_gpa, uint64_t index, uint64_t value) {
  // Little-endian, as the MMU reads it; memcpy keeps this free of alignment assumptions.
  std::memcpy(low_memory.data() + table_gpa + index * 8, &value, sizeof(value));
}

// The protection of one 4 KiB page of the first 2 MiB, straight from the memory map.
uint64_t small_page_entry(uint64_t gpa) {
  if (gpa >= abi::kBootInfoGpa && gpa < abi::kReadOnlyEnd) {
    return gpa | kPtePresent | kPteNoExecute;  // inputs: readable, never written or executed
  }
  if (gpa >= abi::kGuestLoadBase) {
    return gpa | kPtePresent | kPteWritable;
  }
  return 0;  // null page, host-only pages, unused low memory: any access faults
}

}  // namespace

Status check_guest_memory_size(uint64_t memory_size) {
  if (memory_size % kLargePageSize != 0 || memory_size < abi::kMinGuestMemory ||
      memory_size > abi::kMaxGuestMemory) {
    return Error{"guest memory size " + std::to_string(memory_size) +
                 " must be a multiple of 2 MiB between " + std::to_string(abi::kMinGuestMemory) +
                 " and " + std::to_string(abi::kMaxGuestMemory) + " bytes"};
  }
  return Status::Ok();
}

Status build_page_tables(std::span<uint8_t> low_memory, uint64_t memory_size) {
  if (Status s = check_guest_memory_size(memory_size); !s.ok()) return s;
  if (low_memory.size() < abi::kHostOnlyEnd) {
    return Error{"page-table buffer smaller than the host-only region"};
  }
  for (uint64_t table : {abi::kPml4Gpa, abi::kPdptGpa, abi::kPdGpa, abi::kPtGpa}) {
    std::memset(low_memory.data() + table, 0, abi::kPageSize);
  }
  // Upper levels are permissive (present + writable); the leaf entries decide, since the CPU
  // combines the R/W bits of every level with AND.
  put_entry(low_memory, abi::kPml4Gpa, 0, abi::kPdptGpa | kPtePresent | kPteWritable);
  put_entry(low_memory, abi::kPdptGpa, 0, abi::kPdGpa | kPtePresent | kPteWritable);
  put_entry(low_memory, abi::kPdGpa, 0, abi::kPtGpa | kPtePresent | kPteWritable);
  for (uint64_t i = 0; i < kEntriesPerTable; ++i) {
    put_entry(low_memory, abi::kPtGpa, i, small_page_entry(i * abi::kPageSize));
  }
  // kMaxGuestMemory is one page directory of 2 MiB pages, so index < 512 always holds here.
  for (uint64_t i = 1; i < memory_size / kLargePageSize; ++i) {
    put_entry(low_memory, abi::kPdGpa, i,
              (i * kLargePageSize) | kPtePresent | kPteWritable | kPteLargePage);
  }
  return Status::Ok();
}

}  // namespace instar::vmm
