"""Live differential check of qcow2 images with preallocated metadata against the installed
qemu-img: qemu's block status finds them (qcow2_detect_metadata_preallocation(): more clusters in
use than the file's st_blocks hold) and then asks the file system about each data cluster, so
the file's holes read as zero data. map (human, JSON, ranges), compare (-s too), convert output
bytes and measure must show exactly that, for the image file, an external data file, a backing
file, and for images that are not found (fully allocated copies, falloc preallocation)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from instar_oracle import format_suite

MIB = 1 << 20


def _run(*argv, cwd=None) -> None:
    subprocess.run([str(a) for a in argv], check=True, capture_output=True, cwd=cwd)


@pytest.fixture(scope="module")
def images(tmp_path_factory, qemu_img):
    d = tmp_path_factory.mktemp("prealloc")
    qemu_io = str(Path(qemu_img).with_name("qemu-io"))
    create = lambda name, size, opts: _run(  # noqa: E731
        qemu_img, "create", "-q", "-f", "qcow2", "-o", opts, d / name, size)
    create("pm.qcow2", 4 * MIB, "preallocation=metadata")
    _run(qemu_io, "-c", "write -P 0x11 64k 64k", "-c", "write -P 0x22 1M 4k",
         "-c", "write -z 2M 64k", "-c", "write -P 0 3M 64k", d / "pm.qcow2")
    create("pm-empty.qcow2", 2 * MIB, "preallocation=metadata")
    create("pm-odd.qcow2", MIB + 1000, "preallocation=metadata,cluster_size=4k")
    _run(qemu_io, "-c", "write -P 0x33 8k 12k", d / "pm-odd.qcow2")
    create("pm-512.qcow2", MIB, "preallocation=metadata,cluster_size=512")
    _run(qemu_io, "-c", "write -P 0x44 1536 3k", d / "pm-512.qcow2")
    create("pm-el2.qcow2", 4 * MIB, "preallocation=metadata,extended_l2=on")
    _run(qemu_io, "-c", "write -P 0x55 100k 8k", d / "pm-el2.qcow2")
    create("pm-v2.qcow2", 4 * MIB, "preallocation=metadata,compat=0.10")
    _run(qemu_io, "-c", "write -P 0x66 192k 64k", d / "pm-v2.qcow2")
    # Not found: the whole file is allocated (a plain copy), or falloc allocated the clusters.
    with open(d / "pm.qcow2", "rb") as src, open(d / "pm-dense.qcow2", "wb") as dst:
        shutil.copyfileobj(src, dst)
    create("pm-falloc.qcow2", 2 * MIB, "preallocation=falloc")
    _run(qemu_io, "-c", "write -P 0x77 0 64k", d / "pm-falloc.qcow2")
    # An external data file (qemu 7.2 resolves its stored name from the working directory, so
    # everything runs in the image's directory): its holes are what block status asks about.
    _run(qemu_img, "create", "-q", "-f", "qcow2", "-o",
         "preallocation=metadata,data_file=pm-data.raw", "pm-data.qcow2", 4 * MIB, cwd=d)
    assert (d / "pm-data.raw").exists()
    # Its qcow2 file copied with the zeros of its tables as holes: now it is found (5 clusters in
    # use, none allocated), and block status asks the data file.
    _run("cp", "--sparse=always", "pm-data.qcow2", "pm-data-sparse.qcow2", cwd=d)
    _run(qemu_io, "-c", "write -P 0x88 512k 64k", "pm-data.qcow2", cwd=d)
    # An overlay over the preallocated image: the zero data shows at depth 1.
    _run(qemu_img, "create", "-q", "-f", "qcow2", "-b", "pm.qcow2", "-F", "qcow2",
         d / "overlay.qcow2")
    _run(qemu_io, "-c", "write -P 0x99 0 64k", d / "overlay.qcow2")
    _run(qemu_img, "create", "-q", "-f", "raw", d / "zeros.raw", 4 * MIB)
    return d


IMAGES = ["pm.qcow2", "pm-empty.qcow2", "pm-odd.qcow2", "pm-512.qcow2", "pm-el2.qcow2",
          "pm-v2.qcow2", "pm-dense.qcow2", "pm-falloc.qcow2", "pm-data.qcow2", "pm-data-sparse.qcow2",
          "overlay.qcow2"]


@pytest.mark.parametrize("image", IMAGES)
@pytest.mark.parametrize("output", ["human", "json"])
def test_map(images, as_qemu_img, qemu_img, image, output):
    format_suite.assert_same(images, as_qemu_img, qemu_img, ["map", f"--output={output}", image])


@pytest.mark.parametrize("window", [["--start-offset=65536", "--max-length=100000"],
                                    ["--start-offset=1000000"], ["--max-length=3000000"]])
def test_map_window(images, as_qemu_img, qemu_img, window):
    format_suite.assert_same(images, as_qemu_img, qemu_img,
                             ["map", "--output=json", *window, "pm.qcow2"])


@pytest.mark.parametrize("pair", [("pm.qcow2", "pm-dense.qcow2"), ("pm-empty.qcow2", "zeros.raw"),
                                  ("pm.qcow2", "overlay.qcow2"), ("pm-data.qcow2", "pm.qcow2"),
                                  ("pm-data-sparse.qcow2", "pm-data.qcow2"),
                                  ("pm-empty.qcow2", "pm-falloc.qcow2")])
@pytest.mark.parametrize("strict", [[], ["-s"]])
def test_compare(images, as_qemu_img, qemu_img, pair, strict):
    format_suite.assert_same(images, as_qemu_img, qemu_img, ["compare", *strict, *pair])


@pytest.mark.parametrize("image", ["pm.qcow2", "pm-odd.qcow2", "pm-data-sparse.qcow2",
                                   "overlay.qcow2"])
@pytest.mark.parametrize("target,options", [("raw", []), ("raw", ["-S", "0"]), ("qcow2", []),
                                            ("qcow2", ["-S", "0"])])
def test_convert(images, as_qemu_img, qemu_img, image, target, options, tmp_path):
    format_suite.assert_same_convert(images, image, target, as_qemu_img, qemu_img, tmp_path,
                                     options)


@pytest.mark.parametrize("image", ["pm.qcow2", "pm-empty.qcow2", "pm-dense.qcow2"])
def test_measure(images, as_qemu_img, qemu_img, image):
    format_suite.assert_same(images, as_qemu_img, qemu_img,
                             ["measure", "--output=json", "-O", "qcow2", image])
