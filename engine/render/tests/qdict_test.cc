// QDict iteration order (tdb_hash buckets) against every key order the reference lists.
#include "engine/render/qdict.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace instar::render {
namespace {

// Inserts `keys` in the given (schema) order and returns them in iteration order.
std::vector<std::string> IterationOrder(const std::vector<std::string>& keys) {
  QDict d;
  for (const std::string& k : keys) d.Put(k, QObject::Int(0));
  std::vector<std::string> out;
  for (const QDict::Entry* e : d.Ordered()) out.push_back(e->key);
  return out;
}

TEST(TdbHash, KnownBuckets) {
  // Values from qdict_order.py.
  EXPECT_EQ(TdbHash("backing-image") % kQDictBuckets, 80u);
  EXPECT_EQ(TdbHash("compat") % kQDictBuckets, 16u);
  EXPECT_EQ(TdbHash("dirty-flag") % kQDictBuckets, 501u);
  EXPECT_EQ(TdbHash("name") % kQDictBuckets, 39u);
  EXPECT_EQ(TdbHash("format") % kQDictBuckets, 337u);
  EXPECT_EQ(TdbHash(""), 12345u);
}

TEST(QDictOrder, ImageInfo) {
  // qapi/block-core.json ImageInfo member order (7.2).
  const std::vector<std::string> schema = {"filename",
                                           "format",
                                           "dirty-flag",
                                           "actual-size",
                                           "virtual-size",
                                           "cluster-size",
                                           "encrypted",
                                           "backing-filename",
                                           "full-backing-filename",
                                           "backing-filename-format",
                                           "snapshots",
                                           "backing-image",
                                           "format-specific"};
  // The reference lists "snapshots" before "backing-filename-format"; qemu-img 7.2 on an image
  // with both prints backing-filename-format (bucket 206) first, snapshots (263) second.
  EXPECT_EQ(IterationOrder(schema),
            (std::vector<std::string>{"backing-image", "backing-filename-format", "snapshots",
                                      "virtual-size", "filename", "cluster-size", "format",
                                      "actual-size", "format-specific", "full-backing-filename",
                                      "encrypted", "backing-filename", "dirty-flag"}));
}

TEST(QDictOrder, Qcow2Data) {
  const std::vector<std::string> schema = {
      "compat",  "data-file",     "data-file-raw", "extended-l2", "lazy-refcounts",
      "corrupt", "refcount-bits", "encrypt",       "bitmaps",     "compression-type"};
  EXPECT_EQ(IterationOrder(schema),
            (std::vector<std::string>{"compat", "compression-type", "lazy-refcounts", "bitmaps",
                                      "refcount-bits", "data-file", "encrypt", "data-file-raw",
                                      "corrupt", "extended-l2"}));
  EXPECT_EQ(IterationOrder({"type", "data"}), (std::vector<std::string>{"type", "data"}));
}

TEST(QDictOrder, Snapshot) {
  EXPECT_EQ(IterationOrder({"id", "name", "vm-state-size", "date-sec", "date-nsec", "vm-clock-sec",
                            "vm-clock-nsec", "icount"}),
            (std::vector<std::string>{"icount", "vm-clock-nsec", "name", "date-sec", "date-nsec",
                                      "vm-clock-sec", "id", "vm-state-size"}));
}

TEST(QDictOrder, ImageCheck) {
  EXPECT_EQ(IterationOrder({"filename", "format", "check-errors", "image-end-offset", "corruptions",
                            "leaks", "corruptions-fixed", "leaks-fixed", "total-clusters",
                            "allocated-clusters", "fragmented-clusters", "compressed-clusters"}),
            (std::vector<std::string>{"image-end-offset", "compressed-clusters", "total-clusters",
                                      "corruptions", "corruptions-fixed", "check-errors", "leaks",
                                      "leaks-fixed", "allocated-clusters", "filename", "format",
                                      "fragmented-clusters"}));
}

TEST(QDictOrder, MeasureVmdkLuks) {
  EXPECT_EQ(IterationOrder({"required", "fully-allocated", "bitmaps"}),
            (std::vector<std::string>{"bitmaps", "required", "fully-allocated"}));
  EXPECT_EQ(IterationOrder({"create-type", "cid", "parent-cid", "extents"}),
            (std::vector<std::string>{"cid", "parent-cid", "create-type", "extents"}));
  EXPECT_EQ(IterationOrder({"filename", "format", "virtual-size", "cluster-size", "compressed"}),
            (std::vector<std::string>{"compressed", "virtual-size", "filename", "cluster-size",
                                      "format"}));
  EXPECT_EQ(
      IterationOrder({"format", "cipher-alg", "cipher-mode", "ivgen-alg", "hash-alg",
                      "payload-offset", "master-key-iters", "uuid", "slots"}),
      (std::vector<std::string>{"ivgen-alg", "hash-alg", "cipher-alg", "uuid", "format",
                                "cipher-mode", "slots", "payload-offset", "master-key-iters"}));
  EXPECT_EQ(IterationOrder({"active", "iters", "stripes", "key-offset"}),
            (std::vector<std::string>{"active", "iters", "key-offset", "stripes"}));
}

TEST(QDictOrder, SameBucketLaterInsertionFirst) {
  // "children" (8.2+) shares bucket 206 with "backing-filename-format" and, inserted after it,
  // iterates first.
  ASSERT_EQ(TdbHash("children") % kQDictBuckets,
            TdbHash("backing-filename-format") % kQDictBuckets);
  EXPECT_EQ(IterationOrder({"backing-filename-format", "children"}),
            (std::vector<std::string>{"children", "backing-filename-format"}));
  EXPECT_EQ(IterationOrder({"children", "backing-filename-format"}),
            (std::vector<std::string>{"backing-filename-format", "children"}));
}

TEST(QDict, PutReplacesInPlace) {
  QDict d;
  d.Put("a", QObject::Int(1));
  d.Put("b", QObject::Int(2));
  d.Put("a", QObject::Int(3));
  ASSERT_EQ(d.size(), 2u);
  const QObject* a = d.Get("a");
  ASSERT_NE(a, nullptr);
  const int64_t* value = a->as_int();
  ASSERT_NE(value, nullptr);
  EXPECT_EQ(*value, 3);
  EXPECT_EQ(d.Get("c"), nullptr);
}

}  // namespace
}  // namespace instar::render
