"""Live differential check of vdi input (dynamic and static images) against the installed
qemu-img: info (human, JSON; probed and with -f vdi), check (human, JSON), map (human, JSON),
compare, and convert -O raw / qcow2 output bytes, on qemu-made images and hostile variants of
them (block map entries duplicated, past EOF or out of range, a truncated block map, every
vdi_open() refusal)."""
from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest

from instar_oracle import format_suite, runner

MIB = 1 << 20
BMAP = 0x200  # qemu-made images: the block map follows the 512-byte header


def _qemu_io(qemu_img: str, image: Path, fmt: str, *commands: str) -> None:
    argv = [str(Path(qemu_img).with_name("qemu-io")), "-f", fmt]
    for c in commands:
        argv += ["-c", c]
    subprocess.run([*argv, str(image)], check=True, capture_output=True)


def _patch(src: Path, dst: Path, edits) -> None:
    data = bytearray(src.read_bytes())
    for fmt, offset, value in edits:
        struct.pack_into(fmt, data, offset, value)
    dst.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def images(tmp_path_factory, qemu_img):
    d = tmp_path_factory.mktemp("vdi")
    create = lambda name, size, *opts: subprocess.run(  # noqa: E731
        [qemu_img, "create", "-f", "vdi", *opts, str(d / name), str(size)], check=True,
        capture_output=True)
    create("dynamic.vdi", 8 * MIB)
    _qemu_io(qemu_img, d / "dynamic.vdi", "vdi", "write -P 0x11 1M 64k", "write -P 0 3M 1M",
             "write -P 0x22 7M 4k", "write -P 0x33 5M 512")
    create("empty.vdi", 3 * MIB + 512)
    create("static.vdi", 3 * MIB, "-o", "static=on")
    create("static-written.vdi", 4 * MIB, "-o", "static=on")
    _qemu_io(qemu_img, d / "static-written.vdi", "vdi", "write -P 0x44 0 100k",
             "write -P 0x55 2M 1M")
    raw = d / "src.raw"
    subprocess.run([qemu_img, "create", "-f", "raw", str(raw), str(6 * MIB)], check=True,
                   capture_output=True)
    _qemu_io(qemu_img, raw, "raw", "write -P 0x66 0 100k", "write -P 0x77 4M 1M")
    subprocess.run([qemu_img, "convert", "-f", "raw", "-O", "vdi", str(raw),
                    str(d / "converted.vdi")], check=True, capture_output=True)
    # A qcow2 overlay whose backing file is a vdi (the chain goes through the vdi driver).
    subprocess.run([qemu_img, "create", "-f", "qcow2", "-b", "static-written.vdi", "-F", "vdi",
                    str(d / "overlay.qcow2")], check=True, capture_output=True)
    _qemu_io(qemu_img, d / "overlay.qcow2", "qcow2", "write -P 0x99 64k 64k")
    dyn = d / "dynamic.vdi"
    # Block map variants (entries: 0xffffffff unallocated; dynamic.vdi's blocks 1, 3, 5, 7).
    _patch(dyn, d / "duplicate.vdi", [("<I", BMAP + 0, 0), ("<I", BMAP + 8, 1)])
    _patch(dyn, d / "past-eof.vdi", [("<I", BMAP + 8, 6)])
    _patch(dyn, d / "too-large.vdi", [("<I", BMAP + 4 * 4, 1000)])
    _patch(dyn, d / "discarded.vdi", [("<I", BMAP + 4, 0xfffffffe)])
    _patch(dyn, d / "count-mismatch.vdi", [("<I", 0x184, 9)])
    _patch(dyn, d / "odd-size.vdi", [("<Q", 0x170, 8 * MIB - 100)])
    # A 600 MiB image whose 5-sector block map is cut after its first sector: the rest reads
    # as zeros, every later block then maps to block 0.
    create("big.vdi", 600 * MIB)
    (d / "truncated-map.vdi").write_bytes((d / "big.vdi").read_bytes()[:BMAP + 512])
    create("zero.vdi", 0)
    # A static image whose blocks map to the file backwards, over a file with holes inside every
    # block: block status asks the file's extent map out of order.
    create("static-shuffled.vdi", 6 * MIB, "-o", "static=on")
    _qemu_io(qemu_img, d / "static-shuffled.vdi", "vdi",
             *[f"write -P {0x10 + i} {i * 320}k 4k" for i in range(19)])
    _patch(d / "static-shuffled.vdi", d / "static-shuffled.vdi",
           [("<I", BMAP + 4 * i, block) for i, block in enumerate([5, 3, 4, 0, 2, 1])])
    # qemu 7.2 checks neither the image type nor the header size.
    _patch(dyn, d / "image-type.vdi", [("<I", 0x4c, 7)])
    _patch(dyn, d / "header-size.vdi", [("<I", 0x48, 0x10)])
    # The block map 4 GiB into a 1 KiB file: every entry reads as 0.
    (d / "far-map.vdi").write_bytes(dyn.read_bytes()[:0x400])
    _patch(d / "far-map.vdi", d / "far-map.vdi", [("<I", 0x154, 0xfffffe00)])
    # The first 100 bytes of a header: probed as vdi (qemu's probe reads 2048 zero-filled bytes).
    (d / "tiny.vdi").write_bytes(dyn.read_bytes()[:100])
    # vdi_open() refusals, in its order.
    _patch(dyn, d / "huge-size.vdi", [("<Q", 0x170, 1 << 60)])
    _patch(dyn, d / "signature.vdi", [("<I", 0x40, 0x1234)])
    _patch(dyn, d / "version.vdi", [("<I", 0x44, 0x20003)])
    _patch(dyn, d / "bmap-unaligned.vdi", [("<I", 0x154, 0x201)])
    _patch(dyn, d / "data-unaligned.vdi", [("<I", 0x158, 0x4ff)])
    _patch(dyn, d / "sector-size.vdi", [("<I", 0x168, 4096)])
    _patch(dyn, d / "block-size.vdi", [("<I", 0x178, 2 * MIB)])
    _patch(dyn, d / "no-room.vdi", [("<Q", 0x170, 9 * MIB)])
    _patch(dyn, d / "link-uuid.vdi", [("<I", 0x1a8, 1)])
    _patch(dyn, d / "parent-uuid.vdi", [("<I", 0x1c4, 1)])
    _patch(dyn, d / "too-many-blocks.vdi", [("<I", 0x180, 0x20000000)])
    _patch(dyn, d / "size-before-signature.vdi", [("<I", 0x40, 0), ("<Q", 0x170, 1 << 62)])
    return d


_same = format_suite.assert_same

GOOD = ["dynamic.vdi", "empty.vdi", "static.vdi", "static-written.vdi", "converted.vdi",
        "duplicate.vdi", "past-eof.vdi", "too-large.vdi", "discarded.vdi", "count-mismatch.vdi",
        "odd-size.vdi", "truncated-map.vdi", "zero.vdi", "image-type.vdi", "header-size.vdi",
        "far-map.vdi", "static-shuffled.vdi"]
OPEN_ERRORS = ["huge-size.vdi", "version.vdi", "bmap-unaligned.vdi", "data-unaligned.vdi",
               "sector-size.vdi", "block-size.vdi", "no-room.vdi", "link-uuid.vdi",
               "parent-uuid.vdi", "too-many-blocks.vdi", "tiny.vdi"]


@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("image", GOOD + OPEN_ERRORS)
def test_info(images, as_qemu_img, qemu_img, image, output):
    _same(images, as_qemu_img, qemu_img, ["info", f"--output={output}", image])


# A header without VDI's signature probes as raw; named with -f vdi, vdi_open() refuses it (the
# disk size limit is checked before the signature).
@pytest.mark.parametrize("image", ["signature.vdi", "size-before-signature.vdi", "dynamic.vdi"])
def test_info_forced(images, as_qemu_img, qemu_img, image):
    _same(images, as_qemu_img, qemu_img, ["info", "-f", "vdi", image])


@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("image", GOOD + OPEN_ERRORS[:3])
def test_check(images, as_qemu_img, qemu_img, image, output):
    _same(images, as_qemu_img, qemu_img, ["check", f"--output={output}", image])


@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("image", GOOD + ["overlay.qcow2"])
def test_map(images, as_qemu_img, qemu_img, image, output):
    _same(images, as_qemu_img, qemu_img, ["map", f"--output={output}", image])


@pytest.mark.parametrize("pair", [("dynamic.vdi", "dynamic.vdi"), ("converted.vdi", "src.raw"),
                                  ("static.vdi", "empty.vdi"),
                                  ("static-written.vdi", "dynamic.vdi"),
                                  ("dynamic.vdi", "past-eof.vdi"),
                                  ("overlay.qcow2", "static-written.vdi")])
@pytest.mark.parametrize("strict", [[], ["-s"]])
def test_compare(images, as_qemu_img, qemu_img, pair, strict):
    _same(images, as_qemu_img, qemu_img, ["compare", *strict, *pair])


@pytest.mark.parametrize("target", ["raw", "qcow2"])
@pytest.mark.parametrize("image", ["dynamic.vdi", "static-written.vdi", "converted.vdi",
                                   "duplicate.vdi", "discarded.vdi", "overlay.qcow2",
                                   "static-shuffled.vdi"])
def test_convert(images, as_qemu_img, qemu_img, image, target, tmp_path):
    format_suite.assert_same_convert(images, image, target, as_qemu_img, qemu_img, tmp_path)


@pytest.mark.parametrize("image", ["dynamic.vdi", "static-written.vdi"])
@pytest.mark.parametrize("output", ["human", "json"])
def test_measure(images, as_qemu_img, qemu_img, image, output):
    _same(images, as_qemu_img, qemu_img,
          ["measure", f"--output={output}", "-O", "qcow2", image])


# 8.0+ adds "compressed" to map's JSON only for drivers that can write compressed clusters
# (block_driver_can_compress()): vdi cannot, so every profile prints 7.2's map.
@pytest.mark.parametrize("profile", ["8.2", "10.0"])
@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("image", ["dynamic.vdi", "static-written.vdi"])
def test_map_newer_profiles(images, as_qemu_img, qemu_img, image, output, profile):
    args = ["map", f"--output={output}", image]
    ours = runner.run([as_qemu_img, "--sandbox=process", "--qemu-version", profile, *args], images)
    theirs = runner.run([qemu_img, *args], images)
    assert (ours.stdout, ours.stderr, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc)
