// info_probe.cc: drives run_op with in-memory devices and decodes the [u32 LE len][msg] frames.
#include "property-tests/support/info_probe.h"

#include <pb_decode.h>

#include <initializer_list>

#include "guest/abi/abi.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/message_sink.h"
#include "guest/ops/run_op.h"

namespace instar::props {

namespace {

void decode(const uint8_t* data, uint64_t size, OpOutcome& out) {
  uint64_t at = 0;
  bool saw_done = false;
  while (at < size) {
    if (saw_done) {
      out.problem = "message after Done";
      return;
    }
    if (size - at < 4) {
      out.problem = "truncated frame length";
      return;
    }
    const uint32_t n =
        data[at] | data[at + 1] << 8 | data[at + 2] << 16 | uint32_t{data[at + 3]} << 24;
    at += 4;
    if (n > size - at) {
      out.problem = "frame beyond the sink";
      return;
    }
    instar_guest_GuestMessage message = instar_guest_GuestMessage_init_zero;
    pb_istream_t stream = pb_istream_from_buffer(data + at, n);
    if (!pb_decode(&stream, instar_guest_GuestMessage_fields, &message)) {
      out.problem = "undecodable frame";
      return;
    }
    at += n;
    switch (message.which_body) {
      case instar_guest_GuestMessage_info_tag:
        out.has_info = true;
        out.info = message.body.info;
        break;
      case instar_guest_GuestMessage_snapshot_tag:
        out.snapshots.push_back(message.body.snapshot);
        break;
      case instar_guest_GuestMessage_error_tag:
        out.has_error = true;
        out.error = message.body.error;
        break;
      case instar_guest_GuestMessage_check_result_tag:
        out.has_check_result = true;
        out.check_result = message.body.check_result;
        break;
      case instar_guest_GuestMessage_compare_result_tag:
        out.has_compare_result = true;
        out.compare_result = message.body.compare_result;
        break;
      case instar_guest_GuestMessage_done_tag:
        saw_done = true;
        out.done_status = message.body.done.status;
        break;
      default:
        break;
    }
  }
  if (!saw_done) {
    out.problem = "no Done message";
    return;
  }
  out.frames_ok = true;
}

// Runs `op` over the images (device i = images[i]) with formats[i] requested.
OpOutcome probe_op(abi::Op op, std::initializer_list<const std::vector<uint8_t>*> images,
                   std::initializer_list<abi::ImageFormat> formats) {
  // Sized like the process backend's defaults; allocated once (properties call this often).
  static std::vector<uint8_t> arena_memory(16u << 20);
  static std::vector<uint8_t> messages(64u << 20);
  std::vector<MemoryBlockSource> sources;
  sources.reserve(images.size());
  std::vector<BlockSource*> devices;
  for (const std::vector<uint8_t>* image : images) {
    sources.emplace_back(Bytes(image->data(), image->size()));
    devices.push_back(&sources.back());
  }
  abi::BootInfo boot{};
  boot.device_count = static_cast<uint32_t>(devices.size());
  abi::OpConfig config{};
  config.op = static_cast<uint32_t>(op);
  uint32_t i = 0;
  for (abi::ImageFormat format : formats) {
    config.input_device[i] = i;
    config.input_format[i] = static_cast<uint32_t>(format);
    ++i;
  }
  if (devices.size() == 1) config.input_device[1] = abi::kMaxDevices;
  Arena arena(arena_memory.data(), arena_memory.size());
  MemoryMessageSink sink(messages.data(), messages.size());
  OpOutcome out;
  out.run_op_result = run_op(boot, config, devices.data(), boot.device_count, sink, arena);
  out.arena_left_used = arena.used();
  const Bytes contents = sink.contents();
  decode(contents.data, contents.size, out);
  return out;
}

}  // namespace

InfoOutcome probe_info(const std::vector<uint8_t>& image) {
  return probe_op(abi::Op::kInfo, {&image}, {abi::ImageFormat::kProbe});
}

OpOutcome probe_check(const std::vector<uint8_t>& image) {
  return probe_op(abi::Op::kCheck, {&image}, {abi::ImageFormat::kProbe});
}

OpOutcome probe_compare_with_raw(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  return probe_op(abi::Op::kCompare, {&a, &b}, {abi::ImageFormat::kProbe, abi::ImageFormat::kRaw});
}

}  // namespace instar::props
