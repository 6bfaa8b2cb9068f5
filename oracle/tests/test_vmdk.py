"""Live differential check of vmdk input (monolithicSparse, streamOptimized) against the
installed qemu-img: info (human, JSON), check (human, JSON), map (human, JSON), compare, and
convert -O raw / qcow2 output bytes, on qemu-made images and hostile variants of them."""
from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest

from instar_oracle import format_suite, runner

MIB = 1 << 20


def _qemu_io(qemu_img: str, image: Path, *commands: str) -> None:
    qemu_io = str(Path(qemu_img).with_name("qemu-io"))
    argv = [qemu_io, "-f", "vmdk"]
    for c in commands:
        argv += ["-c", c]
    subprocess.run([*argv, str(image)], check=True, capture_output=True)


def _patch(src: Path, dst: Path, edits) -> None:
    data = bytearray(src.read_bytes())
    for fmt, offset, value in edits:
        if callable(offset):
            offset = offset(data)
        struct.pack_into(fmt, data, offset, value)
    dst.write_bytes(bytes(data))


def _gd(data) -> int:
    return struct.unpack_from("<Q", data, 56)[0] * 512


def _first_l2(data) -> int:
    return struct.unpack_from("<I", data, _gd(data))[0] * 512


def _replace(src: Path, dst: Path, old: bytes, new: bytes) -> None:
    data = src.read_bytes()
    assert old in data
    dst.write_bytes(data.replace(old, new, 1))


@pytest.fixture(scope="module")
def images(tmp_path_factory, qemu_img):
    d = tmp_path_factory.mktemp("vmdk")
    create = lambda name, size, *opts: subprocess.run(  # noqa: E731
        [qemu_img, "create", "-f", "vmdk", *opts, str(d / name), str(size)], check=True,
        capture_output=True)
    create("sparse.vmdk", 100 * MIB)
    _qemu_io(qemu_img, d / "sparse.vmdk", "write -P 0x11 0 64k", "write -z 1M 64k",
             "write -P 0x22 5M 4k", "write -P 0x33 99M 1M")
    create("empty.vmdk", 3 * MIB + 512)
    create("zeroed.vmdk", 8 * MIB, "-o", "zeroed_grain=on")
    _qemu_io(qemu_img, d / "zeroed.vmdk", "write -P 0x44 0 128k", "write -z 64k 192k")
    raw = d / "src.raw"
    subprocess.run([qemu_img, "create", "-f", "raw", str(raw), str(6 * MIB)], check=True,
                   capture_output=True)
    subprocess.run([str(Path(qemu_img).with_name("qemu-io")), "-f", "raw", "-c",
                    "write -P 0x55 0 100k", "-c", "write -P 0x66 4M 1M", str(raw)], check=True,
                   capture_output=True)
    subprocess.run([qemu_img, "convert", "-f", "raw", "-O", "vmdk", "-o",
                    "subformat=streamOptimized", str(raw), str(d / "stream.vmdk")], check=True,
                   capture_output=True)
    create("stream-empty.vmdk", 2 * MIB, "-o", "subformat=streamOptimized")
    s = d / "sparse.vmdk"
    # Hostile variants: a grain past EOF, a grain table past EOF, the directory past EOF,
    # header fields out of qemu's bounds, a descriptor without CID or with a parent hint.
    _patch(s, d / "grain-past-eof.vmdk", [("<I", lambda b: _first_l2(b) + 4, 0x100000)])
    _patch(s, d / "table-past-eof.vmdk", [("<I", lambda b: _gd(b) + 4, 0x7fffffff)])
    _patch(s, d / "directory-past-eof.vmdk", [("<Q", 56, 0x10000000)])
    _patch(s, d / "huge-gtes.vmdk", [("<I", 44, 513)])
    _patch(s, d / "huge-l1.vmdk", [("<Q", 12, 1 << 48)])
    _patch(s, d / "huge-capacity.vmdk", [("<Q", 12, (1 << 54) - 1)])
    _patch(s, d / "version.vmdk", [("<I", 4, 7)])
    _patch(s, d / "granularity.vmdk", [("<Q", 20, 0x400000), ("<I", 44, 1)])
    _patch(s, d / "zero-gtes.vmdk", [("<I", 44, 0)])
    _patch(s, d / "truncated.vmdk", [("<Q", 64, 0x100000)])
    _patch(s, d / "l1-offset-overflow.vmdk", [("<Q", 56, 1 << 60)])
    _replace(s, d / "no-cid.vmdk", b"CID=", b"XID=")
    _replace(s, d / "bad-cid.vmdk", b"\nCID=", b"\nCID=zz")
    _replace(s, d / "open-hint.vmdk", b"parentCID=ffffffff", b'parentFileNameHint="x')
    _replace(s, d / "backing-hint.vmdk", b"parentCID=ffffffff\n",
             b'parentCID=ffffffff\nparentFileNameHint="base.vmdk"\n')
    st = d / "stream.vmdk"
    data = st.read_bytes()
    (d / "stream-no-footer.vmdk").write_bytes(data[:-1536] + bytes(1536))
    (d / "descriptor-bad-type.vmdk").write_bytes(b'version=1\ncreateType="foo"\n')
    (d / "descriptor-no-type.vmdk").write_bytes(b"version=1\n")
    return d


_same = format_suite.assert_same

GOOD = ["sparse.vmdk", "empty.vmdk", "zeroed.vmdk", "stream.vmdk", "stream-empty.vmdk",
        "grain-past-eof.vmdk", "table-past-eof.vmdk", "directory-past-eof.vmdk"]
OPEN_ERRORS = ["huge-gtes.vmdk", "huge-capacity.vmdk", "version.vmdk", "granularity.vmdk",
               "zero-gtes.vmdk", "truncated.vmdk", "l1-offset-overflow.vmdk", "no-cid.vmdk",
               "bad-cid.vmdk", "open-hint.vmdk", "stream-no-footer.vmdk",
               "descriptor-bad-type.vmdk", "descriptor-no-type.vmdk"]


@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("image", GOOD + OPEN_ERRORS + ["backing-hint.vmdk", "huge-l1.vmdk"])
def test_info(images, as_qemu_img, qemu_img, image, output):
    _same(images, as_qemu_img, qemu_img, ["info", f"--output={output}", image])


@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("image", GOOD + OPEN_ERRORS[:4])
def test_check(images, as_qemu_img, qemu_img, image, output):
    _same(images, as_qemu_img, qemu_img, ["check", f"--output={output}", image])


@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("image", GOOD + ["huge-l1.vmdk"])
def test_map(images, as_qemu_img, qemu_img, image, output):
    _same(images, as_qemu_img, qemu_img, ["map", f"--output={output}", image])


@pytest.mark.parametrize("pair", [("sparse.vmdk", "sparse.vmdk"), ("stream.vmdk", "src.raw"),
                                  ("sparse.vmdk", "grain-past-eof.vmdk"),
                                  ("zeroed.vmdk", "empty.vmdk")])
@pytest.mark.parametrize("strict", [[], ["-s"]])
def test_compare(images, as_qemu_img, qemu_img, pair, strict):
    _same(images, as_qemu_img, qemu_img, ["compare", *strict, *pair])


@pytest.mark.parametrize("target", ["raw", "qcow2"])
@pytest.mark.parametrize("image", ["sparse.vmdk", "zeroed.vmdk", "stream.vmdk",
                                   "grain-past-eof.vmdk"])
def test_convert(images, as_qemu_img, qemu_img, image, target, tmp_path):
    format_suite.assert_same_convert(images, image, target, as_qemu_img, qemu_img, tmp_path)


def test_probe_agrees_on_a_descriptor_naming_host_files(images, as_qemu_img, tmp_path):
    # qemu-img would open /etc/passwd as a flat extent; instar refuses the descriptor before
    # opening anything it names.
    desc = tmp_path / "leak.vmdk"
    desc.write_bytes(b'# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=ffffffff\n'
                     b'createType="monolithicFlat"\nRW 2048 FLAT "/etc/passwd" 0\n')
    ours = runner.run([as_qemu_img, "--sandbox=process", "info", str(desc)], tmp_path)
    assert ours.rc == 1 and ours.stdout == b""
    assert b"not supported yet" in ours.stderr and b"passwd" not in ours.stderr
