// op_harness.h: runs one guest operation over in-memory devices, as the process backend would,
// for the fuzz targets that drive whole operations (info, check, compare, convert).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "guest/abi/abi.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/message_sink.h"
#include "guest/ops/run_op.h"

namespace instar::fuzz {

// An output device for ops that write (convert): what the guest reads back and writes through.
struct OutputDevice {
  BlockSource* source = nullptr;
  BlockSink* sink = nullptr;
};

// Runs `op` with images[i] as device i (read-only) and, when `output.sink` is set, the output as
// device `count` (readable and writable, its capacity the sink's size). The arena and message
// buffers are reused across runs: the guest gets the same bounds as under the process backend's
// defaults.
inline void run_guest_op(const abi::OpConfig& op, const Bytes* images, uint32_t count,
                         OutputDevice output = {}) {
  static std::vector<uint8_t> arena_memory(32u << 20);
  static std::vector<uint8_t> messages(4u << 20);
  Arena arena(arena_memory.data(), arena_memory.size());
  MemoryMessageSink sink(messages.data(), messages.size());
  std::vector<MemoryBlockSource> sources;
  sources.reserve(count);
  std::vector<BlockSource*> devices;
  std::vector<BlockSink*> sinks(count, nullptr);
  abi::BootInfo boot{};
  boot.magic = abi::kBootInfoMagic;
  boot.abi_version = abi::kAbiVersion;
  boot.size = sizeof(boot);
  boot.device_count = count;
  boot.arena_size = arena_memory.size();
  boot.max_message_size = 64 * 1024;
  boot.max_read_size = 16u << 20;
  for (uint32_t i = 0; i < count; ++i) {
    sources.emplace_back(images[i]);
    devices.push_back(&sources.back());
    boot.devices[i] = {images[i].size, abi::kDeviceReadable, 0};
  }
  if (output.sink != nullptr) {
    devices.push_back(output.source);
    sinks.push_back(output.sink);
    boot.devices[count] = {output.sink->size(), abi::kDeviceReadable | abi::kDeviceWritable, 0};
    ++boot.device_count;
  }
  (void)run_op(boot, op, devices.data(), sinks.data(), boot.device_count, sink, arena);
}

// The format the fuzzer asks for: probing or forced qcow2, chosen by one input bit so that both
// the probe and the qcow2 path of a non-qcow2 input are reached.
inline uint32_t chosen_format(bool force_qcow2) {
  return static_cast<uint32_t>(force_qcow2 ? abi::ImageFormat::kQcow2 : abi::ImageFormat::kProbe);
}

}  // namespace instar::fuzz
