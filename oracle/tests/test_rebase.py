"""Live differential check of `rebase` against the installed qemu-img: each case makes one input
image (qemu-img create, qemu-io writes, snapshots), copies it into two identical directories,
runs `rebase` there with each tool and requires the same stdout, stderr, exit code and the same
file left behind (length and sha256). Every qcow2 instar leaves must pass `qemu-img check`.
Safe rebase (no -u) copies what differs between the old and the new backing file into the
image as qemu does (docs/rebase.md).
INSTAR_REBASE_FULL=1 runs every layout with every kind of change."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import subprocess

import pytest

from instar_oracle import runner


def _digest(path) -> tuple[int, str]:
    with open(path, "rb") as f:
        data = f.read()
    return len(data), hashlib.sha256(data).hexdigest()


def _build(directory, spec: dict) -> None:
    """Builds the case's files in `directory`: `img` (and `base`, the backing file it names)."""
    if spec.get("fmt", "qcow2") == "raw":
        (directory / "img").write_bytes(spec.get("raw", b"\0" * 4096))
        return
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(directory / "base"), "4M"],
                   check=True)
    cmd = ["qemu-img", "create", "-q", "-f", "qcow2"]
    if spec.get("o"):
        cmd += ["-o", spec["o"]]
    if spec.get("backing", True):
        cmd += ["-b", "base", "-F", "qcow2"]
    subprocess.run(cmd + [str(directory / "img"), spec.get("size", "4M")], check=True,
                   cwd=directory)
    for write in spec.get("writes", []):
        subprocess.run(["qemu-io", "-f", "qcow2", "-c", write, str(directory / "img")],
                       check=True, stdout=subprocess.DEVNULL)
    for snapshot in spec.get("snapshots", []):
        subprocess.run(["qemu-img", "snapshot", "-c", snapshot, str(directory / "img")],
                       check=True)
    if spec.get("unknown_extensions"):
        _add_unknown_extensions(directory / "img")


def _add_unknown_extensions(path) -> None:
    """Puts two header extensions of magics qemu does not know after the backing format one
    (qemu keeps them on a header rewrite, in reverse order)."""
    d = bytearray(path.read_bytes())
    version = struct.unpack(">I", d[4:8])[0]
    start = struct.unpack(">I", d[100:104])[0] if version >= 3 else 72
    offset, exts = start, []
    while True:
        magic, length = struct.unpack(">II", d[offset:offset + 8])
        if magic == 0:
            break
        exts.append((magic, bytes(d[offset + 8:offset + 8 + length])))
        offset += 8 + ((length + 7) & ~7)
    backing_offset, backing_size = struct.unpack(">QI", d[8:20])
    name = bytes(d[backing_offset:backing_offset + backing_size])
    exts[1:1] = [(0x11111111, b"abc"), (0x22222222, b"hello, world")]
    area = b"".join(struct.pack(">II", m, len(x)) + x + b"\0" * (-len(x) % 8) for m, x in exts)
    area += b"\0" * 8
    cluster = 1 << struct.unpack(">I", d[20:24])[0]
    head = bytes(d[:start]) + area + name
    d[8:20] = struct.pack(">QI", start + len(area), len(name))
    d[start:cluster] = (head[start:] + b"\0" * cluster)[:cluster - start]
    path.write_bytes(bytes(d))


def _compare(tmp_path, as_qemu_img, qemu_img, spec, args, build=_build):
    """Both tools on copies of the files `build(directory, spec)` makes; the image is args[-1]
    when it is one of them (else `img`)."""
    source = tmp_path / "source"
    os.makedirs(source)
    build(source, spec)
    dirs = {}
    for tool in ("ours", "theirs"):
        dirs[tool] = tmp_path / tool
        shutil.copytree(source, dirs[tool])
    ours = runner.run([as_qemu_img, "--sandbox=process", "rebase", *args], dirs["ours"])
    theirs = runner.run([qemu_img, "rebase", *args], dirs["theirs"])
    show = (f"--- qemu-img rc={theirs.rc}\n{theirs.stdout.decode()}{theirs.stderr.decode()}"
            f"--- instar rc={ours.rc}\n{ours.stdout.decode()}{ours.stderr.decode()}"
            f"reproduce: {runner.reproduction(ours.argv, dirs['ours'])}")
    assert (ours.stdout, ours.stderr, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc), show
    image = args[-1] if args and (source / args[-1]).is_file() else "img"
    assert _digest(dirs["ours"] / image) == _digest(dirs["theirs"] / image), show
    if spec.get("fmt", "qcow2") == "qcow2" and not image.endswith(".raw"):
        _check(qemu_img, dirs["ours"] / image)


def _check(qemu_img, path) -> None:
    """qemu-img check of the image alone: the backing file it now names need not exist."""
    image = json.dumps({"driver": "qcow2", "backing": None,
                        "file": {"driver": "file", "filename": str(path)}})
    check = subprocess.run([qemu_img, "check", "json:" + image], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


_LAYOUTS = ["", "compat=0.10", "cluster_size=512", "cluster_size=4k", "cluster_size=2M",
            "refcount_bits=1", "extended_l2=on", "compression_type=zstd", "lazy_refcounts=on"]
_CHANGES = {
    "new": ["-u", "-b", "new.qcow2", "-F", "qcow2", "img"],
    "remove": ["-u", "-b", "", "img"],
    "no-b": ["-u", "img"],
    "raw-backing": ["-u", "-F", "raw", "-b", "../dir/with space/new.raw", "img"],
    "no-F": ["-u", "-b", "new.qcow2", "img"],
}
_FULL = os.environ.get("INSTAR_REBASE_FULL") == "1"
_SOME = {"", "compat=0.10", "cluster_size=512"}


@pytest.mark.parametrize("options,args", [
    pytest.param(options, args, id=f"{name}-{options or 'default'}")
    for name, args in _CHANGES.items()
    for options in _LAYOUTS
    if name == "new" or _FULL or options in _SOME
])
def test_unsafe_layouts(tmp_path, as_qemu_img, qemu_img, options, args):
    _compare(tmp_path, as_qemu_img, qemu_img,
             {"o": options, "writes": ["write -P 0x11 0 64k", "write -P 0x22 2M 512k"]}, args)


@pytest.mark.parametrize("spec,args", [
    ({"backing": False}, ["-u", "-b", "base", "-F", "qcow2", "img"]),
    ({"backing": False}, ["-u", "-b", "", "img"]),
    ({"snapshots": ["s1", "s2"]}, ["-u", "-b", "new", "-F", "raw", "img"]),
    ({"o": "compat=0.10", "snapshots": ["s1"]}, ["-u", "-b", "", "img"]),
    ({"o": "cluster_size=512"}, ["-u", "-b", "n" * 300, "-F", "raw", "img"]),
    ({"o": "cluster_size=512"}, ["-u", "-b", "n" * 450, "-F", "raw", "img"]),
    ({}, ["-u", "-b", "n" * 1023, "-F", "raw", "img"]),
    ({}, ["-u", "-b", "n" * 1024, "-F", "raw", "img"]),
    ({}, ["-u", "-b", "n" * 1024, "img"]),
    ({}, ["-u", "-b", "x", "-b", "y", "-F", "vmdk", "img"]),
    ({}, ["-u", "-b", "new", "-F", "qcow2", "-f", "qcow2", "img"]),
    ({}, ["-u", "-b", "new", "-F", "qcow2", "-f", "raw", "img"]),
    ({}, ["-u", "-b", "new", "-F", "qcow2", "-U", "-t", "none", "-T", "directsync", "img"]),
    ({}, ["-p", "-u", "-b", "new", "-F", "qcow2", "img"]),
    ({}, ["-p", "-q", "-u", "-b", "new", "-F", "qcow2", "img"]),
    ({}, ["-p", "-u", "-b", "new", "img"]),
    ({}, ["-u", "-b", "new", "-F", "qcow2", "--image-opts", "driver=qcow2,file.filename=img"]),
    ({}, ["-u", "-b", "new", "-F", "qcow2", "--object", "secret,id=s0,data=x", "img"]),
    ({"unknown_extensions": True}, ["-u", "-b", "new", "-F", "raw", "img"]),
    ({"unknown_extensions": True}, ["-u", "-b", "", "img"]),
    ({"unknown_extensions": True, "o": "compat=0.10"}, ["-u", "-b", "new", "-F", "raw", "img"]),
    ({"unknown_extensions": True, "o": "cluster_size=512"},
     ["-u", "-b", "n" * 380, "-F", "raw", "img"]),
], ids=["add", "remove-none", "snapshots", "v2-snapshots", "name-fits-512", "name-too-long-512",
        "name-1023", "name-1024", "name-1024-no-F", "last-b-wins", "f-qcow2", "f-raw",
        "cache-modes", "progress", "progress-quiet", "progress-fails", "image-opts", "object",
        "unknown-extensions", "unknown-extensions-remove", "unknown-extensions-v2",
        "unknown-extensions-no-space"])
def test_unsafe_cases(tmp_path, as_qemu_img, qemu_img, spec, args):
    _compare(tmp_path, as_qemu_img, qemu_img, spec, args)


@pytest.mark.parametrize("args", [
    ["-u", "-b", "x", "-F", "raw", "img"], ["-u", "img"], ["-u", "-b", "x", "img"],
    ["-f", "raw", "-u", "-b", "", "img"], ["-p", "-f", "raw", "-u", "-b", "x", "-F", "raw", "img"],
], ids=lambda a: " ".join(a))
def test_raw(tmp_path, as_qemu_img, qemu_img, args):
    # A zero first sector: probing raw is allowed (docs/chains.md's safe detection).
    _compare(tmp_path, as_qemu_img, qemu_img, {"fmt": "raw"}, args)


# Command-line errors and open failures, in qemu-img's order.
@pytest.mark.parametrize("args", [
    [], ["img"], ["-b", "x"], ["-u", "img", "extra"], ["-x", "img"], ["-u", "-b"],
    ["-u", "-F", "foo", "-b", "x", "img"], ["-p", "-u", "-F", "foo", "-b", "x", "img"],
    ["-u", "-F", "foo", "-b", "x", "nosuch"], ["-u", "-t", "foo", "-b", "x", "img"],
    ["-p", "-u", "-t", "foo", "img"], ["-u", "-T", "foo", "img"], ["-u", "-f", "foo", "img"],
    ["-u", "-b", "x", "-F", "raw", "nosuch"], ["--image-opts", "-u", "img"],
    ["-u", "--object", "help", "img"],
], ids=lambda a: " ".join(a) or "none")
def test_errors(tmp_path, as_qemu_img, qemu_img, args):
    _compare(tmp_path, as_qemu_img, qemu_img, {}, args)


def _safe_case(directory, size: str) -> None:
    """`img` (with data) over `base` (with data), and copies of `base` under other names and
    formats, and of other lengths: the backing files a safe rebase finds identical to `base`."""
    def run(*args):
        subprocess.run(list(args), check=True, cwd=directory, stdout=subprocess.DEVNULL)
    run("qemu-img", "create", "-q", "-f", "qcow2", "base", size)
    run("qemu-io", "-f", "qcow2", "-c", "write -P 1 0 1M", "-c", "write -P 3 3M 64k", "base")
    run("qemu-img", "convert", "-O", "qcow2", "base", "copy.qcow2")
    run("qemu-img", "convert", "-O", "raw", "base", "copy.raw")
    run("qemu-img", "convert", "-O", "qcow2", "base", "longer")
    run("qemu-img", "resize", "-q", "longer", "+8M")
    run("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base", "-F", "qcow2", "img")
    run("qemu-io", "-f", "qcow2", "-c", "write -P 2 512k 64k", "-c", "write -z 2M 64k", "img")
    run("qemu-img", "create", "-q", "-f", "qcow2", "alone", size)


# Safe mode (no -u): the image's chain and the new backing file's are read in the sandbox;
# where they read the same everywhere the image does not hide them, qemu copies nothing and
# instar changes the header as qemu does.
@pytest.mark.parametrize("size,args", [
    ("4M", ["-b", "copy.qcow2", "-F", "qcow2", "img"]),
    ("4M", ["-b", "copy.raw", "-F", "raw", "img"]),
    ("4M", ["-b", "longer", "-F", "qcow2", "img"]),
    ("4M", ["-b", "copy.qcow2", "img"]),
    ("4M", ["-b", "nosuch", "-F", "qcow2", "img"]),
    ("4M", ["-b", "copy.qcow2", "-F", "foo", "img"]),
    ("4M", ["-b", "", "alone"]),
    ("4M", ["-b", "img", "-F", "qcow2", "img"]),
    ("4M", ["-b", "copy.raw", "-F", "raw", "-f", "raw", "copy.raw"]),
    ("13M", ["-p", "-b", "copy.qcow2", "-F", "qcow2", "img"]),
    ("13M", ["-p", "-q", "-b", "copy.raw", "-F", "raw", "img"]),
], ids=["qcow2-copy", "raw-copy", "longer", "no-F", "missing", "bad-F", "remove-none",
        "itself", "raw-image", "progress", "progress-quiet"])
def test_safe(tmp_path, as_qemu_img, qemu_img, size, args):
    _compare(tmp_path, as_qemu_img, qemu_img, {"size": size}, args,
             build=lambda directory, spec: _safe_case(directory, spec["size"]))


def _copy_case(directory, spec: dict) -> None:
    """`img` (options spec["top"], size spec["size"]) with data and zero clusters over `base`
    (options spec["base"], length spec["base_size"], with compressed clusters), and backing files
    that differ from `base`: `new` (qcow2, partly the same), `new.raw`, `short` (a length that is
    not a multiple of the cluster size), `alone` (an image without a backing file)."""
    def run(*args):
        subprocess.run(list(args), check=True, cwd=directory, stdout=subprocess.DEVNULL)
    size = spec.get("size", "4M")
    base_size = spec.get("base_size", size)
    run("qemu-img", "create", "-q", "-f", "qcow2", "-o", spec.get("base", "cluster_size=64k"),
        "base", base_size)
    run("qemu-io", "-f", "qcow2", "-c", "write -P 1 0 1M", "-c", "write -c -P 7 1M 64k",
        "-c", "write -P 3 3M 64k", "-c", "write -z 1536k 64k", "base")
    run("qemu-img", "create", "-q", "-f", "qcow2", "new", spec.get("new_size", "4M"))
    run("qemu-io", "-f", "qcow2", "-c", "write -P 1 0 512k", "-c", "write -P 5 700k 3k",
        "-c", "write -P 9 2M 1M", "new")
    run("qemu-img", "convert", "-O", "raw", "new", "new.raw")
    run("qemu-img", "create", "-q", "-f", "qcow2", "short", "1537k")
    run("qemu-io", "-f", "qcow2", "-c", "write -P 1 0 1537k", "short")
    top = ["-o", spec["top"]] if spec.get("top") else []
    run("qemu-img", "create", "-q", "-f", "qcow2", *top, "-b", "base", "-F", "qcow2", "img", size)
    run("qemu-io", "-f", "qcow2", "-c", "write -P 2 512k 64k", "-c", "write -z 2M 64k",
        "-c", "write -P 4 100k 3k", "img")
    run("qemu-img", "create", "-q", "-f", "qcow2", *top, "alone", size)
    run("qemu-io", "-f", "qcow2", "-c", "write -P 6 64k 64k", "alone")


# Safe mode that copies: what differs between the old and the new backing file where the image
# has nothing is written into it (img_rebase's loop, the qcow2 write path of an existing image),
# byte for byte as qemu-img leaves it.
_COPY_LAYOUTS = {
    "default": {}, "v2": {"top": "compat=0.10"}, "c512": {"top": "cluster_size=512"},
    "c4k": {"top": "cluster_size=4k"}, "c2M": {"top": "cluster_size=2M"},
    "refcount1": {"top": "refcount_bits=1,cluster_size=4k"},
    "refcount64": {"top": "refcount_bits=64,cluster_size=512"},
    "extended-l2": {"top": "extended_l2=on"},
    "extended-l2-c2M": {"top": "extended_l2=on,cluster_size=2M"},
    "base-c512": {"base": "cluster_size=512"},
    "base-shorter": {"size": "8M", "base_size": "3585k"},
    "base-longer": {"size": "3M", "base_size": "5M"},
    "lazy": {"top": "lazy_refcounts=on"},
}
_COPY_CHANGES = {
    "qcow2": ["-b", "new", "-F", "qcow2", "img"],
    "raw": ["-b", "new.raw", "-F", "raw", "img"],
    "flatten": ["-b", "", "img"],
    "short": ["-b", "short", "-F", "qcow2", "img"],
    "onto-zeros": ["-b", "alone", "-F", "qcow2", "img"],
    "no-backing-before": ["-b", "new", "-F", "qcow2", "alone"],
    "progress": ["-p", "-b", "new", "-F", "qcow2", "img"],
}


@pytest.mark.parametrize("layout", sorted(_COPY_LAYOUTS))
@pytest.mark.parametrize("change", sorted(_COPY_CHANGES) if _FULL else ["qcow2", "flatten"])
def test_safe_copy(tmp_path, as_qemu_img, qemu_img, layout, change):
    _compare(tmp_path, as_qemu_img, qemu_img, _COPY_LAYOUTS[layout], _COPY_CHANGES[change],
             build=_copy_case)


@pytest.mark.parametrize("change", sorted(_COPY_CHANGES))
def test_safe_copy_changes(tmp_path, as_qemu_img, qemu_img, change):
    _compare(tmp_path, as_qemu_img, qemu_img, {"top": "cluster_size=4k"}, _COPY_CHANGES[change],
             build=_copy_case)


def _chain_case(directory, spec: dict) -> None:
    """`img` over `mid` over `base`, each with data of its own."""
    def run(*args):
        subprocess.run(list(args), check=True, cwd=directory, stdout=subprocess.DEVNULL)
    run("qemu-img", "create", "-q", "-f", "qcow2", "base", "13M")
    run("qemu-io", "-f", "qcow2", "-c", "write -P 1 0 2M", "-c", "write -P 4 9M 1M", "base")
    run("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base", "-F", "qcow2", "mid")
    run("qemu-io", "-f", "qcow2", "-c", "write -P 2 1M 64k", "-c", "write -z 3M 4k", "mid")
    run("qemu-img", "create", "-q", "-f", "qcow2", "-o", spec.get("top", "cluster_size=64k"),
        "-b", "mid", "-F", "qcow2", "img")
    run("qemu-io", "-f", "qcow2", "-c", "write -P 3 1M 4k", "img")


# The new backing file is in the image's own chain (qemu's prefix_chain_bs): what `mid` adds
# over `base` is copied into the image.
# It skips the chunks no image above the new backing file allocates (bdrv_is_allocated_above),
# which -p shows.
@pytest.mark.parametrize("top", ["cluster_size=64k", "cluster_size=512"])
@pytest.mark.parametrize("args", [["-p", "-b", "base", "-F", "qcow2", "img"],
                                  ["-p", "-b", "mid", "-F", "qcow2", "img"],
                                  ["-b", "base", "img"]], ids=["base", "mid", "base-no-F"])
def test_safe_copy_onto_own_chain(tmp_path, as_qemu_img, qemu_img, top, args):
    _compare(tmp_path, as_qemu_img, qemu_img, {"top": top}, args, build=_chain_case)


def _corrupt_backing_case(directory, spec: dict) -> None:
    """_copy_case with spec["victim"]'s first L1 entry pointing at an unaligned L2 table."""
    _copy_case(directory, {})
    path = directory / spec["victim"]
    d = bytearray(path.read_bytes())
    l1 = struct.unpack(">Q", d[40:48])[0]
    entry = struct.unpack(">Q", d[l1:l1 + 8])[0]
    d[l1:l1 + 8] = struct.pack(">Q", entry + 0x200)
    path.write_bytes(bytes(d))


# Hostile backing files: a read that fails (qemu's corruption event, then img_rebase's words).
@pytest.mark.parametrize("victim,args", [
    ("base", ["-b", "new", "-F", "qcow2", "img"]),
    ("new", ["-b", "new", "-F", "qcow2", "img"]),
    ("new", ["-p", "-b", "new", "-F", "qcow2", "img"]),
], ids=["old", "new", "new-progress"])
def test_safe_copy_backing_read_fails(tmp_path, as_qemu_img, qemu_img, victim, args):
    _compare(tmp_path, as_qemu_img, qemu_img, {"victim": victim}, args,
             build=_corrupt_backing_case)


def test_safe_copy_then_check_reads_the_same(tmp_path, as_qemu_img, qemu_img):
    """The image reads after the rebase as it read before it (what the copy is for)."""
    _copy_case(tmp_path, {"top": "cluster_size=4k"})
    subprocess.run([qemu_img, "convert", "-O", "raw", "img", "before.raw"], cwd=tmp_path,
                   check=True)
    result = runner.run([as_qemu_img, "--sandbox=process", "rebase", "-b", "new", "-F", "qcow2",
                         "img"], tmp_path)
    assert result.rc == 0, result.stderr.decode()
    subprocess.run([qemu_img, "convert", "-O", "raw", "img", "after.raw"], cwd=tmp_path,
                   check=True)
    assert (tmp_path / "before.raw").read_bytes() == (tmp_path / "after.raw").read_bytes()


def test_safe_copy_shared_l2_refused_without_writing(tmp_path, as_qemu_img):
    """An image whose L2 tables a snapshot shares: qemu copies the table first; instar refuses
    before writing anything."""
    _copy_case(tmp_path, {})
    subprocess.run(["qemu-img", "snapshot", "-c", "s1", "img"], cwd=tmp_path, check=True)
    before = _digest(tmp_path / "img")
    result = runner.run([as_qemu_img, "--sandbox=process", "rebase", "-b", "", "img"], tmp_path)
    assert (result.rc, result.stderr.decode()) == (
        1, "qemu-img: rebase without -u that copies data into a qcow2 image whose L2 tables are "
           "shared with a snapshot is not supported by instar yet\n")
    assert _digest(tmp_path / "img") == before


@pytest.mark.parametrize("table", ["l1", "l2", "reftable", "refblock"])
def test_safe_copy_never_allocates_over_metadata(tmp_path, as_qemu_img, table):
    """A hostile image whose refcounts call one of its own tables free: the copy must not put data
    there (qemu's overlap check), so it fails with exit 1 and the table is intact."""
    _copy_case(tmp_path, {})  # 64 KiB clusters: the first cluster the copy takes is a lone one
    path = tmp_path / "img"
    d = bytearray(path.read_bytes())
    l1_offset, reftable_offset = struct.unpack(">QQ", d[40:56])
    refblock = struct.unpack(">Q", d[reftable_offset:reftable_offset + 8])[0]
    l2 = struct.unpack(">Q", d[l1_offset:l1_offset + 8])[0] & 0x00fffffffffffe00
    victim = {"l1": l1_offset, "l2": l2, "reftable": reftable_offset, "refblock": refblock}[table]
    entry = refblock + (victim // 65536) * 2  # 16-bit refcounts
    d[entry:entry + 2] = b"\0\0"
    path.write_bytes(bytes(d))
    before = bytes(d[victim:victim + 65536])
    result = runner.run([as_qemu_img, "--sandbox=process", "rebase", "-b", "", "img"], tmp_path)
    assert result.rc == 1, result.stderr.decode()
    assert result.stderr.decode() == (
        "qemu-img: Error while writing to COW image: Input/output error\n")
    after = path.read_bytes()
    assert after[victim:victim + 65536] == before
    assert after[:65536] == bytes(d[:65536])  # the header still names the old backing file


@pytest.mark.parametrize("setup,args,message", [
    (["qemu-img create -q -f qcow2 img 1M", "qemu-img bitmap --add img b0"],
     ["-u", "-b", "new", "-F", "qcow2", "img"],
     "rebase of a qcow2 image with bitmaps is not supported by instar yet"),
    (["qemu-img create -q -f qcow2 -o data_file=img.data img 1M"],
     ["-u", "-b", "", "img"],
     "rebase of a qcow2 image with an external data file is not supported by instar yet"),
], ids=["bitmaps", "data-file"])
def test_refused_without_writing(tmp_path, as_qemu_img, setup, args, message):
    for command in setup:
        subprocess.run(command.split(), cwd=tmp_path, check=True)
    before = _digest(tmp_path / "img")
    result = runner.run([as_qemu_img, "--sandbox=process", "rebase", *args], tmp_path)
    assert (result.rc, result.stderr.decode()) == (1, f"qemu-img: {message}\n")
    assert _digest(tmp_path / "img") == before


def test_help_lists_rebase(tmp_path, as_qemu_img):
    """-h prints instar's own help (which lists what instar implements), exit 0."""
    result = runner.run([as_qemu_img, "rebase", "-h"], tmp_path)
    assert result.rc == 0
    assert b"  rebase [--object objectdef]" in result.stdout


def test_rebase_and_back_is_identity(tmp_path, as_qemu_img):
    """rebase -u to another backing file, then back: the image is what it was."""
    _build(tmp_path, {"writes": ["write -P 0x11 0 64k"], "snapshots": ["s1"]})
    # qemu-img create writes the header as qcow2_update_header() does, so the round trip is exact.
    before = _digest(tmp_path / "img")
    for args in (["-u", "-b", "other", "-F", "raw", "img"], ["-u", "-b", "base", "-F", "qcow2",
                                                              "img"]):
        result = runner.run([as_qemu_img, "--sandbox=process", "rebase", *args], tmp_path)
        assert result.rc == 0, result.stderr.decode()
    assert _digest(tmp_path / "img") == before
