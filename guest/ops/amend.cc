// amend.cc: img_amend's guest half: the image opened as qemu opens it read-write, then
// qcow2_amend_options() with qcow2_upgrade() and qcow2_downgrade() (block/qcow2.c 7.2).
#include "guest/ops/amend.h"

#include "guest/formats/qcow2/feature_bits.h"
#include "guest/formats/qcow2/header_rewrite.h"
#include "guest/formats/qcow2/qcow2_driver.h"
#include "guest/formats/qcow2/snapshot_table.h"
#include "guest/formats/qcow2/zero_expand.h"
#include "guest/lib/error_names.h"
#include "guest/ops/in_place_image.h"

namespace instar {

namespace {

// Linux errno of a failed write (the host prints its strerror()).
constexpr uint64_t kEio = 5;
constexpr uint64_t kEnospc = 28;
// The amend-only reasons guest.proto lists for ERROR_AMEND_UNSUPPORTED (the others are
// InPlaceRefusal's).
constexpr uint64_t kRefcountChange = 10;
constexpr uint64_t kSizeChange = 11;
constexpr uint64_t kZeroAllocation = 12;
constexpr uint64_t kSnapshotTableUpgrade = 13;
// sizeof(vm_state_size_large) + sizeof(disk_size): the extra data v3 requires per snapshot.
constexpr uint32_t kV3SnapshotExtra = 16;
constexpr uint32_t kMaxProgress =
    sizeof(instar_guest_AmendResult{}.progress) / sizeof(instar_guest_AmendResult{}.progress[0]);

struct Outcome {
  instar_guest_AmendKind kind = instar_guest_AmendKind_AMEND_KIND_UNSPECIFIED;
  instar_guest_Format format = instar_guest_Format_FORMAT_UNKNOWN;
  instar_guest_RawHead raw_head = instar_guest_RawHead_RAW_HEAD_NOT_PROBED;
  instar_guest_AmendRefusal refusal = instar_guest_AmendRefusal_AMEND_REFUSAL_NONE;
  uint64_t refusal_arg = 0;
  float progress[kMaxProgress] = {};
  uint32_t progress_count = 0;
  float last_print = 0;  // qemu_progress_print()'s state after img_amend's first 0%
  Status error;
  ErrorNames* names = nullptr;
};

void refuse(Outcome* o, instar_guest_AmendRefusal why, uint64_t arg = 0) {
  o->kind = instar_guest_AmendKind_AMEND_REFUSED;
  o->refusal = why;
  o->refusal_arg = arg;
}

void fail(Outcome* o, Status error) {
  o->kind = instar_guest_AmendKind_AMEND_FAILED;
  o->error = error;
}

// amend_status_cb() through qcow2_amend_helper_cb() with one operation (instar refuses the
// combinations with more): qemu_progress_print(100.f * offset / total, 0), whose 1% filter
// (qemu_progress_init(progress, 1.0)) decides what is printed.
class Progress final : public qcow2::ExpandProgress {
 public:
  explicit Progress(Outcome* o) : o_(o) {}
  void report(int64_t offset, int64_t total) override {
    float current = 100.f * static_cast<float>(offset) / static_cast<float>(total);
    if (current > 100) current = 100;
    if (current > o_->last_print + 1.0f || current == 100 || current == 0) {
      o_->last_print = current;
      if (o_->progress_count < kMaxProgress) o_->progress[o_->progress_count++] = current;
    }
  }

 private:
  Outcome* o_;
};

// The snapshot facts qcow2_upgrade() and qcow2_downgrade() look at, and the L1 tables the
// zero-cluster expansion walks (the active one first).
struct Snapshots {
  qcow2::L1Table* tables = nullptr;  // nb_snapshots + 1
  bool prevent_downgrade = false;    // a VM state over 32 bits or a disk size not the image's
  bool needs_v3_extra = false;       // an entry without v3's 16 bytes of extra data
  Status bad_l1;                     // qcow2_validate_table() of the first invalid snapshot L1
};

Status read_snapshots(const qcow2::Metadata& m, const qcow2::OpenScratch& scratch, Arena& arena,
                      Snapshots* out) {
  const qcow2::Header& h = m.header;
  out->tables = arena.allocate_array<qcow2::L1Table>(uint64_t{h.nb_snapshots} + 1);
  if (out->tables == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  out->tables[0] = {h.l1_table_offset, h.l1_size};
  qcow2::SnapshotTableReader reader(*scratch.tables.reader, h.snapshots_offset, h.nb_snapshots,
                                    scratch.tables.names);
  for (uint32_t i = 1; !reader.done(); ++i) {
    qcow2::Snapshot s;
    INSTAR_TRY(reader.next(&s));
    out->tables[i] = {s.l1_table_offset, s.l1_size};
    if (out->bad_l1.ok()) out->bad_l1 = qcow2::validate_snapshot_l1(s, h.cluster_size());
    const uint64_t disk_size = s.has_disk_size ? s.disk_size : h.virtual_size();
    if (s.vm_state_size > 0xffffffffu || disk_size != h.virtual_size()) {
      out->prevent_downgrade = true;
    }
    if (s.extra_data_size < kV3SnapshotExtra) out->needs_v3_extra = true;
  }
  return Status::Ok();
}

struct Amend {
  const abi::OpConfig& op;
  const qcow2::Metadata& m;
  BlockSource& source;
  BlockSink& sink;
  Arena& arena;
  const Snapshots& snapshots;
  qcow2::HeaderRewrite rewrite;
  Outcome* o;

  uint32_t old_version() const { return m.header.version; }
  uint32_t new_version() const { return op.amend_version != 0 ? op.amend_version : old_version(); }
  bool lazy_now() const {
    return (m.header.compatible_features & qcow2::kCompatLazyRefcounts) != 0;
  }
  bool lazy_wanted() const {
    return (op.amend_flags & abi::kAmendLazyGiven) != 0 ? (op.amend_flags & abi::kAmendLazyOn) != 0
                                                        : lazy_now();
  }

  // qcow2_update_header() of the state in rewrite.fields: false (refused) when it failed.
  bool update_header() {
    const Status s = qcow2::write_header(rewrite, sink);
    if (s.ok()) return true;
    refuse(o, instar_guest_AmendRefusal_AMEND_HEADER_WRITE,
           s.code() == instar_guest_ErrorCode_ERROR_CREATE_HEADER_NO_SPACE ? kEnospc : kEio);
    return false;
  }

  // The backing_file/backing_fmt options against the image's (g_strcmp0, NULL for absent).
  bool backing_differs() const {
    const bool name_given = (op.amend_flags & abi::kAmendBackingFile) != 0;
    const bool fmt_given = (op.amend_flags & abi::kAmendBackingFmt) != 0;
    if (!name_given && !fmt_given) return false;
    const auto differs = [](bool given, const uint8_t* value, uint32_t length, bool has,
                            Bytes have) {
      if (given != has) return true;
      if (!given) return false;
      if (length != have.size) return true;
      for (uint32_t i = 0; i < length; ++i) {
        if (value[i] != have.data[i]) return true;
      }
      return false;
    };
    return differs(name_given, op.convert_backing_name, op.convert_backing_name_length,
                   m.has_backing_file, m.backing_file) ||
           differs(fmt_given, op.convert_backing_fmt, op.convert_backing_fmt_length,
                   m.extensions.has_backing_format, m.extensions.backing_format);
  }

  // qcow2_downgrade()'s refusals before it changes anything: true when it would go on.
  bool downgrade_allowed(bool report) {
    if (m.header.refcount_order != 4) {
      if (report) refuse(o, instar_guest_AmendRefusal_AMEND_DOWNGRADE_REFCOUNT);
      return false;
    }
    if (snapshots.prevent_downgrade) {
      if (report) refuse(o, instar_guest_AmendRefusal_AMEND_DOWNGRADE_SNAPSHOTS);
      return false;
    }
    const uint64_t others = m.header.incompatible_features & ~qcow2::kIncompatCompression;
    if (others != 0) {
      if (report) refuse(o, instar_guest_AmendRefusal_AMEND_DOWNGRADE_FEATURES, others);
      return false;
    }
    return true;
  }

  qcow2::ZeroExpansion expansion(BlockSink* writes) const {
    return qcow2::ZeroExpansion{
        source, writes, m.header, m.has_backing_file, snapshots.tables, m.header.nb_snapshots + 1};
  }

  // What instar does not do, refused before the first write. qemu would fail later on some of
  // these paths for its own reasons; those are told apart here so that its failure still wins.
  Status gaps() {
    const uint32_t bits = uint32_t{1} << m.header.refcount_order;
    if ((op.amend_flags & abi::kAmendRefcountBits) != 0 && op.amend_refcount_bits != bits &&
        !(new_version() < 3 && op.amend_refcount_bits != 16)) {
      return Status(instar_guest_ErrorCode_ERROR_AMEND_UNSUPPORTED, kRefcountChange);
    }
    if (new_version() > old_version() && snapshots.needs_v3_extra) {
      return Status(instar_guest_ErrorCode_ERROR_AMEND_UNSUPPORTED, kSnapshotTableUpgrade);
    }
    const bool lazy_fails = lazy_wanted() && !lazy_now() && new_version() < 3;
    // qcow2_co_truncate() to the size the image has changes nothing.
    if ((op.amend_flags & abi::kAmendSize) != 0 && op.amend_size != m.header.virtual_size() &&
        !backing_differs() && !lazy_fails) {
      return Status(instar_guest_ErrorCode_ERROR_AMEND_UNSUPPORTED, kSizeChange);
    }
    if (new_version() < old_version() && !backing_differs() && !lazy_fails &&
        downgrade_allowed(false)) {
      // qemu validates each snapshot's L1 table before it walks it (and has changed the tables
      // walked before by then); instar refuses an invalid one before any write.
      INSTAR_TRY(snapshots.bad_l1);
      qcow2::ZeroScan scan;
      INSTAR_TRY(qcow2::expand_zero_clusters(expansion(nullptr), arena, nullptr, &scan));
      if (scan.needs_allocation) {
        return Status(instar_guest_ErrorCode_ERROR_AMEND_UNSUPPORTED, kZeroAllocation);
      }
    }
    return Status::Ok();
  }

  // qcow2_upgrade(): the snapshot table already has v3's extra data (gaps()), so only the
  // header changes.
  bool upgrade(Progress& progress) {
    progress.report(0, 2);
    progress.report(1, 2);
    rewrite.fields.version = 3;
    rewrite.fields.refcount_order = m.header.refcount_order;
    if (!update_header()) return false;
    progress.report(2, 2);
    return true;
  }

  bool downgrade(Progress& progress) {
    if (!downgrade_allowed(true)) return false;
    rewrite.fields.compatible_features = 0;
    rewrite.fields.autoclear_features = 0;
    qcow2::ZeroScan scan;
    const Status expanded = qcow2::expand_zero_clusters(expansion(&sink), arena, &progress, &scan);
    if (!expanded.ok()) {
      refuse(o, instar_guest_AmendRefusal_AMEND_EXPAND_WRITE, kEio);
      return false;
    }
    if ((rewrite.fields.incompatible_features & qcow2::kIncompatCompression) != 0) {
      Result<bool> compressed = qcow2::has_compressed_clusters(source, m.header, arena);
      if (!compressed.ok()) {
        fail(o, compressed.status());
        return false;
      }
      if (compressed.value()) {
        refuse(o, instar_guest_AmendRefusal_AMEND_DOWNGRADE_ZSTD);
        return false;
      }
      rewrite.fields.incompatible_features &= ~qcow2::kIncompatCompression;
      rewrite.fields.compression_type = 0;
    }
    rewrite.fields.version = 2;
    return update_header();
  }

  // qcow2_amend_options() after its option loop (which the host ran).
  void run() {
    if (const Status gap = gaps(); !gap.ok()) {
      fail(o, gap);
      return;
    }
    Progress progress(o);
    if (new_version() > old_version() && !upgrade(progress)) return;
    if ((op.amend_flags & abi::kAmendRefcountBits) != 0 &&
        op.amend_refcount_bits != (uint32_t{1} << m.header.refcount_order)) {
      // gaps() let only this failure through: no upgrade happened before it.
      refuse(o, instar_guest_AmendRefusal_AMEND_REFCOUNT_NEEDS_V3);
      return;
    }
    // data_file_raw: the bit is clear (a data-file image was refused) and stays so.
    if (!update_header()) return;
    if (backing_differs()) {
      refuse(o, instar_guest_AmendRefusal_AMEND_BACKING_CHANGE);
      return;
    }
    if (lazy_wanted() != lazy_now()) {
      if (lazy_wanted() && new_version() < 3) {
        refuse(o, instar_guest_AmendRefusal_AMEND_LAZY_NEEDS_V3);
        return;
      }
      // Turning them off: qcow2_mark_clean() has nothing to do (a dirty image was refused).
      if (lazy_wanted()) {
        rewrite.fields.compatible_features |= qcow2::kCompatLazyRefcounts;
      } else {
        rewrite.fields.compatible_features &= ~qcow2::kCompatLazyRefcounts;
      }
      if (!update_header()) return;
    }
    if (new_version() < old_version() && !downgrade(progress)) return;
    o->kind = instar_guest_AmendKind_AMEND_DONE;
  }
};

void amend(const abi::OpConfig& op, BlockSource* const* devices, BlockSink& sink, Arena& arena,
           Outcome* o) {
  BlockSource& device = *devices[op.output_device];
  OpenedFile source(device, op.amend_file_length);
  const auto requested = static_cast<abi::ImageFormat>(op.input_format[0]);
  Result<const FormatDriver*> driver =
      select_in_place_driver(source, requested, arena, &o->raw_head);
  if (!driver.ok()) {
    o->kind = instar_guest_AmendKind_AMEND_OPEN_FAILED;
    o->error = driver.status();
    return;
  }
  if (driver.value()->format != abi::ImageFormat::kQcow2) {
    // The host says that the format has no amend options, once the image opened as qemu's
    // img_open() opens it (a raw image always does).
    o->format = driver.value()->info_format;
    if (driver.value()->format != abi::ImageFormat::kRaw) {
      ImageDriver* image = driver.value()->new_image(arena);
      OpenContext context;
      context.chained = true;  // amend's open does not look at backing files
      context.detail = o->names;
      const Status opened = image == nullptr ? Status(instar_guest_ErrorCode_ERROR_INTERNAL)
                                             : image->open(source, context, arena);
      if (!opened.ok()) {
        o->kind = instar_guest_AmendKind_AMEND_OPEN_FAILED;
        o->error = opened;
        return;
      }
    }
    o->kind = instar_guest_AmendKind_AMEND_OPENED;
    return;
  }
  o->format = instar_guest_Format_FORMAT_QCOW2;
  qcow2::OpenScratch scratch;
  if (const Status s = open_in_place_qcow2(source, arena, o->names, &scratch); !s.ok()) {
    o->kind = instar_guest_AmendKind_AMEND_OPEN_FAILED;
    o->error = s;
    return;
  }
  const qcow2::Metadata& m = *scratch.metadata;
  if ((m.header.incompatible_features & qcow2::kIncompatCorrupt) != 0) {
    // qcow2_do_open() refuses to open it for writing (-EACCES).
    o->kind = instar_guest_AmendKind_AMEND_OPEN_FAILED;
    o->error = Status(instar_guest_ErrorCode_ERROR_IMAGE_CORRUPT_READ_WRITE);
    return;
  }
  if ((op.amend_flags & abi::kAmendOpenOnly) != 0) {
    // The host's option check needs to know that qcow2_amend_options() would treat the image as
    // one without an external data file; instar does not amend those.
    if (in_place_refusal(m) == kInPlaceDataFile) {
      fail(o, Status(instar_guest_ErrorCode_ERROR_AMEND_UNSUPPORTED, kInPlaceDataFile));
    } else {
      o->kind = instar_guest_AmendKind_AMEND_OPENED;
    }
    return;
  }
  if (const InPlaceRefusal why = in_place_refusal(m); why != kInPlaceSupported) {
    fail(o, Status(instar_guest_ErrorCode_ERROR_AMEND_UNSUPPORTED, why));
    return;
  }
  Snapshots snapshots;
  if (const Status s = read_snapshots(m, scratch, arena, &snapshots); !s.ok()) {
    fail(o, s);
    return;
  }
  Amend a{op, m, source, sink, arena, snapshots, {}, o};
  if (const Status s = qcow2::prepare_header_rewrite(m, source, arena, &a.rewrite); !s.ok()) {
    fail(o, s);
    return;
  }
  a.run();
}

Status emit_outcome(const Outcome& o, MessageSink& sink, Arena& arena) {
  if (!o.error.ok()) INSTAR_TRY(emit_error(sink, arena, o.error, o.names));
  instar_guest_GuestMessage* message =
      allocate_message(arena, instar_guest_GuestMessage_amend_result_tag);
  if (message == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  instar_guest_AmendResult& r = message->body.amend_result;
  r.kind = o.kind;
  r.format = o.format;
  r.raw_head = o.raw_head;
  r.refusal = o.refusal;
  r.refusal_arg = o.refusal_arg;
  r.progress_count = static_cast<pb_size_t>(o.progress_count);
  for (uint32_t i = 0; i < o.progress_count; ++i) r.progress[i] = o.progress[i];
  INSTAR_TRY(emit_message(sink, arena, *message));
  const bool failed =
      o.kind != instar_guest_AmendKind_AMEND_DONE && o.kind != instar_guest_AmendKind_AMEND_OPENED;
  return emit_done(sink, arena, failed ? 1 : 0);
}

}  // namespace

Status run_amend(const abi::OpConfig& op, BlockSource* const* devices, BlockSink* const* sinks,
                 uint32_t device_count, MessageSink& sink, Arena& arena) {
  const uint64_t mark = arena.mark();
  Outcome o;
  const InPlaceTarget target = in_place_target(op, devices, sinks, device_count, arena);
  if (!target.failure.ok()) {
    fail(&o, target.failure);
  } else if (op.convert_backing_name_length > sizeof op.convert_backing_name ||
             op.convert_backing_fmt_length > sizeof op.convert_backing_fmt ||
             (op.amend_version != 0 && op.amend_version != 2 && op.amend_version != 3)) {
    fail(&o, Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, op.output_device));
  } else {
    o.names = target.names;
    amend(op, devices, *target.sink, arena, &o);
  }
  const Status emitted = emit_outcome(o, sink, arena);
  arena.release_to(mark);
  return emitted;
}

}  // namespace instar
