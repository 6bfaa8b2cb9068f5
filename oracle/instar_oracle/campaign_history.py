"""Campaign history: the kept reports of scheduled campaigns (STATE/runs/<stamp>/report.json),
which of their findings later runs found fixed, and an HTML page with plots over time.

Layout of a campaign state directory (scripts/campaign-nightly writes it):
  STATE/corpus/<target>/          the persistent corpus every run grows
  STATE/runs/<stamp>/report.json  one campaign's report (campaign.build_report)
  STATE/runs/<stamp>/recheck.json the earlier findings this run re-checked, and their verdicts
  STATE/index.html                the history page (render_html)

A finding is a crash (target + sha256 of its reproducer) or an unexplained divergence (seed +
command). It is open from the run that found it until a later run re-checks it and it no longer
reproduces: a crash reproducer that the fuzz binary of that run replays with exit 0, a seed the
differential oracle of that run finds no divergence for."""
from __future__ import annotations

import hashlib
import html
import io
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class Finding:
    id: str  # "crash:<target>:<sha256 prefix>" or "divergence:<seed>:<command>"
    kind: str  # crash | divergence
    target: str  # the fuzz target, or "differential"
    reproducer: str  # the crash input, or the seed
    found_in: str  # the stamp of the run that found it
    summary: str


@dataclass
class Run:
    stamp: str
    report: dict
    recheck: dict  # {"fixed": [ids], "open": [ids]}; empty when the run re-checked nothing


def _sha256(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return "missing"


def findings_of(run: Run) -> list[Finding]:
    """The crashes and unexplained divergences `run`'s report holds."""
    found = []
    for target in run.report.get("targets", []):
        for crash in target.get("crashes", []):
            reproducer = crash.get("minimized") or crash.get("artifact") or ""
            found.append(Finding(f"crash:{target['name']}:{_sha256(reproducer)}", "crash",
                                 target["name"], reproducer, run.stamp,
                                 crash.get("summary", "")))
    for divergence in (run.report.get("differential") or {}).get("divergences") or []:
        seed, command = divergence.get("seed"), divergence.get("command", "")
        found.append(Finding(f"divergence:{seed}:{command}", "divergence", "differential",
                             str(seed), run.stamp, command))
    return found


def load_runs(state: Path) -> list[Run]:
    """Every run under STATE/runs that wrote a report, oldest first (stamps sort by time)."""
    runs = []
    for directory in sorted((state / "runs").glob("*")):
        report = directory / "report.json"
        if not report.is_file():
            continue
        recheck = directory / "recheck.json"
        runs.append(Run(directory.name, json.loads(report.read_text()),
                        json.loads(recheck.read_text()) if recheck.is_file() else {}))
    return runs


def open_findings(runs: list[Run]) -> list[Finding]:
    """Findings of `runs` that no later run found fixed, each once (first run that found it)."""
    fixed = {i for run in runs for i in run.recheck.get("fixed", [])}
    seen: dict[str, Finding] = {}
    for run in runs:
        for finding in findings_of(run):
            seen.setdefault(finding.id, finding)
    return [f for f in seen.values() if f.id not in fixed]


def replay_crash(fuzz_binary: Path, reproducer: str, timeout: float = 120) -> bool:
    """Whether the reproducer still crashes `fuzz_binary` (libFuzzer runs one input and exits 0
    when it passes). A missing reproducer cannot be re-checked and stays open."""
    if not Path(reproducer).is_file() or not fuzz_binary.is_file():
        return True
    try:
        proc = subprocess.run([str(fuzz_binary), reproducer], capture_output=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return True
    return proc.returncode != 0


def recheck(findings: list[Finding], fuzz_dir: Path,
            divergence_persists: Callable[[Finding], bool]) -> dict:
    """Re-checks open findings with this run's build: crashes are replayed with the fuzz binary
    under `fuzz_dir`, divergences are handed to `divergence_persists` (which re-runs the oracle
    on the seed). Returns recheck.json's content."""
    fixed, still_open = [], []
    for finding in findings:
        if finding.kind == "crash":
            persists = replay_crash(fuzz_dir / finding.target, finding.reproducer)
        else:
            persists = divergence_persists(finding)
        (still_open if persists else fixed).append(finding.id)
    return {"fixed": fixed, "open": still_open}


def build_history(runs: list[Run]) -> dict:
    """Per-run series for the page: per-target exec/s, cov and corpus files, and the findings
    found (new ids), fixed (by that run's re-check) and open after the run."""
    points = []
    known: set[str] = set()
    fixed_so_far: set[str] = set()
    for run in runs:
        ids = [f.id for f in findings_of(run)]
        new = [i for i in dict.fromkeys(ids) if i not in known]
        known.update(new)
        fixed = [i for i in run.recheck.get("fixed", []) if i not in fixed_so_far]
        fixed_so_far.update(fixed)
        targets = {t["name"]: {"exec_per_sec": t.get("exec_per_sec", 0), "cov": t.get("cov", 0),
                               "corpus_files": t.get("corpus_files", 0)}
                   for t in run.report.get("targets", [])}
        points.append({"stamp": run.stamp, "commit": run.report.get("commit", "?"),
                       "result": run.report.get("result", "?"), "targets": targets,
                       "found": new, "fixed": fixed, "open": len(known - fixed_so_far),
                       "executions": (run.report.get("totals") or {}).get("executions", 0)})
    return {"runs": points}


def _pyplot():
    """matplotlib's pyplot on the non-interactive Agg backend, imported only when drawing."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot
    return pyplot


def _plot(history: dict, metric: str, title: str) -> str:
    """An SVG line plot of `metric` per target over the runs."""
    runs = history["runs"]
    names = sorted({name for r in runs for name in r["targets"]})
    figure, axes = _pyplot().subplots(figsize=(8, 3.6))
    for name in names:
        xs = [i for i, r in enumerate(runs) if name in r["targets"]]
        axes.plot(xs, [runs[i]["targets"][name][metric] for i in xs], marker="o", label=name)
    return _svg(figure, axes, runs, title, legend=bool(names))


def _plot_findings(history: dict) -> str:
    runs = history["runs"]
    xs = list(range(len(runs)))
    figure, axes = _pyplot().subplots(figsize=(8, 3.6))
    axes.bar([x - 0.2 for x in xs], [len(r["found"]) for r in runs], width=0.4, label="found")
    axes.bar([x + 0.2 for x in xs], [len(r["fixed"]) for r in runs], width=0.4, label="fixed")
    axes.plot(xs, [r["open"] for r in runs], color="black", marker="o", label="open")
    return _svg(figure, axes, runs, "findings (crashes + divergences)", legend=True)


def _svg(figure, axes, runs: list[dict], title: str, legend: bool) -> str:
    """Titles the plot, labels the runs on the x axis and returns the figure as inline SVG."""
    axes.set_title(title)
    axes.set_xticks(list(range(len(runs))))
    axes.set_xticklabels([r["stamp"][:10] for r in runs], rotation=30, fontsize=7)
    axes.grid(alpha=0.3)
    if legend:
        axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    _pyplot().close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # inline: drop the XML prolog and doctype


def render_html(history: dict) -> str:
    runs = history["runs"]
    rows = "\n".join(
        f"<tr><td>{html.escape(r['stamp'])}</td><td><code>{html.escape(r['commit'])}</code></td>"
        f"<td>{html.escape(r['result'])}</td><td>{r['executions']}</td>"
        f"<td>{len(r['found'])}</td><td>{len(r['fixed'])}</td><td>{r['open']}</td>"
        f"<td>{html.escape(' '.join(r['found'] + ['fixed: ' + i for i in r['fixed']]))}</td></tr>"
        for r in runs)
    plots = [_plot(history, "exec_per_sec", "executions per second"),
             _plot(history, "cov", "coverage (libFuzzer cov: edges)"),
             _plot(history, "corpus_files", "corpus size (files)"), _plot_findings(history)]
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            "<title>instar fuzz campaigns</title>"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:2px 6px;font-size:90%}</style></head><body>\n"
            f"<h1>instar fuzz campaigns</h1>\n<p>{len(runs)} kept run(s).</p>\n"
            + "\n".join(f"<figure>{p}</figure>" for p in plots) +
            "\n<h2>Runs</h2>\n<table><tr><th>run</th><th>commit</th><th>result</th>"
            "<th>executions</th><th>found</th><th>fixed</th><th>open</th><th>findings</th></tr>\n"
            f"{rows}\n</table>\n</body></html>\n")


def write_history(state: Path) -> Path:
    """Renders STATE/index.html (and history.json beside it) from the kept runs."""
    history = build_history(load_runs(state))
    (state / "history.json").write_text(json.dumps(history, indent=2) + "\n")
    page = state / "index.html"
    page.write_text(render_html(history))
    return page
