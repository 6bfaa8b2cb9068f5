"""Fuzz campaigns: run libFuzzer targets for a time budget, minimise crashers, read libFuzzer's
logs and write the campaign report (report.json + report.md). scripts/fuzz-campaign is the CLI;
this module holds everything that can be tested without clang (oracle/tests/test_campaign.py
drives it with stand-in fuzzer executables)."""
from __future__ import annotations

import json
import re
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

# libFuzzer status lines: "#4096\tpulse  cov: 692 ft: 1300 corp: 25/1607Kb lim: 4096 exec/s: 12
# rss: 79Mb" (also INITED, NEW, REDUCE, DONE, RELOAD).
_STATUS = re.compile(r"^#(\d+)\s+(\w+)\s+cov: (\d+) ft: (\d+) corp: (\d+)/(\d+)(b|Kb|Mb)"
                     r"(?:.*?exec/s: (\d+))?")
_STAT = re.compile(r"^stat::(\w+):\s+(\d+)")
# "Test unit written to /out/artifacts/t/crash-da39..." (crash, timeout, oom, leak, slow-unit).
_ARTIFACT = re.compile(r"Test unit written to (\S+)")
_UNIT_SCALE = {"b": 1, "Kb": 1024, "Mb": 1024 * 1024}
# A symbolised stack frame with an absolute source path: "#7 0x55 in ns::f(int) /src/x.cc:50:81".
_FRAME = re.compile(r"^\s*#\d+ 0x[0-9a-f]+ in (.+?) (/\S+?):(\d+)(?::\d+)?$")


@dataclass
class Crash:
    kind: str  # crash, timeout, oom, leak (from the artifact's name)
    summary: str  # libFuzzer/sanitizer SUMMARY or deadly-signal line
    where: str  # first frame of the crash stack in a source file outside /usr ("f x.cc:50")
    artifact: str
    artifact_bytes: int
    minimized: str | None = None
    minimized_bytes: int | None = None
    replay: str = ""  # command that replays it with the clang build
    replay_gcc: str = ""  # the same through the gcc build's standalone driver


@dataclass
class TargetResult:
    name: str
    seconds: float = 0.0
    exit_code: int | None = None
    executions: int = 0
    exec_per_sec: int = 0
    cov: int = 0
    ft: int = 0
    corpus_units: int = 0  # libFuzzer's last "corp:" count
    corpus_files: int = 0  # files in the corpus directory afterwards
    corpus_bytes: int = 0
    new_units: int = 0
    peak_rss_mb: int = 0
    log: str = ""
    crashes: list[Crash] = field(default_factory=list)


def _without_parameters(function: str) -> str:
    """"ns::f(std::vector<int>, int) const" -> "ns::f": drops the trailing parameter list."""
    function = function.removesuffix(" const")
    if not function.endswith(")"):
        return function
    depth = 0
    for i in range(len(function) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(function[i], 0)
        if depth == 0:
            return function[:i]
    return function


def parse_log(text: str) -> dict:
    """Numbers from one libFuzzer run's output: the last status line and the final stats."""
    out = {"executions": 0, "exec_per_sec": 0, "cov": 0, "ft": 0, "corpus_units": 0,
           "corpus_bytes": 0, "new_units": 0, "peak_rss_mb": 0, "artifacts": [], "summary": "",
           "where": ""}
    for line in text.splitlines():
        m = _STATUS.match(line)
        if m:
            out["executions"] = int(m.group(1))
            out["cov"], out["ft"] = int(m.group(3)), int(m.group(4))
            out["corpus_units"] = int(m.group(5))
            out["corpus_bytes"] = int(m.group(6)) * _UNIT_SCALE[m.group(7)]
            if m.group(8) is not None:
                out["exec_per_sec"] = int(m.group(8))
            continue
        m = _STAT.match(line)
        if m:
            key, value = m.group(1), int(m.group(2))
            if key == "number_of_executed_units":
                out["executions"] = value
            elif key == "average_exec_per_sec":
                out["exec_per_sec"] = value
            elif key == "new_units_added":
                out["new_units"] = value
            elif key == "peak_rss_mb":
                out["peak_rss_mb"] = value
            continue
        m = _FRAME.match(line)
        if m and not out["where"] and not m.group(2).startswith("/usr/"):
            function = _without_parameters(m.group(1))
            out["where"] = f"{function} {Path(m.group(2)).name}:{m.group(3)}"
            continue
        m = _ARTIFACT.search(line)
        if m:
            out["artifacts"].append(m.group(1))
            continue
        if not out["summary"] and (line.startswith("SUMMARY: ") or "deadly signal" in line
                                   or line.startswith("==") and "ERROR: libFuzzer" in line):
            out["summary"] = line.strip()
    return out


def artifact_kind(path: str) -> str:
    name = Path(path).name
    for kind in ("crash", "timeout", "oom", "leak", "slow-unit"):
        if name.startswith(kind + "-"):
            return kind
    return "crash"


def _dir_size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else []
    return len(files), sum(p.stat().st_size for p in files)


def run_target(binary: Path, name: str, seconds: float, out: Path, inputs: list[Path],
               extra: list[str] | None = None, corpus_root: Path | None = None) -> TargetResult:
    """Fuzzes `binary` for `seconds` with its corpus in <corpus_root>/<name> (out/corpus when no
    root is given: a fresh one; a kept root makes the corpus persist across campaigns), seeded
    from `inputs`, crash artifacts in out/artifacts/<name>/, its log in out/logs/<name>.log."""
    corpus = (corpus_root or out / "corpus") / name
    artifacts = out / "artifacts" / name
    logs = out / "logs"
    for d in (corpus, artifacts, logs):
        d.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    argv = [str(binary), f"-max_total_time={max(1, int(round(seconds)))}",
            f"-artifact_prefix={artifacts}/", "-print_final_stats=1", "-timeout=25",
            "-rss_limit_mb=4096", *(extra or []), str(corpus),
            *[str(p) for p in inputs if p.exists()]]
    started = time.monotonic()
    with log.open("w") as f:
        f.write("$ " + " ".join(argv) + "\n")
        f.flush()
        # libFuzzer stops on its own at -max_total_time; the margin covers loading the seeds.
        proc = subprocess.run(argv, stdout=f, stderr=subprocess.STDOUT,
                              timeout=seconds + 300)
    result = TargetResult(name=name, seconds=round(time.monotonic() - started, 1),
                          exit_code=proc.returncode, log=str(log))
    parsed = parse_log(log.read_text(errors="replace"))
    for key in ("executions", "exec_per_sec", "cov", "ft", "corpus_units", "new_units",
                "peak_rss_mb"):
        setattr(result, key, parsed[key])
    result.corpus_files, result.corpus_bytes = _dir_size(corpus)
    for artifact in parsed["artifacts"]:
        path = Path(artifact)
        result.crashes.append(Crash(kind=artifact_kind(artifact), summary=parsed["summary"],
                                    where=parsed["where"], artifact=str(path),
                                    artifact_bytes=path.stat().st_size if path.exists() else 0))
    if proc.returncode != 0 and not result.crashes:
        # A non-zero exit without an artifact (e.g. the binary failed to start) is a finding too.
        result.crashes.append(Crash(kind="error", summary=parsed["summary"] or
                                    f"exit {proc.returncode} without an artifact",
                                    where=parsed["where"], artifact="", artifact_bytes=0))
    return result


def minimize(binary: Path, crash: Crash, seconds: float, log: Path) -> None:
    """libFuzzer's -minimize_crash: the smallest input that still crashes, next to the crasher."""
    if not crash.artifact or not Path(crash.artifact).exists():
        return
    source = Path(crash.artifact)
    target = source.with_name("minimized-" + source.name)
    argv = [str(binary), "-minimize_crash=1", f"-max_total_time={max(1, int(seconds))}",
            "-timeout=25", "-rss_limit_mb=4096", f"-exact_artifact_path={target}", str(source)]
    with log.open("a") as f:
        f.write("\n$ " + " ".join(argv) + "\n")
        f.flush()
        subprocess.run(argv, stdout=f, stderr=subprocess.STDOUT, timeout=seconds + 120)
    if target.exists():
        crash.minimized = str(target)
        crash.minimized_bytes = target.stat().st_size


def replay_commands(crash: Crash, binary: Path, name: str) -> None:
    path = crash.minimized or crash.artifact
    if not path:
        return
    crash.replay = f"{binary} {path}"
    crash.replay_gcc = (f"mkdir -p fuzz/regressions/{name} && cp {path} fuzz/regressions/{name}/ "
                        f"&& ctest --test-dir build/release -R fuzz_replay_{name}")


def read_differential(out: Path, status: str) -> dict:
    """The differential section: the oracle's DIR/differential.json, or why there is none."""
    section = {"status": status, "cases": None, "matches": None, "divergences": []}
    report = out / "differential.json"
    if status == "ran" and report.exists():
        data = json.loads(report.read_text())
        section.update(cases=data.get("cases"), matches=data.get("matches"),
                       known=len(data.get("known", [])), skipped=len(data.get("skipped", [])),
                       divergences=list(data.get("divergences", [])))
    elif status == "ran":
        section["status"] = "failed (no differential.json written)"
    return section


def build_report(meta: dict, targets: list[TargetResult], differential: dict) -> dict:
    crashes = sum(len(t.crashes) for t in targets)
    divergences = len(differential.get("divergences") or [])
    differential_ok = differential["status"] in ("ran",) or differential["status"].startswith(
        "not run")
    return {
        **meta,
        "targets": [asdict(t) for t in targets],
        "differential": differential,
        "totals": {"executions": sum(t.executions for t in targets), "crashes": crashes,
                   "divergences": divergences},
        "result": "clean" if crashes == 0 and divergences == 0 and differential_ok
                  else "findings" if crashes or divergences else "incomplete",
    }


def render_markdown(report: dict) -> str:
    lines = [f"# Fuzz campaign {report.get('started', '')}", "",
             f"- commit: `{report.get('commit', '?')}`",
             f"- budget: {report.get('minutes')} min over {len(report['targets'])} targets, "
             f"{report.get('seeds')} differential seeds from seed base {report.get('seed_base')}",
             f"- result: **{report['result']}** ({report['totals']['crashes']} crash(es), "
             f"{report['totals']['divergences']} divergence(s), "
             f"{report['totals']['executions']} executions)", "",
             "## Fuzz targets", "",
             "| target | seconds | executions | exec/s | corpus (files / bytes) | cov | ft | "
             "new units | crashes |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for t in report["targets"]:
        lines.append(f"| {t['name']} | {t['seconds']} | {t['executions']} | {t['exec_per_sec']} "
                     f"| {t['corpus_files']} / {t['corpus_bytes']} | {t['cov']} | {t['ft']} | "
                     f"{t['new_units']} | {len(t['crashes'])} |")
    lines += ["", "cov: edges covered (libFuzzer's `cov:`), ft: features (`ft:`), both from the "
              "target's last status line; logs are under `logs/`.", ""]
    found = [(t["name"], c) for t in report["targets"] for c in t["crashes"]]
    lines += ["## Crashes", ""]
    if not found:
        lines.append("None.")
    for name, c in found:
        size = (f"{c['minimized_bytes']} bytes minimised from {c['artifact_bytes']}"
                if c["minimized"] else f"{c['artifact_bytes']} bytes (not minimised)")
        lines += [f"### {name}: {c['kind']}", "",
                  f"- summary: `{c['summary']}`",
                  f"- where: `{c['where'] or 'no symbolised frame outside /usr'}`",
                  f"- reproducer: `{c['minimized'] or c['artifact']}` ({size})",
                  f"- original: `{c['artifact']}`",
                  f"- replay (clang build): `{c['replay']}`",
                  f"- keep as a regression (gcc build): `{c['replay_gcc']}`", ""]
    d = report["differential"]
    lines += ["", "## Differential oracle (instar vs qemu-img)", ""]
    if d["status"] != "ran":
        lines.append(f"differential: {d['status']}")
    else:
        lines.append(f"{d['cases']} cases, {d['matches']} matches, "
                     f"{d.get('known', 0)} known (registered) divergence(s), "
                     f"{d.get('skipped', 0)} skipped, "
                     f"{len(d['divergences'])} unexplained divergence(s).")
        for v in d["divergences"]:
            lines += ["", f"- seed {v.get('seed')}: `{v.get('command')}`",
                      f"  - reproduction: `{v.get('reproduction')}`",
                      f"  - minimal image: `{v.get('minimal_image')}`"]
    return "\n".join(lines) + "\n"


def write_report(out: Path, report: dict) -> None:
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "report.md").write_text(render_markdown(report))


def exit_code(report: dict) -> int:
    """1 when something was found, 2 when the campaign could not do its job, else 0."""
    if report["result"] == "findings":
        return 1
    return 0 if report["result"] == "clean" else 2
