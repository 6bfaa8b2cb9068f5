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
      if (e.detail().size() > C::kErrorDetail) {
        return over("Error.detail", e.detail().size(), C::kErrorDetail);
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
      if (m.check_diagnostics().text().size() > C::kCheckText) {
        return over("CheckDiagnostics.text", m.check_diagnostics().text().size(), C::kCheckText);
      }
      return {};
    default:
      return {};
  }
}

}  // namespace instar::channel
