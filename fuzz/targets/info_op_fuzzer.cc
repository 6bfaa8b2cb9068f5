// info_op_fuzzer.cc: the whole guest `info` path (probe, qcow2 open, extensions, snapshot table,
// bitmap directory, message encoding) over an arbitrary image held in memory.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "guest/abi/abi.h"
#include "guest/ops/run_op.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::vector<uint8_t> arena_memory(32u << 20);
  static std::vector<uint8_t> messages(4u << 20);
  instar::Arena arena(arena_memory.data(), arena_memory.size());
  instar::MemoryMessageSink sink(messages.data(), messages.size());
  instar::MemoryBlockSource source(instar::Bytes(data, size));
  instar::BlockSource* devices[] = {&source};

  instar::abi::BootInfo boot{};
  boot.magic = instar::abi::kBootInfoMagic;
  boot.abi_version = instar::abi::kAbiVersion;
  boot.size = sizeof(boot);
  boot.device_count = 1;
  boot.arena_size = arena_memory.size();
  boot.max_message_size = 64 * 1024;
  boot.max_read_size = 16u << 20;
  boot.devices[0] = {size, instar::abi::kDeviceReadable, 0};
  // Both the probing path and the forced-qcow2 path, chosen by the input's last byte.
  instar::abi::OpConfig op{};
  op.op = static_cast<uint32_t>(instar::abi::Op::kInfo);
  op.input_format[0] = static_cast<uint32_t>(size > 0 && (data[size - 1] & 1)
                                                 ? instar::abi::ImageFormat::kQcow2
                                                 : instar::abi::ImageFormat::kProbe);
  (void)instar::run_op(boot, op, devices, 1, sink, arena);
  return 0;
}
