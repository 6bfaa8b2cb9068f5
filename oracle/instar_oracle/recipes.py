"""Recipe cases: images built with qemu-img / qemu-io command lists, never hostile.

With INSTAR_RECIPE_CACHE=DIR, build() copies a recipe's files from DIR/<name>-<hash of its
commands>/, building them there first when missing: scripts/test fills DIR natively
(`python3 -m instar_oracle.recipes --prebuild DIR`) before the TCG rig starts, where every
qemu-img and qemu-io run of a recipe costs seconds."""
from __future__ import annotations

import argparse
import concurrent.futures
import fcntl
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import threading
from pathlib import Path

# The 4 MiB compare content, written by python so it is dense (no holes) and reproducible.
_MIXED_SCRIPT = ("import random,sys; r=random.Random(7); open(sys.argv[1],'wb').write("
                 "bytes(1<<20)+b'A'*(1<<20)+r.randbytes(1<<20)+bytes(1<<20))")


def _mixed_as(name: str) -> list[str]:
    return ["python3", "-c", _MIXED_SCRIPT, name]


def _convert(out: str, *options: str) -> list[str]:
    return ["qemu-img", "convert", *options, "-O", "qcow2", ".mixed-src.raw", out]


def _poke(name: str, offset: int) -> list[str]:
    return ["python3", "-c", "import sys; f=open(sys.argv[1],'r+b'); f.seek(int(sys.argv[2])); "
            "f.write(b'X')", name, str(offset)]


_MIXED = _mixed_as("mixed.raw")
_MIXED_TMP = _mixed_as(".mixed-src.raw")

# name -> (image file, commands run in the case directory). Each command is an argv list.
RECIPES: dict[str, tuple[str, list[list[str]]]] = {
    "raw-16m": ("r.raw", [["qemu-img", "create", "-q", "-f", "raw", "r.raw", "16M"]]),
    "raw-1000-bytes": ("odd.raw", [["truncate", "-s", "1000", "odd.raw"]]),
    "raw-empty": ("empty.img", [["truncate", "-s", "0", "empty.img"]]),
    "qcow2-v2": ("v2.qcow2", [["qemu-img", "create", "-q", "-f", "qcow2", "-o", "compat=0.10",
                               "v2.qcow2", "16M"]]),
    "qcow2-v3": ("v3.qcow2", [["qemu-img", "create", "-q", "-f", "qcow2", "v3.qcow2", "16M"]]),
    "qcow2-lazy": ("lazy.qcow2", [["qemu-img", "create", "-q", "-f", "qcow2", "-o",
                                   "lazy_refcounts=on", "lazy.qcow2", "1G"]]),
    "qcow2-zstd-el2": ("z.qcow2", [["qemu-img", "create", "-q", "-f", "qcow2", "-o",
                                    "compression_type=zstd,extended_l2=on", "z.qcow2", "64M"]]),
    "qcow2-cs512-rb1": ("c512.qcow2", [["qemu-img", "create", "-q", "-f", "qcow2", "-o",
                                        "cluster_size=512,refcount_bits=1", "c512.qcow2",
                                        "3M"]]),
    "qcow2-cs2m-rb64": ("c2m.qcow2", [["qemu-img", "create", "-q", "-f", "qcow2", "-o",
                                       "cluster_size=2M,refcount_bits=64", "c2m.qcow2", "10G"]]),
    "qcow2-odd-size": ("odd.qcow2", [["qemu-img", "create", "-q", "-f", "qcow2", "odd.qcow2",
                                      "1000"]]),
    "qcow2-data": ("d.qcow2", [["qemu-img", "create", "-q", "-f", "qcow2", "d.qcow2", "4M"],
                               ["qemu-io", "-c", "write -P 0x11 0 1M", "d.qcow2"]]),
    # Compare pairs (oracle/tests/test_compare_parity.py): one 4 MiB content - zeros, 'A's,
    # pseudo-random bytes, zeros - in several containers, plus variants that differ from it.
    "raw-mixed": ("mixed.raw", [_MIXED]),
    "qcow2-mixed": ("mixed.qcow2", [_MIXED_TMP, _convert("mixed.qcow2")]),
    "qcow2-mixed-zlib": ("mixed-zlib.qcow2", [_MIXED_TMP, _convert("mixed-zlib.qcow2", "-c")]),
    "qcow2-mixed-zstd": ("mixed-zstd.qcow2", [_MIXED_TMP, _convert(
        "mixed-zstd.qcow2", "-c", "-o", "compression_type=zstd")]),
    "qcow2-mixed-el2": ("mixed-el2.qcow2", [_MIXED_TMP, _convert(
        "mixed-el2.qcow2", "-o", "extended_l2=on,cluster_size=128k")]),
    "qcow2-mixed-v2-4k": ("mixed-v2.qcow2", [_MIXED_TMP, _convert(
        "mixed-v2.qcow2", "-o", "compat=0.10,cluster_size=4k")]),
    "raw-mixed-poked": ("poked.raw", [_mixed_as("poked.raw"), _poke("poked.raw", 3 * 2**20 + 12345)]),
    "raw-mixed-8m": ("mixed-8m.raw", [_mixed_as("mixed-8m.raw"),
                                      ["truncate", "-s", "8M", "mixed-8m.raw"]]),
    "raw-mixed-8m-tail": ("tail.raw", [_mixed_as("tail.raw"), ["truncate", "-s", "8M", "tail.raw"],
                                       _poke("tail.raw", 6 * 2**20 + 777)]),
    "qcow2-zero-clusters": ("zc.qcow2", [
        ["qemu-img", "create", "-q", "-f", "qcow2", "zc.qcow2", "4M"],
        ["qemu-io", "-c", "write -P 0x41 1M 1M", "-c", "write -z 1M 64k", "-c", "write -z 3M 64k",
         "zc.qcow2"]]),
    "qcow2-zero-subclusters": ("zsc.qcow2", [
        ["qemu-img", "create", "-q", "-f", "qcow2", "-o", "extended_l2=on", "zsc.qcow2", "4M"],
        ["qemu-io", "-c", "write -P 0x41 1M 1M", "-c", "write -z 1M 8k", "-c", "write -z 3M 4k",
         "zsc.qcow2"]]),
    "raw-sparse": ("sparse.raw", [
        ["qemu-img", "create", "-q", "-f", "raw", "sparse.raw", "4M"],
        ["qemu-io", "-f", "raw", "-c", "write -P 0x41 1M 64k", "-c", "write -P 0x42 3M 4k",
         "sparse.raw"]]),
    "qcow2-from-sparse": ("from-sparse.qcow2", [
        ["qemu-img", "create", "-q", "-f", "raw", ".sparse-src.raw", "4M"],
        ["qemu-io", "-f", "raw", "-c", "write -P 0x41 1M 64k", "-c", "write -P 0x42 3M 4k",
         ".sparse-src.raw"],
        ["qemu-img", "convert", "-O", "qcow2", ".sparse-src.raw", "from-sparse.qcow2"]]),
    "qcow2-overlay": ("overlay.qcow2", [
        ["qemu-img", "create", "-q", "-f", "qcow2", "base.qcow2", "4M"],
        ["qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2",
         "overlay.qcow2"]]),
}

# Check recipes (oracle/tests/test_check_parity.py): data, snapshots, compression, extended L2,
# bitmaps, every refcount width and the cluster-size extremes, plus the reference's crafted base.
RECIPES.update({
    "qcow2-check-base": ("b.qcow2", [
        ["qemu-img", "create", "-q", "-f", "qcow2", "b.qcow2", "16M"],
        ["qemu-io", "-c", "write -P 1 0 128k", "b.qcow2"]]),
    "qcow2-snapshots": ("snap.qcow2", [
        ["qemu-img", "create", "-q", "-f", "qcow2", "snap.qcow2", "16M"],
        ["qemu-io", "-c", "write -P 1 0 1M", "snap.qcow2"],
        ["qemu-img", "snapshot", "-c", "s1", "snap.qcow2"],
        ["qemu-io", "-c", "write -P 2 512k 1M", "snap.qcow2"],
        ["qemu-img", "snapshot", "-c", "s2", "snap.qcow2"],
        ["qemu-io", "-c", "write -z 0 64k", "snap.qcow2"]]),
    "qcow2-bitmaps": ("bm.qcow2", [
        ["qemu-img", "create", "-q", "-f", "qcow2", "bm.qcow2", "16M"],
        ["qemu-img", "bitmap", "--add", "bm.qcow2", "b0"],
        ["qemu-io", "-c", "write 0 1M", "bm.qcow2"],
        ["qemu-img", "bitmap", "--add", "-g", "128k", "--disable", "bm.qcow2", "b1"]]),
    "qcow2-prealloc-metadata": ("pm.qcow2", [
        ["qemu-img", "create", "-q", "-f", "qcow2", "-o", "preallocation=metadata", "pm.qcow2",
         "1M"]]),
})
# 4 MiB of zeros, 'A's, pseudo-random bytes and zeros, converted with each width and size.
_CHECK_SOURCE = ["python3", "-c", "import random,sys; r=random.Random(7); open(sys.argv[1],'wb')"
                 ".write(bytes(1<<20)+b'A'*(1<<20)+r.randbytes(1<<20)+bytes(1<<20))",
                 ".check-src.raw"]
RECIPES.update({
    "qcow2-check-zlib": ("cz.qcow2", [_CHECK_SOURCE, [
        "qemu-img", "convert", "-c", "-O", "qcow2", ".check-src.raw", "cz.qcow2"]]),
    "qcow2-check-zstd": ("cs.qcow2", [_CHECK_SOURCE, [
        "qemu-img", "convert", "-c", "-O", "qcow2", "-o", "compression_type=zstd",
        ".check-src.raw", "cs.qcow2"]]),
    "qcow2-check-el2": ("ce.qcow2", [
        ["qemu-img", "create", "-q", "-f", "qcow2", "-o", "extended_l2=on", "ce.qcow2", "4M"],
        ["qemu-io", "-c", "write -P 0x41 1M 1M", "-c", "write -z 1M 8k", "-c", "write -z 3M 4k",
         "ce.qcow2"]]),
    "qcow2-check-zero": ("cze.qcow2", [
        ["qemu-img", "create", "-q", "-f", "qcow2", "cze.qcow2", "4M"],
        ["qemu-io", "-c", "write -P 0x41 1M 1M", "-c", "write -z 1M 64k", "-c", "write -z 3M 64k",
         "cze.qcow2"]]),
    "qcow2-check-v2": ("c2.qcow2", [_CHECK_SOURCE, [
        "qemu-img", "convert", "-O", "qcow2", "-o", "compat=0.10,cluster_size=4k",
        ".check-src.raw", "c2.qcow2"]]),
})
for _bits in (1, 2, 4, 8, 16, 32, 64):
    for _cs in ("512", "64k", "2M"):
        _name = f"rb{_bits}-{_cs}.qcow2"
        RECIPES[f"qcow2-mixed-rb{_bits}-cs{_cs}"] = (_name, [_CHECK_SOURCE, [
            "qemu-img", "convert", "-O", "qcow2", "-o",
            f"refcount_bits={_bits},cluster_size={_cs}", ".check-src.raw", _name]])


# Backing chains and external data files (check and compare through chains). Every chain lives in
# its own file names, so several recipes can share a case directory; "-flat" variants add the
# chain's content converted to one raw file. No chain writes its first sector, so the flat raw
# files pass instar's safe detection when probed (docs/chains.md §3).
def _create(*args: str) -> list[str]:
    return ["qemu-img", "create", "-q", *args]


def _io(image: str, *commands: str, fmt: str = "qcow2") -> list[str]:
    argv = ["qemu-io", "-f", fmt]
    for command in commands:
        argv += ["-c", command]
    return argv + [image]


_CHAINS: dict[str, tuple[str, list[list[str]]]] = {
    # raw <- qcow2 <- qcow2: a sparse raw base, zero clusters in the middle, a larger top.
    "chain-raw-qcow2-qcow2": ("c3-top.qcow2", [
        _create("-f", "raw", "c3-base.raw", "4M"),
        _io("c3-base.raw", "write -P 0x11 4k 1M", "write -P 0x12 2M 512k", fmt="raw"),
        _create("-f", "qcow2", "-b", "c3-base.raw", "-F", "raw", "c3-mid.qcow2"),
        _io("c3-mid.qcow2", "write -P 0x21 512k 1M", "write -z 2M 64k"),
        _create("-f", "qcow2", "-b", "c3-mid.qcow2", "-F", "qcow2", "c3-top.qcow2", "6M"),
        _io("c3-top.qcow2", "write -P 0x31 3M 64k", "write -P 0 5M 64k")]),
    # The backing file ends before the top: beyond it the top's unallocated clusters are zeros.
    "chain-short-backing": ("sb-top.qcow2", [
        _create("-f", "qcow2", "sb-base.qcow2", "1M"),
        _io("sb-base.qcow2", "write -P 0x41 4k 1020k"),
        _create("-f", "qcow2", "-b", "sb-base.qcow2", "-F", "qcow2", "sb-top.qcow2", "4M"),
        _io("sb-top.qcow2", "write -P 0x42 512k 64k", "write -P 0x43 2M 64k")]),
    # Zero clusters and subclusters in the backing file, an extended-L2 overlay.
    "chain-zero-backing": ("zb-top.qcow2", [
        _create("-f", "qcow2", "-o", "extended_l2=on", "zb-base.qcow2", "4M"),
        _io("zb-base.qcow2", "write -P 0x51 1M 1M", "write -z 1M 8k", "write -z 3M 4k"),
        _create("-f", "qcow2", "-o", "cluster_size=4k", "-b", "zb-base.qcow2", "-F", "qcow2",
                "zb-top.qcow2"),
        _io("zb-top.qcow2", "write -P 0x52 1028k 4k", "write -z 1536k 4k")]),
    # Compressed clusters (zstd) in the backing file.
    "chain-compressed-backing": ("cb-top.qcow2", [
        _mixed_as(".cb-src.raw"),
        ["qemu-img", "convert", "-c", "-O", "qcow2", "-o", "compression_type=zstd",
         ".cb-src.raw", "cb-base.qcow2"],
        _create("-f", "qcow2", "-b", "cb-base.qcow2", "-F", "qcow2", "cb-top.qcow2", "4M"),
        _io("cb-top.qcow2", "write -P 0x61 2M 4k")]),
    # External data files: plain, data_file_raw, and one under an overlay.
    "qcow2-data-file": ("df.qcow2", [
        _create("-f", "qcow2", "-o", "data_file=df.data", "df.qcow2", "4M"),
        _io("df.qcow2", "write -P 0x71 64k 1M", "write -z 1M 64k")]),
    "qcow2-data-file-raw": ("dfr.qcow2", [
        _create("-f", "qcow2", "-o", "data_file=dfr.data,data_file_raw=on", "dfr.qcow2", "4M"),
        _io("dfr.qcow2", "write -P 0x71 64k 1M", "write -z 1M 64k")]),
    "chain-data-file-backing": ("dfb-top.qcow2", [
        _create("-f", "qcow2", "-o", "data_file=dfb.data", "dfb-base.qcow2", "4M"),
        _io("dfb-base.qcow2", "write -P 0x72 4k 2M"),
        _create("-f", "qcow2", "-b", "dfb-base.qcow2", "-F", "qcow2", "dfb-top.qcow2"),
        _io("dfb-top.qcow2", "write -P 0x73 1M 64k")]),
    # Chains qemu cannot open: every message and exit code comes from the open.
    "chain-missing-backing": ("mb.qcow2", [
        _create("-f", "qcow2", "-u", "-b", "mb-gone.qcow2", "-F", "qcow2", "mb.qcow2", "4M")]),
    "chain-missing-deeper": ("md-top.qcow2", [
        _create("-f", "qcow2", "-u", "-b", "md-gone.raw", "-F", "raw", "md-mid.qcow2", "4M"),
        _create("-f", "qcow2", "-u", "-b", "md-mid.qcow2", "-F", "qcow2", "md-top.qcow2",
                "4M")]),
    "chain-backing-wrong-format": ("wf.qcow2", [
        _create("-f", "raw", "wf-base.img", "4M"),
        _create("-f", "qcow2", "-u", "-b", "wf-base.img", "-F", "qcow2", "wf.qcow2", "4M")]),
    "chain-backing-directory": ("bd.qcow2", [
        ["mkdir", "-p", "bd-dir"],
        _create("-f", "qcow2", "-u", "-b", "bd-dir", "-F", "raw", "bd.qcow2", "4M")]),
    "qcow2-data-file-missing": ("dfm.qcow2", [
        _create("-f", "qcow2", "-o", "data_file=dfm.data", "dfm.qcow2", "4M"),
        ["rm", "dfm.data"]]),
    "chain-backing-data-file-missing": ("dbm-top.qcow2", [
        _create("-f", "qcow2", "-o", "data_file=dbm.data", "dbm-base.qcow2", "4M"),
        _create("-f", "qcow2", "-b", "dbm-base.qcow2", "-F", "qcow2", "dbm-top.qcow2"),
        ["rm", "dbm.data"]]),
}
# The deepest chain instar opens (16 images), every image with its own data file: compared with
# itself it fills the whole device table (2 x 16 images + 2 x 16 data files = kMaxDevices).
_DEEP = [_create("-f", "qcow2", "-o", "data_file=dd0.data", "dd0.qcow2", "4M"),
         _io("dd0.qcow2", "write -P 0x80 4k 64k")]
for _i in range(1, 16):
    _DEEP += [_create("-f", "qcow2", "-o", f"data_file=dd{_i}.data", "-b", f"dd{_i - 1}.qcow2",
                      "-F", "qcow2", f"dd{_i}.qcow2"),
              _io(f"dd{_i}.qcow2", f"write -P {0x80 + _i} {_i * 192}k 64k")]
_CHAINS["chain-depth-16-data-files"] = ("dd15.qcow2", _DEEP)
# The recipes above whose chain qemu-img cannot open (no flat content to convert).
CHAIN_OPEN_ERRORS = ["chain-missing-backing", "chain-missing-deeper", "chain-backing-wrong-format",
                     "chain-backing-directory", "qcow2-data-file-missing",
                     "chain-backing-data-file-missing"]
CHAINS_THAT_OPEN = [name for name in _CHAINS if name not in CHAIN_OPEN_ERRORS]
for _name in CHAINS_THAT_OPEN:
    _image, _commands = _CHAINS[_name]
    _flat = _image.split(".")[0] + "-flat.raw"
    _CHAINS[_name + "-flat"] = (_flat, [*_commands, [
        "qemu-img", "convert", "-O", "raw", _image, _flat]])
RECIPES.update(_CHAINS)


def _run_commands(name: str, directory: Path) -> None:
    for argv in RECIPES[name][1]:
        subprocess.run(argv, cwd=directory, check=True, stdout=subprocess.DEVNULL)


# FS_IOC_FIEMAP and its flags (linux/fiemap.h): a file's extents with their state. qemu leaves
# fallocated, never-written ranges (unwritten extents) in some images: SEEK_DATA calls them holes
# but st_blocks counts them, and qcow2_detect_metadata_preallocation() reads st_blocks.
_FS_IOC_FIEMAP = 0xC020660B
_FIEMAP_FLAG_SYNC = 0x1
_FIEMAP_EXTENT_LAST = 0x1
_FIEMAP_EXTENT_UNWRITTEN = 0x800
_FIEMAP_HEADER = struct.Struct("=QQIIII")
_FIEMAP_EXTENT = struct.Struct("=QQQ2Q4I")
_FIEMAP_BATCH = 256


def _fiemap(fd: int, size: int) -> list[tuple[int, int, int]] | None:
    """(start, end, flags) of each extent of `fd` within `size`, or None where the filesystem
    has no FIEMAP."""
    extents, start = [], 0
    while start < size:
        request = bytearray(_FIEMAP_HEADER.size + _FIEMAP_BATCH * _FIEMAP_EXTENT.size)
        _FIEMAP_HEADER.pack_into(request, 0, start, size - start, _FIEMAP_FLAG_SYNC, 0,
                                 _FIEMAP_BATCH, 0)
        try:
            fcntl.ioctl(fd, _FS_IOC_FIEMAP, request)
        except OSError:
            return None
        mapped = _FIEMAP_HEADER.unpack_from(request, 0)[3]
        if mapped == 0:
            break
        for i in range(mapped):
            logical, _, length, _, _, flags, _, _, _ = _FIEMAP_EXTENT.unpack_from(
                request, _FIEMAP_HEADER.size + i * _FIEMAP_EXTENT.size)
            extents.append((logical, min(logical + length, size), flags))
        if flags & _FIEMAP_EXTENT_LAST:
            break
        start = logical + length
    return [e for e in extents if e[0] < e[1]]


def _seek_data_extents(fd: int, size: int) -> list[list[int]]:
    """The data extents of `fd` as [start, end) pairs, as SEEK_DATA / SEEK_HOLE report them."""
    extents, offset = [], 0
    while offset < size:
        try:
            start = os.lseek(fd, offset, os.SEEK_DATA)
        except OSError:  # ENXIO: only a hole remains
            break
        end = os.lseek(fd, start, os.SEEK_HOLE)
        extents.append([start, end])
        offset = end
    return extents


def _file_layout(path: Path) -> tuple[list[list[int]], list[list[int]]]:
    """The ranges of a file written with data, and those allocated but never written."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        extents = _fiemap(f.fileno(), size)
        if extents is None:
            return _seek_data_extents(f.fileno(), size), []
    written = [[a, b] for a, b, flags in extents if not flags & _FIEMAP_EXTENT_UNWRITTEN]
    unwritten = [[a, b] for a, b, flags in extents if flags & _FIEMAP_EXTENT_UNWRITTEN]
    return written, unwritten


def _record_layout(directory: Path) -> dict:
    """What a copy must reproduce: each entry's kind and mode, a file's size, written and
    allocated-but-unwritten ranges (holes, written zeros and fallocated ranges differ in block
    status and st_blocks, which qemu reads), a symlink's target."""
    layout = {}
    for path in sorted(directory.rglob("*")):
        name = str(path.relative_to(directory))
        info = path.lstat()
        if path.is_symlink():
            layout[name] = {"symlink": os.readlink(path)}
        elif path.is_dir():
            layout[name] = {"dir": True, "mode": info.st_mode & 0o7777}
        else:
            written, unwritten = _file_layout(path)
            layout[name] = {"size": info.st_size, "mode": info.st_mode & 0o7777,
                            "extents": written, "unwritten": unwritten}
    return layout


def _copy_layout(source: Path, layout: dict, directory: Path) -> None:
    """Copies a cached recipe into `directory` range by range from its recorded layout, so the
    copy's holes and fallocated ranges are the original's whatever the filesystem it is read
    from reports (the rig's 9p share)."""
    for name, entry in layout.items():  # sorted: a directory comes before what it holds
        target = directory / name
        if "symlink" in entry:
            os.symlink(entry["symlink"], target)
        elif entry.get("dir"):
            target.mkdir(mode=entry["mode"], exist_ok=True)
        else:
            with open(source / name, "rb") as src, open(target, "wb") as dst:
                for start, end in entry["extents"]:
                    src.seek(start)
                    dst.seek(start)
                    dst.write(src.read(end - start))
                dst.flush()
                for start, end in entry["unwritten"]:
                    os.posix_fallocate(dst.fileno(), start, end - start)
                dst.truncate(entry["size"])
            os.chmod(target, entry["mode"])


def _cached(name: str, cache: Path) -> tuple[Path, dict]:
    """Recipe `name`'s files in `cache` and their layout, built there if missing. A recipe whose
    commands change gets a new entry; a half-built one is never used (it is renamed into place
    only once complete, its layout written before)."""
    key = hashlib.sha256(repr(RECIPES[name]).encode()).hexdigest()[:16]
    built = cache / f"{name}-{key}"
    layout_file = cache / f"{name}-{key}.json"
    if not built.is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        scratch = cache / f".{name}-{key}.{os.getpid()}.{threading.get_ident()}"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir()
        _run_commands(name, scratch)
        pending = scratch.with_suffix(".json")
        pending.write_text(json.dumps(_record_layout(scratch)))
        os.replace(pending, layout_file)
        try:
            scratch.rename(built)
        except OSError:  # another process finished the same recipe first
            shutil.rmtree(scratch, ignore_errors=True)
    return built, json.loads(layout_file.read_text())


def build(name: str, directory: Path) -> Path:
    """Builds recipe `name` inside `directory` and returns the image path (relative name)."""
    cache = os.environ.get("INSTAR_RECIPE_CACHE")
    if cache:
        _copy_layout(*_cached(name, Path(cache)), directory)
    else:
        _run_commands(name, directory)
    return Path(RECIPES[name][0])


def main() -> int:
    ap = argparse.ArgumentParser(description="build every recipe into a cache directory")
    ap.add_argument("--prebuild", metavar="DIR", required=True, type=Path)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for _ in pool.map(lambda name: _cached(name, args.prebuild), sorted(RECIPES)):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
