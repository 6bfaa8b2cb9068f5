"""The hostile corpus through `amend -o compat=0.10` (the command that writes the most: header
rewrites and the zero-cluster expansion), on a copy of each case's files.

Every run must end within 5 s under 1 GiB of address space, without a signal or a sandbox
failure, touch nothing outside its image directory (audit log), and exit 0 or 1. A case whose
open qemu-img 7.2 refuses (its info answer is an open error) must be refused at the open too,
with `Could not open '<image>'`, and leave every file as it was. The image is never given to the
real qemu-img.
"""
from __future__ import annotations

import hashlib
import os
import shutil

import pytest

from instar_oracle import hostile, runner
from instar_oracle.hostile_audit import outside_accesses

TIME_LIMIT_S = 5.0
MEMORY_LIMIT = 1 << 30
SANDBOX = os.environ.get("INSTAR_HOSTILE_SANDBOX", "process")


def _digests(directory):
    return {p.relative_to(directory): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", hostile.cases(), ids=lambda c: c.name)
def test_amend_of_hostile_case(case, hostile_case_dirs, instar_bin, tmp_path):
    images = tmp_path / "images"
    shutil.copytree(hostile_case_dirs(case), images, symlinks=True)
    before = _digests(images)
    log = tmp_path / "audit.log"
    args = ["amend", *(["-f", case.fmt] if case.fmt else []), "-o", "compat=0.10", case.top]
    run = runner.run([instar_bin, f"--sandbox={SANDBOX}", *args], images, timeout=TIME_LIMIT_S,
                     memory_bytes=MEMORY_LIMIT,
                     env={"INSTAR_QEMU_VERSION": "7.2", "INSTAR_AUDIT_LOG": str(log)})
    repro = runner.reproduction(run.argv, images)
    stderr = run.stderr.decode(errors="replace")
    assert run.rc is not None, f"{case.name}: no answer within {TIME_LIMIT_S}s: {repro}"
    assert run.signal is None, f"{case.name}: killed by signal {run.signal}: {repro}"
    assert "sandbox" not in stderr, f"{case.name}: the guest failed: {stderr}: {repro}"
    assert run.rc in (0, 1), f"{case.name}: rc {run.rc}: {stderr}: {repro}"
    accessed = log.read_text().splitlines() if log.exists() else []
    assert not outside_accesses(accessed, images), (accessed, repro)
    info = hostile.expected(case, hostile.INFO)
    if info.rc == 1 and info.stream == "err" and "Could not open" in info.text:
        assert run.rc == 1, f"{case.name}: amended an image qemu does not open: {repro}"
        assert f"Could not open '{case.top}'" in stderr, f"{case.name}: {stderr}: {repro}"
        assert _digests(images) == before, f"{case.name}: a refused amend wrote: {repro}"
