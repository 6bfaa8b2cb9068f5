"""Live differential check of `commit` against the installed qemu-img (7.2): each case builds a
backing chain (base, optionally mid, top) with qemu-img and qemu-io, copies it into two identical
directories, runs `commit` there with each tool and requires the same stdout, stderr and exit
code, and the files left behind:
- the top (emptied by make_completely_empty(), or untouched with -d/-b) and a raw base: byte for
  byte (length and sha256);
- a qcow2 base: byte for byte where qemu's job makes one copy (a single chunk), else the same
  content (`qemu-img compare`) and `qemu-img check` clean: qemu's commit job runs up to 16 copies
  in parallel and allocates clusters in the order they complete, which varies from run to run
  (docs/commit.md has the evidence);
- every other file of the chain untouched.
`-p` lines: the first (0.00) and the last ones (100.00, then the newline) are compared; what lies
between depends on when qemu's job loop polls, so only instar's own values are checked to rise."""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess

import pytest

from instar_oracle import runner


def _digest(path) -> tuple[int, str]:
    with open(path, "rb") as f:
        data = f.read()
    return len(data), hashlib.sha256(data).hexdigest()


def _io(path, fmt, command) -> None:
    subprocess.run(["qemu-io", "-f", fmt, "-c", command, str(path)], check=True,
                   stdout=subprocess.DEVNULL)


def _build(directory, spec: dict) -> None:
    """base.<fmt> <- [mid.qcow2 <-] top.qcow2, with the spec's options and writes."""
    base_fmt = spec.get("base_fmt", "qcow2")
    base = f"base.{base_fmt}"
    cmd = ["qemu-img", "create", "-q", "-f", base_fmt]
    if spec.get("base_o"):
        cmd += ["-o", spec["base_o"]]
    subprocess.run(cmd + [base, spec.get("base_size", "16M")], check=True, cwd=directory)
    layers = [(base, base_fmt)]
    names = ["mid.qcow2", "top.qcow2"] if spec.get("mid") else ["top.qcow2"]
    for name in names:
        below, below_fmt = layers[-1]
        cmd = ["qemu-img", "create", "-q", "-f", "qcow2", "-b", below, "-F", below_fmt]
        options = spec.get("mid_o" if name == "mid.qcow2" else "top_o")
        if options:
            cmd += ["-o", options]
        subprocess.run(cmd + [name, spec.get("size", "16M")], check=True, cwd=directory)
        layers.append((name, "qcow2"))
    fmts = dict(layers)
    for name, write in spec.get("writes", []):
        name = base if name == "base" else f"{name}.qcow2"
        _io(directory / name, fmts[name], write)
    if spec.get("raw_file"):
        (directory / "r.raw").write_bytes(b"\0" * 65536)
    for snapshot in spec.get("top_snapshots", []):
        subprocess.run(["qemu-img", "snapshot", "-c", snapshot, "top.qcow2"], check=True,
                       cwd=directory)


_PROGRESS = re.compile(rb"    \((\d+\.\d\d)/100%\)\r")


def _progress_shape(stdout: bytes) -> tuple[bytes, list[float]]:
    """stdout with the progress lines between the first and the last 100.00 run cut out, and the
    values that were cut."""
    marks = list(_PROGRESS.finditer(stdout))
    if not marks:
        return stdout, []
    values = [float(m.group(1)) for m in marks]
    first, last = marks[0], marks[-1]
    kept = stdout[:first.end()] + b"|" + stdout[last.start():]
    return kept, [v for v in values[1:-1] if v not in (0.0, 100.0)]


def _run_both(tmp_path, as_qemu_img, qemu_img, spec, args, build=_build):
    source = tmp_path / "source"
    os.makedirs(source)
    build(source, spec)
    dirs = {}
    for tool in ("ours", "theirs"):
        dirs[tool] = tmp_path / tool
        shutil.copytree(source, dirs[tool])
    ours = runner.run([as_qemu_img, "--sandbox=process", "commit", *args], dirs["ours"])
    theirs = runner.run([qemu_img, "commit", *args], dirs["theirs"])
    show = (f"--- qemu-img rc={theirs.rc}\n{theirs.stdout.decode()}{theirs.stderr.decode()}"
            f"--- instar rc={ours.rc}\n{ours.stdout.decode()}{ours.stderr.decode()}"
            f"reproduce: {runner.reproduction(ours.argv, dirs['ours'])}")
    ours_out, ours_steps = _progress_shape(ours.stdout)
    theirs_out, _ = _progress_shape(theirs.stdout)
    assert (ours_out, ours.stderr, ours.rc) == (theirs_out, theirs.stderr, theirs.rc), show
    assert ours_steps == sorted(ours_steps), show
    return source, dirs, show


def _qemu_compare(qemu_img, a, b) -> None:
    r = subprocess.run([qemu_img, "compare", str(a), str(b)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def _qemu_check(qemu_img, path) -> None:
    r = subprocess.run([qemu_img, "check", str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def _compare(tmp_path, as_qemu_img, qemu_img, spec, args, exact_base=False):
    """Both tools, then every file of the chain: see the module's docstring."""
    source, dirs, show = _run_both(tmp_path, as_qemu_img, qemu_img, spec, args)
    for name in sorted(os.listdir(source)):
        ours, theirs = dirs["ours"] / name, dirs["theirs"] / name
        if name.startswith("base.qcow2") or (name == "mid.qcow2" and "-b" not in args and
                                             spec.get("mid")):
            if _digest(ours) == _digest(theirs):
                continue
            assert not exact_base, f"{name} differs\n{show}"
            _qemu_compare(qemu_img, ours, theirs)
            _qemu_check(qemu_img, ours)
        else:
            assert _digest(ours) == _digest(theirs), f"{name} differs\n{show}"
        if name.endswith(".qcow2"):
            _qemu_check(qemu_img, ours)
    return dirs


_ONE_CHUNK = [("top", "write -P 0x33 64k 64k")]
_MANY = [("base", "write -P 0x11 0 3M"), ("base", "write -P 0x12 10M 1M"),
         ("top", "write -P 0x21 1M 5M"), ("top", "write -P 0x22 11M 2M"),
         ("top", "write -z 8M 1M"), ("top", "write -P 0x23 15M 4k")]


@pytest.mark.parametrize("base_o", ["", "cluster_size=512", "cluster_size=4k",
                                    "cluster_size=2M", "extended_l2=on", "compat=0.10",
                                    "refcount_bits=1"])
@pytest.mark.parametrize("top_o", ["", "cluster_size=4k"])
def test_one_chunk_is_byte_identical(tmp_path, as_qemu_img, qemu_img, base_o, top_o):
    spec = {"base_o": base_o, "top_o": top_o,
            "writes": [("base", "write -P 0x11 0 256k")] + _ONE_CHUNK}
    _compare(tmp_path, as_qemu_img, qemu_img, spec, ["top.qcow2"], exact_base=True)


@pytest.mark.parametrize("base_o", ["", "cluster_size=512", "cluster_size=2M", "extended_l2=on"])
def test_many_chunks_same_content(tmp_path, as_qemu_img, qemu_img, base_o):
    spec = {"base_o": base_o, "writes": _MANY}
    dirs = _compare(tmp_path, as_qemu_img, qemu_img, spec, ["top.qcow2"])
    # The committed base reads as the chain did.
    flat = tmp_path / "flat.raw"
    subprocess.run([qemu_img, "convert", "-O", "raw", str(tmp_path / "source" / "top.qcow2"),
                    str(flat)], check=True)
    _qemu_compare(qemu_img, dirs["ours"] / "base.qcow2", flat)


@pytest.mark.parametrize("size", ["16M", "20M"])
def test_raw_base_is_byte_identical(tmp_path, as_qemu_img, qemu_img, size):
    spec = {"base_fmt": "raw", "size": size, "writes": _MANY}
    _compare(tmp_path, as_qemu_img, qemu_img, spec, ["top.qcow2"], exact_base=True)


@pytest.mark.parametrize("args", [["-d", "top.qcow2"], ["-q", "top.qcow2"],
                                  ["-p", "top.qcow2"], ["-p", "-q", "top.qcow2"],
                                  ["-r", "1M", "top.qcow2"], ["-t", "none", "top.qcow2"],
                                  ["-f", "qcow2", "top.qcow2"], ["-b", "base.qcow2", "top.qcow2"],
                                  ["-p", "-d", "top.qcow2"]])
def test_options(tmp_path, as_qemu_img, qemu_img, args):
    spec = {"writes": [("base", "write -P 0x11 0 1M")] + _ONE_CHUNK}
    _compare(tmp_path, as_qemu_img, qemu_img, spec, args, exact_base=True)


def test_empty_top(tmp_path, as_qemu_img, qemu_img):
    _compare(tmp_path, as_qemu_img, qemu_img, {"writes": [("base", "write 0 64k")]},
             ["-p", "top.qcow2"], exact_base=True)


@pytest.mark.parametrize("args", [["top.qcow2"], ["-b", "base.qcow2", "top.qcow2"],
                                  ["-b", "mid.qcow2", "top.qcow2"], ["-d", "top.qcow2"],
                                  ["-p", "-b", "base.qcow2", "top.qcow2"]])
@pytest.mark.parametrize("base_fmt", ["qcow2", "raw"])
def test_three_levels(tmp_path, as_qemu_img, qemu_img, args, base_fmt):
    spec = {"mid": True, "base_fmt": base_fmt,
            "writes": [("base", "write -P 0x11 0 2M"), ("mid", "write -P 0x12 1M 2M"),
                       ("mid", "write -P 0x13 9M 64k"), ("top", "write -P 0x14 2M 1M"),
                       ("top", "write -z 9M 64k")]}
    args = [a.replace("base.qcow2", f"base.{base_fmt}") for a in args]
    _compare(tmp_path, as_qemu_img, qemu_img, spec, args)


@pytest.mark.parametrize("args", [
    [], ["-x", "top.qcow2"], ["-b"], ["a", "b"], ["-t", "bad", "top.qcow2"],
    ["-r", "abc", "top.qcow2"], ["-r", "-1", "top.qcow2"], ["-b", "nosuch", "top.qcow2"],
    ["-b", "top.qcow2", "top.qcow2"], ["-p", "-b", "nosuch", "top.qcow2"], ["base.qcow2"],
    ["-p", "base.qcow2"], ["-f", "raw", "top.qcow2"], ["-f", "foo", "top.qcow2"],
    ["nosuch.qcow2"], ["--object", "foo", "top.qcow2"], ["-r", "1k", "-t", "x", "top.qcow2"],
    ["r.raw"], ["-p", "r.raw"], ["-f", "raw", "r.raw"], ["-r", "0x10k", "top.qcow2"],
    ["--image-opts", "driver=qcow2,file.filename=top.qcow2"], ["--object", "help", "top.qcow2"],
])
def test_errors(tmp_path, as_qemu_img, qemu_img, args):
    spec = {"writes": _ONE_CHUNK, "raw_file": True}
    _compare(tmp_path, as_qemu_img, qemu_img, spec, args, exact_base=True)


def test_missing_backing_file(tmp_path, as_qemu_img, qemu_img):
    def build(directory, spec):
        _build(directory, spec)
        os.remove(directory / "base.qcow2")
    source, dirs, _ = _run_both(tmp_path, as_qemu_img, qemu_img, {"writes": []}, ["top.qcow2"],
                                build=build)
    assert _digest(dirs["ours"] / "top.qcow2") == _digest(source / "top.qcow2")


def test_top_with_snapshot_is_refused(tmp_path, as_qemu_img, qemu_img):
    """qemu empties such a top cluster by cluster (qcow2_make_empty's fallback): instar refuses
    before it writes anything; with -d it commits."""
    spec = {"writes": _ONE_CHUNK, "top_snapshots": ["s1"]}
    source = tmp_path / "source"
    os.makedirs(source)
    _build(source, spec)
    before = {name: _digest(source / name) for name in ("top.qcow2", "base.qcow2")}
    r = runner.run([as_qemu_img, "--sandbox=process", "commit", "top.qcow2"], source)
    assert r.rc == 1
    assert r.stderr == (b"qemu-img: commit of a top image that qemu empties cluster by cluster "
                        b"(qcow2 v2, snapshots, or an L1 table too large for one refcount block) "
                        b"without -d is not supported by instar yet\n")
    assert {name: _digest(source / name) for name in before} == before
    _compare(tmp_path / "d", as_qemu_img, qemu_img, spec, ["-d", "top.qcow2"], exact_base=True)


@pytest.mark.parametrize("spec", [
    {"base_o": "lazy_refcounts=on"},
    {"top_o": "cluster_size=512"},
    {"top_o": "lazy_refcounts=on"},
    {"top_o": "extended_l2=on", "base_o": "extended_l2=on,cluster_size=128k"},
    {"base_o": "refcount_bits=64,cluster_size=1k"},
    {"size": "20M", "base_fmt": "raw", "base_size": "1M"},
], ids=["base-lazy", "top-512", "top-lazy", "extended-l2", "refcount-64", "raw-grown"])
def test_layouts(tmp_path, as_qemu_img, qemu_img, spec):
    """Two or three copies: qemu runs them in parallel, and a copy whose read needs no I/O (zeros)
    allocates before an earlier one that reads data, so the qcow2 base is compared by content."""
    spec = dict(spec, writes=[("base", "write -P 0x11 0 64k"), ("top", "write -P 0x21 128k 64k"),
                              ("top", "write -z 256k 128k")])
    _compare(tmp_path, as_qemu_img, qemu_img, spec, ["-p", "top.qcow2"],
             exact_base=spec.get("base_fmt") == "raw")


@pytest.mark.parametrize("spec,args,what", [
    ({"top_o": "compat=0.10"}, ["top.qcow2"], b"a top image that qemu empties cluster by cluster"),
    ({"size": "20M"}, ["top.qcow2"], b"a qcow2 base image smaller than the top image"),
])
def test_refusals(tmp_path, as_qemu_img, qemu_img, spec, args, what):
    spec = dict(spec, writes=_ONE_CHUNK)
    _build(tmp_path, spec)
    before = {name: _digest(tmp_path / name) for name in os.listdir(tmp_path)}
    r = runner.run([as_qemu_img, "--sandbox=process", "commit", *args], tmp_path)
    assert r.rc == 1 and what in r.stderr and b"not supported by instar yet" in r.stderr, r.stderr
    assert {name: _digest(tmp_path / name) for name in before} == before


def test_base_in_another_directory(tmp_path, as_qemu_img, qemu_img):
    def build(directory, spec):
        os.makedirs(directory / "sub dir")
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "sub dir/base.qcow2", "4M"],
                       check=True, cwd=directory)
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", "sub dir/base.qcow2",
                        "-F", "qcow2", "top.qcow2"], check=True, cwd=directory)
        _io(directory / "top.qcow2", "qcow2", "write -P 0x31 0 64k")
    for args in (["-b", "sub dir/base.qcow2", "top.qcow2"], ["-b", "base.qcow2", "top.qcow2"]):
        _, dirs, _ = _run_both(tmp_path / args[1].replace(" ", "_").replace("/", "_"),
                               as_qemu_img, qemu_img, {}, args, build=build)
        for name in ("top.qcow2", "sub dir/base.qcow2"):
            assert _digest(dirs["ours"] / name) == _digest(dirs["theirs"] / name)
