"""`info --limits` under the 10.2 profile, end to end (no 10.2 qemu-img exists here to compare with).

The expected limits follow qemu 10.2's sources (docs/profiles.md, "info --limits"): a regular file
opened without O_DIRECT has request alignment 1, buffer alignment 1, the host page size as the
optimal memory alignment and IOV_MAX (1024 on Linux) iovecs; qcow2 adds write-zeroes alignment =
subcluster size and discard alignment = cluster size; a probed raw image gets 512-byte requests.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from instar_oracle import runner

PAGE = os.sysconf("SC_PAGESIZE")
FILE_LIMITS = {"request-alignment": 1, "min-mem-alignment": 1, "opt-mem-alignment": PAGE,
               "max-iov": 1024}


def qimg(cwd: Path, *args: str) -> None:
    subprocess.run(["qemu-img", *args], cwd=cwd, check=True, capture_output=True)


def instar(instar_bin: str, cwd: Path, *args: str, version: str = "10.2"):
    return runner.run([instar_bin, "--sandbox=process", f"--qemu-version={version}", *args], cwd)


def info_json(instar_bin: str, cwd: Path, *args: str) -> dict:
    result = instar(instar_bin, cwd, "info", "--output=json", *args)
    assert result.rc == 0, result.stderr.decode(errors="replace")
    return json.loads(result.stdout)


@pytest.mark.parametrize("options, cluster, zeroes", [
    ("cluster_size=65536", 65536, 65536),
    ("cluster_size=131072,extended_l2=on", 131072, 4096),
])
def test_qcow2_limits_for_the_image_and_its_file(options, cluster, zeroes, tmp_path, instar_bin,
                                                 qemu_img):
    qimg(tmp_path, "create", "-f", "qcow2", "-o", options, "img.qcow2", "64M")
    info = info_json(instar_bin, tmp_path, "--limits", "img.qcow2")
    assert next(iter(info)) == "limits"  # QDict order puts it first, as recorded from 10.2.2
    assert info["limits"] == {**FILE_LIMITS, "write-zeroes-alignment": zeroes,
                              "discard-alignment": cluster}
    [child] = info["children"]
    assert child["info"]["limits"] == FILE_LIMITS


def test_raw_limits_depend_on_probing(tmp_path, instar_bin, qemu_img):
    qimg(tmp_path, "create", "-f", "raw", "plain.raw", "1M")
    probed = info_json(instar_bin, tmp_path, "--limits", "plain.raw")
    assert probed["limits"] == {**FILE_LIMITS, "request-alignment": 512}
    given = info_json(instar_bin, tmp_path, "--limits", "-f", "raw", "plain.raw")
    assert given["limits"] == FILE_LIMITS


def test_backing_chain_every_image_and_human_layout(tmp_path, instar_bin, qemu_img):
    qimg(tmp_path, "create", "-f", "qcow2", "base.qcow2", "16M")
    qimg(tmp_path, "create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2")
    chain = info_json(instar_bin, tmp_path, "--limits", "--backing-chain", "top.qcow2")
    assert [image["limits"]["discard-alignment"] for image in chain] == [65536, 65536]
    human = instar(instar_bin, tmp_path, "info", "--limits", "top.qcow2")
    text = human.stdout.decode()
    assert human.rc == 0
    assert ("backing file format: qcow2\nBlock limits:\n    write zeroes alignment: 65536\n"
            in text)
    assert text.index("Block limits:") < text.index("Format specific information:")
    assert f"    Block limits:\n        request alignment: 1\n" in text
    assert text.endswith(f"        opt mem alignment: {PAGE}\n        max iov: 1024\n")
    without = instar(instar_bin, tmp_path, "info", "top.qcow2").stdout.decode()
    assert "Block limits" not in without


def test_cache_option(tmp_path, instar_bin, qemu_img):
    qimg(tmp_path, "create", "-f", "qcow2", "img.qcow2", "1M")
    # Modes without O_DIRECT leave the limits as they are.
    for mode in ("writeback", "writethrough", "unsafe"):
        assert info_json(instar_bin, tmp_path, "--limits", "-t", mode, "img.qcow2")["limits"][
            "request-alignment"] == 1
    bad = instar(instar_bin, tmp_path, "info", "--cache=bogus", "img.qcow2")
    assert (bad.rc, bad.stdout) == (1, b"")
    assert bad.stderr.decode().endswith(": Invalid cache option: bogus\n")
    direct = instar(instar_bin, tmp_path, "info", "--limits", "-t", "none", "img.qcow2")
    assert direct.rc == 1
    assert b"not supported by instar yet" in direct.stderr


@pytest.mark.parametrize("version", ["7.2", "8.2", "9.2", "10.0"])
def test_older_versions_reject_limits_like_qemu(version, tmp_path, instar_bin, qemu_img):
    qimg(tmp_path, "create", "-f", "qcow2", "img.qcow2", "1M")
    result = instar(instar_bin, tmp_path, "info", "--limits", "img.qcow2", version=version)
    assert result.rc == 1
    assert b"unrecognized option '--limits'" in result.stderr
    cache = instar(instar_bin, tmp_path, "info", "-t", "none", "img.qcow2", version=version)
    assert cache.rc == 1
    assert b"'-t'" in cache.stderr
