// The full-backing-filename rule (image directory prefix + backing name).
#include "engine/render/backing_path.h"

#include <gtest/gtest.h>

namespace instar::render {
namespace {

TEST(BackingPath, ReferenceExamples) {
  EXPECT_EQ(FullBackingFilename("ov.qcow2", "v3.qcow2"), "v3.qcow2");
  EXPECT_EQ(FullBackingFilename("sub/ov.qcow2", "../v3.qcow2"), "sub/../v3.qcow2");
  EXPECT_EQ(FullBackingFilename("/tmp/x/nf.qcow2", "v3.qcow2"), "/tmp/x/v3.qcow2");
}

TEST(BackingPath, AbsoluteAndProtocolNamesAreKept) {
  EXPECT_EQ(FullBackingFilename("sub/ov.qcow2", "/abs/b.qcow2"), "/abs/b.qcow2");
  EXPECT_EQ(FullBackingFilename("sub/ov.qcow2", "nbd:localhost:10809"), "nbd:localhost:10809");
  // A ':' after a '/' is no protocol prefix.
  EXPECT_EQ(FullBackingFilename("sub/ov.qcow2", "d/a:b"), "sub/d/a:b");
}

TEST(BackingPath, NoResult) {
  EXPECT_EQ(FullBackingFilename("ov.qcow2", ""), std::nullopt);
  EXPECT_EQ(FullBackingFilename("json:{\"file\":{}}", "b.qcow2"), std::nullopt);
}

TEST(BackingPath, NoNormalisation) {
  EXPECT_EQ(FullBackingFilename("./a//ov.qcow2", "b.qcow2"), "./a//b.qcow2");
  EXPECT_EQ(FullBackingFilename("/ov.qcow2", "b.qcow2"), "/b.qcow2");
  EXPECT_TRUE(PathHasProtocol("file:x"));
  EXPECT_FALSE(PathHasProtocol("./file:x"));
  EXPECT_TRUE(PathIsAbsolute("/x"));
  EXPECT_FALSE(PathIsAbsolute("x"));
}

}  // namespace
}  // namespace instar::render
