"""Live differential check of `resize` against the installed qemu-img: each case makes one input
image (qemu-img create plus qemu-io writes, compressed clusters, snapshots), copies it into two
identical directories, runs `resize` there with each tool and requires the same stdout, stderr,
exit code and the same file left behind (length and sha256). Every qcow2 instar resized must
also pass `qemu-img check` without corruption or leaks. INSTAR_RESIZE_FULL=1 runs every layout
with every kind of resize."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess

import pytest

from instar_oracle import runner


def _digest(path) -> tuple[int, str]:
    with open(path, "rb") as f:
        data = f.read()
    return len(data), hashlib.sha256(data).hexdigest()


def _build(path: str, spec: dict) -> None:
    """Builds the case's input image at `path` with qemu-img and qemu-io."""
    if spec.get("fmt", "qcow2") == "raw":
        with open(path, "wb") as f:
            f.write(spec.get("raw", b"\x01" * 1000))
        return
    options = spec.get("o", "")
    cmd = ["qemu-img", "create", "-q", "-f", "qcow2"]
    if options:
        cmd += ["-o", options]
    subprocess.run(cmd + [path, spec.get("size", "64M")], check=True)

    def io(writes):
        if writes:
            commands = [arg for w in writes for arg in ("-c", w)]
            subprocess.run(["qemu-io", "-f", "qcow2", *commands, path], check=True,
                           stdout=subprocess.DEVNULL)

    io(spec.get("writes", []))
    for snapshot in spec.get("snapshots", []):
        subprocess.run(["qemu-img", "snapshot", "-c", snapshot, path], check=True)
        io(spec.get("after_snapshot", []))


_INPUTS: dict[str, str] = {}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Input images by spec, each built once per module run and copied per case."""
    directory = tmp_path_factory.mktemp("inputs")

    def get(spec: dict) -> str:
        key = repr(sorted(spec.items()))
        if key not in _INPUTS:
            path = str(directory / f"input{len(_INPUTS)}")
            _build(path, spec)
            _INPUTS[key] = path
        return _INPUTS[key]

    return get


def _compare(tmp_path, as_qemu_img, qemu_img, inputs, spec, args):
    dirs = {}
    name = "img"
    source = inputs(spec)
    for tool in ("ours", "theirs"):
        d = tmp_path / tool
        os.makedirs(d)
        dirs[tool] = d
        shutil.copyfile(source, d / name)
    argv = [a.replace("IMG", name) for a in args]
    ours = runner.run([as_qemu_img, "--sandbox=process", "resize", *argv], dirs["ours"])
    theirs = runner.run([qemu_img, "resize", *argv], dirs["theirs"])
    show = (f"--- qemu-img rc={theirs.rc}\n{theirs.stdout.decode()}{theirs.stderr.decode()}"
            f"--- instar rc={ours.rc}\n{ours.stdout.decode()}{ours.stderr.decode()}"
            f"reproduce: {runner.reproduction(ours.argv, dirs['ours'])}")
    assert (ours.stdout, ours.stderr, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc), show
    assert _digest(dirs["ours"] / name) == _digest(dirs["theirs"] / name), show
    if spec.get("fmt", "qcow2") == "qcow2" and ours.rc == 0:
        check = subprocess.run([qemu_img, "check", str(dirs["ours"] / name)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


_DATA = ["write -P 0x11 0 192k", "write -P 0x22 5M 64k", "write -c -P 0x33 20M 2M",
         "write -P 0x44 40M 128k", "write -z 50M 64k", "write -P 0x55 63M 1M"]

# Grow and shrink of qcow2 images of every refcount width and several cluster sizes, with data.
_QCOW2_LAYOUTS = [
    "refcount_bits=1", "refcount_bits=2", "refcount_bits=4", "refcount_bits=8", "",
    "refcount_bits=32", "refcount_bits=64", "cluster_size=512", "cluster_size=512,refcount_bits=1",
    "cluster_size=512,refcount_bits=64", "cluster_size=4k,refcount_bits=4", "cluster_size=2M",
    "extended_l2=on", "compat=0.10", "lazy_refcounts=on",
]


# Every layout is shrunk; grows and relative shrinks run for a few layouts unless
# INSTAR_RESIZE_FULL=1 asks for the whole matrix (the default run stays near a minute).
_FULL = os.environ.get("INSTAR_RESIZE_FULL") == "1"
_SOME = {"refcount_bits=1", "cluster_size=512,refcount_bits=64", "extended_l2=on"}
_WITH_DATA_CASES = [
    pytest.param(options, args, id=f"{name}-{options or 'default'}")
    for name, args in [("shrink", ["--shrink", "IMG", "30M"]), ("grow", ["IMG", "+1G"]),
                       ("shrink-by", ["--shrink", "IMG", "--", "-63M"])]
    for options in _QCOW2_LAYOUTS
    if name == "shrink" or _FULL or options in _SOME
]


@pytest.mark.parametrize("options,args", _WITH_DATA_CASES)
def test_qcow2_with_data(tmp_path, as_qemu_img, qemu_img, inputs, options, args):
    _compare(tmp_path, as_qemu_img, qemu_img, inputs, {"o": options, "writes": _DATA}, args)


# Shrinks that leave whole refcount blocks unused (512-byte clusters: a refblock covers few
# clusters), and grows that move the L1 table.
@pytest.mark.parametrize("spec,args", [
    ({"o": "cluster_size=512,refcount_bits=64", "size": "8M",
      "writes": ["write -P 1 0 64k", "write -P 2 4M 3M"]}, ["--shrink", "IMG", "1M"]),
    ({"o": "cluster_size=512,refcount_bits=16", "size": "8M",
      "writes": ["write -P 1 0 4k", "write -P 2 6M 2M"]}, ["--shrink", "IMG", "512"]),
    ({"o": "cluster_size=1k,refcount_bits=2", "size": "4M",
      "writes": ["write -P 1 0 2M", "write -P 2 3M 1M"]}, ["--shrink", "IMG", "1M"]),
    ({"size": "1G"}, ["IMG", "100G"]),
    ({"size": "1G"}, ["--shrink", "IMG", "256M"]),
    ({"size": "2G", "writes": ["write -P 1 0 64k", "write -P 2 1500M 64k",
                               "write -P 3 700M 64k"]}, ["--shrink", "IMG", "600M"]),
    ({"o": "cluster_size=512", "size": "1M", "writes": ["write -P 1 0 64k"]},
     ["IMG", "10G"]),
    ({"size": "1M"}, ["-q", "IMG", "+1M"]),
    ({"size": "1M"}, ["IMG", "1M"]),
], ids=["refblocks-64", "refblocks-16", "refblocks-2", "grow-l1", "shrink-empty",
        "shrink-sparse", "grow-l1-512", "quiet", "same-size"])
def test_qcow2_layouts(tmp_path, as_qemu_img, qemu_img, inputs, spec, args):
    _compare(tmp_path, as_qemu_img, qemu_img, inputs, spec, args)


# Snapshots: v3 images resize (shared L2 tables are copied before they change); v2 refuse.
@pytest.mark.parametrize("spec,args", [
    ({"writes": _DATA, "snapshots": ["s1"]}, ["IMG", "2G"]),
    ({"writes": _DATA, "snapshots": ["s1"]}, ["--shrink", "IMG", "10M"]),
    ({"writes": ["write -P 1 0 192k", "write -P 2 5M 64k", "write -P 3 40M 128k"],
      "snapshots": ["s1"], "after_snapshot": ["write -P 0x66 4M 2M"], "o": "refcount_bits=4"},
     ["--shrink", "IMG", "3M"]),
    ({"o": "compat=0.10", "snapshots": ["s1"]}, ["IMG", "2G"]),
], ids=["grow", "shrink", "shrink-cow", "v2-refused"])
def test_qcow2_snapshots(tmp_path, as_qemu_img, qemu_img, inputs, spec, args):
    _compare(tmp_path, as_qemu_img, qemu_img, inputs, spec, args)


@pytest.mark.parametrize("args", [
    ["-f", "raw", "IMG", "+1000"], ["-f", "raw", "IMG", "1M"], ["-f", "raw", "--shrink", "IMG",
                                                                "100"],
    ["-f", "raw", "IMG", "100"], ["-f", "raw", "--preallocation=full", "IMG", "5000"],
    ["-f", "raw", "--preallocation=falloc", "IMG", "7000"],
    ["-f", "raw", "--preallocation=metadata", "IMG", "6000"],
    ["-f", "raw", "--preallocation=full", "IMG", "+0"], ["-f", "raw", "IMG", "+0"],
    ["-f", "raw", "IMG", "0"], ["-f", "raw", "IMG", "--", "-5M"],
    ["-f", "raw", "IMG", "9223372036854775807"], ["-f", "qcow2", "IMG", "1M"],
    ["IMG", "2M"],
], ids=lambda a: " ".join(a))
def test_raw(tmp_path, as_qemu_img, qemu_img, inputs, args):
    # A zero first sector: probing raw is allowed (docs/chains.md's safe detection).
    _compare(tmp_path, as_qemu_img, qemu_img, inputs, {"fmt": "raw", "raw": b"\0" * 1000},
             args)


# Command-line and size errors, in qemu-img's order.
@pytest.mark.parametrize("args", [
    [], ["IMG"], ["IMG", "1", "2"], ["-x", "IMG", "1M"], ["-f"], ["IMG", "10x"],
    ["IMG", "1.5k"], ["--preallocation=foo", "IMG", "4M"], ["IMG", "4M", "--shrink", "-q"],
    ["nosuch", "3M"], ["-f", "foo", "IMG", "3M"], ["IMG", "512K"], ["IMG", "+1000"],
    ["--shrink", "IMG", "--", "-1000"], ["--preallocation=metadata", "IMG", "1M"],
    ["IMG", "--", "1E"], ["--shrink", "IMG", "0"], ["IMG", "8E"],
    ["--image-opts", "IMG", "5M"], ["-h"],
], ids=lambda a: " ".join(a) or "none")
def test_errors(tmp_path, as_qemu_img, qemu_img, inputs, args):
    _compare(tmp_path, as_qemu_img, qemu_img, inputs, {"size": "1M"}, args)


# What instar does not resize yet: refused after qemu-img's own checks, the image untouched.
@pytest.mark.parametrize("setup,what", [
    (["qemu-img create -q -f qcow2 base 1M", "qemu-img create -q -f qcow2 -b base -F qcow2 img"],
     "a qcow2 image with a backing file"),
    (["qemu-img create -q -f qcow2 -o data_file=img.data img 1M"],
     "a qcow2 image with an external data file"),
    (["qemu-img create -q -f qcow2 img 1M", "qemu-img bitmap --add img b0"],
     "a qcow2 image with bitmaps"),
    (["qemu-img create -q -f qcow2 img 1M"], "a qcow2 image with this preallocation mode"),
], ids=["backing", "data-file", "bitmaps", "preallocation"])
def test_refused_without_writing(tmp_path, as_qemu_img, setup, what):
    for command in setup:
        subprocess.run(command.split(), cwd=tmp_path, check=True)
    before = _digest(tmp_path / "img")
    args = ["--preallocation=metadata"] if what.endswith("preallocation mode") else []
    result = runner.run([as_qemu_img, "--sandbox=process", "resize", *args, "img", "2M"],
                        tmp_path)
    assert result.rc == 1
    assert result.stderr.decode() == f"qemu-img: resize of {what} is not supported by instar yet\n"
    assert _digest(tmp_path / "img") == before
