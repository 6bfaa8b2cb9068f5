"""Live differential check of `check` against the installed qemu-img: recipe images and crafted
corruptions (reference §3), comparing stdout, stderr and the exit code exactly."""
from __future__ import annotations

import pytest

from instar_oracle import qcow2_corrupt, recipes, runner

CLEAN = ["qcow2-v2", "qcow2-v3", "qcow2-lazy", "qcow2-zstd-el2", "qcow2-cs512-rb1",
         "qcow2-cs2m-rb64", "qcow2-odd-size", "qcow2-data", "qcow2-check-base", "qcow2-snapshots",
         "qcow2-bitmaps", "qcow2-prealloc-metadata", "qcow2-check-zlib", "qcow2-check-zstd",
         "qcow2-check-el2", "qcow2-check-zero", "qcow2-check-v2", "raw-16m", "raw-empty"]
CLEAN += sorted(name for name in recipes.RECIPES if name.startswith("qcow2-mixed-rb"))

# (name, corruption applied to qcow2-check-base: L2 @0x40000, data clusters 5 and 6)
CRAFTED = [
    ("leak", ("set-l2", 0, 1, 0)),
    ("refcount-0", ("set-ref", 5, 0)),
    ("refcount-2", ("set-ref", 5, 2)),
    ("l2-copied-clear", ("set-l2", 0, 0, 0x50000)),
    ("l2-misaligned", ("set-l2", 0, 0, 0x8000000000050200)),
    ("l2-past-eof", ("set-l2", 0, 0, 0x8000000000100000)),
    ("l2-reserved", ("set-l2", 0, 0, 0x8100000000050000)),
    ("l2-cluster-0", ("set-l2", 0, 0, 0x8000000000000000)),
    ("l2-cluster-6", ("set-l2", 0, 0, 0x8000000000060000)),
    ("l2-compressed-copied", ("set-l2", 0, 2, 0xC000000000050000)),
    ("l2-zero-alloc-misaligned", ("set-l2", 0, 0, 0x8000000000050201)),
    ("l1-past-eof", ("set-l1", 0, 0x8000000000100000)),
    ("l1-reserved", ("set-l1", 0, 0x8100000000040000)),
    ("l1-copied-clear", ("set-l1", 0, 0x40000)),
    ("l1-misaligned", ("set-l1", 0, 0x8000000000040200)),
    ("reftable-outside", ("set-rt", 0, 0x1000000)),
    ("reftable-zero", ("set-rt", 0, 0)),
    ("reftable-misaligned", ("set-rt", 0, 0x20200)),
    ("reftable-reserved", ("set-rt", 0, 0x20001)),
    ("refcount-past-eof", ("set-ref", 10, 1)),
    ("truncated", ("truncate", 4096)),
]


def _show(run: runner.Run) -> str:
    return (f"rc={run.rc}\n{run.stdout.decode(errors='replace')}"
            f"{run.stderr.decode(errors='replace')}")


def _assert_same(tmp_path, instar_bin, qemu_img, args):
    # Invoked as "qemu-img" through a symlink, instar must print exactly qemu-img's text.
    link = tmp_path / "qemu-img"
    if not link.exists():
        link.symlink_to(instar_bin)
    ours = runner.run([str(link), "--sandbox=process", *args], tmp_path)
    theirs = runner.run([qemu_img, *args], tmp_path)
    assert (ours.stdout, ours.stderr, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc), (
        f"--- qemu-img {_show(theirs)}\n--- instar {_show(ours)}\n"
        f"reproduce: {runner.reproduction(ours.argv, tmp_path)}")


@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("name", CLEAN)
def test_check_recipe_matches_qemu_img(name, output, tmp_path, instar_bin, qemu_img):
    image = str(recipes.build(name, tmp_path))
    _assert_same(tmp_path, instar_bin, qemu_img, ["check", f"--output={output}", image])


@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("name,corruption", CRAFTED, ids=[c[0] for c in CRAFTED])
def test_check_crafted_matches_qemu_img(name, corruption, output, tmp_path, instar_bin, qemu_img):
    image = recipes.build("qcow2-check-base", tmp_path)
    qcow2_corrupt.apply(tmp_path / image, *corruption)
    _assert_same(tmp_path, instar_bin, qemu_img, ["check", f"--output={output}", str(image)])


@pytest.mark.parametrize("args", [
    ["check"],
    ["check", "-q", "b.qcow2"],
    ["check", "-U", "-T", "none", "b.qcow2"],
    ["check", "-T", "bogus", "b.qcow2"],
    ["check", "-r", "foo", "b.qcow2"],
    ["check", "--output=xml", "b.qcow2"],
    ["check", "-f", "raw", "b.qcow2"],
    ["check", "-f", "qcow2", "missing.qcow2"],
    ["check", "b.qcow2", "extra"],
    ["check", "--bogus", "b.qcow2"],
], ids=lambda a: " ".join(a[1:]) or "none")
def test_check_options_match_qemu_img(args, tmp_path, instar_bin, qemu_img):
    recipes.build("qcow2-check-base", tmp_path)
    _assert_same(tmp_path, instar_bin, qemu_img, args)


# Backing chains and external data files: qemu-img check opens the whole chain and the data
# files first and fails with their open error (rc 1) before any check.
_CHAIN_CASES = [(name, []) for name in recipes.CHAINS_THAT_OPEN + recipes.CHAIN_OPEN_ERRORS]
_CHAIN_CASES += [(name, options) for name in ("chain-raw-qcow2-qcow2", "chain-missing-deeper",
                                              "qcow2-data-file-missing")
                 for options in (["--output=json"], ["-U"], ["-q"])]


@pytest.mark.parametrize("name,options", _CHAIN_CASES,
                         ids=[f"{n}:{' '.join(o)}" for n, o in _CHAIN_CASES])
def test_check_chain_matches_qemu_img(name, options, tmp_path, instar_bin, qemu_img):
    image = str(recipes.build(name, tmp_path))
    _assert_same(tmp_path, instar_bin, qemu_img, ["check", *options, image])


def test_check_unreadable_backing_matches_qemu_img(unreadable_backing, instar_bin, qemu_img):
    directory, as_nobody = unreadable_backing
    ours = runner.run([*as_nobody, instar_bin, "--sandbox=process", "check", "top.qcow2"],
                      directory)
    theirs = runner.run([*as_nobody, qemu_img, "check", "top.qcow2"], directory)
    assert theirs.stderr.endswith(b"Could not open 'base.raw': Permission denied\n")
    assert (ours.stdout, ours.stderr.replace(b"instar:", b"qemu-img:", 1), ours.rc) == (
        theirs.stdout, theirs.stderr, theirs.rc)

