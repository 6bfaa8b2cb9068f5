"""The hostile corpus as convert's -n target: each qcow2-looking case is copied and used as the
existing target of `convert -n -O qcow2`, the image the guest then parses and writes into. Whatever
the target holds, instar answers within the time limit, never dies of a signal or a guest failure,
never touches a file outside the case's directory, and a target it reports as converted reads
back as the source (its first bytes, read back by qemu-img dd)."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from instar_oracle import hostile, runner, sampling
from instar_oracle.hostile_audit import outside_accesses

TIME_LIMIT_S = 10.0
MEMORY_LIMIT = 1 << 30
SANDBOX = os.environ.get("INSTAR_HOSTILE_SANDBOX", "process")
SOURCE_BYTES = 64 * 1024


def _qcow2_cases():
    kept = []
    for case in hostile.cases():
        if case.fmt not in (None, "qcow2") or case.reaches_out:
            continue
        if sampling.keep(case.name, 2):
            kept.append(case)
    return kept


@pytest.mark.parametrize("case", _qcow2_cases(), ids=lambda c: c.name)
def test_hostile_image_as_existing_target(case, hostile_case_dirs, instar_bin, tmp_path):
    images = hostile_case_dirs(case)
    top = images / case.top
    if not top.is_file() or top.read_bytes()[:4] != b"QFI\xfb":
        pytest.skip("not a qcow2 file")
    work = tmp_path / "work"
    shutil.copytree(images, work, symlinks=True)
    target = work / case.top
    source = work / "source.raw"
    source.write_bytes(os.urandom(SOURCE_BYTES))
    log = tmp_path / "audit.log"
    run = runner.run([instar_bin, f"--sandbox={SANDBOX}", "convert", "-n", "-O", "qcow2",
                      "-f", "raw", source.name, case.top], work, timeout=TIME_LIMIT_S,
                     memory_bytes=MEMORY_LIMIT, env={"INSTAR_AUDIT_LOG": str(log)})
    repro = runner.reproduction(run.argv, work)
    stderr = run.stderr.decode(errors="replace")
    assert run.rc is not None, f"no answer within {TIME_LIMIT_S}s: {repro}"
    assert run.signal is None, repro
    assert "sandbox" not in stderr, f"the guest failed: {stderr}: {repro}"
    accessed = log.read_text().splitlines() if log.exists() else []
    assert not outside_accesses(accessed, work), (accessed, repro)
    if run.rc == 0:
        # Read back through qemu-img: the target's first bytes are the source's.
        back = subprocess.run(["qemu-img", "dd", "-f", "qcow2", "-O", "raw", f"if={case.top}",
                               "of=back.raw", f"count={SOURCE_BYTES // 512}", "bs=512"],
                              cwd=work, capture_output=True)
        assert back.returncode == 0, (back, repro)
        assert (work / "back.raw").read_bytes() == source.read_bytes(), repro
    else:
        assert stderr.startswith("qemu-img: ") or stderr.startswith("instar: ") or \
            "Could not open" in stderr or "not supported by instar" in stderr, (stderr, repro)
