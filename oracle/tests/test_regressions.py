"""Replays every committed differential regression (oracle/regressions/) against qemu-img and instar.

The loader and replay are also exercised on synthetic cases built here, so this module tests
something even while oracle/regressions/ is empty, and a replay that cannot fail would show.
"""
from __future__ import annotations

import json

import pytest

from instar_oracle import known, recipes, regressions, runner

CASES = regressions.load_all()
REGISTRY = known.load()


@pytest.mark.parametrize("case_dir,case", CASES, ids=[c.id for _, c in CASES])
def test_committed_regression_holds(case_dir, case, instar_bin, qemu_img):
    problems = regressions.replay(case_dir, case, instar_bin, qemu_img, REGISTRY)
    assert not problems, "\n".join(problems)


def test_committed_cases_name_registered_divergences():
    for _, case in CASES:
        if case.known is not None:
            REGISTRY.by_id(case.known)   # KeyError: the case names an entry that is gone


def _synthetic(tmp_path, qemu_img, args) -> tuple:
    """A case saved the way the differential oracle saves one, from a recipe image."""
    src = tmp_path / "src"
    src.mkdir()
    image = src / recipes.build("qcow2-mixed", src)
    full = [a if a != "IMAGE" else image.name for a in args]
    theirs = runner.run([qemu_img, *full], src)
    case = regressions.Case(id=regressions.case_id(full, image.read_bytes()), args=full,
                            qemu=regressions.recorded(theirs), instar=regressions.recorded(theirs),
                            origin={"synthetic": True})
    root = tmp_path / "regressions"
    regressions.save(case, src, root)
    [(case_dir, loaded)] = regressions.load_all(root)
    return case_dir, loaded


@pytest.mark.parametrize("args", [["check", "IMAGE"], ["info", "--output=json", "IMAGE"]])
def test_synthetic_case_round_trips_and_replays(args, tmp_path, instar_bin, qemu_img):
    case_dir, case = _synthetic(tmp_path, qemu_img, args)
    assert case.args[0] == args[0] and case.qemu["rc"] == 0
    assert regressions.replay(case_dir, case, instar_bin, qemu_img, REGISTRY) == []


def test_replay_reports_a_recorded_answer_that_no_longer_holds(tmp_path, instar_bin, qemu_img):
    case_dir, case = _synthetic(tmp_path, qemu_img, ["check", "IMAGE"])
    data = json.loads((case_dir / regressions.CASE_FILE).read_text())
    data["qemu"]["stdout"] = "something qemu-img never printed\n"
    (case_dir / regressions.CASE_FILE).write_text(json.dumps(data))
    problems = regressions.replay(case_dir, regressions.load(case_dir), instar_bin, qemu_img,
                                  REGISTRY)
    assert len(problems) == 1 and "no longer answers as recorded" in problems[0]


def test_replay_reports_instar_diverging(tmp_path, qemu_img):
    # A stand-in "instar" that prints something else: the replay must call that a divergence.
    fake = tmp_path / "fake-instar"
    fake.write_text("#!/bin/sh\necho not qemu-img\nexit 3\n")
    fake.chmod(0o755)
    case_dir, case = _synthetic(tmp_path, qemu_img, ["check", "IMAGE"])
    problems = regressions.replay(case_dir, case, str(fake), qemu_img, REGISTRY)
    assert len(problems) == 1 and "differs from qemu-img" in problems[0]


def test_loader_rejects_a_case_whose_id_is_not_its_directory(tmp_path):
    d = tmp_path / "check-000000000000"
    d.mkdir()
    (d / regressions.CASE_FILE).write_text(json.dumps(
        {"id": "other", "args": ["check", "x"], "qemu": {}, "instar": {}}))
    with pytest.raises(ValueError, match="not the directory name"):
        regressions.load(d)
