"""The hostile corpus through `info` (human and JSON): a clear answer, bounded, never a crash.

Never runs qemu-img on these images. Backend equivalence for them runs under ctest -L kvm
(test_backend_equivalence.py).
"""
from __future__ import annotations

import pytest

from instar_oracle import hostile, runner

TIME_LIMIT_S = 5.0
MEMORY_LIMIT = 1 << 30


@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("case", hostile.cases(), ids=lambda c: c.name)
def test_hostile_info_answers_cleanly(case, output, tmp_path, instar_bin):
    image = hostile.build(case.name, tmp_path)
    run = runner.run([instar_bin, "--sandbox=process", "info", f"--output={output}", image],
                     tmp_path, timeout=TIME_LIMIT_S, memory_bytes=MEMORY_LIMIT)
    repro = runner.reproduction(run.argv, tmp_path)
    assert run.rc is not None, f"{case.name}: no answer within {TIME_LIMIT_S}s: {repro}"
    assert run.signal is None, f"{case.name}: killed by signal {run.signal}: {repro}"
    stderr = run.stderr.decode(errors="replace")
    assert "sandbox" not in stderr, f"{case.name}: the guest failed instead of answering: {stderr}"
    assert run.rc == case.rc, f"{case.name} ({case.why}): rc {run.rc}, stderr {stderr!r}: {repro}"
    if case.rc == 0:
        assert stderr == ""
        if output == "human":
            assert case.expect in run.stdout.decode(errors="replace"), repro
    else:
        assert run.stdout == b""
        assert stderr.startswith(f"instar: Could not open '{image}': "), stderr
        assert case.expect in stderr, f"{case.name}: {stderr!r}"
