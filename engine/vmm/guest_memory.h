// guest_memory.h: the guest's RAM as host-mapped memory, reachable only through checked
// translation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>

#include "engine/vmm/result.h"

namespace instar::vmm {

// Who is asking, which decides the guest-physical ranges a translation may cover:
//  kGuestRead  a guest-supplied address the host will read from: only pages the guest itself can
//              see, [kBootInfoGpa, kReadOnlyEnd) and [kGuestLoadBase, size).
//  kGuestWrite a guest-supplied address the host will write to: only pages the guest can write,
//              [kGuestLoadBase, size). Never BootInfo/OpConfig: the guest must not be able to make
//              the host rewrite its own read-only inputs.
//  kMonitor    the monitor's own setup (page tables, GDT, BootInfo, ELF segments): anywhere
//              inside memory. Never used with an address that came from the guest.
enum class Access { kGuestRead, kGuestWrite, kMonitor };

class GuestMemory {
 public:
  // Maps `size` bytes of zeroed anonymous memory (MAP_NORESERVE: untouched pages cost nothing).
  [[nodiscard]] static Result<GuestMemory> create(uint64_t size);

  GuestMemory(GuestMemory&& other) noexcept;
  GuestMemory& operator=(GuestMemory&& other) noexcept;
  GuestMemory(const GuestMemory&) = delete;
  GuestMemory& operator=(const GuestMemory&) = delete;
  ~GuestMemory();

  uint64_t size() const { return size_; }

  // [gpa, gpa + len) as host bytes, or nullopt when the end overflows, lies outside memory, or
  // leaves the ranges `access` allows. An empty range still needs a valid gpa.
  std::optional<std::span<uint8_t>> span(uint64_t gpa, uint64_t len, Access access) const;

  // A T at gpa under the same rules, additionally requiring gpa to be aligned for T.
  template <typename T>
  T* view(uint64_t gpa, Access access) const {
    static_assert(std::is_trivially_copyable_v<T> && std::is_standard_layout_v<T>);
    if (gpa % alignof(T) != 0) return nullptr;
    auto bytes = span(gpa, sizeof(T), access);
    return bytes ? reinterpret_cast<T*>(bytes->data()) : nullptr;
  }

  // Host address of GPA 0, for KVM_SET_USER_MEMORY_REGION only.
  void* host_base_for_kvm() const { return base_; }

 private:
  GuestMemory(uint8_t* base, uint64_t size) : base_(base), size_(size) {}

  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace instar::vmm
