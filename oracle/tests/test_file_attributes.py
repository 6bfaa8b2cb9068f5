"""-o nocow and extent_size_hint of a new image file (convert -O raw, create), set as qemu's
raw_co_create() sets them: on a filesystem that refuses the hint (tmpfs, as inside the nested-KVM
rig) qemu-img warns and carries on, and instar must warn the same way; elsewhere both are
silent."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from instar_oracle import runner

SHM = Path("/dev/shm")
CASES = [
    ["convert", "-o", "size=1M,nocow=on,extent_size_hint=1M", "s.raw", "OUT"],
    ["convert", "-o", "extent_size_hint=0", "s.raw", "OUT"],
    ["create", "-f", "raw", "-o", "extent_size_hint=1M,nocow=on", "OUT", "1M"],
    ["create", "-f", "qcow2", "-o", "extent_size_hint=1M,nocow=on", "OUT", "1M"],
]


@pytest.mark.parametrize("where", ["tmp", "shm"])
@pytest.mark.parametrize("args", CASES, ids=["convert-hint", "convert-hint-0", "create-hint",
                                          "create-qcow2-hint"])
def test_file_attributes_as_qemu_img_sets_them(args, where, as_qemu_img, qemu_img, tmp_path):
    if where == "shm" and not (SHM.is_dir() and os.access(SHM, os.W_OK)):
        pytest.skip("no writable /dev/shm")
    base = Path(os.path.realpath(SHM if where == "shm" else tmp_path))
    work = base / f"instar-attr-{os.getpid()}-{tmp_path.name}"
    work.mkdir()
    try:
        assert runner.run([qemu_img, "create", "-q", "-f", "raw", "s.raw", "1M"], work).rc == 0
        theirs = runner.run([qemu_img, *[a.replace("OUT", "q.raw") for a in args]], work)
        ours = runner.run([as_qemu_img, "--sandbox=process",
                           *[a.replace("OUT", "i.raw") for a in args]], work)
        assert (ours.stdout.replace(b"i.raw", b"q.raw"), ours.stderr, ours.rc) == \
            (theirs.stdout, theirs.stderr, theirs.rc)
        assert (work / "i.raw").read_bytes() == (work / "q.raw").read_bytes()
    finally:
        shutil.rmtree(work)
