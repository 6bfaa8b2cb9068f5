"""Callers' limits (issue 11, findings 7 and 8): instar runs under `prlimit --cpu=2 --as=1 GiB`
as Glance runs qemu-img, reports a limit it reaches by name, and honours --timeout/INSTAR_TIMEOUT.
INSTAR_LIMITS_SANDBOX picks the backend (process by default; the kvm-labelled ctest sets kvm)."""
from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
from pathlib import Path

import pytest

SANDBOX = os.environ.get("INSTAR_LIMITS_SANDBOX", "process")
GLANCE_LIMITS = ["prlimit", "--cpu=2", "--as=1073741824"]


def run(args: list[str], cwd: Path, env: dict | None = None, limits: list[str] | None = None):
    full_env = {k: v for k, v in os.environ.items() if k != "INSTAR_TIMEOUT"}
    full_env.update(INSTAR_SANDBOX=SANDBOX, **(env or {}))
    return subprocess.run([*(limits or []), *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=120)


def slow_qcow2(path: Path) -> None:
    """A 16 GiB virtual qcow2: every L1 entry names the same L2 table
    and every L2 entry the same data cluster, so reading it costs time in proportion to its
    virtual size while the file is 384 KiB (the shape that kept check/compare busy for minutes)."""
    cluster = 1 << 16
    virtual = 16 << 30
    l1_entries = virtual // (cluster * (cluster // 8))
    copied = 1 << 63
    header = struct.pack(">4sIQIIQIIQQIIQ", b"QFI\xfb", 2, 0, 0, 16, virtual, 0, l1_entries,
                         1 * cluster, 4 * cluster, 1, 0, 0)
    data = bytearray(6 * cluster)
    data[:len(header)] = header
    struct.pack_into(f">{l1_entries}Q", data, cluster, *([copied | 2 * cluster] * l1_entries))
    struct.pack_into(f">{cluster // 8}Q", data, 2 * cluster, *([copied | 3 * cluster] * (cluster // 8)))
    data[3 * cluster:4 * cluster] = b"\x5a" * cluster
    struct.pack_into(">Q", data, 4 * cluster, 5 * cluster)
    struct.pack_into(">6H", data, 5 * cluster, 1, 1, 1, 1, 1, 1)
    path.write_bytes(bytes(data))


@pytest.fixture
def images(tmp_path, qemu_img):
    if shutil.which("prlimit") is None:
        pytest.skip("prlimit (util-linux) is missing")
    subprocess.run([qemu_img, "create", "-q", "-f", "qcow2", "a.qcow2", "64M"], cwd=tmp_path,
                   check=True)
    subprocess.run([qemu_img, "create", "-q", "-f", "qcow2", "b.qcow2", "64M"], cwd=tmp_path,
                   check=True)
    return tmp_path


@pytest.mark.parametrize("command", [["info", "a.qcow2"], ["check", "a.qcow2"],
                                     ["compare", "a.qcow2", "b.qcow2"]])
def test_runs_under_glances_limits(instar_bin, images, command):
    # Before the fix: "cannot execute guest helper ...: Operation not permitted".
    r = run([instar_bin, *command], images, limits=GLANCE_LIMITS)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""


def test_callers_cpu_limit_is_named(instar_bin, images):
    slow_qcow2(images / "slow.qcow2")
    r = run([instar_bin, "compare", "slow.qcow2", "slow.qcow2"], images,
            limits=["prlimit", "--cpu=1"])
    assert r.returncode == 2, r.stderr
    assert "CPU time limit of 1 s (RLIMIT_CPU, set by the caller of instar)" in r.stderr, r.stderr
    assert "cannot execute" not in r.stderr


def test_timeout_option_stops_a_slow_run(instar_bin, images):
    slow_qcow2(images / "slow.qcow2")
    r = run([instar_bin, "--timeout", "0.5", "compare", "slow.qcow2", "slow.qcow2"], images)
    assert r.returncode == 2, r.stderr
    assert "the --timeout of 0.500 s (or INSTAR_TIMEOUT) was reached" in r.stderr, r.stderr
    r = run([instar_bin, "compare", "slow.qcow2", "slow.qcow2"], images,
            env={"INSTAR_TIMEOUT": "0.5"})
    assert r.returncode == 2 and "was reached" in r.stderr, r.stderr


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1e3", "5s", "", "604801", ".5", "1."])
def test_invalid_timeout_is_a_usage_error(instar_bin, images, value):
    r = run([instar_bin, "--timeout", value, "info", "a.qcow2"], images)
    assert r.returncode == 1
    assert f"invalid --timeout '{value}'" in r.stderr and "Try '" in r.stderr, r.stderr
    if value:
        r = run([instar_bin, "info", "a.qcow2"], images, env={"INSTAR_TIMEOUT": value})
        assert r.returncode == 1 and f"invalid INSTAR_TIMEOUT '{value}'" in r.stderr, r.stderr


def test_timeout_option_beats_environment(instar_bin, images):
    r = run([instar_bin, "--timeout", "30", "info", "a.qcow2"], images,
            env={"INSTAR_TIMEOUT": "junk"})
    assert r.returncode == 0, r.stderr


def test_sigxcpu_to_instar_itself_is_named(instar_bin, images):
    # What the kernel sends instar at a caller's soft RLIMIT_CPU (the KVM backend's guest time is
    # instar's own): a clear message and exit 1, not a silent death by signal.
    import time
    slow_qcow2(images / "slow.qcow2")
    env = {k: v for k, v in os.environ.items() if k != "INSTAR_TIMEOUT"}
    env["INSTAR_SANDBOX"] = SANDBOX
    p = subprocess.Popen([instar_bin, "compare", "slow.qcow2", "slow.qcow2"], cwd=images, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    p.send_signal(signal.SIGXCPU)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 1, err
    assert "CPU time limit reached (RLIMIT_CPU, set by the caller of instar)" in err
