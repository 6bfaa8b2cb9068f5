"""Differential smoke: a few generated images through instar and qemu-img (the full run is the
campaign's, scripts/fuzz-campaign), and the oracle's own detection and shrinking on a planted bug."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from instar_oracle import differential, regressions


@pytest.fixture(scope="module")
def imagegen(instar_bin) -> str:
    path = Path(instar_bin).parent / "instar-imagegen"
    if not path.exists():
        pytest.fail(f"{path} is missing: build the instar-imagegen target next to instar")
    return str(path)


def test_generated_images_agree_with_qemu_img(tmp_path, instar_bin, imagegen):
    out = tmp_path / "out"
    rc = differential.main(["--seeds", "5", "--seed-base", "31", "--out", str(out),
                            "--instar", instar_bin, "--imagegen", imagegen])
    report = json.loads((out / "differential.json").read_text())
    assert report["images"] == 5 and report["cases"] >= 20
    assert report["matches"] + len(report["known"]) + len(report["divergences"]) == report["cases"]
    assert rc == 0, json.dumps(report["divergences"], indent=1)[:4000]
    assert report["matches"] > 0


def test_a_planted_divergence_is_found_shrunk_and_saved(tmp_path, instar_bin, imagegen):
    # A stand-in instar that adds a line to human check's output: that command must diverge,
    # nothing else may, and the shrunk case must still show the divergence when replayed.
    fake = tmp_path / "bin" / "instar"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/bash\nif [ "$2 $3" = "check image.qcow2" ]; then\n'
                    f'  (exec -a qemu-img {instar_bin} "$@"); rc=$?; echo planted; exit $rc\nfi\n'
                    f'exec -a qemu-img {instar_bin} "$@"\n')
    fake.chmod(0o755)
    out = tmp_path / "out"
    rc = differential.main(["--seeds", "1", "--seed-base", "90", "--out", str(out),
                            "--instar", str(fake), "--imagegen", imagegen,
                            "--shrink-seconds", "30"])
    report = json.loads((out / "differential.json").read_text())
    assert rc == 1
    commands = sorted(d["command"] for d in report["divergences"])
    assert commands == ["check image.qcow2"]
    for d in report["divergences"]:
        assert d["seed"] == 90 and "--seed 90 --first 90" in d["reproduction"]
        # The planted bug needs no image content, but the signature (both exit codes) keeps the
        # image a qcow2 that opens: what is left is little more than the header cluster.
        minimal = Path(d["minimal_image"]).read_bytes()
        original = (out / "images" / "90" / "00090" / "image.qcow2").read_bytes()
        assert minimal[:4] == b"QFI\xfb" and len(minimal) <= len(original)
        assert sum(1 for b in minimal if b) < sum(1 for b in original if b) // 2
        case_dir = Path(d["regression"])
        case = regressions.load(case_dir)
        assert case.instar["stdout"].endswith("planted\n")
        problems = regressions.replay(case_dir, case, str(fake), "/usr/bin/qemu-img",
                                      differential.known.load())
        assert any("differs from qemu-img" in p for p in problems)
