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

# Through backing chains and external data files: each chain against its content flattened to
# raw, against the shared compare content, and chains against each other; strict mode too.
_CHAIN_PAIRS = [(name, name + "-flat") for name in recipes.CHAINS_THAT_OPEN]
_CHAIN_PAIRS += [(name + "-flat", name) for name in recipes.CHAINS_THAT_OPEN[:2]]
_CHAIN_PAIRS += [("chain-compressed-backing", "raw-mixed"), ("qcow2-mixed", "chain-compressed-backing"),
                 ("qcow2-data-file", "qcow2-data-file-raw"), ("chain-raw-qcow2-qcow2", "raw-mixed"),
                 ("chain-short-backing", "chain-zero-backing"),
                 ("chain-data-file-backing", "qcow2-data-file")]
_CHAIN_PAIRS += [("chain-depth-16-data-files", "chain-depth-16-data-files")]  # 64 devices
PAIRS += [(a, b, opts) for a, b in _CHAIN_PAIRS for opts in ([], ["-s"])]
# Chains that cannot be opened, as the first and as the second image (qemu opens the first image
# and its chain completely before the second).
PAIRS += [(name, "raw-mixed", []) for name in recipes.CHAIN_OPEN_ERRORS]
PAIRS += [("raw-mixed", name, opts) for name in recipes.CHAIN_OPEN_ERRORS[:3]
          for opts in ([], ["-q"])]
PAIRS += [("chain-missing-backing", "chain-missing-deeper", [])]
# -f/-F name the top images' formats only; backing files keep their recorded formats.
PAIRS += [("chain-raw-qcow2-qcow2", "chain-raw-qcow2-qcow2-flat", ["-f", "qcow2", "-F", "raw"]),
          ("chain-raw-qcow2-qcow2", "chain-raw-qcow2-qcow2-flat", ["-f", "raw"])]


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


def test_unreadable_backing_matches_qemu_img(unreadable_backing, instar_bin, qemu_img):
    directory, as_nobody = unreadable_backing
    args = ["compare", "top.qcow2", "top.qcow2"]
    ours = runner.run([*as_nobody, instar_bin, "--sandbox=process", *args], directory)
    theirs = runner.run([*as_nobody, qemu_img, *args], directory)
    assert theirs.stderr.endswith(b"Could not open 'base.raw': Permission denied\n")
    assert (ours.stdout, ours.stderr.replace(b"instar:", b"qemu-img:", 1), ours.rc) == (
        theirs.stdout, theirs.stderr, theirs.rc)


def test_backing_outside_the_directory_is_refused(tmp_path, instar_bin):
    # A divergence (docs/chains.md): qemu-img would open ../outside.raw; instar only opens files
    # under the top image's directory, as info --backing-chain does.
    sub = tmp_path / "sub"
    sub.mkdir()
    runner.run(["qemu-img", "create", "-q", "-f", "raw", "outside.raw", "1M"], tmp_path)
    runner.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", "../outside.raw", "-F", "raw",
                "top.qcow2"], sub)
    ours = runner.run([instar_bin, "--sandbox=process", "compare", "top.qcow2", "top.qcow2"], sub)
    assert ours.rc == 2
    assert ours.stdout == b""
    assert ours.stderr.startswith(
        b"instar: Could not open 'top.qcow2': Could not open backing file: Could not open "
        b"'../outside.raw': refused by instar: ")
