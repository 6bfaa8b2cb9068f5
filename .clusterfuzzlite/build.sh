#!/bin/bash -eu
# build.sh: the OSS-Fuzz / ClusterFuzzLite build of instar's fuzz targets. It honours the
# variables those systems set: $CC $CXX $CFLAGS $CXXFLAGS (sanitizers, coverage),
# $LIB_FUZZING_ENGINE (the engine's link flags), $OUT (fuzzers, seed corpora, dictionaries) and
# $WORK (scratch). Run from the checkout (the Dockerfile's WORKDIR) or from anywhere as
# .clusterfuzzlite/build.sh; oracle/tests/test_clusterfuzzlite.py runs it locally.
# INSTAR_FUZZ_TARGETS (ours, optional): a space-separated subset of the targets.
ROOT=$(pwd)
[ -f "$ROOT/fuzz/CMakeLists.txt" ] || ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$OUT"

targets=()
for source in "$ROOT"/fuzz/targets/*_fuzzer.cc; do
  t=$(basename "$source" .cc)
  [ -z "${INSTAR_FUZZ_TARGETS:-}" ] || [[ " $INSTAR_FUZZ_TARGETS " == *" $t "* ]] || continue
  targets+=("$t")
done
if ((${#targets[@]} == 0)); then
  echo "build.sh: no fuzz target matches INSTAR_FUZZ_TARGETS='${INSTAR_FUZZ_TARGETS:-}'" >&2
  exit 1
fi

# The fuzz targets, instrumented by $CFLAGS/$CXXFLAGS and linked with $LIB_FUZZING_ENGINE. The
# freestanding guest ELF is left out: the sanitizer flags would break it.
cmake -S "$ROOT" -B "$WORK/instar-fuzz" -G Ninja -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DINSTAR_FUZZ=ON -DINSTAR_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" -DINSTAR_GUEST_ELF=OFF
cmake --build "$WORK/instar-fuzz" --target "${targets[@]}"

# The guest ELFs are elf_loader_fuzzer's seeds: a plain build without the sanitizer flags.
elfs=()
if [[ " ${targets[*]} " == *" elf_loader_fuzzer "* ]]; then
  env -u CFLAGS -u CXXFLAGS cmake -S "$ROOT" -B "$WORK/instar-plain" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX"
  env -u CFLAGS -u CXXFLAGS cmake --build "$WORK/instar-plain" \
    --target instar-guest.elf instar-guest-hostile.elf
  elfs=("$WORK/instar-plain/instar-guest.elf" "$WORK/instar-plain/instar-guest-hostile.elf")
fi
"$ROOT/scripts/fuzz-seeds" "$WORK/seeds" "${elfs[@]}"

for t in "${targets[@]}"; do
  cp "$WORK/instar-fuzz/fuzz/$t" "$OUT/"
  # <target>_seed_corpus.zip: the generated seeds and the committed regressions, flat.
  inputs=()
  for dir in "$WORK/seeds/$t" "$ROOT/fuzz/regressions/$t"; do
    [ -d "$dir" ] && inputs+=("$dir")
  done
  rm -f "$OUT/${t}_seed_corpus.zip"
  if ((${#inputs[@]})); then
    python3 - "$OUT/${t}_seed_corpus.zip" "${inputs[@]}" <<'PY'
import sys, zipfile
from pathlib import Path
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for d in sys.argv[2:]:
        for p in sorted(Path(d).rglob("*")):
            if p.is_file():
                z.write(p, f"{Path(d).parent.name}-{p.name}")
PY
  fi
  # Every target that reads qcow2 images gets the qcow2 tokens.
  case "$t" in
    *_op_fuzzer | *_walk_fuzzer) cp "$ROOT/fuzz/dicts/qcow2.dict" "$OUT/$t.dict" ;;
  esac
done
