"""Live differential check of `check -r leaks` and `check -r all` against the installed qemu-img:
each case makes one qcow2 image (qemu-img create, qemu-io writes, then one corruption patched in
with the small qcow2 editor below), copies it into two identical directories, runs the check with
each tool and requires the same stdout, stderr, exit code and the same file left behind (length
and sha256). Corruptions x refcount widths x cluster sizes, human and JSON output. What instar
does not repair yet (docs/check.md: a refcount structure rebuild, ...) is refused before anything
is written: those cases check the refusal and the untouched file.
INSTAR_CHECK_REPAIR_FULL=1 runs every refcount width."""
from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess

import pytest

from instar_oracle import runner

COPIED = 1 << 63
L2_OFFSET_MASK = 0x00fffffffffffe00


class Qcow2:
    """Just enough of a qcow2 file to corrupt it: L1/L2 entries and refcounts (any width, sub-byte
    entries packed LSB-first as qemu packs them)."""

    def __init__(self, path):
        self.path = path
        self.data = bytearray(path.read_bytes())
        self.cluster_bits = self.u32(20)
        self.cluster_size = 1 << self.cluster_bits
        self.l1_offset = self.u64(40)
        self.reftable_offset = self.u64(48)
        self.order = self.u32(96) if self.u32(4) >= 3 else 4

    def u32(self, at):
        return struct.unpack_from(">I", self.data, at)[0]

    def u64(self, at):
        return struct.unpack_from(">Q", self.data, at)[0]

    def put64(self, at, value):
        struct.pack_into(">Q", self.data, at, value)

    def save(self):
        self.path.write_bytes(bytes(self.data))

    def l1(self, i=0):
        return self.l1_offset + 8 * i

    def l2(self, i, l1_index=0):
        entry_size = 16 if self.u64(72) & 16 else 8  # extended L2
        return (self.u64(self.l1(l1_index)) & L2_OFFSET_MASK) + entry_size * i

    def data_cluster(self, i):
        return (self.u64(self.l2(i)) & L2_OFFSET_MASK) >> self.cluster_bits

    def _refcount_at(self, cluster):
        block_bits = self.cluster_bits + 3 - self.order
        block = self.u64(self.reftable_offset + 8 * (cluster >> block_bits)) & ~0x1ff
        index = cluster & ((1 << block_bits) - 1)
        return block, index, 1 << self.order

    def refcount(self, cluster):
        block, index, bits = self._refcount_at(cluster)
        if bits < 8:
            byte = self.data[block + index * bits // 8]
            return (byte >> (index * bits % 8)) & ((1 << bits) - 1)
        n = bits // 8
        return int.from_bytes(self.data[block + index * n:block + (index + 1) * n], "big")

    def set_refcount(self, cluster, value):
        block, index, bits = self._refcount_at(cluster)
        if bits < 8:
            at = block + index * bits // 8
            shift = index * bits % 8
            mask = ((1 << bits) - 1) << shift
            self.data[at] = (self.data[at] & ~mask) | ((value << shift) & mask)
            return
        n = bits // 8
        self.data[block + index * n:block + (index + 1) * n] = value.to_bytes(n, "big")


def _max_refcount(q):
    return (1 << (1 << q.order)) - 1


# Each corruption edits the image after the writes; False when it does not apply to the layout.
def _leak_data(q):
    q.put64(q.l2(1), 0)


def _leak_two(q):
    q.put64(q.l2(1), 0)
    q.put64(q.l2(3), 0)


def _refcount_high(q):
    if _max_refcount(q) < 2:
        return False
    q.set_refcount(q.data_cluster(0), 2)


def _refcount_very_high(q):
    q.set_refcount(q.data_cluster(0), _max_refcount(q))


def _refcount_low(q):
    # Two entries share one cluster (refcount 1, reference 2); the other cluster leaks.
    q.put64(q.l2(1), q.u64(q.l2(0)))


def _refcount_zero(q):
    q.set_refcount(q.data_cluster(0), 0)


def _copied_clear_data(q):
    q.put64(q.l2(0), q.u64(q.l2(0)) & ~COPIED)


def _copied_clear_l1(q):
    q.put64(q.l1(0), q.u64(q.l1(0)) & ~COPIED)


def _copied_set_shared(q):
    # After a snapshot: the L2 table and its clusters have refcount 2.
    q.put64(q.l1(0), q.u64(q.l1(0)) | COPIED)
    q.put64(q.l2(0), q.u64(q.l2(0)) | COPIED)


def _dirty_leak(q):
    q.put64(72, q.u64(72) | 1)
    _leak_data(q)


def _dirty_clean(q):
    q.put64(72, q.u64(72) | 1)


def _corrupt_leak(q):
    q.put64(72, q.u64(72) | 2)
    _leak_data(q)


def _corrupt_low(q):
    q.put64(72, q.u64(72) | 2)
    _refcount_low(q)


def _leak_and_low(q):
    _leak_two(q)
    _refcount_low(q)


def _nothing(q):
    pass


_DATA = ["write -P 0x11 0 4k", "write -P 0x22 8k 4k", "write -P 0x33 16k 4k",
         "write -P 0x44 32k 4k"]
_CORRUPTIONS = {
    "clean": (_nothing, []),
    "leak": (_leak_data, []),
    "leak-two": (_leak_two, []),
    "refcount-high": (_refcount_high, []),
    "refcount-max": (_refcount_very_high, []),
    "refcount-low": (_refcount_low, []),
    "refcount-zero": (_refcount_zero, []),
    "copied-clear-data": (_copied_clear_data, []),
    "copied-clear-l1": (_copied_clear_l1, []),
    "copied-set-shared": (_copied_set_shared, ["snapshot s1"]),
    "leak-with-snapshot": (_leak_data, ["snapshot s1", "write -P 0x55 0 4k"]),
    "dirty-leak": (_dirty_leak, []),
    "dirty-clean": (_dirty_clean, []),
    "corrupt-leak": (_corrupt_leak, []),
    "corrupt-low": (_corrupt_low, []),
    "leak-and-low": (_leak_and_low, []),
}
# What instar refuses with -r all (qemu rebuilds the refcount structure).
_REFUSED_ALL = {"refcount-zero"}


def _build(directory, options, corruption) -> bool:
    edit, extra = _CORRUPTIONS[corruption]
    img = directory / "img"
    if "refcount_bits=1" in options and any(s.startswith("snapshot") for s in extra):
        return False  # a snapshot needs refcount 2
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-o", options, str(img), "4M"],
                   check=True)
    for step in _DATA + extra:
        if step.startswith("snapshot "):
            subprocess.run(["qemu-img", "snapshot", "-c", step.split()[1], str(img)], check=True)
            continue
        subprocess.run(["qemu-io", "-f", "qcow2", "-c", step, str(img)], check=True,
                       stdout=subprocess.DEVNULL)
    q = Qcow2(img)
    if edit(q) is False:
        return False
    q.save()
    return True


def _digest(path) -> tuple[int, str]:
    data = path.read_bytes()
    return len(data), hashlib.sha256(data).hexdigest()


def _compare(tmp_path, as_qemu_img, qemu_img, options, corruption, args):
    source = tmp_path / "source"
    os.makedirs(source)
    if not _build(source, options, corruption):
        pytest.skip("the case needs a wider refcount")
    dirs = {}
    for tool in ("ours", "theirs"):
        dirs[tool] = tmp_path / tool
        shutil.copytree(source, dirs[tool])
    ours = runner.run([as_qemu_img, "--sandbox=process", "check", *args, "img"], dirs["ours"])
    theirs = runner.run([qemu_img, "check", *args, "img"], dirs["theirs"])
    show = (f"--- qemu-img rc={theirs.rc}\n{theirs.stdout.decode()}{theirs.stderr.decode()}"
            f"--- instar rc={ours.rc}\n{ours.stdout.decode()}{ours.stderr.decode()}"
            f"reproduce: {runner.reproduction(ours.argv, dirs['ours'])}")
    if "all" in args and corruption in _REFUSED_ALL:
        assert ours.rc == 1, show
        assert b"is not supported by instar yet" in ours.stderr, show
        assert ours.stdout == b"", show
        assert _digest(dirs["ours"] / "img") == _digest(source / "img"), show
        return
    assert (ours.stdout, ours.stderr, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc), show
    assert _digest(dirs["ours"] / "img") == _digest(dirs["theirs"] / "img"), show


# INSTAR_CHECK_REPAIR_FULL=1 runs every refcount width (a few minutes more).
_WIDTHS = ([1, 2, 4, 8, 16, 32, 64] if os.environ.get("INSTAR_CHECK_REPAIR_FULL") == "1"
           else [1, 2, 16, 64])


@pytest.mark.parametrize("mode", ["leaks", "all"])
@pytest.mark.parametrize("width", _WIDTHS)
@pytest.mark.parametrize("corruption", sorted(_CORRUPTIONS))
def test_widths(tmp_path, as_qemu_img, qemu_img, corruption, width, mode):
    _compare(tmp_path, as_qemu_img, qemu_img, f"refcount_bits={width}", corruption,
             ["-r", mode])


@pytest.mark.parametrize("mode", ["leaks", "all"])
@pytest.mark.parametrize("layout", ["cluster_size=512", "cluster_size=4k,refcount_bits=2",
                                    "cluster_size=2M", "extended_l2=on", "compat=0.10",
                                    "lazy_refcounts=on"])
@pytest.mark.parametrize("corruption", ["leak", "leak-two", "refcount-low", "copied-clear-data",
                                        "copied-set-shared", "refcount-high", "dirty-leak"])
def test_layouts(tmp_path, as_qemu_img, qemu_img, corruption, layout, mode):
    if layout == "compat=0.10" and corruption == "dirty-leak":
        pytest.skip("v2 has no dirty bit")
    _compare(tmp_path, as_qemu_img, qemu_img, layout, corruption, ["-r", mode])


@pytest.mark.parametrize("args", [["-r", "leaks", "--output=json"], ["-r", "all", "--output=json"],
                                  ["-q", "-r", "all"], ["--repair=leaks", "-q", "--output=json"]])
@pytest.mark.parametrize("corruption", sorted(_CORRUPTIONS))
def test_output(tmp_path, as_qemu_img, qemu_img, corruption, args):
    _compare(tmp_path, as_qemu_img, qemu_img, "refcount_bits=16", corruption, args)


@pytest.mark.parametrize("case", ["raw-probed", "raw", "vpc", "vmdk", "vdi"])
@pytest.mark.parametrize("mode", ["leaks", "all"])
def test_formats_without_repair(tmp_path, as_qemu_img, qemu_img, case, mode):
    """Formats whose check takes no fix mode: qemu's "does not support checks" (exit 63), after its
    warning about a probed raw image opened for writing."""
    source = tmp_path / "source"
    os.makedirs(source)
    fmt = case.split("-")[0]
    subprocess.run(["qemu-img", "create", "-q", "-f", fmt, str(source / "img"), "1M"], check=True)
    # -f with a format other than raw and qcow2 is refused by instar's writable open (docs/check.md).
    args = ["-r", mode] + (["-f", fmt] if case == "raw" else [])
    runs = {}
    for tool, binary in (("ours", as_qemu_img), ("theirs", qemu_img)):
        shutil.copytree(source, tmp_path / tool)
        extra = ["--sandbox=process"] if tool == "ours" else []
        runs[tool] = runner.run([binary, *extra, "check", *args, "img"], tmp_path / tool)
    ours, theirs = runs["ours"], runs["theirs"]
    assert (ours.stdout, ours.stderr, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc)
    assert _digest(tmp_path / "ours" / "img") == _digest(source / "img")


def test_qed_is_refused(tmp_path, as_qemu_img):
    """qemu repairs qed images; instar refuses before writing."""
    subprocess.run(["qemu-img", "create", "-q", "-f", "qed", str(tmp_path / "img"), "1M"],
                   check=True)
    before = _digest(tmp_path / "img")
    run = runner.run([as_qemu_img, "--sandbox=process", "check", "-r", "all", "img"], tmp_path)
    assert run.rc == 1
    assert run.stderr == (b"qemu-img: check -r of an image of a format other than qcow2 is not "
                          b"supported by instar yet\n")
    assert _digest(tmp_path / "img") == before
