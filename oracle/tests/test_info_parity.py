"""Live differential check of `info` against the installed qemu-img on recipe images."""
from __future__ import annotations

import pytest

from instar_oracle import recipes, runner


@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("case", sorted(recipes.RECIPES))
def test_info_matches_qemu_img(case, output, recipe_image, instar_bin, qemu_img):
    directory, image = recipe_image(case)
    args = ["info", f"--output={output}", image]
    ours = runner.run([instar_bin, "--sandbox=process", *args], directory)
    theirs = runner.run([qemu_img, *args], directory)
    verdict = runner.classify(ours, theirs)
    assert verdict == runner.MATCH, (
        f"{verdict}: {case}\n--- qemu-img rc={theirs.rc}\n{theirs.stdout.decode(errors='replace')}"
        f"{theirs.stderr.decode(errors='replace')}\n--- instar rc={ours.rc}\n"
        f"{ours.stdout.decode(errors='replace')}{ours.stderr.decode(errors='replace')}\n"
        f"reproduce: {runner.reproduction(ours.argv, directory)}")


@pytest.mark.parametrize("args", [
    ["info"],
    ["info", "a", "b"],
    ["info", "-x", "f"],
    ["info", "--bogus", "f"],
    ["info", "-f"],
    ["info", "--output=xml", "f"],
    ["info", "nonexistent.qcow2"],
    ["info", "--output=json", "nonexistent.qcow2"],
    ["info", "."],
    [],
    ["nosuchcommand"],
])
def test_usage_and_open_errors_match(args, tmp_path, instar_bin, qemu_img):
    # Invoked as "qemu-img" through a symlink, instar must print exactly qemu-img's text.
    link = tmp_path / "qemu-img"
    link.symlink_to(instar_bin)
    ours = runner.run([str(link), "--sandbox=process", *args], tmp_path)
    theirs = runner.run([qemu_img, *args], tmp_path)
    assert (ours.stdout, ours.stderr, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc)
