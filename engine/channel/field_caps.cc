// field_caps.cc: per-field size checks of a decoded GuestMessage.
#include "engine/channel/field_caps.h"

namespace instar::channel {

namespace {

std::string over(const char* field, uint64_t size, uint64_t cap) {
  return "has " + std::string(field) + " of " + std::to_string(size) + " (limit " +
         std::to_string(cap) + ")";
}

// The codes whose text quotes Error.name (guest.proto).
bool error_prints_name(instar::guest::ErrorCode code) {
  switch (code) {
    case instar::guest::ERROR_BITMAP_CONSTRAINTS:
    case instar::guest::ERROR_LUKS_CIPHER_MODE_FORMAT:
    case instar::guest::ERROR_LUKS_HASH_UNSUPPORTED:
    case instar::guest::ERROR_LUKS_CIPHER_MODE_UNSUPPORTED:
    case instar::guest::ERROR_LUKS_CIPHER_UNSUPPORTED:
    case instar::guest::ERROR_LUKS_IVGEN_UNSUPPORTED:
    case instar::guest::ERROR_VMDK_UNSUPPORTED_IMAGE_TYPE:
      return true;
    default:
      return false;
  }
}

// A LUKS header comes only with a raw LUKS image or a qcow2 encrypted with LUKS, with qemu's 8
// slots and every algorithm known (the ivgen hash exactly for essiv).
std::string luks_violation(const instar::guest::ImageInfo& info) {
  using namespace instar::guest;
  const LuksInfo& l = info.luks();
  if (info.format() != FORMAT_LUKS && info.qcow2().crypt_method() != 2) {
    return "has a LUKS header without LUKS encryption";
  }
  if (l.slots_size() != 8) return over("LuksInfo.slots", l.slots_size(), 8);
  if (l.uuid().size() > 40) return over("LuksInfo.uuid", l.uuid().size(), 40);
  const bool essiv = l.ivgen_alg() == LUKS_IVGEN_ESSIV;
  if (l.cipher_alg() == LUKS_CIPHER_UNSPECIFIED || l.cipher_mode() == LUKS_MODE_UNSPECIFIED ||
      l.ivgen_alg() == LUKS_IVGEN_UNSPECIFIED || l.hash_alg() == LUKS_HASH_UNSPECIFIED ||
      essiv != (l.ivgen_hash_alg() != LUKS_HASH_UNSPECIFIED)) {
    return "has a LUKS header with an unknown algorithm";
  }
  return {};
}

// A vmdk's description: one of the two create types instar opens, its one extent, a backing
// name within qemu's PATH_MAX buffer.
std::string vmdk_violation(const instar::guest::VmdkInfo& v) {
  if (v.create_type() != "monolithicSparse" && v.create_type() != "streamOptimized") {
    return "has an unknown vmdk create type";
  }
  if (v.extents_size() != 1) return over("VmdkInfo.extents", v.extents_size(), 1);
  if (v.backing_file().size() > FieldCaps::kVmdkBackingName) {
    return over("VmdkInfo.backing_file", v.backing_file().size(), FieldCaps::kVmdkBackingName);
  }
  return {};
}

}  // namespace

std::string field_cap_violation(const instar::guest::GuestMessage& m) {
  using M = instar::guest::GuestMessage;
  using C = FieldCaps;
  switch (m.body_case()) {
    case M::kError: {
      const auto& e = m.error();
      if (static_cast<uint64_t>(e.args_size()) > C::kErrorArgs) {
        return over("Error.args", e.args_size(), C::kErrorArgs);
      }
      if (!instar::guest::ErrorCode_IsValid(e.code()) || e.code() == instar::guest::ERROR_NONE) {
        return "has unknown error code " + std::to_string(static_cast<int>(e.code()));
      }
      if (e.name().size() > C::kErrorName)
        return over("Error.name", e.name().size(), C::kErrorName);
      if (!e.name().empty() && !error_prints_name(e.code())) {
        return "has an Error.name its code does not print";
      }
      if (static_cast<uint64_t>(e.feature_names_size()) > C::kFeatureNames) {
        return over("Error.feature_names", e.feature_names_size(), C::kFeatureNames);
      }
      for (const std::string& name : e.feature_names()) {
        if (name.size() > C::kFeatureName) {
          return over("an Error.feature_names entry", name.size(), C::kFeatureName);
        }
      }
      if (e.feature_names_size() != 0 && e.code() != instar::guest::ERROR_UNSUPPORTED_FEATURES) {
        return "has Error.feature_names its code does not print";
      }
      return {};
    }
    case M::kSnapshot: {
      const auto& s = m.snapshot();
      if (s.id().size() > C::kName) return over("Snapshot.id", s.id().size(), C::kName);
      if (s.name().size() > C::kName) return over("Snapshot.name", s.name().size(), C::kName);
      return {};
    }
    case M::kBitmap:
      if (m.bitmap().name().size() > C::kName) {
        return over("Bitmap.name", m.bitmap().name().size(), C::kName);
      }
      return {};
    case M::kInfo: {
      const auto& q = m.info().qcow2();
      if (q.backing_file().size() > C::kName) {
        return over("Qcow2Info.backing_file", q.backing_file().size(), C::kName);
      }
      if (q.backing_format().size() > C::kBackingFormat) {
        return over("Qcow2Info.backing_format", q.backing_format().size(), C::kBackingFormat);
      }
      if (q.data_file().size() > C::kName) {
        return over("Qcow2Info.data_file", q.data_file().size(), C::kName);
      }
      if (m.info().format() == instar::guest::FORMAT_LUKS && !m.info().has_luks()) {
        return "is a LUKS image without its header";
      }
      if (m.info().has_luks()) return luks_violation(m.info());
      if (m.info().has_vmdk() != (m.info().format() == instar::guest::FORMAT_VMDK)) {
        return "has vmdk facts exactly when it is not a vmdk";
      }
      if (m.info().has_vmdk()) return vmdk_violation(m.info().vmdk());
      if (m.info().has_qed() != (m.info().format() == instar::guest::FORMAT_QED)) {
        return "has qed facts exactly when it is not a qed";
      }
      if (m.info().qed().backing_file().size() > FieldCaps::kQedBackingName) {
        return over("QedInfo.backing_file", m.info().qed().backing_file().size(),
                    FieldCaps::kQedBackingName);
      }
      if (m.info().has_qcow() != (m.info().format() == instar::guest::FORMAT_QCOW)) {
        return "has qcow facts exactly when it is not a qcow";
      }
      if (m.info().qcow().backing_file().size() > FieldCaps::kQcowBackingName) {
        return over("QcowInfo.backing_file", m.info().qcow().backing_file().size(),
                    FieldCaps::kQcowBackingName);
      }
      return {};
    }
    case M::kCheckDiagnostics:
      if (static_cast<uint64_t>(m.check_diagnostics().words_size()) > C::kCheckWords) {
        return over("CheckDiagnostics.words", m.check_diagnostics().words_size(), C::kCheckWords);
      }
      return {};
    case M::kMapExtents:
      if (static_cast<uint64_t>(m.map_extents().extents_size()) > C::kMapExtents) {
        return over("MapExtents.extents", m.map_extents().extents_size(), C::kMapExtents);
      }
      return {};
    case M::kAmendResult:
      if (static_cast<uint64_t>(m.amend_result().progress_size()) > C::kAmendProgress) {
        return over("AmendResult.progress", m.amend_result().progress_size(), C::kAmendProgress);
      }
      return {};
    case M::kCheckSnapshotLine: {
      const auto& l = m.check_snapshot_line();
      if (l.id().size() > C::kName) return over("CheckSnapshotLine.id", l.id().size(), C::kName);
      if (l.name().size() > C::kName) {
        return over("CheckSnapshotLine.name", l.name().size(), C::kName);
      }
      return {};
    }
    default:
      return {};
  }
}

}  // namespace instar::channel
