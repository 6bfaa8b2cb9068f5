"""Live differential check of `convert` to raw and qcow2 against the installed qemu-img: stdout (the -p
progress lines included), stderr, exit code, the output's bytes (sha256) and its allocation
(st_blocks), over recipe images and error cases.

INSTAR_CONVERT_SANDBOX picks the backend (process by default; the kvm-labelled ctest
oracle_convert_kvm runs the same cases with the guest under KVM).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from instar_oracle import recipes, runner

SANDBOX = os.environ.get("INSTAR_CONVERT_SANDBOX", "process")

# Inputs qemu-img convert reads: raw (sparse too), qcow2 with data, zero clusters and
# subclusters, compressed clusters (zlib, zstd), extended L2, backing chains, data files.
INPUTS = ["raw-mixed", "raw-sparse", "raw-1000-bytes", "raw-empty", "qcow2-mixed",
          "qcow2-mixed-zlib", "qcow2-mixed-zstd", "qcow2-mixed-el2", "qcow2-zero-clusters",
          "qcow2-zero-subclusters", "qcow2-odd-size", "chain-raw-qcow2-qcow2",
          "chain-compressed-backing", "chain-short-backing", "chain-data-file-backing"]

# -p shows every chunk's status through the progress lines, so each input runs with it.
CASES = [([name], ["-p"]) for name in INPUTS]
CASES += [([name], opts) for name in ["raw-sparse", "qcow2-mixed", "qcow2-zero-subclusters"]
          for opts in (["-S", "0", "-p"], ["-S", "64k", "-p"])]
CASES += [(["raw-mixed"], ["-S", "4k"])]
# Several inputs are concatenated; -q silences -p; -W, -m and cache modes change no byte.
CASES += [(["qcow2-mixed", "raw-1000-bytes", "chain-zero-backing"], ["-p"]),
          (["raw-sparse", "qcow2-mixed-el2"], ["-S", "0"]),
          (["qcow2-mixed"], ["-q", "-p"]),
          (["qcow2-mixed"], ["-W", "-m", "2", "-t", "none", "-T", "none"]),
          (["qcow2-mixed"], ["-t", "writeback", "-O", "raw", "-f", "raw"])]
# Errors: values, option combinations, formats, missing files, open errors of chains.
CASES += [(["qcow2-mixed"], opts) for opts in (
    ["-S", "100"], ["-S", "abc"], ["-m", "0"], ["--target-is-zero"], ["-O", "foo"],
    ["-f", "foo"], ["-p", "-t", "foo"], ["-T", "foo"], ["-c"], ["-B", "b.qcow2"],
    ["-S", "0x1k"], ["-S", "1.5"])]  # hex with a suffix: qemu warns and goes on
CASES += [([name], ["-p"]) for name in recipes.CHAIN_OPEN_ERRORS[:2]]
# -C: data chunks are copied whole (zeros inside them too: the allocation shows it) until a
# compressed cluster, which cannot be offloaded, turns it off; -c, -S and --salvage refuse it.
CASES += [([name], ["-C", "-p"]) for name in ("raw-mixed", "qcow2-mixed", "qcow2-mixed-zlib")]
CASES += [(["qcow2-mixed"], opts) for opts in (["-C", "-O", "qcow2"], ["-C", "-c"],
                                               ["-C", "-S", "4k"], ["-C", "--salvage"],
                                               ["-r", "100M", "-O", "qcow2"])]
# Inside the nested-KVM rig every run is slow: a few inputs show the write path works there.
if SANDBOX == "kvm":
    CASES = [case for case in CASES
             if case[0] in (["qcow2-mixed"], ["raw-sparse"], ["chain-raw-qcow2-qcow2"])][:8]


def _show(run: runner.Run) -> str:
    return (f"rc={run.rc}\n{run.stdout.decode(errors='replace')!r}\n"
            f"{run.stderr.decode(errors='replace')}")


def _file_facts(path: Path):
    if not path.exists():
        return None
    # st_blocks is only settled once delayed allocation wrote the file back.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_blocks


def _both(tmp_path: Path, instar_bin: str, qemu_img: str, args_for):
    """Runs qemu-img, then instar (as a symlink named qemu-img), each onto its own output."""
    link = tmp_path / "qemu-img"
    if not link.exists():
        link.symlink_to(instar_bin)
    theirs = runner.run([qemu_img, *args_for("q.out")], tmp_path, timeout=60)
    ours = runner.run([str(link), f"--sandbox={SANDBOX}", *args_for("i.out")], tmp_path,
                      timeout=60)
    return theirs, ours


def _same(theirs, ours, tmp_path: Path, content_only=False):
    ours_err = ours.stderr.replace(b"i.out", b"q.out")
    assert (ours.stdout, ours_err, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc), (
        f"--- qemu-img {_show(theirs)}\n--- instar {_show(ours)}\n"
        f"reproduce: {runner.reproduction(ours.argv, tmp_path)}")
    q, i = _file_facts(tmp_path / "q.out"), _file_facts(tmp_path / "i.out")
    if content_only and q and i:
        q, i = q[0], i[0]
    assert q == i, f"output (sha256, st_blocks): qemu-img {q}, instar {i}"


@pytest.mark.parametrize("names,options", CASES,
                         ids=[f"{'+'.join(n)}:{''.join(o)}" for n, o in CASES])
def test_convert_matches_qemu_img(names, options, tmp_path, instar_bin, qemu_img):
    _convert_case(names, options, tmp_path, instar_bin, qemu_img, content_only=False)


def _convert_case(names, options, tmp_path, instar_bin, qemu_img, content_only):
    images = [str(recipes.build(name, tmp_path)) for name in names]
    theirs, ours = _both(tmp_path, instar_bin, qemu_img,
                         lambda out: ["convert", *options, *images, out])
    _same(theirs, ours, tmp_path, content_only=content_only)


def test_copy_offloading_through_a_chain(tmp_path, instar_bin, qemu_img):
    # -C through a raw backing file: the bytes are qemu-img's; the allocation is not compared
    # (qemu's copy_file_range() stops short at the raw file's end and falls back, docs/convert.md).
    _convert_case(["chain-raw-qcow2-qcow2"], ["-C", "-p"], tmp_path, instar_bin, qemu_img,
                  content_only=True)


@pytest.mark.parametrize("options", [["-p"], ["-S", "0"], ["--target-is-zero", "-c"]])
def test_convert_onto_existing_target(options, tmp_path, instar_bin, qemu_img):
    # -n writes into the target as it is. qemu punches holes for zero runs where instar writes
    # zeros (docs/convert.md): the bytes must be equal, the allocation may differ.
    image = str(recipes.build("chain-raw-qcow2-qcow2", tmp_path))
    filler = os.urandom(1 << 20) * 16
    for out in ("q.out", "i.out"):
        (tmp_path / out).write_bytes(filler)
    theirs, ours = _both(tmp_path, instar_bin, qemu_img,
                         lambda out: ["convert", "-n", *options, image, out])
    _same(theirs, ours, tmp_path, content_only=True)


def test_existing_target_too_small(tmp_path, instar_bin, qemu_img):
    image = str(recipes.build("qcow2-mixed", tmp_path))
    for out in ("q.out", "i.out"):
        (tmp_path / out).write_bytes(b"\1" * 4096)
    theirs, ours = _both(tmp_path, instar_bin, qemu_img,
                         lambda out: ["convert", "-n", "-p", image, out])
    _same(theirs, ours, tmp_path)


@pytest.mark.parametrize("args", [
    ["convert", "a"], ["convert", "-x"], ["convert", "-p", "missing.raw", "x.out"],
])
def test_usage_and_open_errors_match(args, tmp_path, instar_bin, qemu_img):
    link = tmp_path / "qemu-img"
    link.symlink_to(instar_bin)
    ours = runner.run([str(link), f"--sandbox={SANDBOX}", *args], tmp_path)
    theirs = runner.run([qemu_img, *args], tmp_path)
    assert (ours.stdout, ours.stderr, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc)


def test_output_cannot_be_created(tmp_path, instar_bin, qemu_img):
    image = str(recipes.build("qcow2-mixed", tmp_path))
    link = tmp_path / "qemu-img"
    link.symlink_to(instar_bin)
    for out in ("nodir/x.raw", str(tmp_path)):
        args = ["convert", image, out]
        ours = runner.run([str(link), f"--sandbox={SANDBOX}", *args], tmp_path)
        theirs = runner.run([qemu_img, *args], tmp_path)
        assert (ours.stdout, ours.stderr, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc)


@pytest.mark.parametrize("skip_create", [False, True])
def test_output_is_an_input(skip_create, tmp_path, instar_bin, qemu_img):
    # qemu's image locking refuses it before anything is truncated; instar compares inodes.
    image = tmp_path / recipes.build("qcow2-mixed", tmp_path).name
    before = image.read_bytes()
    link = tmp_path / "qemu-img"
    link.symlink_to(instar_bin)
    args = ["convert", *(["-n"] if skip_create else []), image.name, image.name]
    theirs = runner.run([qemu_img, *args], tmp_path)
    ours = runner.run([str(link), f"--sandbox={SANDBOX}", *args], tmp_path)
    assert (ours.stdout, ours.stderr, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc)
    assert image.read_bytes() == before


def test_unimplemented_options_are_refused(tmp_path, instar_bin):
    image = str(recipes.build("qcow2-mixed", tmp_path))
    for options in (["-O", "qcow2", "-o", "data_file=d.raw"],
                    ["--bitmaps"]):
        run = runner.run([instar_bin, f"--sandbox={SANDBOX}", "convert", *options, image,
                          "x.out"], tmp_path)
        assert run.rc == 1, options
        assert b"not yet supported" in run.stderr or b"not supported by instar yet" in run.stderr
        assert not (tmp_path / "x.out").exists(), options


# -O raw -o: file-posix's preallocation (falloc allocates the file, full writes zeros over it,
# metadata fails after creating an empty file, other values before), size (replaced), nocow and
# extent_size_hint (no effect here). Compared with allocation: preallocation is what it changes.
RAW_OPTION_CASES = [["-o", o] for o in (
    "preallocation=off", "preallocation=falloc", "preallocation=full", "preallocation=metadata",
    "preallocation=foo", "size=1M,nocow=on,extent_size_hint=1M", "foo=bar")]
RAW_OPTION_CASES += [["-S", "0", "-o", "preallocation=falloc"],
                     ["-c", "-o", "preallocation=full"]]
# The raw options act on the host's file, not in the guest: under KVM two show the write path.
if SANDBOX == "kvm":
    RAW_OPTION_CASES = RAW_OPTION_CASES[1:3]


@pytest.mark.parametrize("options", RAW_OPTION_CASES, ids=["".join(o) for o in RAW_OPTION_CASES])
def test_raw_creation_options(options, tmp_path, instar_bin, qemu_img):
    _convert_case(["raw-sparse"], options, tmp_path, instar_bin, qemu_img, content_only=False)
    assert (tmp_path / "q.out").exists() == (tmp_path / "i.out").exists()


# -O qcow2: defaults, -c (zlib, zstd), -S 0 (no discards), creation options; then the errors of
# bad -o values (qemu-img's parse, QAPI and qcow2_co_create() checks), which leave no file.
QCOW2_CASES = [
    (["raw-mixed"], ["-O", "qcow2"]),
    (["qcow2-mixed", "raw-1000-bytes"], ["-O", "qcow2", "-p"]),
    (["raw-sparse"], ["-O", "qcow2", "-S", "0"]),
    (["chain-raw-qcow2-qcow2"], ["-O", "qcow2", "-c"]),
    (["raw-mixed"], ["-O", "qcow2", "-c", "-o", "compression_type=zstd"]),
    (["qcow2-mixed"], ["-O", "qcow2", "-o", "cluster_size=4k,refcount_bits=64"]),
    (["qcow2-zero-clusters"], ["-O", "qcow2", "-o", "compat=0.10", "-o", "cluster_size=2M"]),
    (["qcow2-zero-subclusters"],
     ["-O", "qcow2", "-o", "extended_l2=on,cluster_size=128k,lazy_refcounts=on"]),
]
# preallocation=metadata: every cluster allocated before the copy (a partial last cluster gets
# its copy-on-write tail), data written into them; off is the default.
QCOW2_CASES += [(names, ["-O", "qcow2", "-o", "preallocation=" + o]) for names, o in (
    (["raw-mixed"], "metadata"), (["raw-1000-bytes"], "metadata"),
    (["qcow2-odd-size"], "metadata,cluster_size=4k"), (["raw-sparse"], "metadata,compat=0.10"),
    (["qcow2-zero-subclusters"], "metadata,extended_l2=on"), (["raw-mixed"], "off"),
    (["raw-mixed"], "foo"))]
QCOW2_CASES += [(["raw-sparse"], ["-O", "qcow2", "-S", "0", "-o", "preallocation=metadata"]),
                (["raw-mixed"], ["-O", "qcow2", "-c", "-o", "preallocation=metadata"])]
QCOW2_CASES += [(["raw-mixed"], ["-O", "qcow2", "-o", o]) for o in (
    "cluster_size=1000", "compat=0.5", "compression_type=foo", "refcount_bits=3",
    "lazy_refcounts=on,compat=0.10", "extended_l2=on,cluster_size=4k",
    "compat=0.10,compression_type=zstd", "foo=bar", "cluster_size=abc")]
if SANDBOX == "kvm":
    QCOW2_CASES = QCOW2_CASES[:2] + QCOW2_CASES[-3:-2]


@pytest.mark.parametrize("names,options", QCOW2_CASES,
                         ids=[f"{'+'.join(n)}:{''.join(o)}" for n, o in QCOW2_CASES])
def test_convert_to_qcow2_matches_qemu_img(names, options, tmp_path, instar_bin, qemu_img):
    # The file's bytes (sha256, so its length too); allocation is left out: qemu discards and
    # fills zeros with fallocate where the sandbox's sink writes.
    _convert_case(names, options, tmp_path, instar_bin, qemu_img, content_only=True)
    assert (tmp_path / "q.out").exists() == (tmp_path / "i.out").exists()


@pytest.mark.parametrize("options", [["-o", "cluster_size=4k"],
                                     ["-c", "-o", "cluster_size=4k,refcount_bits=1"]])
def test_qcow2_target_with_evicted_tables(options, tmp_path, instar_bin, qemu_img):
    # 4k clusters map 2 MiB per L2 table: data every 3 MiB of 200 MiB needs 67 of them, more
    # than the writer's 16 cached ones, so tables are written back and read back through the
    # sandbox's output device.
    raw = tmp_path / "spread.raw"
    with open(raw, "wb") as f:
        f.truncate(200 << 20)
        for i in range(0, 200, 3):
            f.seek((i << 20) + 777)
            f.write(b"x%05d" % i)
    theirs, ours = _both(tmp_path, instar_bin, qemu_img,
                         lambda out: ["convert", "-O", "qcow2", *options, raw.name, out])
    _same(theirs, ours, tmp_path, content_only=True)


def test_qcow2_target_of_input_that_does_not_open(tmp_path, instar_bin, qemu_img):
    # A hostile input (a qcow2 header claiming version 9) fails to open: no qcow2 is created.
    good = recipes.build("qcow2-mixed", tmp_path).name
    bad = tmp_path / "bad.qcow2"
    data = bytearray((tmp_path / good).read_bytes())
    data[4:8] = (9).to_bytes(4, "big")
    bad.write_bytes(bytes(data))
    theirs, ours = _both(tmp_path, instar_bin, qemu_img,
                         lambda out: ["convert", "-O", "qcow2", "-c", good, bad.name, out])
    _same(theirs, ours, tmp_path)
    assert ours.rc == 1 and not (tmp_path / "i.out").exists()


def test_help_lists_convert(tmp_path, instar_bin):
    ours = runner.run([instar_bin, "convert", "-h"], tmp_path)
    assert ours.rc == 0 and b"  convert [--object objectdef] [--image-opts]" in ours.stdout
    # The synopsis lists every subcommand instar implements, and no other.
    listed = {line.split()[0] for line in ours.stdout.decode().split("Command syntax:\n")[1]
              .split("\n\n")[0].splitlines() if line.startswith("  ") and line[2] != " "}
    assert listed == {"amend", "check", "compare", "convert", "create", "dd", "info", "map",
                      "measure", "rebase", "resize", "snapshot"}


@pytest.mark.parametrize("first", [True, False])
def test_input_that_does_not_open_creates_nothing(first, tmp_path, instar_bin, qemu_img):
    # The guest refuses the top image (here its version): qemu opens every input before it
    # creates the target, so no output appears and -p still ends its line.
    good = recipes.build("qcow2-mixed", tmp_path).name
    bad = tmp_path / "bad.qcow2"
    data = bytearray((tmp_path / good).read_bytes())
    data[4:8] = (9).to_bytes(4, "big")
    bad.write_bytes(bytes(data))
    inputs = [bad.name, good] if first else [good, bad.name]
    theirs, ours = _both(tmp_path, instar_bin, qemu_img,
                         lambda out: ["convert", "-p", *inputs, out])
    _same(theirs, ours, tmp_path)
    assert not (tmp_path / "i.out").exists()
