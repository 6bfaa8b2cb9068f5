// elf_loader_fuzzer.cc: the KVM monitor's ELF parser and loader over arbitrary files.
#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/vmm/elf_loader.h"
#include "engine/vmm/guest_memory.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static instar::vmm::GuestMemory memory =
      std::move(instar::vmm::GuestMemory::create(8u << 20)).value();
  const std::span<const uint8_t> file(data, size);
  auto image = instar::vmm::parse_guest_elf(file, 0);
  if (image.ok()) (void)instar::vmm::load_guest_elf(image.value(), file, memory, 7u << 20);
  return 0;
}
