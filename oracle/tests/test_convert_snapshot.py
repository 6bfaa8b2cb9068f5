"""convert -l (an input read at one of its internal snapshots) against the live qemu-img 7.2:
stdout, stderr, exit code and the target's bytes, for every way -l names a snapshot, qemu's
parse errors, its id-before-name rule, corrupt snapshot L1 tables, and a failed load leaving an
existing target untouched (qemu loads the snapshot before it creates the target)."""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from instar_oracle import runner

SANDBOX = os.environ.get("INSTAR_CONVERT_SANDBOX", "process")


@pytest.fixture(scope="module")
def images(tmp_path_factory, qemu_img) -> Path:
    """s.qcow2: snapshot "2" (id 1) of 4 MiB, then snapshot "x" (id 2) after more writes and a
    grow to 8 MiB, then more writes; bad-offset.qcow2 and bad-size.qcow2: s.qcow2 with snapshot
    1's L1 table offset unaligned / its L1 size past qemu's limit; r.raw."""
    d = tmp_path_factory.mktemp("convert-snapshot")

    def run(*argv):
        subprocess.run(argv, cwd=d, check=True, stdout=subprocess.DEVNULL)
    run(qemu_img, "create", "-q", "-f", "qcow2", "-o", "cluster_size=4k", "s.qcow2", "4M")
    run("qemu-io", "-c", "write -P 0x11 0 1M", "s.qcow2")
    run(qemu_img, "snapshot", "-c", "2", "s.qcow2")
    run("qemu-io", "-c", "write -P 0x22 512k 1M", "s.qcow2")
    run(qemu_img, "resize", "-q", "s.qcow2", "8M")
    run("qemu-io", "-c", "write -P 0x33 6M 64k", "s.qcow2")
    run(qemu_img, "snapshot", "-c", "x", "s.qcow2")
    run("qemu-io", "-c", "write -z 0 256k", "-c", "write -P 0x44 7M 4k", "s.qcow2")
    head = (d / "s.qcow2").read_bytes()
    table = struct.unpack(">Q", head[64:72])[0]
    l1_offset, = struct.unpack(">Q", head[table:table + 8])
    for name, at, value in (("bad-offset.qcow2", table, struct.pack(">Q", l1_offset + 512)),
                            ("bad-size.qcow2", table + 8, struct.pack(">I", 0x400001))):
        patched = bytearray(head)
        patched[at:at + len(value)] = value
        (d / name).write_bytes(bytes(patched))
    run(qemu_img, "create", "-q", "-f", "raw", "r.raw", "1M")
    return d


CASES = {
    "name": ["-O", "raw", "-l", "x", "s.qcow2"],
    "id-before-name": ["-O", "raw", "-l", "2", "s.qcow2"],
    "id": ["-O", "raw", "-l", "snapshot.id=1", "s.qcow2"],
    "options-name": ["-O", "raw", "-l", "snapshot.name=2", "s.qcow2"],
    "options-both": ["-O", "raw", "-l", "snapshot.id=2,snapshot.name=x", "s.qcow2"],
    "options-mismatch": ["-O", "raw", "-l", "snapshot.id=1,snapshot.name=x", "s.qcow2"],
    "options-win-over-name": ["-O", "raw", "-l", "snapshot.id=1", "-l", "x", "s.qcow2"],
    "last-name-wins": ["-O", "raw", "-l", "nope", "-l", "x", "s.qcow2"],
    "not-found": ["-p", "-O", "raw", "-l", "nope", "s.qcow2"],
    "qcow2-target": ["-O", "qcow2", "-l", "x", "s.qcow2"],
    "compressed-target": ["-c", "-O", "qcow2", "-l", "2", "s.qcow2"],
    "concatenating-name": ["-O", "raw", "-l", "x", "s.qcow2", "r.raw"],
    "concatenating-options": ["-O", "raw", "-l", "snapshot.id=1", "s.qcow2", "r.raw"],
    "raw-input": ["-O", "raw", "-l", "x", "r.raw"],
    "parse-invalid": ["-O", "raw", "-l", "snapshot.id=1,foo=2", "s.qcow2"],
    "parse-short-boolean": ["-O", "raw", "-l", "snapshot.id", "s.qcow2"],
    "parse-help": ["-O", "raw", "-l", "snapshot.name=x,help", "s.qcow2"],
    "parse-bad-id": ["-O", "raw", "-l", "snapshot.id=1,id=1x", "s.qcow2"],
    "open-error-first": ["-O", "raw", "-l", "x", "missing.qcow2"],
    "l1-offset-by-options": ["-O", "raw", "-l", "snapshot.id=1", "bad-offset.qcow2"],
    "l1-offset-by-name": ["-O", "raw", "-l", "2", "bad-offset.qcow2"],  # id 1 is not "2"
    "l1-offset-retried-by-name": ["-O", "raw", "-l", "1", "bad-offset.qcow2"],
    "l1-size": ["-O", "raw", "-l", "snapshot.id=1", "bad-size.qcow2"],
    "l1-size-not-retried": ["-O", "raw", "-l", "1", "bad-size.qcow2"],
}


def _run_both(name, args, images, tmp_path, as_qemu_img, qemu_img, existing: bytes | None):
    results = []
    for program, sandbox in ((qemu_img, []), (as_qemu_img, [f"--sandbox={SANDBOX}"])):
        work = tmp_path / ("instar" if sandbox else "qemu")
        shutil.copytree(images, work)
        if existing is not None:
            (work / "out").write_bytes(existing)
        run = runner.run([program, *sandbox, "convert", *args, "out"], work, timeout=120)
        out = work / "out"
        results.append((run.stdout, run.stderr, run.rc,
                        out.read_bytes() if out.exists() else None))
    assert results[1][:3] == results[0][:3], f"{name}\ninstar {results[1][:3]}\nqemu   {results[0][:3]}"
    assert results[1][3] == results[0][3], f"{name}: the targets differ"
    return results[0]


@pytest.mark.parametrize("name", sorted(CASES))
def test_convert_snapshot_as_qemu_img(name, images, tmp_path, as_qemu_img, qemu_img):
    _run_both(name, CASES[name], images, tmp_path, as_qemu_img, qemu_img, None)


def test_failed_load_leaves_an_existing_target_untouched(images, tmp_path, as_qemu_img,
                                                         qemu_img):
    before = bytes(range(256)) * 64
    stdout, stderr, rc, after = _run_both("existing", ["-O", "raw", "-l", "nope", "s.qcow2"],
                                          images, tmp_path, as_qemu_img, qemu_img, before)
    assert rc == 1 and b"Can't find snapshot" in stderr
    assert after == before


def test_snapshot_content_is_the_snapshots(images, tmp_path, qemu_img, instar_bin):
    """The snapshot's data, not the image's current data: qemu-img compare of instar's target
    with the snapshot as qemu-img reads it (a second, independent check of the bytes)."""
    run = runner.run([instar_bin, f"--sandbox={SANDBOX}", "convert", "-O", "raw", "-l", "2",
                      str(images / "s.qcow2"), str(tmp_path / "snap.raw")], tmp_path)
    assert run.rc == 0, run.stderr
    data = (tmp_path / "snap.raw").read_bytes()
    assert len(data) == 8 << 20
    assert data[:512 << 10] == b"\x11" * (512 << 10)  # snapshot "x" (id 2) was taken later
    assert data[6 << 20:(6 << 20) + 4096] == b"\x33" * 4096
    assert data[7 << 20:(7 << 20) + 4096] == b"\0" * 4096  # written after the snapshot


# measure -l: the snapshot's allocation, not the image's (the same loader as convert's).
MEASURE = {
    "measure-name": ["-O", "qcow2", "-l", "x", "s.qcow2"],
    "measure-id": ["--output=json", "-O", "qcow2", "-l", "snapshot.id=1", "s.qcow2"],
    "measure-raw-target": ["-O", "raw", "-l", "2", "s.qcow2"],
    "measure-not-found": ["-O", "qcow2", "-l", "nope", "s.qcow2"],
    "measure-raw-input": ["-l", "x", "r.raw"],
    "measure-l1-offset": ["-O", "qcow2", "-l", "1", "bad-offset.qcow2"],
    "measure-parse-invalid": ["-l", "snapshot.foo=1", "s.qcow2"],
    "measure-parse-help": ["-l", "snapshot.help", "s.qcow2"],
    "measure-without-file": ["-l", "x", "--size", "1M"],
}


@pytest.mark.parametrize("name", sorted(MEASURE))
def test_measure_snapshot_as_qemu_img(name, images, as_qemu_img, qemu_img):
    theirs = runner.run([qemu_img, "measure", *MEASURE[name]], images)
    ours = runner.run([as_qemu_img, f"--sandbox={SANDBOX}", "measure", *MEASURE[name]], images)
    assert (ours.stdout, ours.stderr, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc)
