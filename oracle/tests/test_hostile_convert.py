"""The hostile corpus through convert (raw and qcow2 targets, -c, -p), measure and map.

Every run must end within 5 s under 1 GiB of address space, without a signal or a sandbox
failure, touch nothing outside its image directory (audit log; strace for the cases that name
something outside), give qemu-img 7.2's exit code and message (instar_oracle/hostile_convert.py),
leave a target only where qemu-img leaves one, and put no byte of a host file it was not given
(the outside sentinels, /etc/passwd) into the target. The convert runs are under
the 7.2 profile, sampled (_sampled_runs) so that the suite adds under a minute; the other
profiles get one run for every fourth case (the answers are the same text under every profile).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from instar_oracle import hostile, runner
from instar_oracle import hostile_convert as hc
from instar_oracle.hostile_audit import outside_accesses, traced_outside

TIME_LIMIT_S = 5.0
MEMORY_LIMIT = 1 << 30
SANDBOX = os.environ.get("INSTAR_HOSTILE_SANDBOX", "process")
# Bytes no target may hold: the outside raw sentinel's text and the start of /etc/passwd.
HOST_BYTES = [b"sentinel\n", Path("/etc/passwd").read_bytes()[:24]]


def _sampled_runs():
    """A case that converts runs two of the four targets under 7.2 (alternating, so every target
    meets every kind of case); one that fails to open or is refused, where the target cannot
    matter, runs one. Every fourth case also runs under one of the other profiles, in turn."""
    runs = []
    for i, case in enumerate(hostile.cases()):
        targets = hc.CONVERT_RUNS[i % 2::2] if hc.convert_answer(case, "raw").target != "none" \
            else [hc.CONVERT_RUNS[i % len(hc.CONVERT_RUNS)]]
        runs += [(case, label, options, hostile.PROFILES[0]) for label, options in targets]
        if hc.convert_answer(case, "raw").target == "left" and case.name != "vsize-1pib":
            runs.append((case, *hc.SALVAGE_RUN, hostile.PROFILES[0]))
        if i % 4 == 0:
            profile = hostile.PROFILES[1 + i // 4 % (len(hostile.PROFILES) - 1)]
            runs.append((case, *hc.CONVERT_RUNS[i // 4 % len(hc.CONVERT_RUNS)], profile))
    return runs


CONVERT_RUNS = _sampled_runs()
# measure and map alternate over the cases (both only open the image and walk its tables).
READ_RUNS = [(case, (hc.MEASURE, hc.MAP)[i % 2]) for i, case in enumerate(hostile.cases())]


def _run_checked(case, args, profile, images, instar_bin, tmp_path):
    """Runs instar on `case` and checks what every run must hold; returns the run."""
    log = tmp_path / "audit.log"
    env = {"INSTAR_QEMU_VERSION": profile}
    run = runner.run([instar_bin, f"--sandbox={SANDBOX}", *args], images, timeout=TIME_LIMIT_S,
                     memory_bytes=MEMORY_LIMIT, env={**env, "INSTAR_AUDIT_LOG": str(log)})
    repro = runner.reproduction(run.argv, images)
    stderr = run.stderr.decode(errors="replace")
    assert run.rc is not None, f"{case.name}: no answer within {TIME_LIMIT_S}s: {repro}"
    assert run.signal is None, f"{case.name}: killed by signal {run.signal}: {repro}"
    assert "sandbox" not in stderr, f"{case.name}: the guest failed: {stderr}: {repro}"
    accessed = log.read_text().splitlines() if log.exists() else []
    assert accessed, f"the audit log recorded nothing: {repro}"
    assert not outside_accesses(accessed, images), (accessed, repro)
    if case.reaches_out:
        bad = traced_outside(instar_bin, SANDBOX, args, images, tmp_path / "strace.out", env)
        assert not bad, (bad, repro)
    return run, repro


def _answer_problem(want: hc.Answer, run: runner.Run) -> str | None:
    err = run.stderr.decode(errors="replace")
    if run.rc != want.rc:
        return f"rc {run.rc}, want {want.rc}: stderr {err[:400]!r}"
    if want.rc == 0 and err and not want.stderr:
        return f"a success with stderr {err[:400]!r}"
    if want.stderr not in err:
        return f"{want.stderr!r} not in stderr {err[:400]!r}"
    return None


@pytest.mark.parametrize("case,label,options,profile", CONVERT_RUNS,
                         ids=lambda v: v.name if isinstance(v, hostile.Case) else
                         v if isinstance(v, str) else None)
def test_convert_of_hostile_case(case, label, options, profile, hostile_case_dirs, as_qemu_img,
                                 tmp_path):
    images = hostile_case_dirs(case)
    target = images / f"out-{label}-{profile}"
    target.unlink(missing_ok=True)
    run, repro = _run_checked(case, hc.convert_argv(case, options, target.name), profile, images,
                              as_qemu_img, tmp_path)
    want = hc.convert_answer(case, label)
    try:
        # -p prints its progress line even when the open fails, and ends it with a newline.
        if "-p" in options:
            assert run.stdout.startswith(b"    (0.00/100%)\r") and run.stdout.endswith(b"\r\n"), (
                run.stdout[-200:], repro)
        else:
            assert run.stdout == b"", (run.stdout[:200], repro)
        if run.rc != 0:
            # Never a success over a half-written target: a failure leaves one only where
            # qemu-img leaves it, and then the exit code says it is not a conversion.
            assert target.exists() == (want.target == "left"), (want, run.rc, repro)
        else:
            assert target.exists(), repro
        if target.exists():
            data = target.read_bytes()
            leaked = [b for b in HOST_BYTES if b in data]
            assert not leaked, (f"{case.name}: host bytes {leaked} in the target", repro)
        problem = _answer_problem(want, run)
        if problem and want.pending:
            pytest.xfail(f"{want.pending}: {problem}")
        assert problem is None, f"{case.name} ({case.why}) convert {label} [{profile}]: " \
                                f"{problem}\n{repro}"
    finally:
        target.unlink(missing_ok=True)


@pytest.mark.parametrize("case,command", READ_RUNS,
                         ids=lambda v: v.name if isinstance(v, hostile.Case) else v)
def test_measure_and_map_of_hostile_case(case, command, hostile_case_dirs, as_qemu_img, tmp_path):
    images = hostile_case_dirs(case)
    run, repro = _run_checked(case, hc.read_argv(command, case), hostile.PROFILES[0], images,
                              as_qemu_img, tmp_path)
    want = hc.read_answer(case, command)
    if run.rc != 0:
        assert run.stdout == want.stdout, (run.stdout[:200], repro)
    problem = _answer_problem(want, run)
    if problem and want.pending:
        pytest.xfail(f"{want.pending}: {problem}")
    assert problem is None, f"{case.name} ({case.why}) {command}: {problem}\n{repro}"
