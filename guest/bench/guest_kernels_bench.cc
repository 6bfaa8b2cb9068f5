// guest_kernels_bench.cc: in-process costs of the guest's hot paths (no sandbox, no exec).
//
// The whole-process ratios against qemu-img come from scripts/bench; these kernels say how much
// of a run is decoding and how much is the sandbox around it. Operation benchmarks build their
// images with qemu-img (skipped with a message where it is missing) and read them from memory.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fuzz/op_harness.h"
#include "guest/abi/abi.h"
#include "guest/formats/qcow2/cluster_entries.h"
#include "guest/formats/qcow2/refcount_entries.h"

namespace {

using instar::Arena;
using instar::BlockSource;
using instar::Bytes;
using instar::MemoryBlockSource;
using instar::MemoryMessageSink;
namespace abi = instar::abi;
namespace qcow2 = instar::qcow2;

// --- decoding kernels ----------------------------------------------------------------------------

// Every entry of one 64 KiB refcount block of 1 << order bits per entry.
void BM_RefcountBlockDecode(benchmark::State& state) {
  const auto order = static_cast<uint32_t>(state.range(0));
  std::vector<uint8_t> block(64 * 1024);
  for (size_t i = 0; i < block.size(); ++i) block[i] = static_cast<uint8_t>(i * 37 + 11);
  const uint64_t entries = block.size() * 8 >> order;
  for (auto _ : state) {
    uint64_t sum = 0;
    for (uint64_t i = 0; i < entries; ++i) sum += qcow2::get_refcount(block.data(), i, order);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * entries));
}
BENCHMARK(BM_RefcountBlockDecode)->DenseRange(0, 6);

// Classification of every entry of one 64 KiB L2 table (standard or extended entries).
void BM_L2TableClassify(benchmark::State& state) {
  const bool extended = state.range(0) != 0;
  const uint64_t entries = 64 * 1024 / qcow2::l2_entry_size(extended);
  std::vector<uint64_t> table(entries);
  for (uint64_t i = 0; i < entries; ++i) {
    table[i] = (i % 7 == 0) ? 0 : (qcow2::kOflagCopied | ((i + 3) << 16));
  }
  for (auto _ : state) {
    uint64_t allocated = 0;
    for (uint64_t i = 0; i < entries; ++i) {
      allocated +=
          qcow2::classify_l2_entry(table[i], extended, false) == qcow2::ClusterType::kNormal;
    }
    benchmark::DoNotOptimize(allocated);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * entries));
}
BENCHMARK(BM_L2TableClassify)->Arg(0)->Arg(1);

// --- whole operations over in-memory images
// --------------------------------------------------------

// An image file mapped read-only (files of preallocated images are sparse and as long as their
// virtual size, so they are mapped, not read). The file itself is deleted at once.
class MappedImage {
 public:
  explicit MappedImage(const std::string& path) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0) {
      void* map = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (map != MAP_FAILED) bytes_ = Bytes(static_cast<const uint8_t*>(map), st.st_size);
    }
    if (fd >= 0) close(fd);
  }
  ~MappedImage() {
    if (bytes_.data != nullptr) munmap(const_cast<uint8_t*>(bytes_.data), bytes_.size);
  }
  MappedImage(const MappedImage&) = delete;
  MappedImage& operator=(const MappedImage&) = delete;
  Bytes bytes() const { return bytes_; }

 private:
  Bytes bytes_;
};

// Runs a shell command in a fresh directory and maps the named files; empty when it failed.
std::vector<std::unique_ptr<MappedImage>> make_images(const std::string& script,
                                                      const std::vector<std::string>& names) {
  char dir[] = "/tmp/instar-kernels-XXXXXX";
  if (mkdtemp(dir) == nullptr) return {};
  const std::string command = "cd '" + std::string(dir) + "' && (" + script + ") >/dev/null 2>&1";
  std::vector<std::unique_ptr<MappedImage>> images;
  if (std::system(command.c_str()) == 0) {
    for (const std::string& name : names) {
      images.push_back(std::make_unique<MappedImage>(std::string(dir) + "/" + name));
      if (images.back()->bytes().data == nullptr) images.clear();
    }
  }
  const std::string cleanup = "rm -rf '" + std::string(dir) + "'";
  if (std::system(cleanup.c_str()) != 0) perror("rm");
  return images;
}

// One guest operation over in-memory devices, as the process helper runs it (the fuzz targets'
// harness: same arena and message bounds).
void run_op_once(abi::Op op, const std::vector<std::unique_ptr<MappedImage>>& images) {
  abi::OpConfig config{};
  config.op = static_cast<uint32_t>(op);
  std::vector<Bytes> devices;
  for (uint32_t i = 0; i < images.size(); ++i) {
    devices.push_back(images[i]->bytes());
    config.input_device[i] = i;
  }
  if (images.size() == 1) config.input_device[1] = abi::kMaxDevices;
  instar::fuzz::run_guest_op(config, devices.data(), static_cast<uint32_t>(devices.size()));
}

// check of a `-o preallocation=metadata` image: every L2 entry and refcount is walked.
void BM_CheckPreallocatedMetadata(benchmark::State& state) {
  const std::string size = std::to_string(state.range(0)) + "G";
  auto images = make_images("qemu-img create -q -f qcow2 -o preallocation=metadata i.qcow2 " + size,
                            {"i.qcow2"});
  if (images.empty()) {
    state.SkipWithError("qemu-img is needed to build the image");
    return;
  }
  for (auto _ : state) run_op_once(abi::Op::kCheck, images);
  state.counters["clusters"] = static_cast<double>(state.range(0) << 14);  // 64 KiB clusters
}
BENCHMARK(BM_CheckPreallocatedMetadata)->Arg(64)->Unit(benchmark::kMillisecond);

// compare of two identical fully allocated qcow2 images of range(0) MiB.
void BM_CompareIdentical(benchmark::State& state) {
  const std::string size = std::to_string(state.range(0)) + "M";
  auto images = make_images("qemu-img create -q -f raw r " + size +
                                " && qemu-io -f raw -c 'write -P 0x5a 0 " + size +
                                "' r && qemu-img convert -O qcow2 r a.qcow2 && cp a.qcow2 b.qcow2",
                            {"a.qcow2", "b.qcow2"});
  if (images.empty()) {
    state.SkipWithError("qemu-img and qemu-io are needed to build the images");
    return;
  }
  for (auto _ : state) run_op_once(abi::Op::kCompare, images);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * (state.range(0) << 20)));
}
BENCHMARK(BM_CompareIdentical)->Arg(256)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
