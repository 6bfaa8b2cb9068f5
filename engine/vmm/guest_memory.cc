// guest_memory.cc: mmap-backed guest RAM and its overflow-checked, region-aware GPA translation.
#include "engine/vmm/guest_memory.h"

#include <sys/mman.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "guest/abi/abi.h"
#include "guest/lib/checked.h"

namespace instar::vmm {
namespace {

// True when [gpa, end) lies inside [lo, hi).
bool within(uint64_t gpa, uint64_t end, uint64_t lo, uint64_t hi) {
  return gpa >= lo && end <= hi && gpa <= end;
}

}  // namespace

Result<GuestMemory> GuestMemory::create(uint64_t size) {
  if (size == 0 || size > abi::kMaxGuestMemory) {
    return Error{"guest memory size " + std::to_string(size) + " out of range"};
  }
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) {
    const int error = errno;
    std::string text = "cannot map " + std::to_string(size >> 20) +
                       " MiB of guest memory: " + std::strerror(error);
    // The usual reason: the caller of instar limited its address space (prlimit --as).
    rlimit as{};
    if (error == ENOMEM && getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
      text += " (the caller of instar limits its address space, RLIMIT_AS, to " +
              std::to_string(as.rlim_cur >> 20) + " MiB)";
    }
    return Error{text};
  }
  return GuestMemory(static_cast<uint8_t*>(base), size);
}

GuestMemory::GuestMemory(GuestMemory&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)), size_(std::exchange(other.size_, 0)) {}

GuestMemory& GuestMemory::operator=(GuestMemory&& other) noexcept {
  if (this != &other) {
    if (base_ != nullptr) munmap(base_, size_);
    base_ = std::exchange(other.base_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

GuestMemory::~GuestMemory() {
  if (base_ != nullptr) munmap(base_, size_);
}

std::optional<std::span<uint8_t>> GuestMemory::span(uint64_t gpa, uint64_t len,
                                                    Access access) const {
  uint64_t end = 0;
  if (base_ == nullptr || !checked_add(gpa, len, &end) || end > size_) return std::nullopt;
  bool allowed = false;
  switch (access) {
    case Access::kMonitor:
      allowed = true;
      break;
    case Access::kGuestRead:
      allowed = within(gpa, end, abi::kBootInfoGpa, abi::kReadOnlyEnd) ||
                within(gpa, end, abi::kGuestLoadBase, size_);
      break;
    case Access::kGuestWrite:
      allowed = within(gpa, end, abi::kGuestLoadBase, size_);
      break;
  }
  if (!allowed) return std::nullopt;
  return std::span<uint8_t>(base_ + gpa, static_cast<size_t>(len));
}

}  // namespace instar::vmm
