// vdi_open_fuzzer.cc: the vdi driver over an arbitrary file in memory: open (header checks, the
// block map), block status run by run from offset 0 with a read at each run's start, then check
// and info's description.
//
// Checked beyond "no crash": every status run is non-empty, within the asked range and inside
// one block, and carries an offset exactly when it has data, as vdi_co_block_status() answers.
#include <cstddef>
#include <cstdint>

#include "fuzz/driver_harness.h"
#include "guest/formats/vdi/vdi_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // check walks every block map entry: keep it to inputs whose map is small.
  const bool small_map = size >= 0x184 && (data[0x183] | (data[0x182] & 0xf0)) == 0;
  instar::fuzz::fuzz_format_driver(
      instar::vdi::kVdiDriver, data, size, small_map,
      [](const instar::ImageDriver& image, uint64_t offset, const instar::BlockStatus& status) {
        const uint64_t block = image.cluster_size();
        return block != 0 && status.bytes <= block - offset % block;
      });
  return 0;
}
