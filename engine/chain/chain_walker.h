// chain_walker.h: discovering a backing chain element by element, under the allow-list.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "engine/chain/path_rules.h"
#include "engine/chain/root_walk.h"

namespace instar::chain {

// At most this many images in one chain, top included (qemu has no limit).
inline constexpr size_t kMaxChainDepth = 16;

struct ChainStep {
  enum class Kind {
    kOpened,     // `image` is the next element, named `display`
    kQemuError,  // an error qemu-img 7.2 reports with exactly `message`
    kRefused,    // instar's own refusal (allow-list, depth); qemu would have gone on
  };
  Kind kind = Kind::kQemuError;
  std::string display;  // the element's name as qemu shows it (FullBackingFilename)
  std::string message;  // for errors: the diagnostic without the "<program>: " prefix
  OpenedImage image;
};

// Walks a chain from a user-named top image. Each Next() resolves the backing name of the
// element returned last; the caller reads that name from the element inside the sandbox.
class ChainWalker {
 public:
  // `top_filename` as given on the command line, already opened by the caller (device/inode of
  // that open file); `roots` the user's choice of allowed roots. False with *error when a root
  // (or the top image's directory) cannot be opened.
  [[nodiscard]] bool Start(std::string_view top_filename, dev_t device, ino_t inode,
                           const RootOptions& roots, std::string* error);

  // The element `backing` (non-empty, as stored in the previous element) names. Order of checks:
  // qemu's loop check on the displayed name, the depth cap, the lexical gate, the walk, then the
  // loop check again by device and inode (a second name for a file already in the chain).
  ChainStep Next(std::string_view backing);

  // The external data file `name` of an element (qcow2's data-file extension). qemu 7.2 opens it
  // by its stored name, relative to the working directory (not to the image), so a relative name
  // is made absolute with the working directory and must then lie under a root like any
  // absolute backing name. Does not advance the chain. Errors as Next(); `display` is `name`.
  ChainStep OpenDataFile(std::string_view name) const;

  const AllowedRoots& roots() const { return roots_; }

 private:
  // The walk's text for a failed step (nullopt when it opened the file).
  std::optional<ChainStep> WalkFailure(const WalkResult& walk, const std::string& display,
                                       std::string_view what) const;

  AllowedRoots roots_;
  std::string last_display_;
  // Where the last element's directory lies; nullopt for a top image under no explicit root.
  std::optional<Location> last_dir_;
  std::set<std::string> names_;
  std::set<std::pair<dev_t, ino_t>> files_;
  size_t depth_ = 0;
};

}  // namespace instar::chain
