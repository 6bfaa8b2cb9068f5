// vhdx_open_fuzzer.cc: the vhdx driver over an arbitrary file in memory: open (headers, the log
// search, region table, metadata, BAT bounds), block status run by run from offset 0 with a read
// at each run's start, then check and info's description.
//
// Checked beyond "no crash": every status run is non-empty and within the asked range (vhdx has
// no block status of its own: every run is data, without an offset). Reads may fail: qemu fails
// them for PARTIALLY_PRESENT and unknown block states.
#include <cstddef>
#include <cstdint>

#include "fuzz/driver_harness.h"
#include "guest/formats/vhdx/vhdx_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  instar::fuzz::fuzz_format_driver(
      instar::vhdx::kVhdxDriver, data, size, /*run_check=*/true,
      [](const instar::ImageDriver&, uint64_t, const instar::BlockStatus& status) {
        return status.flags == instar::kBlockData;
      },
      /*data_has_offset=*/false, /*reads_may_fail=*/true);
  return 0;
}
