// field_caps.cc: per-field size checks of a decoded GuestMessage.
#include "engine/channel/field_caps.h"

namespace instar::channel {

namespace {

std::string over(const char* field, uint64_t size, uint64_t cap) {
  return "has " + std::string(field) + " of " + std::to_string(size) + " (limit " +
         std::to_string(cap) + ")";
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
      if (!e.name().empty() && e.code() != instar::guest::ERROR_BITMAP_CONSTRAINTS) {
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
