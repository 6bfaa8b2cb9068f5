"""instar under each output profile against the recorded qemu-img baselines (baselines/)."""
from __future__ import annotations

import shutil

import pytest

from instar_oracle import baselines, runner

MANIFEST = baselines.load_manifest()
VERSIONS = sorted(MANIFEST["versions"], key=lambda v: tuple(int(p) for p in v.split(".")))


@pytest.fixture(scope="module")
def recipe_dir():
    """The manifest's recipe built once (instar only reads the images), on tmpfs if possible."""
    if shutil.which("qemu-img") is None or shutil.which("qemu-io") is None:
        pytest.fail("qemu-img / qemu-io are not installed: run scripts/setup")
    directory = baselines.tmpfs_dir()
    baselines.build_images(directory)
    yield directory, baselines.on_tmpfs(directory)
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def as_qemu_img(instar_bin, tmp_path_factory):
    """instar behind a symlink named qemu-img: the recordings ran with argv[0] 'qemu-img'."""
    link = tmp_path_factory.mktemp("argv0") / "qemu-img"
    link.symlink_to(instar_bin)
    return str(link)


@pytest.mark.parametrize("case", MANIFEST["cases"], ids=lambda c: f"{c['kind']}/{c['name']}")
@pytest.mark.parametrize("version", VERSIONS)
def test_info_matches_baseline(version, case, recipe_dir, as_qemu_img):
    directory, tmpfs = recipe_dir
    want_out, want_err, want_rc = baselines.read_case(version, case)
    argv = [as_qemu_img, "--qemu-version", version, "--sandbox=process", *case["argv"][1:]]
    ours = runner.run(argv, directory)
    out, err = ours.stdout.decode(errors="replace"), ours.stderr.decode(errors="replace")
    # instar's own refusals (unsupported options, formats it will not guess) name instar; qemu's
    # texts never do. Those cases are skipped, not compared.
    if ours.rc == 1 and "instar" in err and "instar" not in want_err:
        pytest.skip(f"instar refuses: {err.strip()}")
    # st_blocks-based sizes are only reproducible on tmpfs, where the baselines were recorded.
    norm = (lambda s: s) if tmpfs else baselines.normalise
    assert (norm(out), err, ours.rc) == (norm(want_out), want_err, want_rc), (
        f"qemu-img {version} baseline vs instar\n--- baseline rc={want_rc}\n{want_out}{want_err}"
        f"--- instar rc={ours.rc}\n{out}{err}\nreproduce: {runner.reproduction(argv, directory)}")


def test_normalise_blanks_only_st_blocks_fields():
    text = ('disk size: 1.25 MiB\nfile length: 1.31 MiB (1376256 bytes)\n    disk size: 4 KiB\n'
            '    "actual-size": 1314816,\n    "virtual-size": 1376256,\n')
    assert baselines.normalise(text) == (
        'disk size: <st_blocks>\nfile length: 1.31 MiB (1376256 bytes)\n    disk size: <st_blocks>\n'
        '    "actual-size": <st_blocks>,\n    "virtual-size": 1376256,\n')


def test_manifest_matches_layout():
    assert VERSIONS, "no baselines: run scripts/import-recorded-baselines"
    assert MANIFEST["recipe"]["sha256"] == baselines.recipe_sha256()
    for version in VERSIONS:
        for case in MANIFEST["cases"]:
            baselines.read_case(version, case)  # every case exists for every version
