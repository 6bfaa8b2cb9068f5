// amend_op_fuzzer.cc: the guest `amend` op on a fuzzed image changed in place in memory (the
// image is the one writable device, as the host hands it over), checking that no write lands
// outside the device and that a change the guest refuses before writing writes nothing.
//
// Input layout: one flags byte, then the image. Flags: bits 0-1 compat (none, 0.10, 1.1, none),
// bit 2 lazy_refcounts given, bit 3 its value, bit 4 force qcow2 input, bit 5 refcount_bits=16
// given, bit 6 backing_file "base" given, bit 7 open only.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "fuzz/op_harness.h"
#include "guest/lib/mem.h"

namespace {

// The image as the in-place device: reads and writes inside its length only (a write past it
// would be the host growing the file, which amend never asks for).
class InPlaceDevice final : public instar::BlockSink, public instar::BlockSource {
 public:
  explicit InPlaceDevice(std::vector<uint8_t>& memory) : memory_(memory) {}
  uint64_t size() const override { return memory_.size(); }
  instar::Status write_at(uint64_t offset, instar::Bytes data) override {
    if (offset > memory_.size() || data.size > memory_.size() - offset) std::abort();
    if (data.size != 0) std::memcpy(memory_.data() + offset, data.data, data.size);
    ++writes_;
    return instar::Status::Ok();
  }
  instar::Status flush() override { return instar::Status::Ok(); }
  instar::Status read_at(uint64_t offset, instar::MutableBytes out) override {
    if (offset > memory_.size() || out.size > memory_.size() - offset) {
      return instar::Status(instar_guest_ErrorCode_ERROR_IO, offset, out.size);
    }
    if (out.size != 0) std::memcpy(out.data, memory_.data() + offset, out.size);
    return instar::Status::Ok();
  }
  uint64_t writes() const { return writes_; }

 private:
  std::vector<uint8_t>& memory_;
  uint64_t writes_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t flags = data[0];
  static constexpr uint32_t kVersions[4] = {0, 2, 3, 0};
  instar::abi::OpConfig op{};
  op.op = static_cast<uint32_t>(instar::abi::Op::kAmend);
  op.input_device[0] = op.input_device[1] = instar::abi::kNoDevice;
  op.input_format[0] = instar::fuzz::chosen_format((flags & 0x10) != 0);
  op.output_device = 0;
  op.amend_file_length = size - 1;
  op.amend_version = kVersions[flags & 3];
  if ((flags & 4) != 0) op.amend_flags |= instar::abi::kAmendLazyGiven;
  if ((flags & 8) != 0 && (flags & 4) != 0) op.amend_flags |= instar::abi::kAmendLazyOn;
  if ((flags & 0x20) != 0) {
    op.amend_flags |= instar::abi::kAmendRefcountBits;
    op.amend_refcount_bits = 16;
  }
  if ((flags & 0x40) != 0) {
    op.amend_flags |= instar::abi::kAmendBackingFile;
    std::memcpy(op.convert_backing_name, "base", 4);
    op.convert_backing_name_length = 4;
  }
  if ((flags & 0x80) != 0) op.amend_flags |= instar::abi::kAmendOpenOnly;
  std::vector<uint8_t> memory(data + 1, data + size);
  InPlaceDevice device(memory);
  instar::fuzz::run_guest_op(op, nullptr, 0, {&device, &device});
  // Opening only never writes.
  if ((flags & 0x80) != 0 && device.writes() != 0) std::abort();
  return 0;
}
