"""What a run on a hostile case touched outside its image directory: the audit log's paths and,
where ptrace is allowed, strace's file syscalls (shared by the hostile command and convert suites).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from instar_oracle import runner


def outside_accesses(lines: list[str], images: Path) -> list[str]:
    """Audit lines ("<op> <path>") whose path, taken lexically from images/, leaves it."""
    bad = []
    for line in lines:
        _, _, path = line.partition(" ")
        full = os.path.normpath(os.path.join(images, path))
        if not (full == str(images) or full.startswith(str(images) + os.sep)):
            bad.append(line)
    return bad


def traced_outside(instar_bin: str, sandbox: str, args: list[str], images: Path, trace: Path,
                   env: dict[str, str]) -> list[str] | None:
    """The file syscalls of one run, under strace, that name a path outside images/ (None when
    strace or ptrace is unavailable: the audit log is then the evidence)."""
    strace = shutil.which("strace")
    if strace is None:
        return None
    run = runner.run([strace, "-f", "-qq", "-e", "trace=%file", "-o", str(trace), instar_bin,
                      f"--sandbox={sandbox}", *args], images, timeout=30, env=env)
    if not trace.exists() or b"PTRACE" in run.stderr:
        return None
    bad = []
    for line in trace.read_text().splitlines():
        # The first string argument is the path acted on; readlink's second is only the link's
        # text, which naming the sentinel is the point of the symlink cases.
        quoted = line.split('"')
        path = quoted[1] if len(quoted) > 2 else ""
        if path and ("outside" in path or "sentinel" in path or path == "/etc/passwd"):
            bad.append(line)
    return bad
