// vpc_open_fuzzer.cc: the vpc driver over an arbitrary file in memory: open (the footer at 0 or
// at the end, its checksum and size rule, the dynamic header, the BAT scan), block status run by
// run from offset 0 with a read at each run's start, then check and info's description.
//
// Checked beyond "no crash": every status run is non-empty and within the asked range, carries an
// offset exactly when it has data, and a BAT-mapped data run stays inside one block, as
// vpc_co_block_status() answers.
#include <cstddef>
#include <cstdint>

#include "fuzz/driver_harness.h"
#include "guest/formats/vpc/vpc_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  instar::fuzz::fuzz_format_driver(
      instar::vpc::kVpcDriver, data, size, true,
      [](const instar::ImageDriver& image, uint64_t offset, const instar::BlockStatus& status) {
        const uint64_t block = image.cluster_size();  // 0 for a fixed footer type
        return block == 0 || (status.flags & instar::kBlockData) == 0 ||
               status.bytes <= block - offset % block;
      });
  return 0;
}
