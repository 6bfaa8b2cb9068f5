"""Live differential check of vpc (VHD) input against the installed qemu-img: info (human, JSON;
probed and with -f vpc), check (vpc has none), map (human, JSON), compare, measure, and convert
-O raw / qcow2 output bytes, on qemu-made images (dynamic and fixed, force_size on and off, odd
sizes), hand-made ones for qemu 7.2's geometry vs current_size rule (creator apps, the largest
geometry), differencing and mistyped footers, and every vpc_open() refusal."""
from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest

from instar_oracle import format_suite, runner

MIB = 1 << 20
DYN = 0x200  # qemu-made dynamic images: the dynamic header follows the footer copy at 0
BAT = 0x600  # and the BAT follows the 1024-byte header


def _qemu_io(qemu_img: str, image: Path, fmt: str, *commands: str) -> None:
    argv = [str(Path(qemu_img).with_name("qemu-io")), "-f", fmt]
    for c in commands:
        argv += ["-c", c]
    subprocess.run([*argv, str(image)], check=True, capture_output=True)


def _seal(data: bytearray, at: int) -> None:
    """vpc_checksum() of the footer at `at` into its checksum field."""
    struct.pack_into(">I", data, at + 0x40, 0)
    struct.pack_into(">I", data, at + 0x40, ~sum(data[at:at + 512]) & 0xffffffff)


def _patch(src: Path, dst: Path, edits, seal: bool = True) -> None:
    """Big-endian field edits (fmt, offset, value; a negative offset counts from the end; bytes
    values are copied), then both footer copies' checksums recomputed unless `seal` is off."""
    data = bytearray(src.read_bytes())
    for fmt, offset, value in edits:
        at = offset if offset >= 0 else len(data) + offset
        if isinstance(value, bytes):
            data[at:at + len(value)] = value
        else:
            struct.pack_into(">" + fmt, data, at, value)
    if seal:
        for at in (0, len(data) - 512):
            if data[at:at + 8] == b"conectix":
                _seal(data, at)
    dst.write_bytes(bytes(data))


def _small_blocks(dst: Path) -> None:
    """A dynamic disk of 4 KiB blocks (qemu only makes 2 MiB ones), 16 KiB by current_size
    ("win "), blocks 1 and 3 allocated, block 3 before block 1 in the file."""
    footer = bytearray(512)
    footer[0:8] = b"conectix"
    struct.pack_into(">IIQ", footer, 8, 2, 0x10000, 0x200)
    footer[0x1c:0x20] = b"win "
    struct.pack_into(">QQHBBI", footer, 0x28, 16384, 16384, 20, 4, 17, 3)
    _seal(footer, 0)
    header = bytearray(1024)
    header[0:8] = b"cxsparse"
    struct.pack_into(">QQIII", header, 8, 2 ** 64 - 1, 0x600, 0x10000, 4, 4096)
    bat = bytearray(b"\xff" * 512)
    struct.pack_into(">IIII", bat, 0, 0xffffffff, 13, 0xffffffff, 4)
    block3 = b"\xff" * 512 + bytes([0xa5]) * 4096
    block1 = b"\xff" * 512 + bytes([0x5a]) * 2048 + bytes(2048)
    dst.write_bytes(bytes(footer + header + bat) + block3 + block1 + bytes(footer))


@pytest.fixture(scope="module")
def images(tmp_path_factory, qemu_img):
    d = tmp_path_factory.mktemp("vpc")
    create = lambda name, size, *opts: subprocess.run(  # noqa: E731
        [qemu_img, "create", "-f", "vpc", *opts, str(d / name), str(size)], check=True,
        capture_output=True)
    create("dynamic.vhd", 10 * MIB)
    _qemu_io(qemu_img, d / "dynamic.vhd", "vpc", "write -P 0x11 1M 64k", "write -P 0 3M 1M",
             "write -P 0x22 7M 4k", "write -P 0x33 5M 512")
    create("empty.vhd", 10000000)                      # rounded up to a CHS geometry
    create("force-size.vhd", 10000000, "-o", "force_size=on")   # "qem2", the largest geometry
    create("zero.vhd", 0)
    create("fixed.vhd", 10 * MIB, "-o", "subformat=fixed")
    create("fixed-written.vhd", 6 * MIB, "-o", "subformat=fixed")
    _qemu_io(qemu_img, d / "fixed-written.vhd", "vpc", "write -P 0x44 0 100k",
             "write -P 0x55 2M 1M", "write -P 0 5M 64k")
    create("fixed-force-size.vhd", 3 * MIB + 512, "-o", "subformat=fixed,force_size=on")
    raw = d / "src.raw"
    subprocess.run([qemu_img, "create", "-f", "raw", str(raw), str(6 * MIB)], check=True,
                   capture_output=True)
    _qemu_io(qemu_img, raw, "raw", "write -P 0x66 0 100k", "write -P 0x77 4M 1M")
    subprocess.run([qemu_img, "convert", "-f", "raw", "-O", "vpc", str(raw),
                    str(d / "converted.vhd")], check=True, capture_output=True)
    # A qcow2 overlay whose backing file is a vpc (the chain goes through the vpc driver).
    subprocess.run([qemu_img, "create", "-f", "qcow2", "-b", "dynamic.vhd", "-F", "vpc",
                    str(d / "overlay.qcow2")], check=True, capture_output=True)
    _qemu_io(qemu_img, d / "overlay.qcow2", "qcow2", "write -P 0x99 1M 64k")
    subprocess.run([qemu_img, "create", "-f", "qcow2", "-b", "fixed-written.vhd", "-F", "vpc",
                    str(d / "overlay-fixed.qcow2")], check=True, capture_output=True)
    dyn = d / "dynamic.vhd"
    # qemu 7.2's size rule: these creator apps size the disk by current_size (cut to sectors)...
    for name, app in (("win", b"win "), ("qem2", b"qem2"), ("d2v", b"d2v "), ("ctxs", b"CTXS"),
                      ("tap", b"tap\0")):
        _patch(dyn, d / f"app-{name}.vhd", [("", 0x1c, app), ("Q", 0x30, 5000000),
                                            ("", -512 + 0x1c, app), ("Q", -512 + 0x30, 5000000)])
    # ... every other app by the CHS geometry, unless it is the largest one.
    for name, app in (("vpc", b"vpc "), ("vs", b"vs  "), ("win0", b"win\0"), ("tap1", b"tap\1")):
        _patch(dyn, d / f"app-{name}.vhd", [("", 0x1c, app), ("Q", 0x30, 5000000)])
    _patch(dyn, d / "max-geometry.vhd", [("H", 0x38, 65535), ("B", 0x3a, 16), ("B", 0x3b, 255),
                                         ("Q", 0x30, 9 * MIB)])
    _patch(dyn, d / "big-geometry.vhd", [("H", 0x38, 65535), ("B", 0x3a, 16), ("B", 0x3b, 254)])
    # A differencing disk reads as a dynamic one (qemu 7.2 ignores the parent); a fixed type in
    # the footer at 0 reads the file 1:1 after the dynamic header and BAT were checked.
    _patch(dyn, d / "differencing.vhd", [("I", 0x3c, 4), ("I", -512 + 0x3c, 4)])
    _patch(dyn, d / "fixed-type-at-0.vhd", [("I", 0x3c, 2)])
    _patch(dyn, d / "type-9.vhd", [("I", 0x3c, 9)])
    _small_blocks(d / "small-blocks.vhd")
    # More BAT entries than the disk needs, all in the file; a BAT entry mapping two blocks onto
    # the same data.
    _patch(dyn, d / "long-bat.vhd", [("I", DYN + 0x1c, 100)])
    _patch(dyn, d / "shared-block.vhd", [("I", BAT + 12, struct.unpack_from(
        ">I", dyn.read_bytes(), BAT)[0])], seal=False)
    # vpc_open() refusals, in its order.
    _patch(dyn, d / "checksum.vhd", [("B", 0x1ff, 1)], seal=False)
    _patch(d / "fixed.vhd", d / "fixed-checksum.vhd", [("B", -1, 1)], seal=False)
    _patch(d / "fixed.vhd", d / "fixed-type.vhd", [("I", -512 + 0x3c, 3)])
    _patch(dyn, d / "huge.vhd", [("", 0x1c, b"win "), ("Q", 0x30, 0xff000000 * 512 + 512)])
    _patch(dyn, d / "huge-limit.vhd", [("", 0x1c, b"win "), ("Q", 0x30, 0xff000000 * 512)])
    _patch(dyn, d / "header-offset.vhd", [("Q", 0x10, 2 ** 64 - 1)])
    _patch(dyn, d / "header-offset-limit.vhd", [("Q", 0x10, 0x7fffffffc0000000 - 1024)])
    _patch(dyn, d / "header-offset-over.vhd", [("Q", 0x10, 0x7fffffffc0000000 - 1023)])
    _patch(dyn, d / "magic.vhd", [("", DYN + 7, b"E")])
    for name, size in (("block-size.vhd", 1000), ("block-size-zero.vhd", 0),
                       ("block-size-256.vhd", 256)):
        _patch(dyn, d / name, [("I", DYN + 0x20, size)])
    _patch(dyn, d / "page-table-small.vhd", [("I", DYN + 0x1c, 5)])
    _patch(dyn, d / "entries-large.vhd", [("I", DYN + 0x1c, 0x20000000)])
    _patch(dyn, d / "entries-negative.vhd", [("I", DYN + 0x1c, 0x80000000)])
    _patch(dyn, d / "entries-read.vhd", [("I", DYN + 0x1c, 0x1fffff81), ("I", DYN + 0x20, 512)])
    _patch(dyn, d / "bat-far.vhd", [("Q", DYN + 0x10, 0x7fffffffc0000000 - 23)])
    _patch(dyn, d / "bat-past-eof.vhd", [("Q", DYN + 0x10, 64 * MIB)])
    _patch(dyn, d / "entry-past-eof.vhd", [("I", BAT + 8, 0x100000)], seal=False)
    (d / "truncated.vhd").write_bytes(dyn.read_bytes()[:3 * MIB])
    (d / "tiny.vhd").write_bytes(b"conectix")
    (d / "empty-file.vhd").write_bytes(b"")
    (d / "not-vpc.vhd").write_bytes(bytes(1000))
    return d


_same = format_suite.assert_same

GOOD = ["dynamic.vhd", "empty.vhd", "force-size.vhd", "zero.vhd", "converted.vhd",
        "app-win.vhd", "app-qem2.vhd", "app-d2v.vhd", "app-ctxs.vhd", "app-tap.vhd",
        "app-vpc.vhd", "app-vs.vhd", "app-win0.vhd", "app-tap1.vhd", "max-geometry.vhd",
        "big-geometry.vhd", "differencing.vhd", "fixed-type-at-0.vhd", "type-9.vhd",
        "small-blocks.vhd", "long-bat.vhd", "shared-block.vhd", "huge-limit.vhd"]
FIXED = ["fixed.vhd", "fixed-written.vhd", "fixed-force-size.vhd"]
OPEN_ERRORS = ["checksum.vhd", "huge.vhd", "header-offset.vhd", "header-offset-limit.vhd",
               "header-offset-over.vhd", "magic.vhd", "block-size.vhd", "block-size-zero.vhd",
               "block-size-256.vhd", "page-table-small.vhd", "entries-large.vhd",
               "entries-negative.vhd", "entries-read.vhd", "bat-far.vhd", "bat-past-eof.vhd",
               "entry-past-eof.vhd", "truncated.vhd", "tiny.vhd"]
# Without a footer at 0 the probe says raw: these need -f vpc.
FORCED_ERRORS = ["fixed-checksum.vhd", "fixed-type.vhd", "empty-file.vhd", "not-vpc.vhd"]


# A fixed disk probes as raw; fixed-written.vhd's data at offset 0 is then refused by instar's
# safe detection (docs/chains.md), so it is only named with -f vpc.
@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("image", GOOD + ["fixed.vhd", "fixed-force-size.vhd"] + OPEN_ERRORS)
def test_info(images, as_qemu_img, qemu_img, image, output):
    _same(images, as_qemu_img, qemu_img, ["info", f"--output={output}", image])


@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("image", FIXED + FORCED_ERRORS + ["dynamic.vhd", "checksum.vhd"])
def test_info_forced(images, as_qemu_img, qemu_img, image, output):
    _same(images, as_qemu_img, qemu_img, ["info", "-f", "vpc", f"--output={output}", image])


@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("image", ["dynamic.vhd", "fixed-type-at-0.vhd", "checksum.vhd",
                                   "magic.vhd", "truncated.vhd"])
def test_check(images, as_qemu_img, qemu_img, image, output):
    _same(images, as_qemu_img, qemu_img, ["check", f"--output={output}", image])


@pytest.mark.parametrize("image", ["fixed.vhd", "fixed-type.vhd"])
def test_check_forced(images, as_qemu_img, qemu_img, image):
    _same(images, as_qemu_img, qemu_img, ["check", "-f", "vpc", image])


@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("image", GOOD + ["overlay.qcow2", "overlay-fixed.qcow2"])
def test_map(images, as_qemu_img, qemu_img, image, output):
    _same(images, as_qemu_img, qemu_img, ["map", f"--output={output}", image])


# A fixed disk maps 1:1 with BDRV_BLOCK_RECURSE: the file's holes are zero data, as the host's
# SEEK_DATA/SEEK_HOLE map gives them.
@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("image", FIXED)
def test_map_fixed(images, as_qemu_img, qemu_img, image, output):
    _same(images, as_qemu_img, qemu_img, ["map", "-f", "vpc", f"--output={output}", image])


@pytest.mark.parametrize("pair", [("dynamic.vhd", "dynamic.vhd"), ("converted.vhd", "src.raw"),
                                  ("empty.vhd", "zero.vhd"), ("dynamic.vhd", "differencing.vhd"),
                                  ("dynamic.vhd", "shared-block.vhd"),
                                  ("small-blocks.vhd", "app-win.vhd"),
                                  ("overlay.qcow2", "dynamic.vhd")])
@pytest.mark.parametrize("strict", [[], ["-s"]])
def test_compare(images, as_qemu_img, qemu_img, pair, strict):
    _same(images, as_qemu_img, qemu_img, ["compare", *strict, *pair])


@pytest.mark.parametrize("other", ["src.raw", "fixed.vhd", "dynamic.vhd"])
@pytest.mark.parametrize("strict", [[], ["-s"]])
def test_compare_fixed(images, as_qemu_img, qemu_img, other, strict):
    fmt = "raw" if other == "src.raw" else "vpc"
    _same(images, as_qemu_img, qemu_img,
          ["compare", *strict, "-f", "vpc", "-F", fmt, "fixed-written.vhd", other])


@pytest.mark.parametrize("target", ["raw", "qcow2"])
@pytest.mark.parametrize("image", ["dynamic.vhd", "converted.vhd", "small-blocks.vhd",
                                   "shared-block.vhd", "app-win.vhd", "fixed-type-at-0.vhd",
                                   "overlay.qcow2", "overlay-fixed.qcow2"])
def test_convert(images, as_qemu_img, qemu_img, image, target, tmp_path):
    format_suite.assert_same_convert(images, image, target, as_qemu_img, qemu_img, tmp_path)


@pytest.mark.parametrize("target", ["raw", "qcow2"])
@pytest.mark.parametrize("image", FIXED)
def test_convert_fixed(images, as_qemu_img, qemu_img, image, target, tmp_path):
    format_suite.assert_same_convert(images, image, target, as_qemu_img, qemu_img, tmp_path,
                                     source_args=["-f", "vpc"])


@pytest.mark.parametrize("image", ["checksum.vhd", "bat-past-eof.vhd", "huge.vhd"])
def test_convert_refused(images, as_qemu_img, qemu_img, image, tmp_path):
    format_suite.assert_same_convert(images, image, "raw", as_qemu_img, qemu_img, tmp_path)


@pytest.mark.parametrize("image", ["dynamic.vhd", "small-blocks.vhd", "overlay.qcow2"])
@pytest.mark.parametrize("output", ["human", "json"])
def test_measure(images, as_qemu_img, qemu_img, image, output):
    _same(images, as_qemu_img, qemu_img,
          ["measure", f"--output={output}", "-O", "qcow2", image])


@pytest.mark.parametrize("output", ["human", "json"])
def test_measure_fixed(images, as_qemu_img, qemu_img, output):
    _same(images, as_qemu_img, qemu_img,
          ["measure", "-f", "vpc", f"--output={output}", "-O", "qcow2", "fixed-written.vhd"])


# 8.0+ adds "compressed" to map's JSON only for drivers that can write compressed clusters
# (block_driver_can_compress()): vpc cannot, so every profile prints 7.2's map.
@pytest.mark.parametrize("profile", ["8.2", "10.0"])
@pytest.mark.parametrize("image", ["dynamic.vhd", "small-blocks.vhd"])
def test_map_newer_profiles(images, as_qemu_img, qemu_img, image, profile):
    args = ["map", "--output=json", image]
    ours = runner.run([as_qemu_img, "--sandbox=process", "--qemu-version", profile, *args], images)
    theirs = runner.run([qemu_img, *args], images)
    assert (ours.stdout, ours.stderr, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc)
