"""Live differential check of `convert -n --target-image-opts` against the installed qemu-img: the
target named by QemuOpts (driver=raw|file|qcow2, file.filename=...), onto copies of the same
target file; stdout, stderr, exit code and the target's bytes must be qemu-img's."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from instar_oracle import runner

SANDBOX = os.environ.get("INSTAR_CONVERT_SANDBOX", "process")


def _images(d: Path) -> None:
    def qemu(*args):
        subprocess.run(args, cwd=d, check=True, stdout=subprocess.DEVNULL)
    qemu("qemu-img", "create", "-q", "-f", "qcow2", "src.qcow2", "4M")
    qemu("qemu-io", "-c", "write -P 0x11 0 1M", "-c", "write -z 1M 1M", "-c", "write -P 2 3M 4k",
         "src.qcow2")
    (d / "t.raw").write_bytes(b"\x5a" * (4 << 20))
    qemu("qemu-img", "create", "-q", "-f", "qcow2", "t.qcow2", "8M")
    qemu("qemu-io", "-c", "write -P 0x66 512k 1M", "t.qcow2")


CASES = [
    ["driver=raw,file.filename={raw}"],
    ["-p", "driver=raw,file.driver=file,file.filename={raw}"],
    ["driver=qcow2,file.filename={qcow2}"],
    ["-p", "-S", "0", "driver=qcow2,file.filename={qcow2}"],
    # qemu's errors: -O with it, a plain name, a missing file, the wrong driver, no -n.
    ["-O", "raw", "driver=raw,file.filename={raw}"],
    ["{raw}"],
    ["driver=raw,file.filename=nonexistent"],
    ["driver=qcow2,file.filename={raw}"],
    ["driver=nosuch,file.filename={raw}"],
    ["driver=nbd,host=localhost"],
]


@pytest.mark.parametrize("args", CASES, ids=["".join(a) for a in CASES])
def test_target_image_opts_match(args, tmp_path, instar_bin, qemu_img):
    _images(tmp_path)
    link = tmp_path / "qemu-img"
    link.symlink_to(instar_bin)
    no_n = args == CASES[-1]
    results = []
    for binary, extra, tag in ((qemu_img, [], "q"), (str(link), [f"--sandbox={SANDBOX}"], "i")):
        raw, qcow2 = f"{tag}.raw", f"{tag}.qcow2"
        shutil.copyfile(tmp_path / "t.raw", tmp_path / raw)
        shutil.copyfile(tmp_path / "t.qcow2", tmp_path / qcow2)
        argv = [a.format(raw=raw, qcow2=qcow2) for a in args]
        run = runner.run([binary, *extra, "convert", *([] if no_n else ["-n"]),
                          "--target-image-opts", "src.qcow2", *argv], tmp_path)
        digests = [hashlib.sha256((tmp_path / n).read_bytes()).hexdigest() for n in (raw, qcow2)]
        results.append((run.rc, run.stdout,
                        run.stderr.replace(b"i.raw", b"q.raw").replace(b"i.qcow2", b"q.qcow2"),
                        digests))
    assert results[0] == results[1], runner.reproduction(run.argv, tmp_path)


def test_without_n_is_qemus_usage_error(tmp_path, instar_bin, qemu_img):
    _images(tmp_path)
    runs = [runner.run([b, "convert", "--target-image-opts", "src.qcow2",
                        "driver=raw,file.filename=t.raw"], tmp_path)
            for b in (qemu_img, instar_bin)]
    assert runs[0].rc == runs[1].rc == 1
    assert runs[1].stderr.endswith(b"--target-image-opts requires use of -n flag\n")
