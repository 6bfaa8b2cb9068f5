"""The hostile corpus through info, info --backing-chain, check and compare (human and JSON),
under every output profile (hostile.PROFILES).

The guest's work is the same under every profile; the profiles change what the host opens and
renders. So every case and command runs under the first profile (7.2) and under every profile
the case answers differently in or where it names something outside its directory; the other
(case, command, profile) cells run as a fixed quarter (instar_oracle/sampling.py), the whole
grid with INSTAR_FULL_GRIDS=1 (scripts/oracle-full-grids).

Every case under every command and profile must end within 5 s under 1 GiB of address space, without a
signal or a sandbox failure, touch nothing outside its image directory (audit log; and strace
where ptrace is allowed, for the cases that name something outside), and give the outcome of
the table in instar_oracle/hostile.py for that profile. Never runs qemu-img on these images. The same cases run
under both backends in test_backend_equivalence.py (ctest -L kvm).
"""
from __future__ import annotations

import os

import pytest

from instar_oracle import hostile, runner, sampling
from instar_oracle.hostile_audit import outside_accesses, traced_outside

TIME_LIMIT_S = 5.0
MEMORY_LIMIT = 1 << 30
SANDBOX = os.environ.get("INSTAR_HOSTILE_SANDBOX", "process")


def _runs_under(case, command, profile) -> bool:
    return (profile == hostile.PROFILES[0] or profile in case.by_profile or case.reaches_out
            or sampling.keep(f"{case.name}:{command}:{profile}", 4))


GRID = [(case, command, profile) for case in hostile.cases() for command in hostile.COMMANDS
        for profile in hostile.PROFILES if _runs_under(case, command, profile)]


@pytest.mark.parametrize("case,command,profile", GRID,
                         ids=[f"{c.name}-{command}-{p}" for c, command, p in GRID])
def test_hostile_case_answers_cleanly(case, command, profile, hostile_case_dirs, instar_bin,
                                      tmp_path):
    images = hostile_case_dirs(case)
    args = hostile.argv(command, case.top, case.fmt)
    log = tmp_path / "audit.log"
    profile_env = {"INSTAR_QEMU_VERSION": profile}
    run = runner.run([instar_bin, f"--sandbox={SANDBOX}", *args], images, timeout=TIME_LIMIT_S,
                     memory_bytes=MEMORY_LIMIT, env={**profile_env, "INSTAR_AUDIT_LOG": str(log)})
    repro = runner.reproduction(run.argv, images)
    stderr = run.stderr.decode(errors="replace")
    assert run.rc is not None, f"{case.name}: no answer within {TIME_LIMIT_S}s: {repro}"
    assert run.signal is None, f"{case.name}: killed by signal {run.signal}: {repro}"
    assert "sandbox" not in stderr, f"{case.name}: the guest failed: {stderr}: {repro}"
    assert stderr == "" or stderr.endswith("\n"), f"unterminated message {stderr!r}"

    accessed = log.read_text().splitlines() if log.exists() else []
    assert accessed, f"the audit log recorded nothing: {repro}"
    assert not outside_accesses(accessed, images), (accessed, repro)
    if case.reaches_out:
        bad = traced_outside(instar_bin, SANDBOX, args, images, tmp_path / "strace.out",
                             profile_env)
        assert not bad, (bad, repro)

    problem = hostile.mismatch(case, command, run.stdout, run.stderr, run.rc, profile)
    want = hostile.expected(case, command, profile)
    if problem and want.pending:
        pytest.xfail(f"{want.pending}: {problem}")
    assert problem is None, f"{case.name} ({case.why}) {command} [{profile}]: {problem}\n{repro}"


def test_every_case_has_every_command():
    names = [c.name for c in hostile.cases()]
    assert len(names) == len(set(names))
    for case in hostile.cases():
        assert set(case.expect) == set(hostile.COMMANDS), case.name
        assert set(case.by_profile) <= set(hostile.PROFILES), case.name
        overrides = [o for by_command in case.by_profile.values() for o in by_command.items()]
        for command, outcome in [*case.expect.items(), *overrides]:
            assert outcome.stream in ("out", "err") and outcome.text, (case.name, command)


# qemu stopped opening the data file under info in 8.2.6, 9.0.2 and 9.1.0 (CVE-2024-4467): an
# unmeasured release takes its nearest lower profile's output, but never that profile's less
# safe opening of the data file.
@pytest.mark.parametrize("version,opens", [("8.2.5", True), ("8.2.6", False), ("9.0.1", True),
                                           ("9.0.2", False), ("9.1", False), ("9.1.3", False)])
def test_info_opens_the_data_file_as_the_exact_release_does(version, opens, hostile_case_dirs,
                                                            instar_bin, tmp_path):
    case = next(c for c in hostile.cases() if c.name == "datafile-dotdot")
    images = hostile_case_dirs(case)
    log = tmp_path / "audit.log"
    run = runner.run([instar_bin, f"--sandbox={SANDBOX}", "info", case.top], images,
                     timeout=TIME_LIMIT_S, memory_bytes=MEMORY_LIMIT,
                     env={"INSTAR_QEMU_VERSION": version, "INSTAR_AUDIT_LOG": str(log)})
    assert not outside_accesses(log.read_text().splitlines(), images)
    if opens:
        assert run.rc == 1 and hostile.REFUSED in run.stderr.decode(), run
    else:
        assert run.rc == 0 and b"data file: ../outside/sentinel.raw" in run.stdout, run
        assert b"Child node '/data-file'" not in run.stdout, run
