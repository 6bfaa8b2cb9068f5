// info_runner.cc: drives run_op over in-memory images and decodes the frames with nanopb.
#include "guest/ops/tests/info_runner.h"

#include <gtest/gtest.h>
#include <pb_decode.h>

#include <fstream>
#include <iterator>
#include <memory>

#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/message_sink.h"
#include "guest/ops/run_op.h"

namespace instar::test {

std::vector<instar_guest_GuestMessage> decode_frames(const uint8_t* data, uint64_t size) {
  std::vector<instar_guest_GuestMessage> messages;
  uint64_t at = 0;
  while (at < size) {
    EXPECT_GE(size - at, 4u);
    if (size - at < 4) break;
    const uint32_t n =
        data[at] | data[at + 1] << 8 | data[at + 2] << 16 | uint32_t{data[at + 3]} << 24;
    at += 4;
    EXPECT_LE(n, size - at);
    if (n > size - at) break;
    instar_guest_GuestMessage message = instar_guest_GuestMessage_init_zero;
    pb_istream_t stream = pb_istream_from_buffer(data + at, n);
    EXPECT_TRUE(pb_decode(&stream, instar_guest_GuestMessage_fields, &message));
    messages.push_back(message);
    at += n;
  }
  return messages;
}

std::vector<instar_guest_GuestMessage> run_op_on(const abi::OpConfig& op,
                                                 const std::vector<std::vector<uint8_t>>& images) {
  std::vector<std::unique_ptr<MemoryBlockSource>> sources;
  std::vector<BlockSource*> devices;
  abi::BootInfo boot{};
  for (const auto& image : images) {
    sources.push_back(std::make_unique<MemoryBlockSource>(Bytes(image.data(), image.size())));
    devices.push_back(sources.back().get());
  }
  boot.device_count = static_cast<uint32_t>(devices.size());
  std::vector<uint8_t> arena_memory(16 << 20);
  Arena arena(arena_memory.data(), arena_memory.size());
  std::vector<uint8_t> out(64 << 20);
  MemoryMessageSink sink(out.data(), out.size());
  EXPECT_EQ(run_op(boot, op, devices.data(), static_cast<uint32_t>(devices.size()), sink, arena),
            0);
  EXPECT_EQ(arena.used(), 0u);  // info releases everything it allocated
  const Bytes contents = sink.contents();
  return decode_frames(contents.data, contents.size);
}

std::vector<instar_guest_GuestMessage> run_info_op(const std::vector<uint8_t>& image,
                                                   abi::ImageFormat format, uint32_t op_flags) {
  abi::OpConfig op{};
  op.op = static_cast<uint32_t>(abi::Op::kInfo);
  op.flags = op_flags;
  op.input_format[0] = static_cast<uint32_t>(format);
  return run_op_on(op, {image});
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace instar::test
