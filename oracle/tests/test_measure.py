"""Live differential check of `measure` against the installed qemu-img: --size over a grid of
qcow2 creation options, recipe images (sparse raw, data/zero/compressed clusters, extended L2,
bitmaps, backing chains), option and usage errors, under every output profile."""
from __future__ import annotations

import itertools

import pytest

from instar_oracle import hostile, recipes, runner


def _show(run: runner.Run) -> str:
    return (f"rc={run.rc}\n{run.stdout.decode(errors='replace')}"
            f"{run.stderr.decode(errors='replace')}")


# Where qemu-img prints its help, instar prints its own (README): compare stderr and rc only.
_HELP_CASES = [["-h"], ["-x"], ["--size"], ["--bogus"], ["-x", "-o", ","]]


def _same(tmp_path, instar_bin, qemu_img, args, profile="7.2"):
    # Invoked as "qemu-img" through a symlink, instar must print exactly qemu-img's text.
    link = tmp_path / "qemu-img"
    if not link.exists():
        link.symlink_to(instar_bin)
    ours = runner.run([str(link), "--sandbox=process", f"--qemu-version={profile}", *args],
                      tmp_path)
    theirs = runner.run([qemu_img, *args], tmp_path)
    our_stdout = ours.stdout
    if args[1:] in _HELP_CASES:
        assert our_stdout.startswith(b"qemu-img version ") and b"  measure [" in our_stdout
        our_stdout = theirs.stdout
    assert (our_stdout, ours.stderr, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc), (
        f"--- qemu-img {_show(theirs)}\n--- instar {_show(ours)}\n"
        f"reproduce: {runner.reproduction(ours.argv, tmp_path)}")


# The formula over sizes x cluster sizes x refcount widths x extended L2 x preallocation, each
# size through one qemu-img and one instar run per option set (batched to stay fast).
_SIZES = ["0", "65535", "1G", "3T"]
_GRID = [f"cluster_size={cs},refcount_bits={rb},extended_l2={el2},preallocation={pa}"
         for cs, rb, el2, pa in itertools.product(
             ["512", "4k", "64k", "2M"], ["1", "16", "64"], ["off", "on"], ["off", "full"])]


def test_size_grid_matches_qemu_img(tmp_path, instar_bin, qemu_img):
    link = tmp_path / "qemu-img"
    link.symlink_to(instar_bin)
    # One shell per tool over the whole grid keeps 1000+ runs within a few seconds.
    script = "".join(f"echo '# {opts} {size}'; \"$0\" measure -O qcow2 -o {opts} --size {size} "
                     "--output=json 2>&1; echo rc=$?\n"
                     for opts in _GRID for size in _SIZES)
    ours = runner.run(["sh", "-c", script, str(link)], tmp_path)
    theirs = runner.run(["sh", "-c", script, qemu_img], tmp_path)
    assert ours.stdout.decode() == theirs.stdout.decode()


SIZE_CASES = [
    ["--size", "16M"],
    ["-O", "qcow2", "--size", "16M"],
    ["-O", "qcow2", "--size", "16M", "--output=json"],
    ["-O", "qcow2", "--size", "16M", "--output", "human"],
    ["-O", "raw", "--size", "1000", "--output=json"],
    ["--size", "1.5k"], ["--size", "0x1000"], ["--siz", "1"], ["--size", "0"],
    ["-O", "qcow2", "-o", "compat=0.10", "--size", "1G"],
    ["-O", "qcow2", "-o", "preallocation=falloc", "--size", "1G"],
    ["-O", "qcow2", "-o", "backing_file=whatever", "--size", "1G"],
    ["-O", "qcow2", "-o", "cluster_size=64k,cluster_size=4k", "--size", "1G"],
    ["-O", "qcow2", "-o", "cluster_size=4k", "-o", "refcount_bits=1", "--size", "100G"],
    ["-O", "qcow2", "-o", "size=1M", "--size", "2M"],
    ["-O", "qcow2", "-o", "extended_l2", "--size", "1G"],
    ["-O", "qcow2", "-o", "noextended_l2,lazy_refcounts=on,compression_type=zstd", "--size", "1G"],
    ["-O", "qcow2", "-o", "id=x,data_file=d,encryption=off,nocow=on", "--size", "1G"],
    ["-O", "qcow2", "-o", "refcount_bits=0x10", "--size", "1G"],
    ["-O", "raw", "-o", "size=18446744073709551615", "--size", "1"],
    ["-O", "qcow2", "-o", "size=18446744073709551615"],
    ["-U", "--size", "1"],
    # a multiplier on a hex number: accepted with qemu's deprecation warning
    ["--size", "0x1k"], ["-O", "qcow2", "-o", "cluster_size=0x10k", "--size", "1k"],
]

ERROR_CASES = [
    [], ["--output=xml", "--size", "1"], ["--size", "1", "a", "b"], ["-f", "raw", "--size", "1"],
    ["-l", "snap", "--size", "1"], ["--image-opts", "--size", "1"], ["--size", "1", "x"],
    ["--size", "-1"], ["--size", "1Q"], ["--size", "16E"], ["--size", "1.5"], ["--size", "1e3"],
    ["-O", "vmdk", "--size", "1"], ["-O", "foo", "--size", "1"], ["-O", "bochs", "--size", "1"],
    ["-O", "http", "--size", "1"], ["-O", "luks", "--size", "1"],
    ["-O", "luks", "-o", "key-secret=s", "--size", "1"],
    ["-O", "qcow2", "-o", "foo=1", "--size", "1"], ["-O", "raw", "-o", "cluster_size=4k", "--size", "1"],
    ["-O", "qcow2", "-o", "cluster_size=3", "--size", "1"],
    ["-O", "qcow2", "-o", "cluster_size=x", "--size", "1"],
    ["-O", "qcow2", "-o", "cluster_size=99999999999999999999", "--size", "1"],
    ["-O", "qcow2", "-o", "refcount_bits=99999999999999999999", "--size", "1"],
    ["-O", "qcow2", "-o", "refcount_bits=3", "--size", "1"],
    ["-O", "qcow2", "-o", "refcount_bits=x", "--size", "1"],
    ["-O", "qcow2", "-o", "compat=0.10,refcount_bits=32", "--size", "1"],
    ["-O", "qcow2", "-o", "compat=1.2", "--size", "1"],
    ["-O", "qcow2", "-o", "preallocation=foo", "--size", "1"],
    ["-O", "qcow2", "-o", "cluster_size=4k,extended_l2=on", "--size", "1"],
    ["-O", "qcow2", "-o", "extended_l2=1", "--size", "1"],
    ["-O", "qcow2", "-o", "cluster_size=512", "--size", "1P"],
    ["-O", "qcow2", "-o", "encrypt.format=luks", "--size", "16M"],
    ["-O", "qcow2", "-o", "encrypt.format=luks,encrypt.key-secret=sec0", "--size", "16M"],
    ["-O", "qcow2", "-o", "help", "--size", "1"], ["-o", ",", "--size", "1"],
    ["-o", "", "--size", "1"], ["-o", "a,", "--size", "1"], ["-o", "a,,", "--size", "1"],
    ["-O", "qcow2", "-o", "cluster_size=64k,,x", "--size", "1"],
    *_HELP_CASES, ["-o", ",", "-x"],
]


@pytest.mark.parametrize("args", SIZE_CASES + ERROR_CASES,
                         ids=[" ".join(a) or "none" for a in SIZE_CASES + ERROR_CASES])
def test_command_line_matches_qemu_img(args, tmp_path, instar_bin, qemu_img):
    _same(tmp_path, instar_bin, qemu_img, ["measure", *args])


# Measure prints the same in every recorded release (shared/reference/qemu-versions): a sample
# of figures and errors under each newer profile.
_PROFILE_SAMPLE = [SIZE_CASES[2], SIZE_CASES[4], ERROR_CASES[0], ERROR_CASES[12],
                   ERROR_CASES[22], ["-x"]]


@pytest.mark.parametrize("profile", hostile.PROFILES[1:])
@pytest.mark.parametrize("args", _PROFILE_SAMPLE, ids=[" ".join(a) or "none" for a in _PROFILE_SAMPLE])
def test_command_line_under_every_profile(args, profile, tmp_path, instar_bin, qemu_img):
    _same(tmp_path, instar_bin, qemu_img, ["measure", *args], profile)


# (recipe, measure options): every source container and every target figure that depends on it.
IMAGE_CASES = [(name, opts) for name in [
    "raw-sparse", "raw-mixed", "raw-1000-bytes", "raw-empty", "qcow2-mixed", "qcow2-mixed-zlib",
    "qcow2-mixed-zstd", "qcow2-mixed-el2", "qcow2-mixed-v2-4k", "qcow2-zero-clusters",
    "qcow2-zero-subclusters", "qcow2-bitmaps", "qcow2-odd-size",
    "chain-raw-qcow2-qcow2", "chain-zero-backing", "chain-short-backing",
    "chain-compressed-backing", "qcow2-data-file"]
    for opts in (["-O", "qcow2"],)]
IMAGE_CASES += [(name, opts) for name in ["raw-sparse", "qcow2-bitmaps", "chain-zero-backing"]
                for opts in (["-O", "qcow2", "--output=json"], [])]
IMAGE_CASES += [("raw-sparse", ["-O", "qcow2", "-o", "cluster_size=4k"]),
                ("qcow2-mixed", ["-O", "qcow2", "-o", "cluster_size=2M,extended_l2=on"]),
                ("qcow2-mixed-el2", ["-O", "qcow2", "-o", "cluster_size=512"]),
                ("qcow2-bitmaps", ["-O", "qcow2", "-o", "compat=0.10"]),
                ("qcow2-bitmaps", ["-O", "qcow2", "-o", "cluster_size=512", "--output=json"]),
                ("qcow2-mixed", ["-O", "qcow2", "-o", "backing_file=x,preallocation=metadata"]),
                ("qcow2-mixed", ["-O", "qcow2", "-o", "preallocation=full"]),
                ("qcow2-mixed", ["-f", "raw", "-O", "qcow2"]),
                ("raw-mixed", ["-f", "qcow2", "-O", "qcow2"]),
                ("raw-mixed", ["-f", "bogus", "-O", "qcow2"]),
                ("qcow2-mixed", ["-O", "vmdk"]),
                ("qcow2-mixed", ["-O", "qcow2", "-o", "cluster_size=3"]),
                ("qcow2-mixed", ["-O", "qcow2", "-o", "size=1P,cluster_size=512"])]
IMAGE_CASES += [(name, ["-O", "qcow2"]) for name in recipes.CHAIN_OPEN_ERRORS[:3]]


@pytest.mark.parametrize("name,options", IMAGE_CASES,
                         ids=[f"{n}:{' '.join(o)}" for n, o in IMAGE_CASES])
def test_image_matches_qemu_img(name, options, tmp_path, instar_bin, qemu_img):
    image = str(recipes.build(name, tmp_path))
    _same(tmp_path, instar_bin, qemu_img, ["measure", *options, image])


def test_metadata_preallocated_image(tmp_path, instar_bin, qemu_img):
    image = str(recipes.build("qcow2-prealloc-metadata", tmp_path))
    _same(tmp_path, instar_bin, qemu_img, ["measure", "-O", "qcow2", image])


@pytest.mark.parametrize("profile", hostile.PROFILES[1:])
def test_image_under_every_profile(profile, tmp_path, instar_bin, qemu_img):
    image = str(recipes.build("qcow2-bitmaps", tmp_path))
    _same(tmp_path, instar_bin, qemu_img, ["measure", "-O", "qcow2", "--output=json", image],
          profile)


def test_missing_file_matches_qemu_img(tmp_path, instar_bin, qemu_img):
    _same(tmp_path, instar_bin, qemu_img, ["measure", "-O", "qcow2", "missing.qcow2"])
    _same(tmp_path, instar_bin, qemu_img, ["measure", "-O", "bogus", "missing.qcow2"])
