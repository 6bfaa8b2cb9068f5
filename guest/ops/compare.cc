// compare.cc: img_compare's chunk walk: block status of both images, then compare, skip or check
// for zeros, then the size-mismatch tail of the larger image.
#include "guest/ops/compare.h"

#include "guest/ops/compare_buffers.h"
#include "guest/ops/compare_image.h"
#include "guest/ops/info.h"
#include "guest/ops/input_chain.h"

namespace instar {

namespace {

constexpr uint64_t kIoBufSize = 2 * 1024 * 1024;  // qemu-img.c IO_BUF_SIZE

uint64_t min64(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

struct Outcome {
  instar_guest_CompareKind kind = instar_guest_CompareKind_COMPARE_IDENTICAL;
  uint64_t offset = 0;
  uint32_t image = 0;
  bool size_mismatch = false;
  Status error;                       // for the error kinds
  const ErrorNames* names = nullptr;  // image names that go with `error`
};

Outcome result(instar_guest_CompareKind kind, uint64_t offset) {
  Outcome o;
  o.kind = kind;
  o.offset = offset;
  return o;
}

Outcome failure(instar_guest_CompareKind kind, uint32_t image, uint64_t offset,
                const Status& error) {
  Outcome o = result(kind, offset);
  o.image = image;
  o.error = error;
  return o;
}

class Walk {
 public:
  Walk(CompareImage* const* images, uint8_t* buf1, uint8_t* buf2, bool strict)
      : images_(images), buf1_(buf1), buf2_(buf2), strict_(strict) {}

  Outcome run() {
    const uint64_t total1 = images_[0]->length();
    const uint64_t total2 = images_[1]->length();
    const uint64_t total = min64(total1, total2);
    if (strict_ && total1 != total2) {
      return result(instar_guest_CompareKind_COMPARE_STRICT_SIZE_MISMATCH, 0);
    }
    uint64_t offset = 0;
    while (offset < total) {
      BlockStatus s1, s2;
      Status st = images_[0]->block_status(offset, total1 - offset, &s1);
      if (!st.ok()) return failure(instar_guest_CompareKind_COMPARE_STATUS_FAILED, 0, offset, st);
      st = images_[1]->block_status(offset, total2 - offset, &s2);
      if (!st.ok()) return failure(instar_guest_CompareKind_COMPARE_STATUS_FAILED, 1, offset, st);
      const bool allocated1 = (s1.flags & kBlockAllocated) != 0;
      const bool allocated2 = (s2.flags & kBlockAllocated) != 0;
      uint64_t chunk = min64(s1.bytes, s2.bytes);
      if (strict_ && s1.flags != s2.flags) {
        return result(instar_guest_CompareKind_COMPARE_STRICT_STATUS_MISMATCH, offset);
      }
      if ((s1.flags & kBlockZero) != 0 && (s2.flags & kBlockZero) != 0) {
        // both read as zeros
      } else if (allocated1 == allocated2) {
        if (allocated1) {
          chunk = min64(chunk, kIoBufSize);
          st = images_[0]->read(offset, MutableBytes(buf1_, chunk));
          if (!st.ok()) return failure(instar_guest_CompareKind_COMPARE_READ_FAILED, 0, offset, st);
          st = images_[1]->read(offset, MutableBytes(buf2_, chunk));
          if (!st.ok()) return failure(instar_guest_CompareKind_COMPARE_READ_FAILED, 1, offset, st);
          uint64_t same = 0;
          const bool differ = sectors_differ(buf1_, buf2_, chunk, &same);
          if (differ || same != chunk) {
            return result(instar_guest_CompareKind_COMPARE_CONTENT_MISMATCH,
                          offset + (differ ? 0 : same));
          }
        }
      } else {
        chunk = min64(chunk, kIoBufSize);
        Outcome o;
        if (!check_empty(allocated1 ? 0 : 1, offset, chunk, &o)) return o;
      }
      offset += chunk;
    }
    if (total1 == total2) return result(instar_guest_CompareKind_COMPARE_IDENTICAL, 0);

    // The larger image's tail must read as zeros.
    const uint32_t over = total1 > total2 ? 0 : 1;
    const uint64_t end = over == 0 ? total1 : total2;
    Outcome o = tail(over, offset, end);
    o.size_mismatch = true;
    return o;
  }

 private:
  Outcome tail(uint32_t over, uint64_t offset, uint64_t end) {
    while (offset < end) {
      BlockStatus s;
      const Status st = images_[over]->block_status(offset, end - offset, &s);
      if (!st.ok()) {
        return failure(instar_guest_CompareKind_COMPARE_STATUS_FAILED, over, offset, st);
      }
      uint64_t chunk = s.bytes;
      if ((s.flags & kBlockAllocated) != 0 && (s.flags & kBlockZero) == 0) {
        chunk = min64(chunk, kIoBufSize);
        Outcome o;
        if (!check_empty(over, offset, chunk, &o)) return o;
      }
      offset += chunk;
    }
    return result(instar_guest_CompareKind_COMPARE_IDENTICAL, 0);
  }

  // check_empty_sectors(): false with *out set when the range is not all zeros or unreadable.
  bool check_empty(uint32_t image, uint64_t offset, uint64_t bytes, Outcome* out) {
    const Status st = images_[image]->read(offset, MutableBytes(buf1_, bytes));
    if (!st.ok()) {
      *out = failure(instar_guest_CompareKind_COMPARE_READ_FAILED, image, offset, st);
      return false;
    }
    const int64_t index = first_nonzero_sector(buf1_, bytes);
    if (index < 0) return true;
    *out = result(instar_guest_CompareKind_COMPARE_CONTENT_MISMATCH,
                  offset + static_cast<uint64_t>(index));
    return false;
  }

  CompareImage* const* images_;
  uint8_t* buf1_;
  uint8_t* buf2_;
  bool strict_;
};

Status emit_outcome(const Outcome& o, MessageSink& sink, Arena& arena) {
  const bool is_error = !o.error.ok();
  if (is_error) INSTAR_TRY(emit_error(sink, arena, o.error, o.names));
  // The GuestMessage union is KiBs large: keep it in the arena, not on the guest's small stack.
  const uint64_t mark = arena.mark();
  auto* message = static_cast<instar_guest_GuestMessage*>(
      arena.allocate(sizeof(instar_guest_GuestMessage), alignof(instar_guest_GuestMessage)));
  if (message == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  *message = instar_guest_GuestMessage_init_zero;
  message->which_body = instar_guest_GuestMessage_compare_result_tag;
  message->body.compare_result.kind = o.kind;
  message->body.compare_result.offset = o.offset;
  message->body.compare_result.image = o.image;
  message->body.compare_result.size_mismatch = o.size_mismatch;
  const Status emitted = emit_message(sink, arena, *message);
  arena.release_to(mark);
  INSTAR_TRY(emitted);
  return emit_done(sink, arena, is_error ? 1 : 0);
}

// Opens input `i` of a compare: its chain table, or the input alone when the host sent none.
Status open_input(const abi::OpConfig& op, uint32_t i, BlockSource* const* devices,
                  uint32_t device_count, Arena& arena, ErrorNames* detail, InputChain* out) {
  return open_input_chain(op.input_device[i], op.input_format[i], op.chain[i], op.chain_length[i],
                          devices, device_count, arena, detail, out);
}

}  // namespace

Status run_compare(const abi::OpConfig& op, BlockSource* const* devices, uint32_t device_count,
                   MessageSink& sink, Arena& arena) {
  const uint64_t mark = arena.mark();
  Outcome outcome;
  auto* detail = static_cast<ErrorNames*>(arena.allocate(sizeof(ErrorNames), alignof(ErrorNames)));
  InputChain chains[2];
  const bool second = valid_device(op.input_device[1], devices, device_count);
  if (detail == nullptr) {
    outcome = failure(instar_guest_CompareKind_COMPARE_OPEN_FAILED, 0, 0,
                      Status(instar_guest_ErrorCode_ERROR_INTERNAL));
  } else {
    outcome = result(instar_guest_CompareKind_COMPARE_FIRST_OPENED, 0);
    for (uint32_t i = 0; i < (second ? 2u : 1u); ++i) {
      const Status opened = open_input(op, i, devices, device_count, arena, detail, &chains[i]);
      if (!opened.ok()) {
        outcome = failure(instar_guest_CompareKind_COMPARE_OPEN_FAILED, i, 0, opened);
        outcome.names = detail;
        break;
      }
    }
  }
  // Without chain tables, devices 2 and 3, when present, hold the host's data-extent maps of the
  // two files (the layout before chains; chain tables carry them as aux devices instead).
  for (uint32_t i = 0; i < 2 && second && op.chain_length[0] == 0 && op.chain_length[1] == 0 &&
                       outcome.kind == instar_guest_CompareKind_COMPARE_FIRST_OPENED;
       ++i) {
    if (!valid_device(2 + i, devices, device_count)) continue;
    const FileFacts facts{.extent_map = devices[2 + i]};
    const Status mapped = chains[i].images[0]->driver().set_file_facts(facts, arena);
    if (!mapped.ok()) outcome = failure(instar_guest_CompareKind_COMPARE_OPEN_FAILED, i, 0, mapped);
  }
  if (second && outcome.kind == instar_guest_CompareKind_COMPARE_FIRST_OPENED) {
    auto* buf1 = arena.allocate_array<uint8_t>(kIoBufSize);
    auto* buf2 = arena.allocate_array<uint8_t>(kIoBufSize);
    if (buf1 == nullptr || buf2 == nullptr) {
      outcome = failure(instar_guest_CompareKind_COMPARE_READ_FAILED, 0, 0,
                        Status(instar_guest_ErrorCode_ERROR_INTERNAL));
    } else {
      CompareImage* tops[2] = {chains[0].images[0], chains[1].images[0]};
      Walk walk(tops, buf1, buf2, (op.flags & abi::kOpFlagStrict) != 0);
      outcome = walk.run();
    }
  }
  const Status emitted = emit_outcome(outcome, sink, arena);
  arena.release_to(mark);
  return emitted;
}

}  // namespace instar
