#!/bin/sh
# imagegen_test.sh: instar-imagegen is deterministic per seed and its valid images pass qemu-img check.
set -eu
gen="$1"
work="$2"
rm -rf "$work"
mkdir -p "$work"
"$gen" --seed 42 --count 6 --out "$work/a" --profile mixed
"$gen" --seed 42 --count 6 --out "$work/b" --profile mixed
diff -r "$work/a" "$work/b" >/dev/null || { echo "same seed, different output"; exit 1; }
# --first skips images without changing the ones written: image 4 alone equals image 4 of six.
"$gen" --seed 42 --first 4 --count 1 --out "$work/f" --profile mixed
diff -r "$work/a/00004" "$work/f/00004" >/dev/null || { echo "--first changed image 4"; exit 1; }
[ "$(ls "$work/f")" = "00004" ] || { echo "--first wrote other images: $(ls "$work/f")"; exit 1; }
"$gen" --seed 43 --count 6 --out "$work/c" --profile mixed
if diff -r "$work/a" "$work/c" >/dev/null; then echo "different seeds, same output"; exit 1; fi
"$gen" --seed 7 --count 5 --out "$work/v" --profile valid
for d in "$work"/v/*/; do
  grep -q '"planted": \[\]' "$d/image.json" || { echo "valid image with planted problems: $d"; exit 1; }
  out=$(cd "$d" && /usr/bin/qemu-img check -f qcow2 image.qcow2 2>&1) || { echo "$d: $out"; exit 1; }
  case "$out" in
    *"No errors were found on the image."*) ;;
    *) echo "$d: $out"; exit 1 ;;
  esac
done
rm -rf "$work"
echo "imagegen: deterministic, valid images clean"
