"""Live differential check of vhdx input (dynamic and fixed images, several block sizes) against
the installed qemu-img: info (human, JSON; probed and with -f vhdx), check (human, JSON), map
(human, JSON), compare, measure and convert -O raw / qcow2, on qemu-made images and hostile
variants (every vhdx_open() refusal, region overlaps, BAT entries past EOF or over metadata,
block states qemu cannot read, and a log that needs replaying), each variant's checksums
recomputed (instar_oracle.vhdx_image) so the patch reaches the check it aims at."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from instar_oracle import format_suite
from instar_oracle.vhdx_image import (BAT_GUID, FILE_PARAMS_GUID, HEADER_OFFSETS,
                                      LOGICAL_SECTOR_GUID, METADATA_GUID, PARENT_LOCATOR_GUID,
                                      PHYS_SECTOR_GUID, REGION_TABLE_OFFSET, VIRTUAL_SIZE_GUID,
                                      Image, reseal)

MIB = 1 << 20
LOG = MIB  # qemu-made images: the log follows the 1 MiB header section


def _qemu_io(qemu_img: str, image: Path, fmt: str, *commands: str) -> None:
    argv = [str(Path(qemu_img).with_name("qemu-io")), "-f", fmt]
    for c in commands:
        argv += ["-c", c]
    subprocess.run([*argv, str(image)], check=True, capture_output=True)


def _variant(src: Path, dst: Path, edit) -> None:
    image = Image(src.read_bytes())
    edit(image)
    dst.write_bytes(image.bytes())


def _parent_locator(im: Image) -> None:
    base = im.metadata_offset()
    im.put("<I", im.metadata_item(FILE_PARAMS_GUID) + 4, 2)
    im.put("<16s", base + 32 + 32 * 5, PARENT_LOCATOR_GUID)
    im.put("<I", base + 32 + 32 * 5 + 16, 0x20000)
    im.put("<H", base + 10, 6)


def _dirty(im: Image, corrupt_descriptor=False, break_checksum=False) -> None:
    guid = bytes(im.data[LOG + 32:LOG + 48])  # the last log entry qemu wrote (then flushed)
    im.patch_header("<16s", 48, guid)
    if corrupt_descriptor:
        im.put("<I", LOG + 64, 0x12345678)
        reseal(im.data, LOG, 8192)
    if break_checksum:
        im.put("<I", LOG + 4, 0)


@pytest.fixture(scope="module")
def images(tmp_path_factory, qemu_img):
    d = tmp_path_factory.mktemp("vhdx")
    create = lambda name, size, *opts: subprocess.run(  # noqa: E731
        [qemu_img, "create", "-f", "vhdx", *opts, str(d / name), str(size)], check=True,
        capture_output=True)
    create("dynamic.vhdx", 64 * MIB)
    _qemu_io(qemu_img, d / "dynamic.vhdx", "vhdx", "write -P 0xab 0 1M", "write -P 0 16M 1M",
             "write -P 1 40M 4k", "write -P 0x5a 63M 512")
    create("empty.vhdx", 3 * MIB + 512)
    create("small-blocks.vhdx", 20 * MIB, "-o", "block_size=1M,log_size=2M")
    _qemu_io(qemu_img, d / "small-blocks.vhdx", "vhdx", "write -P 0x11 512k 1M",
             "write -P 0x22 9M 4k", "write -z 12M 1M")
    create("fixed.vhdx", 8 * MIB, "-o", "subformat=fixed")
    _qemu_io(qemu_img, d / "fixed.vhdx", "vhdx", "write -P 0x33 1M 100k")
    create("nozero.vhdx", 16 * MIB, "-o", "block_state_zero=off")
    _qemu_io(qemu_img, d / "nozero.vhdx", "vhdx", "write -P 0x44 2M 64k")
    raw = d / "src.raw"
    subprocess.run([qemu_img, "create", "-f", "raw", str(raw), str(6 * MIB)], check=True,
                   capture_output=True)
    _qemu_io(qemu_img, raw, "raw", "write -P 0x66 0 100k", "write -P 0x77 4M 1M")
    subprocess.run([qemu_img, "convert", "-f", "raw", "-O", "vhdx", str(raw),
                    str(d / "converted.vhdx")], check=True, capture_output=True)
    subprocess.run([qemu_img, "create", "-f", "qcow2", "-b", "dynamic.vhdx", "-F", "vhdx",
                    str(d / "overlay.qcow2")], check=True, capture_output=True)
    _qemu_io(qemu_img, d / "overlay.qcow2", "qcow2", "write -P 0x99 64k 64k")
    dyn = d / "dynamic.vhdx"
    H = HEADER_OFFSETS
    R = REGION_TABLE_OFFSET
    v = lambda name, edit: _variant(dyn, d / name, edit)  # noqa: E731
    # Opens: the headers, the log fields and the metadata qemu tolerates.
    v("header1-bad.vhdx", lambda im: im.put("<I", H[1] + 4, 0))
    v("no-log-guid-length.vhdx", lambda im: im.patch_header("<I", 68, 12345))
    v("log-checksum.vhdx", lambda im: _dirty(im, break_checksum=True))
    v("unknown-region.vhdx", lambda im: im.patch_region_table("<16s", 16 + 32, b"y" * 16))
    v("unknown-metadata.vhdx", lambda im: (
        im.put("<16s", im.metadata_offset() + 32 + 32 * 5, b"z" * 16),
        im.put("<H", im.metadata_offset() + 10, 6)))
    v("phys-sector.vhdx", lambda im: im.put("<I", im.metadata_item(PHYS_SECTOR_GUID), 1000))
    v("odd-size.vhdx", lambda im: im.put("<Q", im.metadata_item(VIRTUAL_SIZE_GUID),
                                          64 * MIB + 100))
    v("bat-far.vhdx", lambda im: im.patch_region_table("<Q", 16 + 16, 1 << 62))
    v("bat-past-eof-region.vhdx", lambda im: im.patch_region_table("<Q", 16 + 16, 40 * MIB))
    v("partial.vhdx", lambda im: im.set_bat_entry(0, 0x800007))
    v("state4.vhdx", lambda im: im.set_bat_entry(2, 0x1000004))
    v("unmapped.vhdx", lambda im: im.set_bat_entry(2, 0x1000003))
    v("offset-zero.vhdx", lambda im: im.set_bat_entry(0, 6))
    # BAT entries qemu's open refuses and its check counts.
    v("bat-past-eof.vhdx", lambda im: im.set_bat_entry(0, (40 << 20) | 6))
    v("bat-end-past-eof.vhdx", lambda im: im.set_bat_entry(0, ((32 << 20) - (1 << 20)) | 6))
    v("bat-overflow.vhdx", lambda im: im.set_bat_entry(0, 0xFFFFFFFFFFF00006))
    v("bat-in-metadata.vhdx", lambda im: im.set_bat_entry(0, 0x300006))
    v("bat-many.vhdx", lambda im: [im.set_bat_entry(i, (0x300000 | 6) if i % 2 else
                                                   ((100 << 20) | 6)) for i in range(8)])
    # vhdx_open() refusals, roughly in its order.
    v("file-signature.vhdx", lambda im: im.put("<Q", 0, 0))
    v("no-header.vhdx", lambda im: [im.put("<I", o + 4, 0) for o in H])
    v("same-sequence.vhdx", lambda im: (im.patch_header("<Q", 8, 5),
                                        im.patch_header("<I", 72, 2 << 20, which=H[0])))
    v("log-version.vhdx", lambda im: im.patch_header("<H", 64, 1))
    v("log-offset.vhdx", lambda im: im.patch_header("<Q", 72, 12345))
    v("log-length.vhdx", lambda im: (im.patch_header("<I", 68, 12345),
                                     im.patch_header("<16s", 48, b"x" * 16)))
    v("log-far.vhdx", lambda im: (im.patch_header("<Q", 72, 0xFFFFFFFFFFF00000),
                                  im.patch_header("<16s", 48, b"x" * 16)))
    v("dirty.vhdx", _dirty)
    v("log-descriptor.vhdx", lambda im: _dirty(im, corrupt_descriptor=True))
    v("region-checksum.vhdx", lambda im: im.put("<I", R + 4, 0))
    v("region-signature.vhdx", lambda im: im.patch_region_table("<I", 0, 0))
    v("region-count.vhdx", lambda im: im.patch_region_table("<I", 8, 2048))
    v("region-overlap.vhdx", lambda im: im.patch_region_table("<Q", 16 + 16, 0x300000))
    v("region-over-log.vhdx", lambda im: im.patch_region_table("<Q", 16 + 16, 0x100000))
    v("region-duplicate.vhdx", lambda im: im.patch_region_table("<16s", 16 + 32, BAT_GUID))
    v("region-required.vhdx", lambda im: (im.patch_region_table("<16s", 16 + 32, b"y" * 16),
                                          im.patch_region_table("<I", 16 + 32 + 28, 1)))
    v("region-missing.vhdx", lambda im: im.patch_region_table("<I", 8, 1))
    v("metadata-signature.vhdx", lambda im: im.put("<Q", im.metadata_offset(), 0))
    v("metadata-count.vhdx", lambda im: im.put("<H", im.metadata_offset() + 10, 2048))
    v("metadata-duplicate.vhdx", lambda im: im.put("<16s", im.metadata_offset() + 64,
                                                   FILE_PARAMS_GUID))
    v("metadata-missing.vhdx", lambda im: im.put("<16s", im.metadata_offset() + 64, b"z" * 16))
    v("metadata-required.vhdx", lambda im: (
        im.put("<16s", im.metadata_offset() + 32 + 32 * 5, b"z" * 16),
        im.put("<I", im.metadata_offset() + 32 + 32 * 5 + 24, 4),
        im.put("<H", im.metadata_offset() + 10, 6)))
    v("metadata-far.vhdx", lambda im: im.patch_region_table("<Q", 16 + 32 + 16,
                                                            0x7fffffffc0000000 - 0x8000))
    v("has-parent.vhdx", lambda im: im.put("<I", im.metadata_item(FILE_PARAMS_GUID) + 4, 2))
    v("differencing.vhdx", _parent_locator)
    v("block-size-small.vhdx", lambda im: im.put("<I", im.metadata_item(FILE_PARAMS_GUID), 4096))
    v("block-size-odd.vhdx", lambda im: im.put("<I", im.metadata_item(FILE_PARAMS_GUID), 3 * MIB))
    v("sector-size.vhdx", lambda im: im.put("<I", im.metadata_item(LOGICAL_SECTOR_GUID), 4096))
    v("size-zero.vhdx", lambda im: im.put("<Q", im.metadata_item(VIRTUAL_SIZE_GUID), 0))
    v("size-huge.vhdx", lambda im: im.put("<Q", im.metadata_item(VIRTUAL_SIZE_GUID), 1 << 50))
    v("bat-small.vhdx", lambda im: im.patch_region_table("<I", 16 + 24, 8))
    v("bat-huge.vhdx", lambda im: im.patch_region_table("<I", 16 + 24, 0xfff00000))
    v("bat-read-too-long.vhdx", lambda im: (im.patch_region_table("<Q", 16 + 16, 1 << 40),
                                            im.patch_region_table("<I", 16 + 24, 0x80000000)))
    v("bat-read-far.vhdx", lambda im: im.patch_region_table("<Q", 16 + 16, 0xFFFFFFFFFFF00000))
    (d / "tiny.vhdx").write_bytes(dyn.read_bytes()[:100])
    return d


_same = format_suite.assert_same

GOOD = ["dynamic.vhdx", "empty.vhdx", "small-blocks.vhdx", "fixed.vhdx", "nozero.vhdx",
        "converted.vhdx", "header1-bad.vhdx", "no-log-guid-length.vhdx", "log-checksum.vhdx",
        "unknown-region.vhdx", "unknown-metadata.vhdx", "phys-sector.vhdx", "odd-size.vhdx",
        "bat-far.vhdx", "bat-past-eof-region.vhdx", "partial.vhdx", "state4.vhdx",
        "unmapped.vhdx", "offset-zero.vhdx"]
BAT_ERRORS = ["bat-past-eof.vhdx", "bat-end-past-eof.vhdx", "bat-overflow.vhdx",
              "bat-in-metadata.vhdx", "bat-many.vhdx"]
OPEN_ERRORS = ["no-header.vhdx", "same-sequence.vhdx", "log-version.vhdx", "log-offset.vhdx",
               "log-length.vhdx", "log-far.vhdx", "dirty.vhdx", "log-descriptor.vhdx",
               "region-checksum.vhdx", "region-signature.vhdx", "region-count.vhdx",
               "region-overlap.vhdx", "region-over-log.vhdx", "region-duplicate.vhdx",
               "region-required.vhdx", "region-missing.vhdx", "metadata-signature.vhdx",
               "metadata-count.vhdx", "metadata-duplicate.vhdx", "metadata-missing.vhdx",
               "metadata-required.vhdx", "metadata-far.vhdx", "has-parent.vhdx",
               "differencing.vhdx", "block-size-small.vhdx", "block-size-odd.vhdx",
               "sector-size.vhdx", "size-zero.vhdx", "size-huge.vhdx", "bat-small.vhdx",
               "bat-huge.vhdx", "bat-read-too-long.vhdx", "bat-read-far.vhdx"]


@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("image", GOOD + BAT_ERRORS + OPEN_ERRORS)
def test_info(images, as_qemu_img, qemu_img, image, output):
    _same(images, as_qemu_img, qemu_img, ["info", f"--output={output}", image])


# Without "vhdxfile" the probe says raw; named with -f vhdx, vhdx_open() refuses it.
@pytest.mark.parametrize("image", ["file-signature.vhdx", "tiny.vhdx", "dynamic.vhdx"])
def test_info_forced(images, as_qemu_img, qemu_img, image):
    _same(images, as_qemu_img, qemu_img, ["info", "-f", "vhdx", image])


@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("image", GOOD + BAT_ERRORS + ["dirty.vhdx", "region-overlap.vhdx"])
def test_check(images, as_qemu_img, qemu_img, image, output):
    _same(images, as_qemu_img, qemu_img, ["check", f"--output={output}", image])


@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("image", ["dynamic.vhdx", "fixed.vhdx", "empty.vhdx", "partial.vhdx",
                                   "overlay.qcow2", "dirty.vhdx", "bat-past-eof.vhdx"])
def test_map(images, as_qemu_img, qemu_img, image, output):
    _same(images, as_qemu_img, qemu_img, ["map", f"--output={output}", image])


@pytest.mark.parametrize("pair", [("dynamic.vhdx", "dynamic.vhdx"), ("converted.vhdx", "src.raw"),
                                  ("fixed.vhdx", "empty.vhdx"),
                                  ("small-blocks.vhdx", "nozero.vhdx"),
                                  ("dynamic.vhdx", "partial.vhdx"),
                                  ("state4.vhdx", "dynamic.vhdx"),
                                  ("offset-zero.vhdx", "dynamic.vhdx"),
                                  ("overlay.qcow2", "dynamic.vhdx")])
@pytest.mark.parametrize("strict", [[], ["-s"]])
def test_compare(images, as_qemu_img, qemu_img, pair, strict):
    _same(images, as_qemu_img, qemu_img, ["compare", *strict, *pair])


@pytest.mark.parametrize("target", ["raw", "qcow2"])
@pytest.mark.parametrize("image", ["dynamic.vhdx", "small-blocks.vhdx", "fixed.vhdx",
                                   "converted.vhdx", "unmapped.vhdx", "offset-zero.vhdx",
                                   "partial.vhdx", "overlay.qcow2", "dirty.vhdx"])
def test_convert(images, as_qemu_img, qemu_img, image, target, tmp_path):
    format_suite.assert_same_convert(images, image, target, as_qemu_img, qemu_img, tmp_path)


@pytest.mark.parametrize("image", ["dynamic.vhdx", "fixed.vhdx", "dirty.vhdx"])
@pytest.mark.parametrize("output", ["human", "json"])
def test_measure(images, as_qemu_img, qemu_img, image, output):
    _same(images, as_qemu_img, qemu_img,
          ["measure", f"--output={output}", "-O", "qcow2", image])


def test_log_search_that_never_ends(images, as_qemu_img, tmp_path):
    """A log whose search round ends where it began: an entry of half the log, then one whose
    checksum fails and wraps to the start. qemu 7.2 searches it forever; instar refuses it."""
    import struct as _s

    from instar_oracle import runner
    from instar_oracle.vhdx_image import reseal
    image = Image((images / "empty.vhdx").read_bytes())
    guid = b"loop-loop-loop-!"
    half = 512 * 1024
    for at, seq, good in ((0, 5, True), (half, 9, False)):
        entry = bytearray(half)
        _s.pack_into("<4sIIIQII16sQQ", entry, 0, b"loge", 0, half, 0, seq, 0, 0, guid, 0, 0)
        image.data[LOG + at:LOG + at + half] = entry
        if good:
            reseal(image.data, LOG + at, half)
        else:
            _s.pack_into("<I", image.data, LOG + at + 4, 1)
    image.patch_header("<16s", 48, guid)
    (tmp_path / "loop.vhdx").write_bytes(image.bytes())
    run = runner.run([as_qemu_img, "--sandbox=process", "info", "loop.vhdx"], tmp_path)
    assert run.rc == 1
    assert run.stderr == (b"qemu-img: Could not open 'loop.vhdx': Could not open 'loop.vhdx': "
                          b"Invalid argument\n")
