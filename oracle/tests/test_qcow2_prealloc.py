"""Live differential check of qcow2 `preallocation=falloc|full` (create -f qcow2 and convert -O
qcow2) against the installed qemu-img: stdout, stderr, exit code, the file's bytes (sha256 and
length) and its allocation: the data/hole map (SEEK_DATA/SEEK_HOLE) and, where the filesystem
reports extents (FIEMAP), which ranges are allocated but unwritten (falloc) and which are written
(full). Block counts are not compared: the filesystem's own extent-tree blocks depend on how
fragmented each file happened to be."""
from __future__ import annotations

import fcntl
import hashlib
import os
import struct
import subprocess
from pathlib import Path

import pytest

from instar_oracle import recipes, runner

SANDBOX = os.environ.get("INSTAR_CONVERT_SANDBOX", "process")

_FS_IOC_FIEMAP = 0xC020660B
_FIEMAP_FLAG_SYNC = 0x1
_FIEMAP_EXTENT_LAST = 0x1
_FIEMAP_EXTENT_UNWRITTEN = 0x800
_EXTENT_SIZE = 56


def _data_map(path: Path) -> list[tuple[int, int]]:
    """The file's data ranges as lseek(SEEK_DATA/SEEK_HOLE) reports them."""
    ranges = []
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        at = 0
        while at < size:
            try:
                start = os.lseek(f.fileno(), at, os.SEEK_DATA)
            except OSError:
                break
            end = os.lseek(f.fileno(), start, os.SEEK_HOLE)
            ranges.append((start, end))
            at = end
    return ranges


def _extent_kinds(path: Path) -> list[tuple[int, int, bool]] | None:
    """(start, end, unwritten) runs of the file's extents, merged; None without FIEMAP."""
    runs: list[tuple[int, int, bool]] = []
    with open(path, "rb") as f:
        start = 0
        while True:
            count = 128
            buf = bytearray(struct.pack("=QQIIII", start, (1 << 64) - 1 - start,
                                        _FIEMAP_FLAG_SYNC, 0, count, 0))
            buf += bytes(count * _EXTENT_SIZE)
            try:
                fcntl.ioctl(f.fileno(), _FS_IOC_FIEMAP, buf)
            except OSError:
                return None
            mapped = struct.unpack_from("=I", buf, 20)[0]
            last = False
            for i in range(mapped):
                logical, _physical, length = struct.unpack_from("=QQQ", buf, 32 + i * _EXTENT_SIZE)
                flags = struct.unpack_from("=I", buf, 32 + i * _EXTENT_SIZE + 40)[0]
                unwritten = bool(flags & _FIEMAP_EXTENT_UNWRITTEN)
                if runs and runs[-1][1] == logical and runs[-1][2] == unwritten:
                    runs[-1] = (runs[-1][0], logical + length, unwritten)
                else:
                    runs.append((logical, logical + length, unwritten))
                start = logical + length
                last = bool(flags & _FIEMAP_EXTENT_LAST)
            if mapped == 0 or last:
                return runs


def _facts(path: Path):
    if not path.exists():
        return None
    data = path.read_bytes()
    return (len(data), hashlib.sha256(data).hexdigest(), _data_map(path), _extent_kinds(path))


def _run_both(tmp_path: Path, as_qemu_img: str, qemu_img: str, args_for):
    theirs = runner.run([qemu_img, *args_for("q.out")], tmp_path, timeout=60)
    ours = runner.run([as_qemu_img, f"--sandbox={SANDBOX}", *args_for("i.out")], tmp_path,
                      timeout=60)
    show = (f"--- qemu-img rc={theirs.rc}\n{theirs.stdout.decode()}{theirs.stderr.decode()}"
            f"--- instar rc={ours.rc}\n{ours.stdout.decode()}{ours.stderr.decode()}"
            f"reproduce: {runner.reproduction(ours.argv, tmp_path)}")
    ours_out = ours.stdout.replace(b"i.out", b"q.out")
    ours_err = ours.stderr.replace(b"i.out", b"q.out")
    assert (ours_out, ours_err, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc), show
    q, i = _facts(tmp_path / "q.out"), _facts(tmp_path / "i.out")
    assert q == i, f"{show}\noutput (length, sha256, data map, extents): qemu-img {q}, instar {i}"
    return ours


# create: sizes x options x mode. 512-byte clusters and 64-bit refcounts make several refcount
# blocks; 1-bit refcounts and 2 MiB clusters are the extremes of a refcount block's reach.
_CREATE_OPTIONS = ["", "cluster_size=512", "cluster_size=4k,refcount_bits=64", "extended_l2=on",
                   "compat=0.10,cluster_size=2M", "refcount_bits=1,lazy_refcounts=on"]
CREATE_CASES = [(mode + ("," + o if o else ""), size)
                for mode in ("preallocation=falloc", "preallocation=full")
                for o in _CREATE_OPTIONS for size in ("0", "5M")]
CREATE_CASES += [("preallocation=falloc", "1000"), ("preallocation=full,cluster_size=4k", "3001")]


@pytest.mark.parametrize("options,size", CREATE_CASES,
                         ids=[f"{o}:{s}" for o, s in CREATE_CASES])
def test_create_matches_qemu_img(options, size, tmp_path, as_qemu_img, qemu_img):
    _run_both(tmp_path, as_qemu_img, qemu_img,
              lambda out: ["create", "-f", "qcow2", "-o", options, out, size])


def test_create_falloc_and_full_allocate_differently(tmp_path, as_qemu_img, qemu_img):
    # The same bytes; falloc leaves the data area allocated but unwritten, full writes it.
    kinds = {}
    for mode in ("falloc", "full"):
        case = tmp_path / mode
        case.mkdir()
        _run_both(case, as_qemu_img, qemu_img,
                  lambda out, m=mode: ["create", "-q", "-f", "qcow2", "-o", f"preallocation={m}",
                                       out, "4M"])
        kinds[mode] = _extent_kinds(case / "i.out")
    if kinds["falloc"] is None:
        pytest.skip("the filesystem of the test directory has no FIEMAP")
    assert any(unwritten for _s, _e, unwritten in kinds["falloc"])
    assert not any(unwritten for _s, _e, unwritten in kinds["full"])


# The errors around preallocation, as qemu words them and in its order.
CREATE_ERROR_CASES = [
    ["-o", "preallocation=falloc", "-b", "base.qcow2", "-F", "qcow2"],
    ["-o", "preallocation=full,compat=0.10", "-b", "base.qcow2", "-F", "qcow2"],
    ["-o", "preallocation=full,extended_l2=on", "-b", "base.qcow2", "-F", "qcow2"],
    ["-o", "preallocation=falloc,extended_l2=on,cluster_size=4k"],
    ["-o", "preallocation=fallocate"],
]


@pytest.mark.parametrize("args", CREATE_ERROR_CASES, ids=["".join(a) for a in CREATE_ERROR_CASES])
def test_create_with_backing_or_bad_values(args, tmp_path, as_qemu_img, qemu_img):
    subprocess.run([qemu_img, "create", "-q", "-f", "qcow2", str(tmp_path / "base.qcow2"), "3M"],
                   check=True)
    _run_both(tmp_path, as_qemu_img, qemu_img,
              lambda out: ["create", "-f", "qcow2", *args, out, "3M"])


# convert -O qcow2: the data area is preallocated when the target is created, then the copy
# writes into its clusters (zero runs stay as preallocated).
CONVERT_CASES = [(names, ["-O", "qcow2", "-o", "preallocation=" + o]) for names, o in (
    (["raw-mixed"], "falloc"), (["raw-mixed"], "full"), (["raw-1000-bytes"], "falloc"),
    (["qcow2-odd-size"], "full,cluster_size=4k"), (["raw-sparse"], "falloc,compat=0.10"),
    (["qcow2-zero-subclusters"], "full,extended_l2=on"),
    (["qcow2-zero-subclusters"], "falloc,extended_l2=on"),
    (["qcow2-mixed", "raw-1000-bytes"], "full,cluster_size=512"))]
CONVERT_CASES += [(["raw-sparse"], ["-O", "qcow2", "-S", "0", "-o", "preallocation=full"]),
                  (["raw-mixed"], ["-O", "qcow2", "-c", "-o", "preallocation=falloc"]),
                  (["raw-mixed"], ["-O", "qcow2", "-o", "preallocation=full,compat=0.5"])]


@pytest.mark.parametrize("names,options", CONVERT_CASES,
                         ids=[f"{'+'.join(n)}:{''.join(o)}" for n, o in CONVERT_CASES])
def test_convert_matches_qemu_img(names, options, tmp_path, as_qemu_img, qemu_img):
    images = [str(recipes.build(name, tmp_path)) for name in names]
    _run_both(tmp_path, as_qemu_img, qemu_img,
              lambda out: ["convert", *options, *images, out])


# create with an external data file: data_file_raw=on makes preallocation at least metadata;
# any preallocation maps the clusters 1:1 into the data file, writes a partial last cluster's
# copy-on-write tail into it and hands falloc/full to it (qcow2_co_truncate(), preallocate_co()).
DATA_FILE_CASES = [(f"data_file=d.raw,data_file_raw={raw},preallocation={mode}{extra}", size)
                   for raw, mode, extra, size in (
                       ("on", "off", "", "1M"), ("on", "off", "", "1049088"),
                       ("on", "metadata", ",cluster_size=4k", "3000"), ("on", "falloc", "", "1M"),
                       ("on", "full", "", "1049088"), ("off", "metadata", "", "1049088"),
                       ("off", "falloc", "", "2M"), ("off", "full", ",extended_l2=on", "1049088"),
                       ("on", "falloc", "", "0"), ("off", "off", "", "3000"))]
DATA_FILE_CASES += [("data_file_raw=on,preallocation=falloc", "1M"),
                    ("data_file=d.raw,data_file_raw=on,compat=0.10", "1M")]


@pytest.mark.parametrize("options,size", DATA_FILE_CASES,
                         ids=[f"{o}:{s}" for o, s in DATA_FILE_CASES])
def test_create_with_data_file_matches_qemu_img(options, size, tmp_path, as_qemu_img, qemu_img):
    runs = {}
    for tool, program in (("q", qemu_img), ("i", as_qemu_img)):
        case = tmp_path / tool
        case.mkdir()
        sandbox = [f"--sandbox={SANDBOX}"] if tool == "i" else []
        runs[tool] = runner.run([program, *sandbox, "create", "-f", "qcow2", "-o", options,
                                 "img.qcow2", size], case, timeout=60)
    theirs, ours = runs["q"], runs["i"]
    show = (f"--- qemu-img rc={theirs.rc}\n{theirs.stdout.decode()}{theirs.stderr.decode()}"
            f"--- instar rc={ours.rc}\n{ours.stdout.decode()}{ours.stderr.decode()}"
            f"reproduce: {runner.reproduction(ours.argv, tmp_path / 'i')}")
    assert (ours.stdout, ours.stderr, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc), show
    for name in ("img.qcow2", "d.raw"):
        q, i = _facts(tmp_path / "q" / name), _facts(tmp_path / "i" / name)
        assert q == i, f"{show}\n{name} (length, sha256, data map, extents): qemu-img {q}, instar {i}"


@pytest.mark.parametrize("size", ["1000", "1M"])
def test_raw_falloc_writes_the_first_block(size, tmp_path, as_qemu_img, qemu_img):
    # handle_aiocb_truncate() with falloc from an empty file: allocate_first_block() after
    # posix_fallocate(), so the first block is written and the rest unwritten.
    _run_both(tmp_path, as_qemu_img, qemu_img,
              lambda out: ["create", "-f", "raw", "-o", "preallocation=falloc", out, size])
