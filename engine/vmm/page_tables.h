// page_tables.h: the guest's identity-mapped 4-level page tables, built by the host as a pure
// function.
#pragma once

#include <cstdint>
#include <span>

#include "engine/vmm/result.h"

namespace instar::vmm {

// x86-64 page-table entry bits (Intel SDM vol. 3, 4.5).
inline constexpr uint64_t kPtePresent = 1ull << 0;
inline constexpr uint64_t kPteWritable = 1ull << 1;
inline constexpr uint64_t kPteLargePage = 1ull << 7;   // PS: a PD entry maps 2 MiB directly
inline constexpr uint64_t kPteNoExecute = 1ull << 63;  // honoured because EFER.NXE is set
inline constexpr uint64_t kPteAddressMask = 0x000ffffffffff000ull;

inline constexpr uint64_t kLargePageSize = 2ull << 20;

// Refuses memory sizes the tables cannot describe exactly: not a multiple of 2 MiB, or outside
// [abi::kMinGuestMemory, abi::kMaxGuestMemory].
[[nodiscard]] Status check_guest_memory_size(uint64_t memory_size);

// Writes PML4, PDPT, PD and the one PT of the first 2 MiB into `low_memory`, the guest memory
// image starting at GPA 0 (at least abi::kHostOnlyEnd bytes; only the table pages are written).
// The resulting map (abi.h memory map):
//   [0, kBootInfoGpa)              not present (null page, GDT, the tables themselves, unused)
//   [kBootInfoGpa, kReadOnlyEnd)   present, read-only, no-execute (host-written inputs)
//   [kReadOnlyEnd, kGuestLoadBase) not present
//   [kGuestLoadBase, 2 MiB)        present, read-write (4 KiB pages)
//   [2 MiB, memory_size)           present, read-write (2 MiB pages)
//   [memory_size, ...)             not present
// Read-only is enforced in ring 0 only because CR0.WP is set (cpu_state.h).
[[nodiscard]] Status build_page_tables(std::span<uint8_t> low_memory, uint64_t memory_size);

}  // namespace instar::vmm
