"""Live differential check of `compare` against the installed qemu-img on pairs of recipe images."""
from __future__ import annotations

import pytest

from instar_oracle import recipes, runner

SAME_CONTENT = ["raw-mixed", "qcow2-mixed", "qcow2-mixed-zlib", "qcow2-mixed-zstd",
                "qcow2-mixed-el2", "qcow2-mixed-v2-4k"]

# (first recipe, second recipe, extra options)
PAIRS = [(a, b, []) for a in SAME_CONTENT for b in SAME_CONTENT if a != b]
PAIRS += [(a, "raw-mixed-poked", []) for a in SAME_CONTENT]
PAIRS += [("raw-mixed-poked", a, ["-q"]) for a in SAME_CONTENT[:3]]
PAIRS += [(a, b, opts) for a, b in [("raw-mixed", "raw-mixed-8m"), ("raw-mixed-8m", "qcow2-mixed"),
                                    ("qcow2-mixed-zstd", "raw-mixed-8m-tail"),
                                    ("raw-mixed-8m-tail", "raw-mixed")]
          for opts in ([], ["-s"])]
PAIRS += [(a, b, ["-s"]) for a, b in [("qcow2-mixed", "qcow2-mixed-zlib"),
                                      ("qcow2-mixed", "qcow2-mixed-el2"),
                                      ("qcow2-mixed-el2", "qcow2-mixed-el2"),
                                      ("raw-mixed", "qcow2-mixed"),
                                      ("raw-mixed", "raw-mixed"),
                                      ("qcow2-zero-clusters", "qcow2-zero-subclusters"),
                                      ("qcow2-zero-clusters", "qcow2-zero-clusters")]]
PAIRS += [(a, b, []) for a, b in [("qcow2-zero-clusters", "qcow2-zero-subclusters"),
                                  ("qcow2-zero-subclusters", "raw-mixed"),
                                  ("raw-1000-bytes", "qcow2-odd-size"),
                                  ("raw-empty", "qcow2-odd-size"),
                                  ("qcow2-cs2m-rb64", "qcow2-v3")]]
# Holes of sparse raw files are zero extents in qemu's block status: strict mode sees them.
PAIRS += [(a, b, opts) for a, b in [("raw-sparse", "qcow2-from-sparse"),
                                    ("qcow2-from-sparse", "raw-sparse"),
                                    ("raw-sparse", "raw-16m"), ("raw-sparse", "raw-mixed"),
                                    ("raw-1000-bytes", "qcow2-odd-size")]
          for opts in ([], ["-s"])]
PAIRS += [("raw-mixed", "qcow2-mixed", ["-f", "raw", "-F", "raw"]),
          ("raw-mixed", "qcow2-mixed", ["-f", "raw", "-F", "qcow2"]),
          ("raw-mixed", "qcow2-mixed", ["-F", "bogus"]),
          ("raw-mixed", "qcow2-mixed", ["-f", "qcow2"]),
          ("raw-mixed", "qcow2-mixed", ["-T", "bogus"]),
          ("raw-mixed", "qcow2-mixed", ["-T", "none", "-U"])]


def _show(run: runner.Run) -> str:
    return (f"rc={run.rc}\n{run.stdout.decode(errors='replace')}"
            f"{run.stderr.decode(errors='replace')}")


@pytest.mark.parametrize("first,second,options", PAIRS,
                         ids=[f"{a}:{b}:{''.join(o)}" for a, b, o in PAIRS])
def test_compare_matches_qemu_img(first, second, options, tmp_path, instar_bin, qemu_img):
    images = [str(recipes.build(name, tmp_path)) for name in (first, second)]
    # Invoked as "qemu-img" through a symlink, instar must print exactly qemu-img's text.
    link = tmp_path / "qemu-img"
    link.symlink_to(instar_bin)
    args = ["compare", *options, *images]
    ours = runner.run([str(link), "--sandbox=process", *args], tmp_path)
    theirs = runner.run([qemu_img, *args], tmp_path)
    assert (ours.stdout, ours.stderr, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc), (
        f"--- qemu-img {_show(theirs)}\n--- instar {_show(ours)}\n"
        f"reproduce: {runner.reproduction(ours.argv, tmp_path)}")


@pytest.mark.parametrize("args", [
    ["compare"],
    ["compare", "a"],
    ["compare", "a", "b", "c"],
    ["compare", "-x", "a", "b"],
    ["compare", "-f"],
    ["compare", "nonexistent.raw", "other.raw"],
    ["compare", "-q", "nonexistent.raw", "other.raw"],
])
def test_usage_and_open_errors_match(args, tmp_path, instar_bin, qemu_img):
    link = tmp_path / "qemu-img"
    link.symlink_to(instar_bin)
    ours = runner.run([str(link), "--sandbox=process", *args], tmp_path)
    theirs = runner.run([qemu_img, *args], tmp_path)
    assert (ours.stdout, ours.stderr, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc)


def test_second_open_error_after_first_image_opens(tmp_path, instar_bin, qemu_img):
    first = str(recipes.build("qcow2-mixed", tmp_path))
    link = tmp_path / "qemu-img"
    link.symlink_to(instar_bin)
    args = ["compare", first, "missing.qcow2"]
    ours = runner.run([str(link), "--sandbox=process", *args], tmp_path)
    theirs = runner.run([qemu_img, *args], tmp_path)
    assert (ours.stdout, ours.stderr, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc)


def test_backing_files_are_refused_clearly(tmp_path, instar_bin):
    overlay = str(recipes.build("qcow2-overlay", tmp_path))
    ours = runner.run([instar_bin, "--sandbox=process", "compare", "base.qcow2", overlay], tmp_path)
    assert ours.rc == 2
    assert ours.stdout == b""
    assert ours.stderr == b"instar: compare with backing files is not supported yet\n"
