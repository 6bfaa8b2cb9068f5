// message_sink_test.cc: guest messages encode with nanopb and frame as the host expects.
#include "guest/lib/message_sink.h"

#include <gtest/gtest.h>

#include <cstring>

namespace instar {
namespace {

TEST(MessageSinkTest, EncodesAndFramesAnError) {
  alignas(16) uint8_t arena_buffer[65536];  // a GuestMessage holds a MapExtents batch
  Arena arena(arena_buffer, sizeof(arena_buffer));
  uint8_t out[4096];
  MemoryMessageSink sink(out, sizeof(out));
  ASSERT_TRUE(emit_error(sink, arena, Status(instar_guest_ErrorCode_ERROR_IO, 7, 9), nullptr).ok());
  EXPECT_EQ(arena.used(), 0u) << "scratch space is released";
  Bytes framed = sink.contents();
  ASSERT_GT(framed.size, 4u);
  EXPECT_EQ(load_le32(framed.data), framed.size - 4);
}

TEST(MessageSinkTest, RefusesWhenFull) {
  alignas(16) uint8_t arena_buffer[65536];  // a GuestMessage holds a MapExtents batch
  Arena arena(arena_buffer, sizeof(arena_buffer));
  uint8_t out[6];
  MemoryMessageSink sink(out, sizeof(out));
  EXPECT_FALSE(
      emit_error(sink, arena, Status(instar_guest_ErrorCode_ERROR_IO, 7, 9), nullptr).ok());
}

}  // namespace
}  // namespace instar
