// QDict iteration order: tdb_hash buckets, later insertions first within a bucket.
#include "engine/render/qdict.h"

#include <algorithm>

namespace instar::render {

uint32_t TdbHash(std::string_view key) {
  // The TDB hash qemu uses for QDict buckets: a length-seeded sum of bytes shifted by (i*5 % 24),
  // then one LCG step. All arithmetic is modulo 2^32, as in qemu's unsigned int.
  uint32_t value = 0x238F13AFu * static_cast<uint32_t>(key.size());
  for (size_t i = 0; i < key.size(); ++i) {
    const uint32_t byte = static_cast<unsigned char>(key[i]);
    value += byte << (i * 5 % 24);
  }
  return 1103515243u * value + 12345u;
}

QObject QObject::Dict(QDict dict) {
  return QObject(Value(std::make_shared<QDict>(std::move(dict))));
}

QObject QObject::List(QList list) {
  return QObject(Value(std::make_shared<QList>(std::move(list))));
}

const QDict* QObject::as_dict() const {
  const auto* p = std::get_if<std::shared_ptr<QDict>>(&value_);
  return p ? p->get() : nullptr;
}

const QList* QObject::as_list() const {
  const auto* p = std::get_if<std::shared_ptr<QList>>(&value_);
  return p ? p->get() : nullptr;
}

void QDict::Put(std::string key, QObject value) {
  for (Entry& e : entries_) {
    if (e.key == key) {
      e.value = std::move(value);
      return;
    }
  }
  entries_.push_back(Entry{std::move(key), std::move(value)});
}

const QObject* QDict::Get(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.key == key) return &e.value;
  }
  return nullptr;
}

std::vector<const QDict::Entry*> QDict::Ordered() const {
  std::vector<size_t> index(entries_.size());
  for (size_t i = 0; i < index.size(); ++i) index[i] = i;
  std::sort(index.begin(), index.end(), [this](size_t a, size_t b) {
    const uint32_t ba = TdbHash(entries_[a].key) % kQDictBuckets;
    const uint32_t bb = TdbHash(entries_[b].key) % kQDictBuckets;
    if (ba != bb) return ba < bb;
    return a > b;  // same bucket: the later insertion sits at the head of the bucket's list
  });
  std::vector<const Entry*> out;
  out.reserve(index.size());
  for (size_t i : index) out.push_back(&entries_[i]);
  return out;
}

}  // namespace instar::render
