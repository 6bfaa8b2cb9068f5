"""Differential run over generated images: instar and qemu-img on info, check and compare.

For each seed, `instar-imagegen` writes one image (or a few); instar (`--sandbox=process`,
invoked through a symlink named qemu-img so error prefixes match) and the installed qemu-img
then run the same commands on it in its directory, and stdout, stderr and exit code are compared
byte for byte. Nothing is normalised: both tools read the same files in the same directory, so
no output is volatile between the two runs (paths are relative, dates come from the image).

A difference is looked up in the known-divergence registry (oracle/known_divergences.toml); a
registered one is reported as `known-divergence`, anything else is shrunk to a minimal image
(shrink.py) and written as a regression case (regressions.py) that can be committed under
oracle/regressions/. The process exits 1 when an unexplained divergence remains.

    /usr/bin/python3 -m instar_oracle.differential --seeds N --seed-base S --out DIR --instar PATH

writes DIR/differential.json = {cases, matches, known, skipped, divergences: [{seed, command,
reproduction, minimal_image, ...}]} (scripts/fuzz-campaign reads it).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import known, regressions, runner, shrink

IMAGE = "image.qcow2"
RAW = "image.raw"
# One image per seed: image index seed % SIZES, so consecutive seeds walk RapidCheck's sizes
# (0..100, small first) the way a property run does.
SIZES = 101


@dataclass
class Tools:
    """The two programs under comparison and the generator."""
    instar: str          # a symlink named qemu-img pointing at instar, so prefixes match
    qemu_img: str
    imagegen: str
    timeout: float = 60.0

    def instar_argv(self, args) -> list[str]:
        return [self.instar, "--sandbox=process", *args]

    def qemu_argv(self, args) -> list[str]:
        return [self.qemu_img, *args]


@dataclass
class Outcome:
    seed: int
    index: int
    command: str
    classification: str
    known_id: str | None = None
    reproduction: str = ""
    minimal_image: str | None = None
    regression: str | None = None
    qemu: dict = field(default_factory=dict)
    instar: dict = field(default_factory=dict)


def _show(run: runner.Run) -> dict:
    return {"rc": run.rc, "signal": run.signal,
            "stdout": run.stdout.decode(errors="replace"),
            "stderr": run.stderr.decode(errors="replace")}


def commands(valid: bool) -> list[list[str]]:
    """The commands run on one generated image; compare only where qemu-img may read the image
    in full (valid images: no planted problem)."""
    cmds = [["info", IMAGE], ["info", "--output=json", IMAGE],
            ["check", IMAGE], ["check", "--output=json", IMAGE]]
    if valid:
        cmds += [["compare", IMAGE, IMAGE],
                 ["compare", "-f", "qcow2", "-F", "raw", IMAGE, RAW],
                 ["compare", "-s", "-f", "qcow2", "-F", "raw", IMAGE, RAW],
                 # Probed: the raw copy has no format signature, so instar's safe detection
                 # refuses it (registered divergence `safe-detection-raw`).
                 ["compare", IMAGE, RAW]]
    return cmds


def run_pair(tools: Tools, args, cwd: Path) -> tuple[runner.Run, runner.Run]:
    ours = runner.run(tools.instar_argv(args), cwd, timeout=tools.timeout)
    theirs = runner.run(tools.qemu_argv(args), cwd, timeout=tools.timeout)
    return ours, theirs


def signature(ours: runner.Run, theirs: runner.Run) -> tuple:
    """What differs, coarsely: shrinking keeps a reduction only if this stays the same."""
    return (runner.classify(ours, theirs), ours.stdout != theirs.stdout,
            ours.stderr != theirs.stderr, ours.rc, theirs.rc)


def reproduction(tools: Tools, seed: int, index: int, profile: str, args) -> str:
    case = f"/tmp/instar-differential/{seed}-{index}"
    cmd = " ".join(shlex.quote(a) for a in args)
    return (f"{tools.imagegen} --seed {seed} --first {index} --count 1 --profile {profile} "
            f"--out {case} && cd {case}/{index:05d} && "
            f"{'qemu-img convert -O raw image.qcow2 image.raw && ' if RAW in args else ''}"
            f"diff <({tools.qemu_img} {cmd} 2>&1; echo rc=$?) "
            f"<({tools.instar} --sandbox=process {cmd} 2>&1; echo rc=$?)")


def generate(tools: Tools, seed: int, first: int, count: int, profile: str, out: Path) -> list[Path]:
    subprocess.run([tools.imagegen, "--seed", str(seed), "--first", str(first), "--count",
                    str(count), "--profile", profile, "--out", str(out)], check=True,
                   capture_output=True, timeout=120)
    return sorted(p for p in out.iterdir() if (p / "image.json").exists())


def run_image(tools: Tools, registry: known.Registry, case_dir: Path, profile: str,
              out: Path, shrink_budget: float) -> tuple[list[Outcome], list[dict]]:
    sidecar = json.loads((case_dir / "image.json").read_text())
    seed, index = sidecar["seed"], sidecar["index"]
    valid = not sidecar["planted"]
    outcomes, skipped = [], []
    has_raw = False
    if valid:
        conv = runner.run([tools.qemu_img, "convert", "-O", "raw", IMAGE, RAW], case_dir,
                          timeout=tools.timeout)
        has_raw = conv.rc == 0
        if not has_raw:
            skipped.append({"seed": seed, "index": index, "why": "qemu-img convert failed",
                            "stderr": conv.stderr.decode(errors="replace")})
    for args in commands(valid):
        if RAW in args and not has_raw:
            continue
        ours, theirs = run_pair(tools, args, case_dir)
        verdict = runner.classify(ours, theirs)
        o = Outcome(seed, index, " ".join(args), verdict)
        if verdict != runner.MATCH:
            o.qemu, o.instar = _show(theirs), _show(ours)
            entry = registry.match(args, sidecar["model"], ours, theirs)
            if entry is not None:
                o.classification, o.known_id = known.KNOWN, entry.id
            else:
                o.reproduction = reproduction(tools, seed, index, profile, args)
                _shrink_and_save(tools, o, args, case_dir, out, sidecar, ours, theirs,
                                 shrink_budget)
        outcomes.append(o)
    return outcomes, skipped


def _shrink_and_save(tools, o: Outcome, args, case_dir: Path, out: Path, sidecar: dict,
                     ours: runner.Run, theirs: runner.Run, budget: float) -> None:
    want = signature(ours, theirs)
    slug = "_".join(a.lstrip("-").replace("=", "-").replace(".", "-") for a in args)
    work = out / "minimal" / f"{o.seed}-{o.index}-{slug}"
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(case_dir, work)

    def still_diverges(directory: Path) -> bool:
        return signature(*run_pair(tools, args, directory)) == want

    # The image first, then its companions (backing file, data file, raw copy), so a saved case
    # carries only the bytes the divergence needs.
    files = [work / IMAGE] + sorted(p for p in work.iterdir()
                                    if p.is_file() and p.name not in (IMAGE, "image.json"))
    for path in files:
        shrink.shrink_image(path, lambda: still_diverges(work), budget / len(files))
    ours, theirs = run_pair(tools, args, work)
    o.minimal_image = str(work / IMAGE)
    case = regressions.Case(
        id=regressions.case_id(args, (work / IMAGE).read_bytes()), args=list(args),
        origin={"seed": o.seed, "index": o.index, "profile": sidecar["profile"],
                "planted": sidecar["planted"], "model": sidecar["model"]},
        qemu=regressions.recorded(theirs), instar=regressions.recorded(ours))
    o.regression = str(regressions.save(case, work, out / "regressions"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="instar_oracle.differential", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, required=True)
    parser.add_argument("--seed-base", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--instar", type=Path, required=True)
    parser.add_argument("--imagegen", type=Path,
                        help="instar-imagegen (default: next to --instar)")
    parser.add_argument("--qemu-img", default=shutil.which("qemu-img") or "/usr/bin/qemu-img")
    parser.add_argument("--profile", choices=["valid", "corrupt", "mixed"], default="mixed")
    parser.add_argument("--images-per-seed", type=int, default=1)
    parser.add_argument("--registry", type=Path, default=known.DEFAULT_PATH)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--shrink-seconds", type=float, default=60.0,
                        help="time budget for shrinking one divergence")
    parser.add_argument("--timeout", type=float, default=60.0, help="per command")
    args = parser.parse_args(argv)

    instar = args.instar.resolve()
    imagegen = (args.imagegen or instar.parent / "instar-imagegen").resolve()
    for p in (instar, imagegen):
        if not p.exists():
            parser.error(f"{p} does not exist")
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    bindir = out / "bin"
    bindir.mkdir(exist_ok=True)
    link = bindir / "qemu-img"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(instar)
    tools = Tools(str(link), args.qemu_img, str(imagegen), args.timeout)
    registry = known.load(args.registry)

    started = time.time()
    images_root = out / "images"
    if images_root.exists():
        shutil.rmtree(images_root)
    jobs = []
    for seed in range(args.seed_base, args.seed_base + args.seeds):
        first = seed % SIZES
        for d in generate(tools, seed, first, args.images_per_seed, args.profile,
                          images_root / str(seed)):
            jobs.append(d)

    outcomes: list[Outcome] = []
    skipped: list[dict] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for got, skip in pool.map(lambda d: run_image(tools, registry, d, args.profile, out,
                                                      args.shrink_seconds), jobs):
            outcomes += got
            skipped += skip
    divergences = [o for o in outcomes if o.classification not in (runner.MATCH, known.KNOWN)]
    report = {
        "seeds": args.seeds, "seed_base": args.seed_base, "profile": args.profile,
        "images": len(jobs), "cases": len(outcomes),
        "matches": sum(o.classification == runner.MATCH for o in outcomes),
        "known": [{"seed": o.seed, "index": o.index, "command": o.command, "id": o.known_id}
                  for o in outcomes if o.classification == known.KNOWN],
        "skipped": skipped,
        "divergences": [asdict(o) for o in divergences],
        "seconds": round(time.time() - started, 1),
        "qemu_img": args.qemu_img, "instar": str(instar), "registry": str(args.registry),
    }
    (out / "differential.json").write_text(json.dumps(report, indent=2) + "\n")
    known_ids = sorted({o.known_id for o in outcomes if o.known_id})
    print(f"differential: {report['images']} images, {report['cases']} cases, "
          f"{report['matches']} matches, {len(report['known'])} known divergences "
          f"({', '.join(known_ids) or 'none'}), {len(divergences)} unexplained, "
          f"{len(skipped)} skipped, {report['seconds']} s -> {out / 'differential.json'}")
    for o in divergences:
        print(f"  seed {o.seed} image {o.index}: {o.classification} on `{o.command}`\n"
              f"    reproduce: {o.reproduction}\n    minimal: {o.minimal_image}\n"
              f"    regression case: {o.regression}")
    return 1 if divergences else 0


if __name__ == "__main__":
    sys.exit(main())
