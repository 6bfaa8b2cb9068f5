// A QObject/QDict model with qemu's iteration order (tdb_hash buckets), for JSON and human dumps.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace instar::render {

// qemu's tdb_hash() (qobject/qdict.c): the hash that places a key in one of the QDict's buckets.
uint32_t TdbHash(std::string_view key);

// qemu's QDICT_BUCKET_MAX: the number of buckets a QDict iterates over.
inline constexpr uint32_t kQDictBuckets = 512;

class QObject;
class QDict;
using QList = std::vector<QObject>;

// One value of a QAPI-visited tree. Integers keep their signedness because qemu prints int64
// (PRId64) and uint64 (PRIu64) members differently.
class QObject {
 public:
  using Value = std::variant<std::monostate, bool, int64_t, uint64_t, std::string,
                             std::shared_ptr<QDict>, std::shared_ptr<QList>>;

  QObject() = default;
  static QObject Null() { return QObject(); }
  static QObject Bool(bool v) { return QObject(Value(v)); }
  static QObject Int(int64_t v) { return QObject(Value(v)); }
  static QObject Uint(uint64_t v) { return QObject(Value(v)); }
  static QObject Str(std::string v) { return QObject(Value(std::move(v))); }
  static QObject Dict(QDict dict);
  static QObject List(QList list);

  bool is_null() const { return std::holds_alternative<std::monostate>(value_); }
  const bool* as_bool() const { return std::get_if<bool>(&value_); }
  const int64_t* as_int() const { return std::get_if<int64_t>(&value_); }
  const uint64_t* as_uint() const { return std::get_if<uint64_t>(&value_); }
  const std::string* as_str() const { return std::get_if<std::string>(&value_); }
  const QDict* as_dict() const;
  const QList* as_list() const;
  // Dicts and lists: the human dumper puts them on their own lines.
  bool is_composite() const { return as_dict() != nullptr || as_list() != nullptr; }

 private:
  explicit QObject(Value v) : value_(std::move(v)) {}
  Value value_;
};

// An ordered map that iterates like qemu's QDict: bucket tdb_hash(key) % 512 ascending, and within
// one bucket the most recently inserted key first (qemu inserts at the head of the bucket list).
// Callers insert members in QAPI schema (visit) order; the output order then follows qemu's.
class QDict {
 public:
  struct Entry {
    std::string key;
    QObject value;
  };

  // qdict_put_obj(): a new key is inserted; an existing key keeps its place, its value replaced.
  void Put(std::string key, QObject value);
  const QObject* Get(std::string_view key) const;
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  // The entries in qemu's iteration order (qdict_first/qdict_next).
  std::vector<const Entry*> Ordered() const;

 private:
  std::vector<Entry> entries_;  // insertion order
};

}  // namespace instar::render
