// info_runner.h: test support: run the guest's info op over bytes and decode what it emitted.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "guest/abi/abi.h"
#include "guest/abi/guest.npb.h"

namespace instar::test {

// Runs run_op(kInfo) over `image` in a MemoryBlockSource and returns the decoded messages.
std::vector<instar_guest_GuestMessage> run_info_op(
    const std::vector<uint8_t>& image, abi::ImageFormat format = abi::ImageFormat::kProbe,
    uint32_t op_flags = 0);

// Runs any op config against `devices` images.
std::vector<instar_guest_GuestMessage> run_op_on(const abi::OpConfig& op,
                                                 const std::vector<std::vector<uint8_t>>& devices);

// Decodes [u32 LE length][GuestMessage] frames; fails the test on malformed frames.
std::vector<instar_guest_GuestMessage> decode_frames(const uint8_t* data, uint64_t size);

template <typename PbBytes>
std::string as_string(const PbBytes& field) {
  return std::string(reinterpret_cast<const char*>(field.bytes), field.size);
}

std::vector<uint8_t> read_file(const std::string& path);

}  // namespace instar::test
