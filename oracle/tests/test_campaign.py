"""scripts/fuzz-campaign without clang: stand-in fuzzers that print libFuzzer's log format, write
crash artifacts and minimise like libFuzzer, so the runner, log parser and report cannot rot."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from instar_oracle import campaign

ROOT = Path(__file__).resolve().parents[2]

# A stand-in for a libFuzzer binary. Fuzzing: prints status lines and final stats, and when
# CRASH is set writes a 64-byte crasher to -artifact_prefix and exits 1 like libFuzzer after
# an ASan report. -minimize_crash: writes the first 5 bytes to -exact_artifact_path.
STAND_IN = r'''#!/usr/bin/python3
import sys
CRASH = {crash}
opts = dict(a[1:].split("=", 1) for a in sys.argv[1:] if a.startswith("-") and "=" in a)
if opts.get("minimize_crash") == "1":
    data = open(sys.argv[-1], "rb").read()
    open(opts["exact_artifact_path"], "wb").write(data[:5])
    print("CRASH_MIN: failed to minimize beyond " + opts["exact_artifact_path"] + " (5 bytes)")
    sys.exit(0)
print("INFO: Seed: 1234")
print("#2\tINITED cov: 40 ft: 41 corp: 2/10b exec/s: 0 rss: 30Mb")
print("#1024\tpulse  cov: 95 ft: 180 corp: 17/3Kb lim: 4096 exec/s: 512 rss: 60Mb")
print("#2048\tNEW    cov: 101 ft: 203 corp: 18/1Mb lim: 4096 exec/s: 510 rss: 61Mb L: 9/9 MS: 1")
if CRASH:
    path = opts["artifact_prefix"] + "crash-0123abcd"
    open(path, "wb").write(bytes(range(64)))
    print("==7==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x6020")
    print("    #0 0x55e in instar::qcow2::get_refcount(unsigned char const*) /src/r.cc:12:5")
    print("SUMMARY: AddressSanitizer: heap-buffer-overflow refcount_entries.cc:12 in get_refcount")
    print("MS: 1 ChangeBit-; base unit: 0000")
    print("artifact_prefix='" + opts["artifact_prefix"] + "'; Test unit written to " + path)
    sys.exit(1)
print("Done 4096 runs in 8 second(s)")
print("stat::number_of_executed_units: 4096")
print("stat::average_exec_per_sec:     512")
print("stat::new_units_added:          16")
print("stat::slowest_unit_time_sec:    0")
print("stat::peak_rss_mb:              61")
'''


def stand_in(path: Path, crash: bool) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(STAND_IN.format(crash=crash))
    path.chmod(0o755)
    return path


def test_parse_log_reads_status_stats_and_artifacts():
    log = ("#1024\tpulse  cov: 95 ft: 180 corp: 17/3Kb lim: 4096 exec/s: 512 rss: 60Mb\n"
           "#2048\tDONE   cov: 96 ft: 181 corp: 15/177b lim: 4096 exec/s: 600 rss: 60Mb\n"
           "###### Recommended dictionary. ######\n"
           "    #0 0x7f01 in abort stdlib/./stdlib/abort.c:79:7\n"
           "    #1 0x7f02 in std::vector<int>::at(unsigned long) /usr/include/c++/12/vector:10:3\n"
           "    #2 0x55ebcb in (anonymous namespace)::check(std::vector<char>) /w/fuzz/t.cc:50:81\n"
           "    #3 0x55ebcc in LLVMFuzzerTestOneInput /w/fuzz/t.cc:70:3\n"
           "SUMMARY: AddressSanitizer: SEGV in f\n"
           "artifact_prefix='/o/'; Test unit written to /o/timeout-99\n"
           "stat::number_of_executed_units: 5000\nstat::average_exec_per_sec: 600\n")
    parsed = campaign.parse_log(log)
    assert (parsed["cov"], parsed["ft"], parsed["corpus_units"]) == (96, 181, 15)
    assert parsed["corpus_bytes"] == 177
    assert (parsed["executions"], parsed["exec_per_sec"]) == (5000, 600)
    assert parsed["artifacts"] == ["/o/timeout-99"]
    assert campaign.artifact_kind(parsed["artifacts"][0]) == "timeout"
    assert parsed["summary"] == "SUMMARY: AddressSanitizer: SEGV in f"
    assert parsed["where"] == "(anonymous namespace)::check t.cc:50"


def test_clean_target_is_reported_with_its_numbers(tmp_path):
    binary = stand_in(tmp_path / "bin" / "clean_fuzzer", crash=False)
    result = campaign.run_target(binary, "clean_fuzzer", 1, tmp_path / "out", [])
    assert result.crashes == []
    assert (result.executions, result.exec_per_sec, result.cov, result.ft) == (4096, 512, 101, 203)
    assert result.new_units == 16 and result.peak_rss_mb == 61
    report = campaign.build_report({}, [result], campaign.read_differential(
        tmp_path, "not run (module missing)"))
    assert report["result"] == "clean" and campaign.exit_code(report) == 0


def test_crash_is_minimised_and_fails_the_campaign(tmp_path):
    binary = stand_in(tmp_path / "bin" / "crashy_fuzzer", crash=True)
    out = tmp_path / "out"
    result = campaign.run_target(binary, "crashy_fuzzer", 1, out, [])
    assert len(result.crashes) == 1
    crash = result.crashes[0]
    assert crash.kind == "crash" and crash.artifact_bytes == 64
    assert "heap-buffer-overflow" in crash.summary
    assert crash.where == "instar::qcow2::get_refcount r.cc:12"
    campaign.minimize(binary, crash, 1, Path(result.log))
    campaign.replay_commands(crash, binary, "crashy_fuzzer")
    assert crash.minimized_bytes == 5 and Path(crash.minimized).read_bytes() == bytes(range(5))
    assert crash.replay == f"{binary} {crash.minimized}"
    report = campaign.build_report({"minutes": 1}, [result], campaign.read_differential(
        out, "not run (module missing)"))
    campaign.write_report(out, report)
    assert campaign.exit_code(report) == 1
    text = (out / "report.md").read_text()
    assert "crashy_fuzzer: crash" in text and crash.minimized in text
    assert "5 bytes minimised from 64" in text
    assert "differential: not run (module missing)" in text
    assert json.loads((out / "report.json").read_text())["totals"]["crashes"] == 1


def test_differential_divergences_are_reported(tmp_path):
    (tmp_path / "differential.json").write_text(json.dumps({
        "cases": 20, "matches": 19, "divergences": [{
            "seed": 7, "command": "check --output=json", "reproduction": "instar check x",
            "minimal_image": "oracle/regressions/x.qcow2"}]}))
    section = campaign.read_differential(tmp_path, "ran")
    report = campaign.build_report({}, [], section)
    assert report["totals"]["divergences"] == 1 and campaign.exit_code(report) == 1
    assert "oracle/regressions/x.qcow2" in campaign.render_markdown(report)
    missing = campaign.read_differential(tmp_path / "none", "ran")
    assert campaign.exit_code(campaign.build_report({}, [], missing)) == 2


def test_cli_end_to_end_with_stand_in_build(tmp_path):
    build = tmp_path / "build"
    stand_in(build / "fuzz" / "check_op_fuzzer", crash=True)
    stand_in(build / "fuzz" / "decompress_fuzzer", crash=False)
    out = tmp_path / "campaign"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "fuzz-campaign"), "--minutes", "0.05", "--seeds",
         "0", "--out", str(out), "--build-dir", str(build), "--no-build", "--targets",
         "check_op_fuzzer,decompress_fuzzer", "--minimize-seconds", "1"],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    report = json.loads((out / "report.json").read_text())
    names = [t["name"] for t in report["targets"]]
    assert names == ["check_op_fuzzer", "decompress_fuzzer"]
    assert [len(t["crashes"]) for t in report["targets"]] == [1, 0]
    assert report["targets"][0]["crashes"][0]["minimized_bytes"] == 5
    assert report["differential"]["status"].startswith("not run")
    assert (out / "seeds" / "check_op_fuzzer").is_dir()  # seeds were generated for the run
