"""Live differential check of `convert` with a target backing file (-B / -F, -o backing_file /
backing_fmt) against the installed qemu-img: stdout, stderr, exit code and the output's bytes.

The backing file is untrusted: instar opens it (and its own chain) in the sandbox as an extra
input chain, relative to the target as qemu resolves it. INSTAR_CONVERT_SANDBOX picks the
backend (process by default).
"""
from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

import pytest

from test_convert import SANDBOX, _both, _same

MIB = 1 << 20


def _pattern(size: int, seed: int, every: int, length: int) -> bytearray:
    rng = random.Random(seed)
    data = bytearray(size)
    for at in range(0, size, every):
        data[at:at + length] = rng.randbytes(min(length, size - at))
    return data


def _images(tmp_path: Path, qemu_img: str) -> None:
    """base.raw/base.qcow2: data at every third 64k cluster (40000 bytes, so partly); src.raw:
    base with 8000 changed bytes at 4k-unaligned places, a zeroed stretch and a new tail;
    top.qcow2: an overlay of base.qcow2 with a few writes (what src.raw changes), short.qcow2:
    a 1 MiB base (the target's backing ends before the input does)."""
    if (tmp_path / "src.raw").exists():
        return
    base = _pattern(4 * MIB, 1, 3 * 65536, 40000)
    (tmp_path / "base.raw").write_bytes(base)
    src = bytearray(base)
    rng = random.Random(2)
    for at in range(0, 4 * MIB, 5 * 65536):
        src[at + 1000:at + 9000] = rng.randbytes(8000)
    src[2 * MIB:2 * MIB + 200000] = bytes(200000)
    src += _pattern(MIB, 3, 65536, 30000)
    (tmp_path / "src.raw").write_bytes(src)

    def img(*args):
        subprocess.run([qemu_img, *args], cwd=tmp_path, check=True, capture_output=True)

    img("convert", "-f", "raw", "-O", "qcow2", "base.raw", "base.qcow2")
    img("convert", "-f", "raw", "-O", "qcow2", "-o", "compat=0.10,cluster_size=4k", "base.raw",
        "base-v2.qcow2")
    img("create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2", "5M")
    for at, pattern in ((0x1000, 0x11), (0x32000, 0x22), (0x200000, 0), (0x47f000, 0x33)):
        flag = "-z" if pattern == 0 else f"-P {pattern}"
        subprocess.run(["qemu-io", "-f", "qcow2", "-c", f"write {flag} {at} 0x3000",
                        "top.qcow2"], cwd=tmp_path, check=True, capture_output=True)
    (tmp_path / "short.raw").write_bytes(base[:MIB])
    img("convert", "-f", "raw", "-O", "qcow2", "short.raw", "short.qcow2")


# (input, options): each converts to a qcow2 target backed by one of the images above.
CASES = [
    ("src.raw", ["-B", "base.qcow2", "-F", "qcow2"]),
    ("src.raw", ["-B", "base.raw", "-F", "raw"]),
    ("src.raw", ["-o", "backing_file=base.qcow2,backing_fmt=qcow2"]),
    ("src.raw", ["-B", "base.qcow2", "-F", "qcow2", "-o", "cluster_size=4k"]),
    ("src.raw", ["-B", "base.qcow2", "-F", "qcow2", "-o", "extended_l2=on"]),
    ("src.raw", ["-B", "base.qcow2", "-F", "qcow2", "-o", "compat=0.10"]),
    ("src.raw", ["-B", "base-v2.qcow2", "-F", "qcow2", "-o", "compat=0.10,cluster_size=16k"]),
    ("src.raw", ["-B", "base.qcow2", "-F", "qcow2", "-S", "0"]),
    ("src.raw", ["-B", "base.qcow2", "-F", "qcow2", "-c"]),
    ("src.raw", ["-B", "short.qcow2", "-F", "qcow2", "-p"]),
    ("top.qcow2", ["-B", "base.qcow2", "-F", "qcow2", "-p"]),
    ("top.qcow2", ["-B", "base.qcow2", "-F", "qcow2", "-o", "extended_l2=on,cluster_size=128k"]),
    ("top.qcow2", ["-B", "short.qcow2", "-F", "qcow2"]),
    ("top.qcow2", ["-B", "base.raw", "-F", "raw", "-c"]),
    # Preallocation with a backing file needs extended L2 entries (else create's error).
    ("top.qcow2", ["-B", "base.qcow2", "-F", "qcow2", "-o", "preallocation=metadata"]),
    ("src.raw", ["-B", "base.qcow2", "-F", "qcow2", "-o",
                 "preallocation=metadata,extended_l2=on,cluster_size=128k"]),
    # Errors, in img_convert's order; a backing file that does not open leaves the target.
    ("src.raw", ["-B", "base.qcow2"]),
    ("src.raw", ["-o", "backing_file=base.qcow2"]),
    ("src.raw", ["-F", "qcow2"]),
    ("src.raw", ["-B", "base.qcow2", "-F", "qcowx"]),
    ("src.raw", ["-B", "base.qcow2", "-F", "qcow2", "-o", "compat=0.5"]),
    ("src.raw", ["-B", "missing.qcow2", "-F", "qcow2"]),
    ("src.raw", ["-B", "src.raw", "-F", "qcow2"]),
    ("src.raw", ["-B", "base.qcow2", "-F", "qcow2", "-o", "cluster_size=1000"]),
]
if SANDBOX == "kvm":
    CASES = CASES[:2]


def _run(tmp_path, instar_bin, qemu_img, inputs, options):
    return _both(tmp_path, instar_bin, qemu_img,
                 lambda out: ["convert", "-O", "qcow2", *options, *inputs, out])


@pytest.mark.parametrize("source,options", CASES,
                         ids=[f"{s}:{''.join(o)}" for s, o in CASES])
def test_convert_with_backing_matches_qemu_img(source, options, tmp_path, instar_bin, qemu_img):
    _images(tmp_path, qemu_img)
    theirs, ours = _run(tmp_path, instar_bin, qemu_img, [source], options)
    _same(theirs, ours, tmp_path, content_only=True)
    assert (tmp_path / "q.out").exists() == (tmp_path / "i.out").exists()


@pytest.mark.parametrize("options", [["-B", "base.qcow2", "-F", "qcow2"],
                                     ["-o", "backing_file=base.qcow2,backing_fmt=qcow2"],
                                     ["-B", "base.raw"]])
def test_backing_errors_without_a_target(options, tmp_path, instar_bin, qemu_img):
    # Several inputs, or a raw target: refused before anything is created.
    _images(tmp_path, qemu_img)
    theirs, ours = _run(tmp_path, instar_bin, qemu_img, ["src.raw", "base.raw"], options)
    _same(theirs, ours, tmp_path)
    theirs, ours = _both(tmp_path, instar_bin, qemu_img,
                         lambda out: ["convert", "-O", "raw", *options, "src.raw", out])
    _same(theirs, ours, tmp_path)
    assert not (tmp_path / "i.out").exists()


def test_backing_relative_to_the_target(tmp_path, instar_bin, qemu_img):
    # qemu opens the backing name relative to the target's directory, not the working one.
    _images(tmp_path, qemu_img)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.qcow2").write_bytes((tmp_path / "base.qcow2").read_bytes())
    theirs, ours = _both(tmp_path, instar_bin, qemu_img,
                         lambda out: ["convert", "-O", "qcow2", "-B", "b.qcow2", "-F", "qcow2",
                                      "src.raw", f"sub/{out}"])
    assert (ours.stdout, ours.rc, ours.stderr.replace(b"i.out", b"q.out")) == (
        theirs.stdout, theirs.rc, theirs.stderr)
    assert (tmp_path / "sub" / "q.out").read_bytes() == (tmp_path / "sub" / "i.out").read_bytes()
    # The same name from the working directory does not exist.
    theirs, ours = _both(tmp_path, instar_bin, qemu_img,
                         lambda out: ["convert", "-O", "qcow2", "-B", "b.qcow2", "-F", "qcow2",
                                      "src.raw", out])
    _same(theirs, ours, tmp_path, content_only=True)


@pytest.mark.parametrize("options", [["-B", "base.qcow2"], ["-B", "base.qcow2", "-p"],
                                     ["--target-is-zero", "-B", "base.qcow2", "-p"]])
def test_existing_raw_target_with_backing(options, tmp_path, instar_bin, qemu_img):
    # -n -B: nothing is created, so no format is needed; what the input leaves unallocated is
    # not written. --target-is-zero with a backing file: qemu's message, and exit code 0.
    _images(tmp_path, qemu_img)
    filler = os.urandom(5 * MIB)
    for out in ("q.out", "i.out"):
        (tmp_path / out).write_bytes(filler)
    theirs, ours = _both(tmp_path, instar_bin, qemu_img,
                         lambda out: ["convert", "-n", *options, "-f", "qcow2", "top.qcow2",
                                      out])
    _same(theirs, ours, tmp_path, content_only=True)
