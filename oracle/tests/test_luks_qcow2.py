"""qcow2 images encrypted with LUKS (encrypt.format=luks): info reads and checks the LUKS header
without a key as qemu-img 7.2 does (BDRV_O_NO_IO) and shows it byte for byte; every other
subcommand needs the key, which instar does not take, and fails where and as qemu-img fails."""
from __future__ import annotations

import os
import struct

import pytest

from instar_oracle import runner
from instar_oracle import luks_cases
from instar_oracle.luks_cases import CORRUPT, VARIANTS, patched

SANDBOX = os.environ.get("INSTAR_LUKS_SANDBOX", "process")
SECRET = ["--object", "secret,id=s0,data=pw"]

@pytest.fixture(scope="module")
def images(qemu_img, tmp_path_factory):
    d = tmp_path_factory.mktemp("luks")
    made = {}
    for name, extra in VARIANTS.items():
        opts = ",".join(["encrypt.format=luks", "encrypt.key-secret=s0", "encrypt.iter-time=10"] +
                        [f"encrypt.{k}={v}" for k, v in extra.items()])
        if luks_cases.create([qemu_img, "create", "-q", *SECRET, "-f", "qcow2", "-o", opts,
                              f"{name}.qcow2", "1M"], d):
            made[name] = d / f"{name}.qcow2"
    assert "default" in made
    return d, made


def same(as_qemu_img, qemu_img, cwd, args):
    instar = runner.run([as_qemu_img, f"--sandbox={SANDBOX}", *args], cwd)
    qemu = runner.run([qemu_img, *args], cwd)
    assert (instar.stdout, instar.stderr, instar.rc) == (qemu.stdout, qemu.stderr, qemu.rc), (
        f"instar: rc={instar.rc} out={instar.stdout!r} err={instar.stderr!r}\n"
        f"qemu:   rc={qemu.rc} out={qemu.stdout!r} err={qemu.stderr!r}")


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("output", ["human", "json"])
def test_info_shows_the_luks_header(variant, output, as_qemu_img, qemu_img, images):
    d, made = images
    if variant not in made:
        pytest.skip(f"qemu-img here cannot create {variant}")
    same(as_qemu_img, qemu_img, d, ["info", f"--output={output}", made[variant].name])


@pytest.mark.parametrize("args", [["check"], ["map"], ["measure", "-O", "qcow2"],
                                  ["compare", "default.qcow2"], ["convert", "-O", "raw"],
                                  ["snapshot", "-l"]],
                         ids=["check", "map", "measure", "compare", "convert", "snapshot-list"])
def test_other_subcommands_need_the_key(args, as_qemu_img, qemu_img, images, tmp_path):
    d, _ = images
    tail = [str(tmp_path / "out.raw")] if args[0] == "convert" else []
    same(as_qemu_img, qemu_img, d, [*args, "default.qcow2", *tail])


@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_corrupt_luks_header_reads_as_qemu_reads_it(case, as_qemu_img, qemu_img, images,
                                                     tmp_path):
    d, made = images
    offset, data = CORRUPT[case]
    image = tmp_path / "c.qcow2"
    patched(made["default"], image, offset, data)
    same(as_qemu_img, qemu_img, tmp_path, ["info", "c.qcow2"])
    same(as_qemu_img, qemu_img, tmp_path, ["check", "c.qcow2"])


def test_luks_header_outside_its_extension(as_qemu_img, qemu_img, images, tmp_path):
    d, made = images
    raw = bytearray(made["default"].read_bytes())
    # The crypto header extension (0x0537be77): u64 offset, u64 length; cut the length.
    at = raw.find(struct.pack(">II", 0x0537BE77, 16))
    assert at > 0
    raw[at + 16:at + 24] = struct.pack(">Q", 591)
    (tmp_path / "short.qcow2").write_bytes(bytes(raw))
    same(as_qemu_img, qemu_img, tmp_path, ["info", "short.qcow2"])
    same(as_qemu_img, qemu_img, tmp_path, ["info", "--output=json", "short.qcow2"])
