// backing_chain.cc: the chain walk of check and compare: one guest `info` per image, data files
// and backing files opened on the host under the allow-list, qemu's nested open errors.
#include "engine/cli/backing_chain.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "engine/chain/chain_walker.h"
#include "engine/channel/info_report.h"
#include "engine/cli/compare_extents.h"
#include "engine/cli/format_name.h"
#include "engine/cli/guest_runner.h"
#include "engine/cli/safe_detection.h"
#include "engine/render/error_text.h"

namespace instar::cli {

namespace {

// qcow2's incompatible feature bit "external data file".
constexpr uint64_t kIncompatDataFile = 1u << 2;

// A name stored in the image, as qemu's C strings see it (up to the first NUL).
std::string CName(const std::string& bytes) {
  return std::string(bytes.c_str(), std::strlen(bytes.c_str()));
}

}  // namespace

std::string ChainStepReason(const chain::ChainStep& step) {
  if (step.kind == chain::ChainStep::Kind::kRefused) return step.message;
  const std::string prefix = "Could not open '" + step.display + "': ";
  if (step.message.compare(0, prefix.size(), prefix) == 0)
    return step.message.substr(prefix.size());
  return step.message;
}

namespace {

class ChainOpener {
 public:
  ChainOpener(const Diagnostics& diag, sandbox::Sandbox& sandbox, const ChainRequest& request)
      : diag_(diag), sandbox_(sandbox), request_(request) {
    // A plain file name is its own path: callers without a json:/file: form need not repeat it.
    if (request_.top_path.empty()) request_.top_path = request_.top_display;
  }

  ChainOpen Run() {
    ChainImage current;
    current.fd = request_.top_fd;
    current.size = request_.top_size;
    current.display = request_.top_path;
    current.format = request_.top_format;
    for (;;) {
      std::optional<guest::ImageInfo> info = Describe(current);
      if (!info) return std::move(out_);
      current.qcow2 = info->format() == guest::FORMAT_QCOW2;
      current.raw = info->format() == guest::FORMAT_RAW;
      // A qcow2 whose file has no holes cannot pass qemu's metadata-preallocation test (it needs
      // more clusters in use than the file holds), so only a sparse one needs the facts.
      current.extent_map = current.raw || info->format() == guest::FORMAT_VDI ||
                           info->format() == guest::FORMAT_VPC ||
                           (current.qcow2 && allocated_file_size(current.fd) < current.size);
      current.virtual_size = info->virtual_size();
      const guest::Qcow2Info& q = info->qcow2();
      const bool has_data_file = current.qcow2 && q.version() == 3 &&
                                 (q.incompatible_features() & kIncompatDataFile) != 0 &&
                                 q.has_data_file() && !CName(q.data_file()).empty();
      if (has_data_file) {
        if (!StartWalker()) return std::move(out_);
        chain::ChainStep step = walker_.OpenDataFile(CName(q.data_file()));
        if (step.kind != chain::ChainStep::Kind::kOpened) {
          Fail(ChainStepReason(step));
          return std::move(out_);
        }
        current.data_size = step.image.size;
        current.data_display = step.display;
        current.data_file = std::move(step.image.fd);
      }
      // The backing file and format the image names: a qcow2's header fields, a qed's name (its
      // format "raw" when QED_F_BACKING_FORMAT_NO_PROBE is set, else probed).
      std::string backing_name, backing_format;
      if (current.qcow2 && q.has_backing_file()) {
        backing_name = CName(q.backing_file());
        if (q.has_backing_format()) backing_format = CName(q.backing_format());
      } else if (info->format() == guest::FORMAT_QED && info->qed().has_backing_file()) {
        backing_name = CName(info->qed().backing_file());
        if (info->qed().backing_raw()) backing_format = "raw";
      } else if (info->format() == guest::FORMAT_QCOW && info->qcow().has_backing_file()) {
        backing_name = CName(info->qcow().backing_file());  // qcow v1 has no format: probed
      }
      const bool has_backing = !backing_name.empty() && !(depth_ == 0 && request_.no_backing);
      out_.images.push_back(std::move(current));
      if (!has_backing) {
        out_.kind = ChainOpen::Kind::kOpened;
        return std::move(out_);
      }
      // bdrv_open_backing_file(): the driver is looked up before the file is opened.
      ++depth_;
      ChainImage next;
      // An empty backing format (a NUL first byte) is no format: qemu probes the file then.
      if (!backing_format.empty()) {
        const std::string& name = backing_format;
        switch (lookup_format(name, &next.format)) {
          case FormatLookup::kSupported:
            break;
          case FormatLookup::kUnsupported:
            FailPlain("format '" + name + "' is not supported by instar yet");
            return std::move(out_);
          case FormatLookup::kUnknown:
            Fail("Unknown driver '" + name + "'");
            return std::move(out_);
        }
      }
      if (!StartWalker()) return std::move(out_);
      chain::ChainStep step = walker_.Next(backing_name);
      if (step.kind != chain::ChainStep::Kind::kOpened) {
        Fail(ChainStepReason(step));
        return std::move(out_);
      }
      next.size = step.image.size;
      next.display = step.display;
      next.owned = std::move(step.image.fd);
      next.fd = next.owned.get();
      current = std::move(next);
    }
  }

 private:
  // The guest's description of `image`; nullopt with out_ set when it cannot be opened.
  std::optional<guest::ImageInfo> Describe(const ChainImage& image) {
    sandbox::Request request;
    request.op.op = static_cast<uint32_t>(abi::Op::kInfo);
    request.op.input_device[0] = 0;
    request.op.input_format[0] = static_cast<uint32_t>(image.format);
    request.devices.push_back({image.fd, image.size, false});
    channel::InfoSequence sequence;
    const GuestRun run = run_guest(sandbox_, request, sequence);
    if (!run.ok) {
      FailPlain(run.failure);
      return std::nullopt;
    }
    const channel::InfoReport& report = sequence.report();
    if (report.error) {
      if (depth_ == 0) {
        out_.kind = ChainOpen::Kind::kTopFailed;
        return std::nullopt;
      }
      render::ErrorText text = render::GuestErrorText(*report.error);
      text.message = Nesting() + text.message;
      out_.kind = ChainOpen::Kind::kFailed;
      out_.error = render::OpenErrorText(diag_.program(), request_.top_display, text);
      return std::nullopt;
    }
    // Safe detection (docs/chains.md §3) for backing files probed as raw, as info applies it;
    // the top image keeps its command's own rules.
    const guest::ImageInfo& info = *report.info;
    if (depth_ > 0 && image.format == abi::ImageFormat::kProbe) {
      if (const std::optional<std::string> refusal = ProbedRawRefusal(
              info, image.size, request_.unsafe_quirks, image.display, "", sandbox_.name())) {
        if (refusal->rfind("Could not open ", 0) == 0) {
          Fail(*refusal);
        } else {
          FailPlain(*refusal);
        }
        return std::nullopt;
      }
    }
    return info;
  }

  bool StartWalker() {
    if (walker_started_) return true;
    struct stat st {};
    std::string error;
    if (::fstat(request_.top_fd, &st) != 0) error = std::strerror(errno);
    if (!error.empty() ||
        !walker_.Start(request_.top_path, st.st_dev, st.st_ino, request_.roots, &error)) {
      FailPlain("Could not open the directory of '" + request_.top_display + "': " + error);
      return false;
    }
    walker_started_ = true;
    return true;
  }

  std::string Nesting() const {
    std::string text;
    for (size_t i = 0; i < depth_; ++i) text += "Could not open backing file: ";
    return text;
  }

  // qemu's report of a failed open below the top image.
  void Fail(const std::string& reason) {
    FailPlain("Could not open '" + request_.top_display + "': " + Nesting() + reason);
  }

  void FailPlain(const std::string& message) {
    out_.kind = ChainOpen::Kind::kFailed;
    out_.error = render::DiagnosticLine(diag_.program(), message);
  }

  const Diagnostics& diag_;
  sandbox::Sandbox& sandbox_;
  ChainRequest request_;  // a copy: top_path may be filled in
  chain::ChainWalker walker_;
  bool walker_started_ = false;
  size_t depth_ = 0;
  ChainOpen out_;
};

}  // namespace

ChainOpen OpenImageChain(const Diagnostics& diag, sandbox::Sandbox& sandbox,
                         const ChainRequest& request) {
  return ChainOpener(diag, sandbox, request).Run();
}

std::string FullBackingName(const std::string& image, const std::string& backing) {
  if (!backing.empty() && backing[0] == '/') return backing;
  const size_t slash = image.rfind('/');
  if (slash == std::string::npos) return backing;
  return image.substr(0, slash + 1) + backing;
}

}  // namespace instar::cli
