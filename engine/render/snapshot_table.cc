// Snapshot table lines from the profile's column layout.
#include "engine/render/snapshot_table.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string_view>

#include "engine/render/size_string.h"

namespace instar::render {
namespace {

// printf("%-Ns") / ("%Ns"): pad to the width, never truncate.
void AppendColumn(std::string& out, const SnapshotColumn& col, std::string_view value) {
  out += col.prefix;
  const size_t width = static_cast<size_t>(col.width);
  const size_t pad = value.size() < width ? width - value.size() : 0;
  if (!col.left) out.append(pad, ' ');
  out += value;
  if (col.left) out.append(pad, ' ');
}

// pstrcpy() into a fixed buffer of `capacity` bytes, of a C string.
std::string_view FixedCString(const std::string& s, size_t capacity) {
  std::string_view v(s.c_str(), std::strlen(s.c_str()));
  return v.substr(0, capacity - 1);
}

}  // namespace

std::string SnapshotTableHeader(const Profile& profile) {
  const SnapshotTableStyle& style = profile.snapshot_table;
  std::string out;
  for (int i = 0; i < 6; ++i) AppendColumn(out, style.header[i], style.header_titles[i]);
  return out;
}

std::string SnapshotTableRow(const SnapshotRow& row, const Profile& profile) {
  const SnapshotTableStyle& style = profile.snapshot_table;

  // Local time, like qemu's g_date_time_new_from_unix_local() + "%Y-%m-%d %H:%M:%S".
  const time_t when = static_cast<time_t>(row.date_sec);
  struct tm tm_local {};
  char date_buf[64] = "";
  if (localtime_r(&when, &tm_local) != nullptr) {
    std::strftime(date_buf, sizeof(date_buf), "%Y-%m-%d %H:%M:%S", &tm_local);
  }

  // Hours are unbounded (100 h prints "100:00:59.999"); qemu casts each part to int.
  const int64_t secs = static_cast<int64_t>(row.vm_clock_nsec / 1000000000u);
  char clock_buf[64];
  std::snprintf(clock_buf, sizeof(clock_buf), "%0*d:%02d:%02d.%03d", style.clock_hour_digits,
                static_cast<int>(secs / 3600), static_cast<int>((secs / 60) % 60),
                static_cast<int>(secs % 60),
                static_cast<int>((row.vm_clock_nsec / 1000000u) % 1000u));

  std::string icount_buf = style.icount_absent;
  if (row.icount != UINT64_MAX) {
    char buf[32];
    // qemu prints the uint64 with PRId64.
    std::snprintf(buf, sizeof(buf), "%" PRId64, static_cast<int64_t>(row.icount));
    icount_buf = buf;
  }

  std::string out;
  AppendColumn(out, style.row[0], FixedCString(row.id, 128));
  AppendColumn(out, style.row[1], FixedCString(row.name, 256));
  AppendColumn(out, style.row[2], SizeToStr(row.vm_state_size));
  AppendColumn(out, style.row[3], date_buf);
  AppendColumn(out, style.row[4], clock_buf);
  AppendColumn(out, style.row[5], icount_buf);
  return out;
}

std::string SnapshotListText(const std::vector<SnapshotRow>& rows, const Profile& profile,
                             const std::string& indent) {
  std::string out = indent + "Snapshot list:\n";
  out += indent + SnapshotTableHeader(profile) + "\n";
  for (const SnapshotRow& row : rows) out += indent + SnapshotTableRow(row, profile) + "\n";
  return out;
}

}  // namespace instar::render
