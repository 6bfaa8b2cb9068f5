"""instar under each output profile against the recorded qemu-img baselines (baselines/)."""
from __future__ import annotations

import os
import shutil

import pytest

from instar_oracle import baselines, known, runner, sampling

MANIFEST = baselines.load_manifest()
REGISTRY = known.load()
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


# Which sandbox runs the cases: the process here, the KVM guest in the kvm-labelled ctest
# (oracle_profile_baselines_kvm), so every baseline is proven under both backends.
SANDBOX = os.environ.get("INSTAR_BASELINE_SANDBOX", "process")
# instar's one deliberate divergence from qemu-img on these images: content it does not recognise
# is not guessed to be raw (docs/chains.md). With --unsafe-quirks it must then print exactly what
# qemu-img printed, so such cases are compared that way instead of being skipped.
SAFE_DETECTION_REFUSAL = "will not guess raw"


def refused_by_instar(err: str, want_err: str) -> bool:
    """instar's own refusals name instar or say what is "not supported yet"; qemu's never do."""
    return ("instar" in err or "not supported yet" in err) and err != want_err


def sampled(version: str, case: dict) -> bool:
    """Under KVM (the TCG rig, where every run costs seconds) every 7.2 case and a fixed third of
    the other versions' cells: a profile changes only the host's rendering of the same guest
    messages, which the process run checks for every cell. INSTAR_FULL_GRIDS=1 runs them all."""
    return (SANDBOX != "kvm" or version.startswith("7.2")
            or sampling.keep(f"{version}:{case['kind']}/{case['name']}", 3))


@pytest.mark.parametrize(("version", "case"),
                         [(v, c) for v in VERSIONS for c in baselines.cases_for(MANIFEST, v)
                          if sampled(v, c)],
                         ids=lambda x: x if isinstance(x, str) else f"{x['kind']}/{x['name']}")
def test_matches_baseline(version, case, recipe_dir, as_qemu_img):
    directory, tmpfs = recipe_dir
    want_out, want_err, want_rc = baselines.read_case(version, case)
    argv = [as_qemu_img, "--qemu-version", version, f"--sandbox={SANDBOX}", *case["argv"][1:]]
    ours = runner.run(argv, directory)
    err = ours.stderr.decode(errors="replace")
    if refused_by_instar(err, want_err) and SAFE_DETECTION_REFUSAL in err:
        argv.insert(1, "--unsafe-quirks")
        ours = runner.run(argv, directory)
        err = ours.stderr.decode(errors="replace")
    if refused_by_instar(err, want_err):
        # Only a refusal the known-divergence registry explains may skip; any other is a failure.
        entry = REGISTRY.match(case["argv"][1:], None, ours,
                               known.Answer.of_text(want_out, want_err, want_rc))
        assert entry is not None, (
            f"instar refuses and oracle/known_divergences.toml has no entry for it: {err.strip()}"
            f"\nreproduce: {runner.reproduction(argv, directory)}")
        pytest.skip(f"known divergence {entry.id}: {err.strip()}")
    out = ours.stdout.decode(errors="replace")
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
    keys = [(c["kind"], c["name"]) for c in MANIFEST["cases"]]
    assert len(keys) == len(set(keys)), "two cases share a baseline file"
    # instar-cases.json and the manifest agree (regenerate-baselines after editing the former).
    assert [c for c in MANIFEST["cases"] if c["source"] == baselines.SOURCE_INSTAR] == \
        baselines.manifest_cases(baselines.SOURCE_INSTAR, baselines.instar_cases())
    for version in VERSIONS:
        assert baselines.SOURCE_RECORDED in MANIFEST["versions"][version]["case_sources"]
        for case in baselines.cases_for(MANIFEST, version):
            baselines.read_case(version, case)  # every case of its sources exists
    # The version Debian 12 ships is recorded locally with every case (the workbench's >= 50).
    assert len(baselines.cases_for(MANIFEST, "7.2.22")) >= 50
