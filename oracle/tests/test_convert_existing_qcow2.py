"""Live differential check of `convert -n -O qcow2` (onto an existing qcow2 target) against the
installed qemu-img: each tool converts onto its own copy of the same target; stdout, stderr, the
exit code and the target's bytes afterwards must be qemu-img's. Targets of several layouts
(cluster sizes, refcount widths, extended L2, v2), empty or holding data the conversion overwrites,
frees or leaves alone; sources with data, zero and unallocated ranges."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from instar_oracle import qcow2_corrupt, runner

SANDBOX = os.environ.get("INSTAR_CONVERT_SANDBOX", "process")
MiB = 1 << 20


def _qemu(*args: str, cwd: Path) -> None:
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def _source(d: Path, kind: str) -> Path:
    """qcow2: data, a zeroed range, data past it, the rest unallocated; raw: the same bytes."""
    path = d / "src.qcow2"
    _qemu("qemu-img", "create", "-q", "-f", "qcow2", str(path), str(4 * MiB), cwd=d)
    _qemu("qemu-io", "-c", "write -P 0x11 0 1M", "-c", "write -z 1M 1M",
          "-c", "write -P 0x22 3M 64k", "-c", "write -P 0x33 3200k 4k", str(path), cwd=d)
    if kind == "raw":
        raw = d / "src.raw"
        _qemu("qemu-img", "convert", "-O", "raw", str(path), str(raw), cwd=d)
        path.unlink()
        return raw
    return path


def _target(d: Path, size: int, options: str, writes=()) -> Path:
    path = d / "target.qcow2"
    _qemu("qemu-img", "create", "-q", "-f", "qcow2", "-o", options, str(path), str(size), cwd=d)
    if writes:
        _qemu("qemu-io", *[a for w in writes for a in ("-c", w)], str(path), cwd=d)
    return path


def _run_both(d: Path, instar_bin: str, qemu_img: str, target: Path, args_for):
    """Runs qemu-img on q.qcow2 and instar on i.qcow2, copies of `target`."""
    shutil.copyfile(target, d / "q.qcow2")
    shutil.copyfile(target, d / "i.qcow2")
    link = d / "qemu-img"
    link.symlink_to(instar_bin)
    theirs = runner.run([qemu_img, *args_for("q.qcow2")], d, timeout=120)
    ours = runner.run([str(link), f"--sandbox={SANDBOX}", *args_for("i.qcow2")], d, timeout=120)
    assert ours.signal is None, ours
    assert (ours.stdout, ours.stderr.replace(b"i.qcow2", b"q.qcow2"), ours.rc) == \
        (theirs.stdout, theirs.stderr, theirs.rc), runner.reproduction(ours.argv, d)
    if "-W" in args_for("x"):
        # Out-of-order writes: qemu's allocation order varies from run to run; the guest data
        # must be the same and instar's image clean.
        same = subprocess.run([qemu_img, "compare", "q.qcow2", "i.qcow2"], cwd=d)
        clean = subprocess.run([qemu_img, "check", "i.qcow2"], cwd=d, stdout=subprocess.DEVNULL)
        assert (same.returncode, clean.returncode) == (0, 0)
        return theirs
    digest = [hashlib.sha256((d / n).read_bytes()).hexdigest() for n in ("q.qcow2", "i.qcow2")]
    assert digest[0] == digest[1], "the targets' bytes differ"
    return theirs


LAYOUTS = ["cluster_size=65536", "cluster_size=512", "cluster_size=4096,refcount_bits=1",
           "cluster_size=2M", "refcount_bits=64", "extended_l2=on",
           "cluster_size=16k,extended_l2=on", "compat=0.10", "lazy_refcounts=on"]
# What the target holds before: nothing, data the conversion overwrites, data it zeroes or frees,
# data past the source's end, subclusters.
CONTENTS = {
    "empty": (),
    "overlapping": ("write -P 0x55 512k 2M", "write -P 0x66 6M 128k"),
    "scattered": ("write -P 0x44 0 4k", "write -P 0x45 1536k 8k", "write -P 0x46 3M 512",
                  "write -z 2M 512k"),
}

CASES = [(layout, content, ["-p"]) for layout in LAYOUTS for content in CONTENTS]
CASES += [("cluster_size=65536", "overlapping", opts)
          for opts in (["-S", "0"], ["-q"], ["-S", "4k", "-W"], ["-t", "writeback", "-m", "2"])]
CASES += [("cluster_size=65536", "empty", ["--target-is-zero"])]


@pytest.mark.parametrize("layout,content,options", CASES,
                         ids=[f"{lay}:{c}:{''.join(o)}" for lay, c, o in CASES])
@pytest.mark.parametrize("source", ["qcow2", "raw"])
def test_convert_onto_existing_qcow2(source, layout, content, options, tmp_path, instar_bin,
                                     qemu_img):
    src = _source(tmp_path, source)
    target = _target(tmp_path, 8 * MiB, layout, CONTENTS[content])
    theirs = _run_both(tmp_path, instar_bin, qemu_img, target,
                       lambda t: ["convert", "-n", "-O", "qcow2", *options, str(src), t])
    assert theirs.rc == 0


def test_target_exactly_the_source_size(tmp_path, instar_bin, qemu_img):
    src = _source(tmp_path, "qcow2")
    target = _target(tmp_path, 4 * MiB, "cluster_size=65536", ("write -P 0x77 0 4M",))
    _run_both(tmp_path, instar_bin, qemu_img, target,
              lambda t: ["convert", "-n", "-O", "qcow2", str(src), t])


def _corrupt_bit(path: Path) -> None:
    with open(path, "r+b") as f:
        f.seek(72)
        incompatible = int.from_bytes(f.read(8), "big")
        f.seek(72)
        f.write((incompatible | 2).to_bytes(8, "big"))


# qemu's errors: a target too small, missing, not qcow2, corrupt, and -n option misuse.
@pytest.mark.parametrize("case", ["too-small", "missing", "raw-target", "corrupt-bit",
                                  "bad-l1-offset", "create-options"])
def test_target_errors_match(case, tmp_path, instar_bin, qemu_img):
    src = str(_source(tmp_path, "qcow2"))
    options = ["-o", "cluster_size=4k"] if case == "create-options" else []
    if case == "too-small":
        target = _target(tmp_path, 2 * MiB, "cluster_size=65536")
    elif case == "raw-target":
        target = tmp_path / "target.qcow2"
        target.write_bytes(b"\0" * 8 * MiB)
    else:
        target = _target(tmp_path, 8 * MiB, "cluster_size=65536")
    if case == "corrupt-bit":
        _corrupt_bit(target)
    elif case == "bad-l1-offset":
        with open(target, "r+b") as f:
            f.seek(40)
            f.write((0x12345).to_bytes(8, "big"))

    def args(t):
        return ["convert", "-n", "-O", "qcow2", *options, src,
                "nonexistent.qcow2" if case == "missing" else t]
    theirs = _run_both(tmp_path, instar_bin, qemu_img, target, args)
    assert theirs.rc == 1


# What instar does not model yet is refused before the target is written (never half-written).
@pytest.mark.parametrize("case", ["backing", "snapshot", "compressed", "bitmap", "dash-B", "dash-c"])
def test_unsupported_targets_are_refused_untouched(case, tmp_path, instar_bin):
    src = _source(tmp_path, "qcow2")
    options = []
    if case == "backing":
        _target(tmp_path, 8 * MiB, "cluster_size=65536")
        (tmp_path / "target.qcow2").rename(tmp_path / "base.qcow2")
        _qemu("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2",
              "target.qcow2", cwd=tmp_path)
    elif case == "snapshot":
        _target(tmp_path, 8 * MiB, "cluster_size=65536", ("write -P 1 0 64k",))
        _qemu("qemu-img", "snapshot", "-c", "s1", "target.qcow2", cwd=tmp_path)
    elif case == "compressed":
        _target(tmp_path, 8 * MiB, "cluster_size=65536")
        _qemu("qemu-io", "-c", "write -c -P 1 0 64k", "target.qcow2", cwd=tmp_path)
    elif case == "bitmap":
        _target(tmp_path, 8 * MiB, "cluster_size=65536")
        _qemu("qemu-img", "bitmap", "--add", "target.qcow2", "b0", cwd=tmp_path)
    else:
        _target(tmp_path, 8 * MiB, "cluster_size=65536")
        options = ["-B", "x.qcow2", "-F", "qcow2"] if case == "dash-B" else ["-c"]
    target = tmp_path / "target.qcow2"
    before = target.read_bytes()
    run = runner.run([instar_bin, f"--sandbox={SANDBOX}", "convert", "-n", "-O", "qcow2",
                      *options, str(src), str(target)], tmp_path)
    assert run.rc == 1, run
    assert b"not supported by instar yet" in run.stderr, run.stderr
    assert target.read_bytes() == before


def test_compressed_cluster_helper_is_real(tmp_path):
    # The "compressed" case above must hold a compressed cluster, or it would test nothing.
    _target(tmp_path, 8 * MiB, "cluster_size=65536")
    _qemu("qemu-io", "-c", "write -c -P 1 0 64k", "target.qcow2", cwd=tmp_path)
    image = qcow2_corrupt.Qcow2File(tmp_path / "target.qcow2")
    assert image._read_u64(image.l2_entry_offset(0, 0)) & (1 << 62)
