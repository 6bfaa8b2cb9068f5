"""Live differential check of `convert --salvage` against the installed qemu-img: images whose
block status or reads fail (qcow2 corruption events, a compressed cluster that does not inflate)
are converted by both tools; stdout (-p), stderr (the corruption event line once per image, a
warning per sector, none with -q), the exit code and the output's bytes must be qemu-img's."""
from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from instar_oracle import qcow2_corrupt, runner

SANDBOX = os.environ.get("INSTAR_CONVERT_SANDBOX", "process")
SIZE = 256 * 1024  # small: qemu warns once per 512-byte sector


def _qemu(*args: str, cwd: Path) -> None:
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def _written(path: Path, *opts: str, compat: str = "1.1") -> Path:
    """A qcow2 of SIZE bytes with data in its first and third 64 KiB clusters."""
    _qemu("qemu-img", "create", "-q", "-f", "qcow2", "-o", f"compat={compat}", *opts, str(path),
          str(SIZE), cwd=path.parent)
    _qemu("qemu-io", "-c", "write -P 0x11 0 64k", "-c", "write -P 0x22 128k 64k", str(path),
          cwd=path.parent)
    return path


def _l2_unaligned(d: Path, name="a.qcow2") -> Path:
    image = qcow2_corrupt.Qcow2File(_written(d / name))
    image.set_l1(0, image._read_u64(image.l1_offset) + 0x200)
    return image.path


def _cluster_unaligned(d: Path) -> Path:
    image = qcow2_corrupt.Qcow2File(_written(d / "a.qcow2"))
    entry = image._read_u64(image.l2_entry_offset(0, 2))
    image.set_l2(0, 2, entry + 0x200)
    return image.path


def _zero_flag_in_v2(d: Path) -> Path:
    image = qcow2_corrupt.Qcow2File(_written(d / "a.qcow2", compat="0.10"))
    entry = image._read_u64(image.l2_entry_offset(0, 0))
    image.set_l2(0, 0, entry | 1)
    return image.path


def _bad_compressed(d: Path) -> Path:
    plain = _written(d / "plain.qcow2")
    out = d / "a.qcow2"
    _qemu("qemu-img", "convert", "-c", "-O", "qcow2", str(plain), str(out), cwd=d)
    plain.unlink()
    # The first compressed cluster's stream: garbage that does not inflate.
    image = qcow2_corrupt.Qcow2File(out)
    entry = image._read_u64(image.l2_entry_offset(0, 0))
    offset_bits = 62 - (image.cluster_size.bit_length() - 1 - 8)
    host = entry & ((1 << offset_bits) - 1)
    image._write(host, b"\xff" * 64)
    return out


def _corrupt_backing(d: Path) -> Path:
    _l2_unaligned(d, "base.qcow2")
    _qemu("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "a.qcow2",
          cwd=d)
    _qemu("qemu-io", "-c", "write -P 0x33 64k 64k", "a.qcow2", cwd=d)
    return d / "a.qcow2"


IMAGES = {"l2-unaligned": _l2_unaligned, "cluster-unaligned": _cluster_unaligned,
          "zero-flag-v2": _zero_flag_in_v2, "bad-compressed": _bad_compressed,
          "corrupt-backing": _corrupt_backing}

CASES = [(name, []) for name in IMAGES]
CASES += [("l2-unaligned", opts) for opts in (["-q"], ["-p"], ["-O", "qcow2"], ["-S", "0"],
                                              ["-c", "-O", "qcow2"])]
CASES += [("cluster-unaligned", ["-p", "-O", "qcow2"]), ("bad-compressed", ["-q", "-p"])]


def _run_both(tmp_path: Path, instar_bin: str, qemu_img: str, args_for):
    link = tmp_path / "qemu-img"
    link.symlink_to(instar_bin)
    theirs = runner.run([qemu_img, *args_for("q.out")], tmp_path, timeout=120)
    ours = runner.run([str(link), f"--sandbox={SANDBOX}", *args_for("i.out")], tmp_path,
                      timeout=120)
    assert ours.signal is None, ours
    assert (ours.stdout, ours.stderr.replace(b"i.out", b"q.out"), ours.rc) == \
        (theirs.stdout, theirs.stderr, theirs.rc), runner.reproduction(ours.argv, tmp_path)

    def digest(name):
        path = tmp_path / name
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
    assert digest("i.out") == digest("q.out")
    return theirs


@pytest.mark.parametrize("name,options", CASES, ids=[f"{n}:{''.join(o)}" for n, o in CASES])
def test_salvage_matches_qemu_img(name, options, tmp_path, instar_bin, qemu_img):
    image = IMAGES[name](tmp_path)
    theirs = _run_both(tmp_path, instar_bin, qemu_img,
                       lambda out: ["convert", "--salvage", *options, str(image), out])
    assert theirs.rc == 0  # salvaging is what makes these conversions succeed


def test_salvage_of_two_corrupt_inputs_signals_each_once(tmp_path, instar_bin, qemu_img):
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    images = [str(_l2_unaligned(first)), str(_cluster_unaligned(second))]
    theirs = _run_both(tmp_path, instar_bin, qemu_img,
                       lambda out: ["convert", "--salvage", "-p", *images, out])
    assert theirs.stderr.count(b"qcow2: Image is corrupt") == 2


def test_without_salvage_the_first_failure_ends_the_conversion(tmp_path, instar_bin, qemu_img):
    image = _cluster_unaligned(tmp_path)
    theirs = _run_both(tmp_path, instar_bin, qemu_img,
                       lambda out: ["convert", "-O", "raw", str(image), out])
    assert theirs.rc == 1


def test_salvage_refuses_copy_offloading(tmp_path, instar_bin, qemu_img):
    image = _written(tmp_path / "a.qcow2")
    _run_both(tmp_path, instar_bin, qemu_img,
              lambda out: ["convert", "--salvage", "-C", str(image), out])


def test_a_readable_image_converts_as_without_salvage(tmp_path, instar_bin, qemu_img):
    image = _written(tmp_path / "a.qcow2")
    theirs = _run_both(tmp_path, instar_bin, qemu_img,
                       lambda out: ["convert", "--salvage", "-p", "-O", "qcow2", str(image), out])
    assert theirs.stderr == b""

