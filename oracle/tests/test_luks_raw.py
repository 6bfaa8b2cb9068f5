"""Raw LUKS v1 images (qemu's "luks" format driver): info reads and checks the header without a
key as qemu-img 7.2 does (BDRV_O_NO_IO), probed or with -f luks, and shows it byte for byte; the
length is the file less the payload (past the file's end: qemu's I/O error); every other
subcommand opens the image for I/O, which needs the key instar does not take, and fails where
and as qemu-img fails."""
from __future__ import annotations

import os

import pytest

from instar_oracle import runner
from instar_oracle import luks_cases
from instar_oracle.luks_cases import CORRUPT, VARIANTS, patched

SANDBOX = os.environ.get("INSTAR_LUKS_SANDBOX", "process")
SECRET = ["--object", "secret,id=s0,data=pw"]
PAYLOAD = 2068480  # the default header's payload offset for 256-bit keys (4000 stripes)


@pytest.fixture(scope="module")
def images(qemu_img, tmp_path_factory):
    d = tmp_path_factory.mktemp("luks-raw")
    made = {}
    for name, extra in VARIANTS.items():
        opts = ",".join(["key-secret=s0", "iter-time=10"] +
                        [f"{k}={v}" for k, v in extra.items()])
        if luks_cases.create([qemu_img, "create", "-q", *SECRET, "-f", "luks", "-o", opts,
                              f"{name}.luks", "1M"], d):
            made[name] = d / f"{name}.luks"
    assert "default" in made
    default = made["default"].read_bytes()
    # The payload ends the file at a sector and a half, at the payload, or starts past its end.
    for name, length in (("odd.luks", PAYLOAD + 1000), ("empty-payload.luks", PAYLOAD),
                         ("cut.luks", 1 << 20), ("head-only.luks", 8)):
        (d / name).write_bytes(default[:length])
    return d, made


def same(as_qemu_img, qemu_img, cwd, args):
    instar = runner.run([as_qemu_img, f"--sandbox={SANDBOX}", *args], cwd)
    qemu = runner.run([qemu_img, *args], cwd)
    assert (instar.stdout, instar.stderr, instar.rc) == (qemu.stdout, qemu.stderr, qemu.rc), (
        f"instar: rc={instar.rc} out={instar.stdout!r} err={instar.stderr!r}\n"
        f"qemu:   rc={qemu.rc} out={qemu.stdout!r} err={qemu.stderr!r}")


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("fmt", [[], ["-f", "luks"]], ids=["probed", "f-luks"])
def test_info_shows_the_luks_header(variant, output, fmt, as_qemu_img, qemu_img, images):
    d, made = images
    if variant not in made:
        pytest.skip(f"qemu-img here cannot create {variant}")
    same(as_qemu_img, qemu_img, d, ["info", *fmt, f"--output={output}", made[variant].name])


@pytest.mark.parametrize("name", ["odd.luks", "empty-payload.luks", "cut.luks", "head-only.luks"])
@pytest.mark.parametrize("output", ["human", "json"])
def test_info_of_a_payload_cut_short(name, output, as_qemu_img, qemu_img, images):
    d, _ = images
    same(as_qemu_img, qemu_img, d, ["info", f"--output={output}", name])


def test_info_backing_chain(as_qemu_img, qemu_img, images):
    d, _ = images
    same(as_qemu_img, qemu_img, d, ["info", "--backing-chain", "default.luks"])


@pytest.mark.parametrize("args", [["check"], ["check", "-f", "luks"], ["check", "--output=json"],
                                  ["map"], ["map", "--output=json"], ["measure", "-O", "qcow2"],
                                  ["compare", "default.luks"], ["convert", "-O", "raw"],
                                  ["convert", "-O", "qcow2"], ["snapshot", "-l"]],
                         ids=["check", "check-f", "check-json", "map", "map-json", "measure",
                              "compare", "convert-raw", "convert-qcow2", "snapshot-list"])
def test_other_subcommands_need_the_key(args, as_qemu_img, qemu_img, images, tmp_path):
    d, _ = images
    tail = [str(tmp_path / "out")] if args[0] == "convert" else []
    same(as_qemu_img, qemu_img, d, [*args, "default.luks", *tail])
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_corrupt_luks_header_reads_as_qemu_reads_it(case, as_qemu_img, qemu_img, images,
                                                     tmp_path):
    _, made = images
    offset, data = CORRUPT[case]
    patched(made["default"], tmp_path / "c.luks", offset, data)
    # Without the magic and version 1 the file probes as raw, which instar's safe detection
    # refuses (docs/chains.md): those two are read with -f luks only.
    probed = case not in ("magic", "version")
    for args in (["info", "c.luks"], ["info", "-f", "luks", "c.luks"], ["check", "c.luks"],
                 ["map", "-f", "luks", "c.luks"]):
        if probed or "-f" in args:
            same(as_qemu_img, qemu_img, tmp_path, args)
