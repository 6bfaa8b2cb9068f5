"""What the per-format oracle suites (test_vmdk.py, test_vdi.py) share: one command run by
instar (process sandbox) and by the live qemu-img on the same files, compared byte for byte."""
from __future__ import annotations

import hashlib
from pathlib import Path

from instar_oracle import runner


def assert_same(images: Path, as_qemu_img: str, qemu_img: str, args, timeout=30.0) -> None:
    """stdout, stderr and the exit code of `args` in `images` are qemu-img's."""
    ours = runner.run([as_qemu_img, "--sandbox=process", *args], images, timeout=timeout)
    theirs = runner.run([qemu_img, *args], images, timeout=timeout)
    assert ours.signal is None and ours.rc is not None, ours
    assert (ours.stdout.decode(errors="replace"), ours.stderr.decode(errors="replace"), ours.rc) \
        == (theirs.stdout.decode(errors="replace"), theirs.stderr.decode(errors="replace"),
            theirs.rc), runner.reproduction(ours.argv, images)


def assert_same_convert(images: Path, image: str, target: str, as_qemu_img: str, qemu_img: str,
                        out_dir: Path, options=(), source_args=()) -> None:
    """`convert [source_args] -O target [options]` of `image` gives qemu-img's messages, exit code
    and output bytes; `source_args` go before it (`-f vpc` for an image the probe calls raw)."""
    outputs = []
    for binary, extra in ((qemu_img, []), (as_qemu_img, ["--sandbox=process"])):
        out = out_dir / f"{len(outputs)}.{target}"
        run = runner.run([binary, *extra, "convert", *source_args, "-O", target, *options,
                          str(images / image), str(out)], images)
        outputs.append((run.rc, run.stdout, run.stderr,
                        hashlib.sha256(out.read_bytes()).hexdigest() if out.exists() else None))
    assert outputs[0] == outputs[1]
