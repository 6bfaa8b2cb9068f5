"""Regression cases from the differential oracle: saving, loading and replaying them.

A case is a directory oracle/regressions/<id>/ holding the (shrunk) image with its companions
and case.json: {id, args, origin, qemu: {stdout, stderr, rc}, instar: {...}, known}. `qemu` is
what qemu-img answered when the case was found, `instar` what instar answered then. Replaying
runs both again: qemu-img must still answer as recorded (else the case no longer tests what it
was saved for), and instar must now equal qemu-img, or differ only as the registry entry named
in `known` explains.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import baselines, known, runner

ROOT = Path(__file__).resolve().parents[1] / "regressions"
CASE_FILE = "case.json"


@dataclass
class Case:
    id: str
    args: list[str]
    qemu: dict
    instar: dict
    origin: dict = field(default_factory=dict)
    known: str | None = None


def recorded(run: runner.Run) -> dict:
    return {"stdout": run.stdout.decode(errors="surrogateescape"),
            "stderr": run.stderr.decode(errors="surrogateescape"), "rc": run.rc}


def case_id(args, image: bytes) -> str:
    """Names a case by its command and its image's bytes, so re-finding it overwrites it."""
    digest = hashlib.sha256(" ".join(args).encode() + b"\0" + image).hexdigest()
    return f"{args[0]}-{digest[:12]}"


def save(case: Case, image_dir: Path, root: Path = ROOT) -> Path:
    """Copies image_dir's files (not its sidecar) to root/<id>/ and writes case.json."""
    dest = root / case.id
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for p in image_dir.iterdir():
        if p.is_file() and p.name != "image.json":
            shutil.copy2(p, dest / p.name)
    (dest / CASE_FILE).write_text(json.dumps(asdict(case), indent=2) + "\n")
    return dest


def load(case_dir: Path) -> Case:
    data = json.loads((case_dir / CASE_FILE).read_text())
    missing = {"id", "args", "qemu", "instar"} - data.keys()
    if missing:
        raise ValueError(f"{case_dir / CASE_FILE}: missing {sorted(missing)}")
    if data["id"] != case_dir.name:
        raise ValueError(f"{case_dir / CASE_FILE}: id {data['id']!r} is not the directory name")
    return Case(**data)


def load_all(root: Path = ROOT) -> list[tuple[Path, Case]]:
    if not root.is_dir():
        return []
    return [(d, load(d)) for d in sorted(root.iterdir()) if (d / CASE_FILE).exists()]


def replay(case_dir: Path, case: Case, instar: str, qemu_img: str,
           registry: known.Registry) -> list[str]:
    """Runs the case again in a scratch copy; returns the problems found (empty: the case holds)."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="instar-regression-") as tmp:
        work = Path(tmp) / "case"
        shutil.copytree(case_dir, work)
        link = Path(tmp) / "qemu-img"
        link.symlink_to(instar)
        theirs = runner.run([qemu_img, *case.args], work)
        ours = runner.run([str(link), "--sandbox=process", *case.args], work)
    repro = runner.reproduction([str(link), "--sandbox=process", *case.args], case_dir)
    # The file's allocation (disk size, actual-size) changes with every copy and checkout; it is
    # the one volatile field between the recording and now. instar and qemu-img still run on the
    # same copy below, so their comparison stays exact.
    now, then = recorded(theirs), {k: case.qemu[k] for k in ("stdout", "stderr", "rc")}
    now["stdout"], then["stdout"] = baselines.normalise(now["stdout"]), baselines.normalise(
        then["stdout"])
    if now != then:
        problems.append(f"{case.id}: qemu-img no longer answers as recorded: "
                        f"{recorded(theirs)!r} != {case.qemu!r}")
    if runner.classify(ours, theirs) == runner.MATCH:
        return problems
    if case.known is not None:
        entry = registry.by_id(case.known)
        if entry.matches(case.args, case.origin.get("model"), ours, theirs):
            return problems
        problems.append(f"{case.id}: no longer the registered divergence {case.known!r}")
    problems.append(f"{case.id}: instar {recorded(ours)!r} differs from qemu-img "
                    f"{recorded(theirs)!r}\n  reproduce: {repro}")
    return problems
