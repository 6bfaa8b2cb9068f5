"""Live differential check of `create` against the installed qemu-img: every case runs in two
identical directories (one per tool) and must leave the same stdout, stderr, exit code and the
same files (names, sizes, sha256 of their bytes), under every output profile."""
from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import subprocess

import pytest

from instar_oracle import runner

PROFILES = ["7.2", "8.2", "9.2", "10.0", "10.2"]


def _files(directory) -> dict[str, tuple[int, str]]:
    out = {}
    for root, _dirs, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            if os.path.islink(path):
                continue
            with open(path, "rb") as f:
                data = f.read()
            out[os.path.relpath(path, directory)] = (len(data), hashlib.sha256(data).hexdigest())
    return out


_NEEDS_SETUP = ("base", "mid.", "broken.", "existing")


@pytest.fixture(scope="module")
def template(tmp_path_factory, qemu_img):
    """The backing images every case may name, made once by qemu-img and copied per case."""
    directory = tmp_path_factory.mktemp("template")
    qimg = [qemu_img, "create", "-q", "-f", "qcow2"]
    os.makedirs(directory / "d")
    subprocess.run(qimg + [str(directory / "base.qcow2"), "3M"], check=True)
    subprocess.run(qimg + [str(directory / "d/base.qcow2"), "5M"], check=True)
    with open(directory / "base.raw", "wb") as f:
        f.write(b"\1" * 1000)
    subprocess.run(qimg + ["-b", "base.qcow2", "-F", "qcow2", str(directory / "mid.qcow2")],
                   check=True)
    subprocess.run(qimg + ["-u", "-b", "gone.qcow2", "-F", "qcow2",
                           str(directory / "broken.qcow2"), "1M"], check=True)
    with open(directory / "existing", "wb") as f:
        f.write(b"old content")
    return directory


def _compare(tmp_path, instar_bin, qemu_img, args, template, profile="7.2"):
    ours_dir, theirs_dir = tmp_path / "ours", tmp_path / "theirs"
    for d in (ours_dir, theirs_dir):
        if any(needle in arg for arg in args for needle in _NEEDS_SETUP):
            shutil.copytree(template, d)
        else:
            os.makedirs(d / "d")
    link = tmp_path / "qemu-img"
    if not link.exists():
        link.symlink_to(instar_bin)
    ours = runner.run([str(link), "--sandbox=process", f"--qemu-version={profile}", "create",
                       *args], ours_dir)
    theirs = runner.run([qemu_img, "create", *args], theirs_dir)
    show = (f"--- qemu-img rc={theirs.rc}\n{theirs.stdout.decode()}{theirs.stderr.decode()}"
            f"--- instar rc={ours.rc}\n{ours.stdout.decode()}{ours.stderr.decode()}"
            f"reproduce: {runner.reproduction(ours.argv, ours_dir)}")
    assert (ours.stdout, ours.stderr, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc), show
    assert _files(ours_dir) == _files(theirs_dir), show


# qcow2 creation options x sizes: the header, refcount table and block, L1 table.
_QCOW2_OPTIONS = [
    "", "compat=0.10", "compat=v3", "cluster_size=512", "cluster_size=4k", "cluster_size=2M",
    "refcount_bits=1", "refcount_bits=64", "lazy_refcounts=on", "extended_l2=on",
    "compression_type=zstd", "cluster_size=512,refcount_bits=64", "nocow=on,extent_size_hint=2M",
    "encryption=off", "preallocation=off", "compat=1.1,lazy_refcounts=yes,extended_l2=on",
]
_SIZES = ["0", "1000", "3T"]


def test_qcow2_options_grid_matches(tmp_path, instar_bin, qemu_img):
    # One shell per tool over the whole grid (each image hashed and removed) keeps it fast.
    link = tmp_path / "qemu-img"
    link.symlink_to(instar_bin)
    script = "".join(
        f"echo '# {opts} {size}'; \"$0\" \"$@\" create -f qcow2 "
        f"{'-o ' + opts if opts else ''} new.qcow2 {size} 2>&1; echo rc=$?; "
        "sha256sum new.qcow2 2>&1; rm -f new.qcow2\n"
        for opts, size in itertools.product(_QCOW2_OPTIONS, _SIZES))
    ours_dir, theirs_dir = tmp_path / "ours", tmp_path / "theirs"
    ours_dir.mkdir()
    theirs_dir.mkdir()
    ours = runner.run(["sh", "-c", script, str(link), "--sandbox=process"], ours_dir, timeout=120)
    theirs = runner.run(["sh", "-c", script, qemu_img], theirs_dir, timeout=120)
    assert ours.stdout.decode() == theirs.stdout.decode()


CASES = [
    # raw: sizes, suffixes, preallocation
    ["new.raw", "1M"],
    ["-f", "raw", "new.raw", "1000"],
    ["new.raw", "1.5k"],
    ["new.raw", "0x10k"],
    ["new.raw", "0"],
    ["-o", "preallocation=falloc", "new.raw", "100k"],
    ["-o", "preallocation=full", "new.raw", "100k"],
    ["-o", "preallocation=metadata", "new.raw", "1M"],
    ["-o", "preallocation=bogus", "new.raw", "1M"],
    ["-o", "size=2M", "new.raw"],
    ["-o", "size=2M", "new.raw", "3M"],
    ["existing", "64k"],
    ["-q", "new.raw", "1M"],
    ["new.raw", "1M", "-q"],
    # size errors
    ["new.raw", "1x"],
    ["new.raw", "--", "-1"],
    ["new.raw", "20E"],
    ["new.raw", "9223372036854775807"],
    ["-f", "qcow2", "new.qcow2", "9223372036854775807"],
    ["-f", "qcow2", "new.qcow2", "4P"],
    ["-f", "qcow2", "-o", "cluster_size=512", "new.qcow2", "1P"],
    ["new.raw"],
    [],
    ["new.raw", "1M", "extra"],
    # option errors
    ["-f", "qcow2", "-o", "cluster_size=1000", "new.qcow2", "1M"],
    ["-f", "qcow2", "-o", "foo=1", "new.qcow2", "1M"],
    ["-f", "qcow2", "-o", "compat=bad", "new.qcow2", "1M"],
    ["-f", "qcow2", "-o", "compat=bad", "existing", "1M"],
    ["-f", "qcow2", "-o", "compression_type=lz4", "new.qcow2", "1M"],
    ["-f", "qcow2", "-o", "preallocation=bogus", "new.qcow2", "1M"],
    ["-f", "qcow2", "-o", "refcount_bits=3", "new.qcow2", "1M"],
    ["-f", "qcow2", "-o", "refcount_bits=8,compat=0.10", "new.qcow2", "1M"],
    ["-f", "qcow2", "-o", "extended_l2=on,compat=0.10", "new.qcow2", "1M"],
    ["-f", "qcow2", "-o", "extended_l2=on,cluster_size=4k", "new.qcow2", "1M"],
    ["-f", "qcow2", "-o", "lazy_refcounts=on,compat=0.10", "new.qcow2", "1M"],
    ["-f", "qcow2", "-o", "lazy_refcounts=maybe", "new.qcow2", "1M"],
    ["-f", "qcow2", "-o", "cluster_size=x", "new.qcow2", "1M"],
    ["-f", "qcow2", "-o", ",", "new.qcow2", "1M"],
    ["-f", "qcow2", "-o", "compat=0.10", "-o", "compat=1.1", "new.qcow2", "1M"],
    ["-f", "raw", "-o", "cluster_size=4k", "new.raw", "1M"],
    ["-f", "bogus", "new.raw", "1M"],
    ["-f", "qcow2", "/nonexistent/dir/new.qcow2", "1M"],
    ["-x"],
    ["-f"],
    # option help
    ["-f", "qcow2", "-o", "help"],
    ["-f", "qcow2", "-o", "?", "new.qcow2"],
    ["-f", "qcow2", "-o", "cluster_size=4k,help,foo=bar", "new.qcow2", "1M"],
    ["-o", "help"],
    ["-o", "help", "new.raw"],
    ["-f", "bogus", "-o", "help"],
    # backing files
    ["-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "new.qcow2"],
    ["-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "new.qcow2", "7M"],
    ["-f", "qcow2", "-b", "base.qcow2", "-F", "raw", "new.qcow2"],
    ["-f", "qcow2", "-b", "base.raw", "-F", "raw", "new.qcow2"],
    ["-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", "new.qcow2"],
    ["-f", "qcow2", "-b", "base.qcow2", "new.qcow2"],
    ["-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "-o", "compat=0.10", "new.qcow2"],
    ["-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "-o", "cluster_size=512", "new.qcow2"],
    ["-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "d/new.qcow2"],
    ["-f", "qcow2", "-b", "missing.qcow2", "-F", "qcow2", "new.qcow2"],
    ["-f", "qcow2", "-b", "missing.qcow2", "-F", "qcow2", "new.qcow2", "1M"],
    ["-f", "qcow2", "-u", "-b", "missing.qcow2", "-F", "qcow2", "new.qcow2", "1M"],
    ["-f", "qcow2", "-u", "-b", "missing.qcow2", "-F", "qcow2", "new.qcow2"],
    ["-f", "qcow2", "-u", "-b", "missing.qcow2", "new.qcow2", "1M"],
    ["-f", "qcow2", "-u", "-b", "x", "-F", "foo", "new.qcow2", "1M"],
    ["-f", "qcow2", "-b", "broken.qcow2", "-F", "qcow2", "new.qcow2"],
    ["-f", "qcow2", "-b", "new.qcow2", "-F", "qcow2", "new.qcow2"],
    ["-f", "qcow2", "-b", "", "-F", "qcow2", "new.qcow2", "1M"],
    ["-f", "qcow2", "-F", "qcow2", "new.qcow2", "1M"],
    ["-f", "qcow2", "-o", "backing_file=base.qcow2,backing_fmt=qcow2", "new.qcow2"],
    ["-f", "qcow2", "-u", "-o", "backing_file=a,,b,backing_fmt=raw", "new.qcow2", "1M"],
    ["-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "-o", "preallocation=metadata",
     "new.qcow2"],
    ["-f", "raw", "-b", "base.qcow2", "new.raw", "1M"],
    ["-f", "raw", "-F", "qcow2", "new.raw", "1M"],
    # data files
    ["-f", "qcow2", "-o", "data_file=data.raw", "new.qcow2", "1M"],
    ["-f", "qcow2", "-o", "data_file=data.raw,compat=0.10", "new.qcow2", "1M"],
    ["-f", "qcow2", "-o", "data_file_raw=on", "new.qcow2", "1M"],
]


@pytest.mark.parametrize("args", CASES, ids=[" ".join(a) or "none" for a in CASES])
def test_create_matches_qemu_img(tmp_path, instar_bin, qemu_img, template, args):
    _compare(tmp_path, instar_bin, qemu_img, args, template)


@pytest.mark.parametrize("profile", PROFILES)
def test_profiles_match_7_2(tmp_path, instar_bin, qemu_img, template, profile):
    # The Formatting line and the created image are the same in every measured release
    # (/work/shared/reference/qemu-versions/differences.md); the live oracle is 7.2.
    _compare(tmp_path, instar_bin, qemu_img,
             ["-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "-o", "cluster_size=4k",
              "new.qcow2"], template, profile)
