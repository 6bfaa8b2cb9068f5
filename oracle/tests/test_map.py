"""Live differential check of `map` against the installed qemu-img (stdout, stderr, exit code).

All images are built once into one directory (map only reads them); each case runs instar behind
a symlink named qemu-img in the process sandbox and qemu-img on the same file. The 8.0+ profile's
one map difference (a "compressed" field in JSON entries of qcow2 images) is checked against the
live 7.2 output with that field derived from the entry, and against the recorded baselines in
test_profile_baselines.py.
"""
from __future__ import annotations

import re
import shutil

import pytest

from instar_oracle import recipes, runner

IMAGES = ["raw-sparse", "raw-mixed", "raw-1000-bytes", "raw-empty", "raw-16m", "qcow2-v3",
          "qcow2-mixed", "qcow2-mixed-zlib", "qcow2-mixed-zstd", "qcow2-mixed-el2",
          "qcow2-mixed-v2-4k", "qcow2-zero-clusters", "qcow2-zero-subclusters", "qcow2-odd-size",
          "qcow2-from-sparse", "qcow2-overlay", *recipes.CHAINS_THAT_OPEN,
          *recipes.CHAIN_OPEN_ERRORS]
# A chain named through relative paths from another directory: the File column shows each
# backing file as qemu resolved it (sub/../rel-mid.qcow2, then sub/../rel-base.qcow2).
RELATIVE = [
    ["qemu-img", "create", "-q", "-f", "qcow2", "rel-base.qcow2", "4M"],
    ["qemu-io", "-c", "write -P 0x11 0 1M", "-c", "write -P 0x22 2560k 64k", "rel-base.qcow2"],
    ["qemu-img", "create", "-q", "-f", "qcow2", "-b", "rel-base.qcow2", "-F", "qcow2",
     "rel-mid.qcow2"],
    ["qemu-io", "-c", "write -P 0x33 512k 1M", "-c", "write -z 3M 64k", "rel-mid.qcow2"],
    ["mkdir", "-p", "sub"],
    ["qemu-img", "create", "-q", "-f", "qcow2", "-b", "../rel-mid.qcow2", "-F", "qcow2",
     "sub/rel-top.qcow2"],
    ["qemu-io", "-c", "write -P 0x44 1536k 64k", "sub/rel-top.qcow2"],
]


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory):
    if shutil.which("qemu-io") is None:
        pytest.fail("qemu-io is not installed: run scripts/setup")
    directory = tmp_path_factory.mktemp("map")
    names = {name: str(recipes.build(name, directory))
             for name in [*IMAGES, "qcow2-prealloc-metadata"]}
    for argv in RELATIVE:
        runner.run(argv, directory)
    names["relative-chain"] = "sub/rel-top.qcow2"
    return directory, names


def _both(as_qemu_img, qemu_img, directory, args, profile=None):
    # The relative chain reaches out of sub/: the case directory is the allowed root.
    ours_argv = [as_qemu_img, "--sandbox=process", "--allow-root", str(directory)]
    if profile:
        ours_argv += ["--qemu-version", profile]
    ours = runner.run([*ours_argv, "map", *args], directory)
    theirs = runner.run([qemu_img, "map", *args], directory)
    return ours, theirs


def _assert_same(ours, theirs, args):
    assert (ours.stdout, ours.stderr, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc), (
        f"map {' '.join(args)}\n--- qemu-img rc={theirs.rc}\n"
        f"{theirs.stdout.decode(errors='replace')}{theirs.stderr.decode(errors='replace')}"
        f"--- instar rc={ours.rc}\n"
        f"{ours.stdout.decode(errors='replace')}{ours.stderr.decode(errors='replace')}")


# JSON shows every field of every entry; the human form adds the File column and the coalescing
# of zero runs, shown on the images where those differ.
HUMAN = ["raw-sparse", "qcow2-mixed", "qcow2-mixed-zlib", "qcow2-mixed-el2", "qcow2-zero-clusters",
         "chain-raw-qcow2-qcow2", "chain-compressed-backing", "qcow2-data-file",
         "chain-data-file-backing", "chain-depth-16-data-files", "relative-chain",
         "chain-missing-deeper", "qcow2-data-file-missing"]
CASES = [(name, ["--output=json"]) for name in [*IMAGES, "relative-chain"]]
CASES += [(name, []) for name in HUMAN]


@pytest.mark.parametrize("name,output", CASES, ids=[f"{n}:{''.join(o) or 'human'}" for n, o in CASES])
def test_map_matches_qemu_img(name, output, image_dir, as_qemu_img, qemu_img):
    directory, names = image_dir
    args = [*output, names[name]]
    _assert_same(*_both(as_qemu_img, qemu_img, directory, args), args)


# Options: ranges, -f, option syntax and every refusal qemu-img reports before or at the open.
OPTION_CASES = [
    ["--start-offset=1M", "--max-length=1M", "--output=json", "top"],
    ["--start-offset=1.5k", "--output=json", "top"],
    ["-s", "0x10", "-l", "100", "--output", "json", "top"],
    ["--start-offset=8M", "--output=json", "top"],
    ["--start-offset=8M", "top"],
    ["--start-offset=1M", "--max-length=9223372036854775807", "--output=json", "top"],
    ["--max-length=0", "--output=json", "top"],
    ["--start=512k", "--max=1M", "top"],
    ["-s", "0x1k", "top"],
    ["--start-offset=-1", "top"],
    ["--start-offset=1x", "top"],
    ["--start-offset=", "top"],
    ["--start-offset=1e3", "top"],
    ["--start-offset=1.5", "top"],
    ["-s", "99999999999999999999", "top"],
    ["-s", "1.k", "-l", "0.5M", "--output=json", "top"],
    ["--max-length=9223372036854775808", "top"],
    ["-s", "16E", "top"],
    ["--output=xml", "top"],
    ["--output=xml"],
    ["top", "extra"],
    ["-x", "top"],
    ["-s"],
    ["-U", "--force-share", "top"],
    ["-f", "raw", "--output=json", "qcow2-mixed"],
    ["-f", "raw", "qcow2-mixed"],
    ["--format=qcow2", "raw-mixed"],
    ["-f", "bogus", "top"],
    ["missing.qcow2"],
    ["--start-offset=2M", "--max-length=64k", "qcow2-mixed-zlib"],
    ["--start-offset=3M", "qcow2-mixed-zlib"],
]


@pytest.mark.parametrize("args", OPTION_CASES, ids=[" ".join(a) for a in OPTION_CASES])
def test_map_options_match_qemu_img(args, image_dir, as_qemu_img, qemu_img):
    directory, names = image_dir
    # "top" and recipe names stand for the recipe's image file.
    names = dict(names, top=names["chain-raw-qcow2-qcow2"])
    args = [names.get(a, a) for a in args]
    _assert_same(*_both(as_qemu_img, qemu_img, directory, args), args)


def _with_compressed_field(text: bytes) -> bytes:
    """7.2's JSON entries as 8.0+ prints them for a qcow2 image: "compressed" after "data",
    true exactly for data entries without an offset (qcow2's compressed clusters)."""
    def entry(m: re.Match) -> bytes:
        body = m.group(0)
        compressed = b'"data": true' in body and b'"offset"' not in body
        field = b', "compressed": ' + (b"true" if compressed else b"false")
        return re.sub(rb'("data": (?:true|false))', lambda d: d.group(1) + field, body)
    return re.sub(rb"\{[^}]*\}", entry, text)


@pytest.mark.parametrize("name", ["qcow2-mixed-zlib", "chain-compressed-backing",
                                  "qcow2-mixed-el2", "raw-sparse", "chain-raw-qcow2-qcow2"])
@pytest.mark.parametrize("profile", ["8.2"])
def test_map_json_newer_profiles(name, profile, image_dir, as_qemu_img, qemu_img):
    directory, names = image_dir
    args = ["--output=json", names[name]]
    ours, theirs = _both(as_qemu_img, qemu_img, directory, args, profile=profile)
    # block_driver_can_compress(): only a qcow2 top image gets the field.
    want = theirs.stdout if name.startswith("raw") else _with_compressed_field(theirs.stdout)
    assert (ours.stdout, ours.stderr, ours.rc) == (want, theirs.stderr, theirs.rc)
    # Human output is the same in every version.
    ours, theirs = _both(as_qemu_img, qemu_img, directory, [names[name]], profile=profile)
    _assert_same(ours, theirs, [names[name]])


def test_metadata_preallocation(image_dir, as_qemu_img, qemu_img):
    """Preallocated qcow2 metadata: the file's holes are zero data in qemu's block status
    (test_metadata_preallocation.py has the whole suite)."""
    directory, names = image_dir
    args = ["--output=json", names["qcow2-prealloc-metadata"]]
    ours, theirs = _both(as_qemu_img, qemu_img, directory, args)
    assert b'"zero": true, "data": true' in theirs.stdout
    _assert_same(ours, theirs, args)
