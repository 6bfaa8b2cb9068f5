"""Runs one command under time and memory limits and classifies how it ended."""
from __future__ import annotations

import dataclasses
import os
import resource
import signal
import subprocess

MATCH, MISMATCH, INSTAR_CRASH, QEMU_CRASH, TIMEOUT = (
    "match", "mismatch", "instar-crash", "qemu-crash", "timeout")


@dataclasses.dataclass(frozen=True)
class Run:
    argv: tuple[str, ...]
    stdout: bytes
    stderr: bytes
    rc: int | None          # None when killed by the timeout
    signal: int | None      # the terminating signal, if any

    @property
    def crashed(self) -> bool:
        return self.signal is not None and self.signal != signal.SIGKILL or (
            self.rc is not None and self.rc < 0)


def _limit_memory(limit_bytes: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    return apply


def run(argv, cwd, timeout=30.0, memory_bytes=4 << 30, env=None) -> Run:
    """Runs argv in cwd with LC_ALL=C and TZ=UTC unless env overrides them."""
    full_env = dict(os.environ, LC_ALL="C", TZ="UTC")
    if env:
        full_env.update(env)
    try:
        p = subprocess.run(list(argv), cwd=cwd, capture_output=True, timeout=timeout,
                           env=full_env, preexec_fn=_limit_memory(memory_bytes))
    except subprocess.TimeoutExpired as e:
        return Run(tuple(argv), e.stdout or b"", e.stderr or b"", None, signal.SIGKILL)
    sig = -p.returncode if p.returncode < 0 else None
    return Run(tuple(argv), p.stdout, p.stderr, p.returncode, sig)


def classify(instar: Run, qemu: Run) -> str:
    if instar.rc is None or qemu.rc is None:
        return TIMEOUT
    if instar.signal is not None:
        return INSTAR_CRASH
    if qemu.signal is not None:
        return QEMU_CRASH
    same = (instar.stdout, instar.stderr, instar.rc) == (qemu.stdout, qemu.stderr, qemu.rc)
    return MATCH if same else MISMATCH


def reproduction(argv, cwd) -> str:
    """A one-command reproduction of a run, for failure messages."""
    quoted = " ".join(subprocess.list2cmdline([a]) for a in argv)
    return f"(cd {cwd} && LC_ALL=C TZ=UTC {quoted})"
