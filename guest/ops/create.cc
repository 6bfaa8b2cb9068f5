// create.cc: `qemu-img create -f qcow2`'s guest half: the qcow2 writer's create() and finish()
// over the output device, nothing written but the new image's metadata.
#include "guest/ops/create.h"

#include <new>

#include "guest/formats/qcow2/qcow2_driver.h"
#include "guest/formats/qcow2/writer.h"
#include "guest/ops/convert.h"
#include "guest/ops/input_chain.h"

namespace instar {

namespace {

Status bad_config(uint32_t what) {
  return Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, what);
}

// The OpConfig fields create reads, checked before anything is written.
Status check_config(const abi::OpConfig& op, BlockSource* const* devices, BlockSink* const* sinks,
                    uint32_t device_count) {
  const uint32_t out = op.output_device;
  if (!valid_device(out, devices, device_count) || sinks == nullptr || sinks[out] == nullptr) {
    return bad_config(out);
  }
  if (op.output_format != static_cast<uint32_t>(abi::ImageFormat::kQcow2)) {
    return bad_config(op.output_format);
  }
  if (op.convert_backing_name_length > sizeof op.convert_backing_name ||
      op.convert_backing_fmt_length > sizeof op.convert_backing_fmt ||
      op.create_data_file_length > abi::kCreateNameMax) {
    return bad_config(0);
  }
  if (op.create_preallocation > 3 || op.qcow2_compression_type > 1) return bad_config(1);
  return Status::Ok();
}

// `outcome` gets what the host completes once the image is created: the data area it
// preallocates (falloc, full) and what goes into the data file.
Status create(const abi::OpConfig& op, BlockSource* const* devices, BlockSink* const* sinks,
              Arena& arena, ConvertOutcome* outcome) {
  // The backing name and format come as convert's do (qcow2::create_options reads them).
  qcow2::Qcow2CreateOptions options = qcow2::create_options(op, op.output_size);
  options.has_data_file = op.create_data_file_length != 0;
  options.data_file = Bytes(op.create_data_file, op.create_data_file_length);
  options.data_file_raw = (op.qcow2_create_flags & abi::kQcow2DataFileRaw) != 0;
  options.preallocation = qcow2::preallocation_mode(op.create_preallocation);
  void* memory = arena.allocate(sizeof(qcow2::Qcow2Writer), alignof(qcow2::Qcow2Writer));
  if (memory == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  const uint32_t out = op.output_device;
  auto* writer = new (memory) qcow2::Qcow2Writer(*sinks[out], devices[out], arena);
  INSTAR_TRY(writer->create(options));
  outcome->preallocate = writer->preallocated_area();
  outcome->data_file_zeros = writer->data_file_zeros();
  outcome->data_file_end = writer->data_file_end();
  return writer->finish();
}

}  // namespace

Status run_create(const abi::OpConfig& op, BlockSource* const* devices, BlockSink* const* sinks,
                  uint32_t device_count, MessageSink& sink, Arena& arena) {
  const uint64_t mark = arena.mark();
  ConvertOutcome outcome;
  outcome.error = check_config(op, devices, sinks, device_count);
  if (outcome.error.ok()) outcome.error = create(op, devices, sinks, arena, &outcome);
  if (!outcome.error.ok()) outcome.kind = instar_guest_ConvertKind_CONVERT_WRITE_FAILED;
  const Status emitted = emit_convert_outcome(outcome, sink, arena);
  arena.release_to(mark);
  return emitted;
}

}  // namespace instar
