// boot_blob_test.cc: the engine's boot blob encoding against the helper's strict parser.
#include "engine/sandbox/boot_blob.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>

#include "guest/platform/process/boot_config.h"

namespace instar::sandbox {
namespace {

using process::BootConfig;
using process::BootError;
using process::parse_boot_blob;

Request sample_request() {
  Request request;
  request.op.op = static_cast<uint32_t>(abi::Op::kInfo);
  request.op.test_arg = 7;
  request.devices.push_back({10, 12345, false});
  request.devices.push_back({11, 1 << 20, true});
  return request;
}

template <typename T>
void poke(std::vector<uint8_t>& blob, size_t offset, T value) {
  std::memcpy(blob.data() + offset, &value, sizeof value);
}

BootError parse(const std::vector<uint8_t>& blob) {
  BootConfig config;
  return parse_boot_blob(blob.data(), blob.size(), &config);
}

TEST(BootBlob, RoundTripsThroughTheHelpersParser) {
  const Request request = sample_request();
  ASSERT_EQ(validate_process_request(request), "");
  const std::vector<uint8_t> blob = encode_boot_blob(request);
  BootConfig config;
  ASSERT_EQ(parse_boot_blob(blob.data(), blob.size(), &config), BootError::kOk);
  EXPECT_EQ(config.boot.memory_size, 0u);
  EXPECT_EQ(config.boot.arena_gpa, 0u);
  EXPECT_EQ(config.boot.arena_size, request.limits.arena_bytes);
  EXPECT_EQ(config.boot.max_message_size, request.limits.max_message_bytes);
  EXPECT_EQ(config.boot.max_read_size, request.limits.max_read_bytes);
  EXPECT_EQ(config.boot.device_count, 2u);
  EXPECT_EQ(config.boot.devices[0].capacity, 12345u);
  EXPECT_EQ(config.boot.devices[0].flags, uint32_t{abi::kDeviceReadable});
  EXPECT_EQ(config.boot.devices[1].flags,
            uint32_t{abi::kDeviceReadable} | uint32_t{abi::kDeviceWritable});
  EXPECT_EQ(config.op.op, static_cast<uint32_t>(abi::Op::kInfo));
  EXPECT_EQ(config.op.test_arg, 7u);
}

TEST(BootBlob, ArenaIsRoundedToPages) {
  Request request = sample_request();
  request.limits.arena_bytes = (1 << 20) + 1;
  const std::vector<uint8_t> blob = encode_boot_blob(request);
  BootConfig config;
  ASSERT_EQ(parse_boot_blob(blob.data(), blob.size(), &config), BootError::kOk);
  EXPECT_EQ(config.boot.arena_size, (1u << 20) + abi::kPageSize);
}

TEST(BootBlob, HelperRefusesMalformedBlobs) {
  const std::vector<uint8_t> good = encode_boot_blob(sample_request());
  std::vector<uint8_t> b = good;
  b.pop_back();
  EXPECT_EQ(parse(b), BootError::kShort);
  b = good;
  b.push_back(0);
  EXPECT_EQ(parse(b), BootError::kTrailing);
  EXPECT_EQ(parse({}), BootError::kShort);

  b = good;
  poke<uint32_t>(b, offsetof(abi::BootInfo, magic), 0x12345678);
  EXPECT_EQ(parse(b), BootError::kMagic);
  b = good;
  poke<uint32_t>(b, offsetof(abi::BootInfo, abi_version), abi::kAbiVersion + 1);
  EXPECT_EQ(parse(b), BootError::kVersion);
  b = good;
  poke<uint32_t>(b, offsetof(abi::BootInfo, size), sizeof(abi::BootInfo) + 8);
  EXPECT_EQ(parse(b), BootError::kSize);
  b = good;
  poke<uint64_t>(b, offsetof(abi::BootInfo, op_config_size), 16);
  EXPECT_EQ(parse(b), BootError::kSize);
  b = good;
  poke<uint32_t>(b, offsetof(abi::BootInfo, device_count), abi::kMaxDevices + 1);
  EXPECT_EQ(parse(b), BootError::kDeviceCount);
  b = good;
  poke<uint64_t>(b, offsetof(abi::BootInfo, memory_size), 64 << 20);
  EXPECT_EQ(parse(b), BootError::kKvmFields);
  b = good;
  poke<uint64_t>(b, offsetof(abi::BootInfo, arena_size), 100);
  EXPECT_EQ(parse(b), BootError::kArenaSize);
  b = good;
  poke<uint64_t>(b, offsetof(abi::BootInfo, arena_size), (1 << 20) + 1);
  EXPECT_EQ(parse(b), BootError::kArenaSize);
  b = good;
  poke<uint64_t>(b, offsetof(abi::BootInfo, max_message_size), 0);
  EXPECT_EQ(parse(b), BootError::kMessageSize);
  b = good;
  poke<uint64_t>(b, offsetof(abi::BootInfo, max_message_size), 0xffffffffull);
  EXPECT_EQ(parse(b), BootError::kMessageSize);
  b = good;
  poke<uint64_t>(b, offsetof(abi::BootInfo, max_read_size), 0);
  EXPECT_EQ(parse(b), BootError::kReadSize);
  b = good;
  poke<uint32_t>(b, offsetof(abi::BootInfo, devices) + offsetof(abi::DeviceInfo, flags), 4);
  EXPECT_EQ(parse(b), BootError::kDeviceFlags);
  b = good;
  poke<uint32_t>(b, offsetof(abi::BootInfo, devices) + offsetof(abi::DeviceInfo, flags), 0);
  EXPECT_EQ(parse(b), BootError::kDeviceFlags);
  b = good;
  poke<uint64_t>(b, offsetof(abi::BootInfo, devices), ~uint64_t{0});
  EXPECT_EQ(parse(b), BootError::kDeviceFlags);
  b = good;
  poke<uint64_t>(b, offsetof(abi::BootInfo, devices) + 2 * sizeof(abi::DeviceInfo), 1);
  EXPECT_EQ(parse(b), BootError::kUnusedDevice);
}

TEST(BootBlob, RequestValidation) {
  Request request = sample_request();
  EXPECT_EQ(validate_process_request(request), "");
  request.devices.resize(abi::kMaxDevices + 1, Device{3, 1, false});
  EXPECT_NE(validate_process_request(request), "");
  request = sample_request();
  request.devices[0].fd = -1;
  EXPECT_NE(validate_process_request(request), "");
  request = sample_request();
  request.limits.wall_time = std::chrono::milliseconds(0);
  EXPECT_NE(validate_process_request(request), "");
  request = sample_request();
  request.limits.arena_bytes = request.limits.memory_bytes + 1;
  EXPECT_NE(validate_process_request(request), "");
  request = sample_request();
  request.limits.max_message_bytes = 0;
  EXPECT_NE(validate_process_request(request), "");
  request = sample_request();
  request.limits.max_message_bytes = abi::kExitFrame;
  EXPECT_NE(validate_process_request(request), "");
}

}  // namespace
}  // namespace instar::sandbox
