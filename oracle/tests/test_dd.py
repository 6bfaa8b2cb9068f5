"""Live differential check of `dd` against the installed qemu-img: each case builds its input
images (raw with data and holes, qcow2 with data, zero and compressed clusters, a qcow2 overlay
on a qcow2 and on a raw backing file), copies them into two identical directories, runs `dd`
there with each tool and requires the same stdout, stderr, exit code and the same output file
left behind (length and sha256; a raw output also its allocation, st_blocks). Every qcow2 output
instar wrote must pass `qemu-img check` clean."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess

import pytest

from instar_oracle import runner


def _qemu_io(path: str, fmt: str, writes: list[str]) -> None:
    commands = [arg for w in writes for arg in ("-c", w)]
    subprocess.run(["qemu-io", "-f", fmt, *commands, path], check=True,
                   stdout=subprocess.DEVNULL)


def _build_inputs(directory) -> None:
    """in.raw: 1 MiB + 700 bytes (not a whole sector) with data, a hole and zeros; q.qcow2: 1 MiB
    of 64k clusters with data, zero and compressed clusters; ov.qcow2 over q.qcow2, ovr.qcow2
    over back.raw (chains)."""
    d = str(directory)
    data = bytes((i * 7 + 3) % 251 for i in range(300_000))
    with open(f"{d}/in.raw", "wb") as f:
        f.write(data)
        f.seek(600_000)
        f.write(data[:200_000])
        f.truncate(1_049_276)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", f"{d}/q.qcow2", "1M"], check=True)
    _qemu_io(f"{d}/q.qcow2", "qcow2", ["write -P 7 0 100k", "write -z 128k 64k",
                                       "write -c -P 9 256k 64k", "write -P 5 700k 5000"])
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", "q.qcow2", "-F", "qcow2",
                    f"{d}/ov.qcow2"], check=True)
    _qemu_io(f"{d}/ov.qcow2", "qcow2", ["write -P 3 64k 70k", "write -z 700k 4k"])
    with open(f"{d}/back.raw", "wb") as f:
        f.write(data[:150_000])
        f.truncate(512 * 1024)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", "back.raw", "-F", "raw",
                    f"{d}/ovr.qcow2"], check=True)
    _qemu_io(f"{d}/ovr.qcow2", "qcow2", ["write -P 4 100k 8k"])


@pytest.fixture(scope="module")
def source_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("dd-inputs")
    _build_inputs(directory)
    return directory


def _digest(path) -> tuple[int, str]:
    with open(path, "rb") as f:
        data = f.read()
    return len(data), hashlib.sha256(data).hexdigest()


def _compare(tmp_path, as_qemu_img, qemu_img, source_dir, args, qcow2_output=False):
    dirs = {}
    for tool in ("ours", "theirs"):
        d = tmp_path / tool
        shutil.copytree(source_dir, d)
        dirs[tool] = d
    ours = runner.run([as_qemu_img, "--sandbox=process", "dd", *args], dirs["ours"])
    theirs = runner.run([qemu_img, "dd", *args], dirs["theirs"])
    show = (f"--- qemu-img rc={theirs.rc}\n{theirs.stdout.decode()}{theirs.stderr.decode()}"
            f"--- instar rc={ours.rc}\n{ours.stdout.decode()}{ours.stderr.decode()}"
            f"reproduce: {runner.reproduction(ours.argv, dirs['ours'])}")
    assert (ours.stdout, ours.stderr, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc), show
    out = {tool: d / "out" for tool, d in dirs.items()}
    assert out["ours"].exists() == out["theirs"].exists(), show
    if not out["theirs"].exists():
        return
    assert _digest(out["ours"]) == _digest(out["theirs"]), show
    if qcow2_output:
        check = subprocess.run([qemu_img, "check", str(out["ours"])],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    else:
        # Every block is written as data: the raw output is allocated as qemu-img's is.
        assert os.stat(out["ours"]).st_blocks == os.stat(out["theirs"]).st_blocks, show


_COPIES = [
    ["if=in.raw", "of=out"],
    ["if=in.raw", "of=out", "bs=1000", "skip=1"],
    ["if=in.raw", "of=out", "bs=4096", "count=2", "skip=1"],
    ["if=in.raw", "of=out", "bs=1M", "count=1"],
    ["if=in.raw", "of=out", "bs=3000", "count=100", "skip=7"],
    ["if=in.raw", "of=out", "bs=64k", "count=0"],
    ["if=in.raw", "of=out", "skip=5000"],
    ["if=in.raw", "of=out", "bs=1k", "skip=1025"],
    ["if=in.raw", "of=out", "skip=9223372036854775807"],
    ["if=in.raw", "of=out", "count=9223372036854775807", "bs=512"],
    ["if=in.raw", "of=out", "bs=0x1k", "count=3"],
    ["if=q.qcow2", "of=out", "bs=512", "count=1500"],
    ["if=q.qcow2", "of=out", "bs=7777", "skip=2"],
    ["-f", "qcow2", "if=q.qcow2", "of=out", "bs=64k", "skip=3"],
    ["-f", "raw", "if=q.qcow2", "of=out", "bs=64k", "count=3"],
    ["if=ov.qcow2", "of=out", "bs=64k", "skip=1"],
    ["if=ovr.qcow2", "of=out", "bs=1500"],
    ["-U", "if=ov.qcow2", "of=out", "count=2", "if=q.qcow2", "bs=100k"],
    ["--image-opts", "if=driver=qcow2,file.filename=q.qcow2", "of=out", "bs=256k"],
]


@pytest.mark.parametrize("args", _COPIES, ids=lambda a: " ".join(a))
def test_raw_output(tmp_path, as_qemu_img, qemu_img, source_dir, args):
    _compare(tmp_path, as_qemu_img, qemu_img, source_dir, args)


_QCOW2_COPIES = [
    ["if=in.raw", "of=out"],
    ["if=in.raw", "of=out", "bs=1000", "skip=3"],
    ["if=in.raw", "of=out", "bs=1k", "skip=1025"],
    ["if=q.qcow2", "of=out", "bs=512", "count=700"],
    ["if=q.qcow2", "of=out", "bs=1M"],
    ["if=ov.qcow2", "of=out", "bs=9000", "skip=5", "count=90"],
    ["if=ovr.qcow2", "of=out", "bs=64k", "count=0"],
]


@pytest.mark.parametrize("args", _QCOW2_COPIES, ids=lambda a: " ".join(a))
def test_qcow2_output(tmp_path, as_qemu_img, qemu_img, source_dir, args):
    _compare(tmp_path, as_qemu_img, qemu_img, source_dir, ["-O", "qcow2", *args],
             qcow2_output=True)


# Every error img_dd gives before it copies, in its order.
_ERRORS = [
    [], ["if=in.raw"], ["of=out"], ["foo"], ["zz=1", "if=in.raw", "of=out"], ["=x"],
    ["if=in.raw", "of=out", "bs=0"], ["if=in.raw", "of=out", "bs=2G"], ["bs=1.5x"],
    ["bs=-1"], ["count=x"], ["count=-1"], ["skip=1Q"], ["skip=99999999999999999999"],
    ["count=1", "bogus", "bs=0"], ["bs=0", "bogus"], ["-O"], ["-f"], ["-x"], ["--nope"],
    ["if=nope", "of=out"], ["if=in.raw", "of=out", "-O", "foo"],
    ["if=nope", "of=out", "-O", "foo"], ["if=in.raw", "of=nodir/out"],
    ["-f", "qcow2", "if=in.raw", "of=out"], ["-f", "nonsense", "if=in.raw", "of=out"],
    ["--object", "secret,id=s0,data=x", "if=in.raw", "of=out", "count=1"],
]


@pytest.mark.parametrize("args", _ERRORS, ids=lambda a: " ".join(a) or "none")
def test_errors(tmp_path, as_qemu_img, qemu_img, source_dir, args):
    _compare(tmp_path, as_qemu_img, qemu_img, source_dir, args)


def test_input_chain_goes_through_the_allow_list(tmp_path, as_qemu_img, qemu_img):
    """dd opens its input's chain as convert does: a backing file outside the image's directory
    is refused (docs/chains.md) before the output exists, where qemu-img would read it."""
    secret = tmp_path / "secret"
    os.makedirs(tmp_path / "images")
    secret.write_bytes(b"host secret\n" * 100)
    subprocess.run([qemu_img, "create", "-q", "-f", "qcow2", "-u", "-b", str(secret), "-F", "raw",
                    str(tmp_path / "images" / "top.qcow2"), "1M"], check=True)
    ours = runner.run([as_qemu_img, "--sandbox=process", "dd", "if=top.qcow2", "of=out"],
                      tmp_path / "images")
    assert ours.rc == 1
    assert b"refused by instar" in ours.stderr, ours.stderr
    assert not (tmp_path / "images" / "out").exists()
