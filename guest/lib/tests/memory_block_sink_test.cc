// memory_block_sink_test.cc: the in-memory sink tracks its length like a file and reads back.
#include "guest/lib/memory_block_sink.h"

#include <gtest/gtest.h>

#include <string.h>

#include <vector>

namespace instar {
namespace {

TEST(MemoryBlockSink, SizeIsTheFurthestWriteAndHolesReadAsZero) {
  std::vector<uint8_t> buf(64, 0xee);
  MemoryBlockSink sink(MutableBytes(buf.data(), buf.size()));
  EXPECT_EQ(sink.size(), 0u);
  const uint8_t data[4] = {1, 2, 3, 4};
  ASSERT_TRUE(sink.write_at(10, Bytes(data, 4)).ok());
  EXPECT_EQ(sink.size(), 14u);
  ASSERT_TRUE(sink.write_at(2, Bytes(data, 2)).ok());
  EXPECT_EQ(sink.size(), 14u);
  uint8_t out[14];
  ASSERT_TRUE(sink.read_at(0, MutableBytes(out, 14)).ok());
  const uint8_t want[14] = {0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
  EXPECT_EQ(0, memcmp(out, want, 14));
}

TEST(MemoryBlockSink, WritesAndReadsOutsideFailWithIo) {
  std::vector<uint8_t> buf(16);
  MemoryBlockSink sink(MutableBytes(buf.data(), buf.size()));
  const uint8_t data[4] = {};
  Status s = sink.write_at(14, Bytes(data, 4));
  EXPECT_EQ(s.code(), instar_guest_ErrorCode_ERROR_IO);
  EXPECT_EQ(s.arg(0), 14u);
  EXPECT_EQ(s.arg(1), 4u);
  EXPECT_EQ(sink.size(), 0u);
  uint8_t out[1];
  EXPECT_EQ(sink.read_at(0, MutableBytes(out, 1)).code(), instar_guest_ErrorCode_ERROR_IO);
}

}  // namespace
}  // namespace instar
