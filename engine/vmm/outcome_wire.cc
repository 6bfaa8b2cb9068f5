// outcome_wire.cc: little-endian trailer encoding and the child's frame writer.
#include "engine/vmm/outcome_wire.h"

#include <unistd.h>

#include <cerrno>

#include "guest/abi/abi.h"

namespace instar::vmm {
namespace {

constexpr uint32_t kTrailerMagic = 0x4f4d5649;  // "IVMO"
constexpr char kMessageTag = 'M';
constexpr char kTrailerTag = 'T';

void put(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>(value >> (8 * i)));
}

uint64_t get(std::string_view in, size_t offset, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value |= uint64_t{static_cast<uint8_t>(in[offset + static_cast<size_t>(i)])} << (8 * i);
  }
  return value;
}

bool write_all(int fd, const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;  // a late deadline kick
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool write_frame(int fd, char tag, std::string_view body) {
  std::string header;
  put(header, kFrameTagBytes + body.size(), 4);
  header.push_back(tag);
  return write_all(fd, header.data(), header.size()) && write_all(fd, body.data(), body.size());
}

}  // namespace

std::string encode_outcome_trailer(const sandbox::Outcome& outcome) {
  std::string out;
  put(out, kTrailerMagic, 4);
  put(out, static_cast<uint32_t>(outcome.kind), 4);
  put(out, static_cast<uint32_t>(outcome.guest_status), 4);
  put(out, static_cast<uint32_t>(outcome.signal), 4);
  put(out, outcome.exits, 8);
  put(out, outcome.hypercalls, 8);
  put(out, outcome.reads, 8);
  put(out, outcome.bytes_read, 8);
  put(out, outcome.guest_ns, 8);
  out.append(outcome.diagnostic, 0, kMaxTrailerDiagnostic);
  return out;
}

bool decode_outcome_trailer(std::string_view trailer, sandbox::Outcome* out) {
  static_assert(kTrailerFixedBytes == 4 * 4 + 5 * 8);
  if (trailer.size() < kTrailerFixedBytes || trailer.size() > kMaxTrailerBytes) return false;
  if (get(trailer, 0, 4) != kTrailerMagic) return false;
  const uint64_t kind = get(trailer, 4, 4);
  if (kind > static_cast<uint64_t>(sandbox::OutcomeKind::kHostError)) return false;
  out->kind = static_cast<sandbox::OutcomeKind>(kind);
  out->guest_status = static_cast<int>(static_cast<int32_t>(get(trailer, 8, 4)));
  out->signal = static_cast<int>(static_cast<int32_t>(get(trailer, 12, 4)));
  out->exits = get(trailer, 16, 8);
  out->hypercalls = get(trailer, 24, 8);
  out->reads = get(trailer, 32, 8);
  out->bytes_read = get(trailer, 40, 8);
  out->guest_ns = get(trailer, 48, 8);
  out->diagnostic.assign(trailer.substr(kTrailerFixedBytes));
  return true;
}

bool write_message_frame(int fd, std::string_view encoded) {
  return write_frame(fd, kMessageTag, encoded);
}

bool write_outcome_end(int fd, const sandbox::Outcome& outcome) {
  if (!write_frame(fd, kTrailerTag, encode_outcome_trailer(outcome))) return false;
  std::string exit_frame;
  put(exit_frame, abi::kExitFrame, 4);
  put(exit_frame, 0, 4);
  return write_all(fd, exit_frame.data(), exit_frame.size());
}

bool OutcomeStreamConsumer::consume(std::string_view frame, std::string* why) {
  if (trailer_) {
    *why = "KVM monitor sent a frame after its outcome";
    return false;
  }
  if (frame.empty()) {
    *why = "KVM monitor sent an untagged frame";
    return false;
  }
  const std::string_view body = frame.substr(kFrameTagBytes);
  switch (frame.front()) {
    case kMessageTag:
      if (messages_ != nullptr) return messages_->consume(body, why);
      collected_.emplace_back(body);
      return true;
    case kTrailerTag: {
      sandbox::Outcome outcome;
      if (!decode_outcome_trailer(body, &outcome)) {
        *why = "KVM monitor sent a malformed outcome";
        return false;
      }
      trailer_ = std::move(outcome);
      return true;
    }
    default:
      *why = "KVM monitor sent a frame of unknown kind";
      return false;
  }
}

std::optional<sandbox::Outcome> OutcomeStreamConsumer::take_outcome() {
  if (!trailer_) return std::nullopt;
  sandbox::Outcome outcome = std::move(*trailer_);
  outcome.messages = std::move(collected_);
  trailer_.reset();
  return outcome;
}

}  // namespace instar::vmm
