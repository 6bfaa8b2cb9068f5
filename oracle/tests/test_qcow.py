"""Live differential check of qcow (v1) input against the installed qemu-img: info (human, JSON;
probed and with -f qcow), check (qemu has none for qcow), map (human, JSON), compare, measure,
and convert -O raw / qcow2 output bytes, on qemu-made images (cluster sizes, compressed clusters,
AES encryption, backing files of each format in both directions) and hand-crafted variants (every
qcow_open() refusal, tables and clusters past EOF or past BDRV_MAX_LENGTH, unaligned and
undecodable clusters)."""
from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest

from instar_oracle import format_suite

MIB = 1 << 20
MAX_LENGTH = 0x7fffffffc0000000  # BDRV_MAX_LENGTH


def _qemu_io(qemu_img: str, image: Path, fmt: str, *commands: str) -> None:
    argv = [str(Path(qemu_img).with_name("qemu-io")), "-f", fmt]
    for c in commands:
        argv += ["-c", c]
    subprocess.run([*argv, str(image)], check=True, capture_output=True)


def _patch(src: Path, dst: Path, edits, keep: int | None = None) -> None:
    data = bytearray(src.read_bytes())
    for fmt, offset, value in edits:
        struct.pack_into(fmt, data, offset, value)
    dst.write_bytes(bytes(data[:keep] if keep is not None else data))


def _tables(image: Path):
    """(L1 offset, first L2 table's offset, its first entries) of a qcow image."""
    data = image.read_bytes()
    l1 = struct.unpack_from(">Q", data, 0x28)[0]
    l2 = struct.unpack_from(">Q", data, l1)[0]
    return l1, l2, list(struct.unpack_from(">8Q", data, l2))


@pytest.fixture(scope="module")
def images(tmp_path_factory, qemu_img):
    d = tmp_path_factory.mktemp("qcow")

    def create(name, size, *opts, fmt="qcow"):
        subprocess.run([qemu_img, "create", "-f", fmt, *opts, str(d / name), str(size)],
                       check=True, capture_output=True)

    create("basic.qcow", 4 * MIB)
    _qemu_io(qemu_img, d / "basic.qcow", "qcow", "write -P 0xab 0 64k", "write -P 1 1M 4k",
             "write -P 0 2M 64k", "write -P 0x22 3M 100k")
    create("empty.qcow", 3 * MIB + 512)
    create("odd.qcow", 1000)
    create("big.qcow", "3G")
    _qemu_io(qemu_img, d / "big.qcow", "qcow", "write -P 0x44 0 4k", "write -P 0x45 2G 64k")
    # Compressed clusters: qemu 7.2 writes them one whole cluster at a time (its convert -c to
    # qcow fails without a message), the same bytes into a raw file to compare with.
    create("src.raw", 2 * MIB, fmt="raw")
    create("compressed.qcow", 2 * MIB)
    writes = ["write -P 0x5a 0 4k", "write -P 0x5b 8k 4k", "write -P 0 16k 4k",
              "write -P 0x5c 1M 4k"]
    _qemu_io(qemu_img, d / "src.raw", "raw", *writes)
    _qemu_io(qemu_img, d / "compressed.qcow", "qcow", *(w.replace("write", "write -c")
                                                        for w in writes))
    subprocess.run([qemu_img, "create", "-f", "qcow", "--object", "secret,id=s0,data=abc", "-o",
                    "encrypt.format=aes,encrypt.key-secret=s0", str(d / "aes.qcow"), "1M"],
                   check=True, capture_output=True)
    # Backing files in both directions (a qcow stores no backing format: qemu probes it).
    create("base.raw", 6 * MIB, fmt="raw")
    # A zero first sector: a probed raw head instar's safe detection accepts (qcow stores no
    # backing format, so the backing file is always probed).
    _qemu_io(qemu_img, d / "base.raw", "raw", "write -P 0x66 4k 1M", "write -P 0x67 5M 512k")
    create("over-raw.qcow", 8 * MIB, "-b", "base.raw", "-F", "raw")
    _qemu_io(qemu_img, d / "over-raw.qcow", "qcow", "write -P 0x70 512k 64k")
    create("over-qcow.qcow", 4 * MIB, "-b", "basic.qcow", "-F", "qcow")
    _qemu_io(qemu_img, d / "over-qcow.qcow", "qcow", "write -P 0x71 8k 4k")
    create("over-qcow.qcow2", 6 * MIB, "-b", "basic.qcow", "-F", "qcow", fmt="qcow2")
    _qemu_io(qemu_img, d / "over-qcow.qcow2", "qcow2", "write -P 0x73 64k 64k")
    create("dangling.qcow", MIB, "-u", "-b", "missing.raw", "-F", "raw")

    basic = d / "basic.qcow"
    l1, l2, l2e = _tables(basic)
    # qcow_open() refusals, in its order.
    _patch(basic, d / "magic.qcow", [(">I", 0, 0x12345678)])
    _patch(basic, d / "version2.qcow", [(">I", 4, 2)])
    _patch(basic, d / "size-one.qcow", [(">Q", 0x18, 1)])
    _patch(basic, d / "cluster-bits.qcow", [(">B", 0x20, 17)])
    _patch(basic, d / "l2-bits.qcow", [(">B", 0x21, 5)])
    _patch(basic, d / "crypt-method.qcow", [(">I", 0x24, 2)])
    _patch(basic, d / "too-large.qcow", [(">Q", 0x18, (1 << 64) - 16)])
    _patch(basic, d / "l1-huge.qcow", [(">Q", 0x18, 1 << 62)])
    _patch(basic, d / "l1-eio.qcow", [(">Q", 0x28, MAX_LENGTH - 8)])
    _patch(basic, d / "backing-long.qcow", [(">Q", 0x08, 0x30), (">I", 0x10, 1024)])
    _patch(basic, d / "backing-eio.qcow", [(">Q", 0x08, MAX_LENGTH), (">I", 0x10, 10)])
    _patch(d / "aes.qcow", d / "aes-huge.qcow", [(">Q", 0x18, (1 << 64) - 16)])
    # Openable variants.
    _patch(basic, d / "backing-past-eof.qcow", [(">Q", 0x08, 1 << 40), (">I", 0x10, 10)])
    _patch(basic, d / "tiny.qcow", [], keep=40)
    _patch(basic, d / "l1-past-eof.qcow", [(">Q", 0x28, 1 << 40)])
    _patch(basic, d / "l2-past-eof.qcow", [(">Q", l1, 1 << 40)])
    _patch(basic, d / "l2-eio.qcow", [(">Q", l1, MAX_LENGTH - 8)])
    _patch(basic, d / "l2-unaligned.qcow", [(">Q", l1, l2 + 8)])
    _patch(basic, d / "data-unaligned.qcow", [(">Q", l2, l2e[0] + 0x100)])
    _patch(basic, d / "data-past-eof.qcow", [(">Q", l2, 1 << 40)])
    _patch(basic, d / "data-eio.qcow", [(">Q", l2, MAX_LENGTH)])
    _patch(basic, d / "data-duplicated.qcow", [(">Q", l2 + 8 * 3, l2e[0])])
    _patch(basic, d / "compressed-garbage.qcow", [(">Q", l2, (1 << 63) | (200 << 51) | l2e[1])])
    _patch(basic, d / "compressed-eio.qcow", [(">Q", l2, (1 << 63) | (200 << 51) | (MAX_LENGTH - 8))])
    # A backing name holding a NUL: qemu's C string ends there.
    name_at = struct.unpack_from(">Q", (d / "over-raw.qcow").read_bytes(), 8)[0]
    _patch(d / "over-raw.qcow", d / "name-nul.qcow", [(">B", name_at + 4, 0)])
    return d


_same = format_suite.assert_same

GOOD = ["basic.qcow", "empty.qcow", "odd.qcow", "big.qcow", "compressed.qcow", "aes.qcow",
        "over-raw.qcow", "over-qcow.qcow", "backing-past-eof.qcow", "l1-past-eof.qcow",
        "l2-past-eof.qcow", "l2-eio.qcow", "l2-unaligned.qcow", "data-unaligned.qcow",
        "data-past-eof.qcow", "data-eio.qcow", "data-duplicated.qcow", "compressed-garbage.qcow",
        "compressed-eio.qcow", "name-nul.qcow"]
# magic.qcow probes as raw (refused by safe detection); version2.qcow probes as qcow2: both are
# opened with -f qcow in test_info_forced.
OPEN_ERRORS = ["size-one.qcow", "cluster-bits.qcow", "l2-bits.qcow", "crypt-method.qcow",
               "too-large.qcow", "l1-huge.qcow", "l1-eio.qcow", "backing-long.qcow",
               "backing-eio.qcow", "aes-huge.qcow"]
READABLE = ["basic.qcow", "empty.qcow", "odd.qcow", "big.qcow", "compressed.qcow",
            "over-raw.qcow", "over-qcow.qcow", "over-qcow.qcow2", "backing-past-eof.qcow",
            "l1-past-eof.qcow", "l2-past-eof.qcow", "l2-unaligned.qcow", "data-past-eof.qcow",
            "data-duplicated.qcow", "name-nul.qcow"]
BROKEN_READS = ["l2-eio.qcow", "data-unaligned.qcow", "data-eio.qcow", "compressed-garbage.qcow",
                "compressed-eio.qcow", "aes.qcow", "dangling.qcow"]


@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("image", GOOD + OPEN_ERRORS + ["over-qcow.qcow2", "aes-huge.qcow"])
def test_info(images, as_qemu_img, qemu_img, image, output):
    _same(images, as_qemu_img, qemu_img, ["info", f"--output={output}", image])


@pytest.mark.parametrize("image", ["magic.qcow", "version2.qcow", "tiny.qcow", "basic.qcow",
                                   "over-qcow.qcow"])
def test_info_forced(images, as_qemu_img, qemu_img, image):
    _same(images, as_qemu_img, qemu_img, ["info", "-f", "qcow", image])


@pytest.mark.parametrize("image", ["over-raw.qcow", "over-qcow.qcow", "over-qcow.qcow2"])
def test_info_backing_chain(images, as_qemu_img, qemu_img, image):
    _same(images, as_qemu_img, qemu_img, ["info", "--backing-chain", image])


@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("image", ["basic.qcow", "over-qcow.qcow", "aes.qcow", "dangling.qcow",
                                   "data-eio.qcow", "size-one.qcow"])
def test_check(images, as_qemu_img, qemu_img, image, output):
    _same(images, as_qemu_img, qemu_img, ["check", f"--output={output}", image])


@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("image", READABLE + BROKEN_READS)
def test_map(images, as_qemu_img, qemu_img, image, output):
    _same(images, as_qemu_img, qemu_img, ["map", f"--output={output}", image])


@pytest.mark.parametrize("pair", [("basic.qcow", "basic.qcow"), ("over-raw.qcow", "base.raw"),
                                  ("over-qcow.qcow", "basic.qcow"),
                                  ("compressed.qcow", "src.raw"),
                                  ("over-qcow.qcow2", "basic.qcow"),
                                  ("data-duplicated.qcow", "basic.qcow"),
                                  ("data-unaligned.qcow", "basic.qcow"),
                                  ("aes.qcow", "basic.qcow")])
@pytest.mark.parametrize("strict", [[], ["-s"]])
def test_compare(images, as_qemu_img, qemu_img, pair, strict):
    _same(images, as_qemu_img, qemu_img, ["compare", *strict, *pair])


@pytest.mark.parametrize("image", ["basic.qcow", "compressed.qcow", "over-qcow.qcow",
                                   "aes.qcow", "data-eio.qcow"])
def test_measure(images, as_qemu_img, qemu_img, image):
    _same(images, as_qemu_img, qemu_img, ["measure", "-O", "qcow2", image])


# l2-unaligned.qcow fails a read 2 MiB in: qemu's parallel convert coroutines have written
# some earlier clusters of a qcow2 target by then, instar's none (a generic convert difference).
@pytest.mark.parametrize("target", ["raw", "qcow2"])
@pytest.mark.parametrize("image", READABLE + BROKEN_READS)
def test_convert(images, as_qemu_img, qemu_img, image, target, tmp_path):
    if image == "l2-unaligned.qcow" and target == "qcow2":
        pytest.skip("partial convert output differs (qemu's parallel writes)")
    format_suite.assert_same_convert(images, image, target, as_qemu_img, qemu_img, tmp_path)
