"""The KVM and process backends print identical bytes for every recipe image (label kvm).

Run by ctest (`oracle_backend_equivalence`, label kvm) with INSTAR_REQUIRE_KVM=1: natively where
/dev/kvm can run the guest, inside scripts/nested-kvm otherwise. Without that variable (the plain
pytest run of scripts/test) the module is skipped, because that run has no guaranteed KVM.
"""
from __future__ import annotations

import os

import pytest

from instar_oracle import hostile, recipes, runner

pytestmark = pytest.mark.skipif(os.environ.get("INSTAR_REQUIRE_KVM") != "1",
                                reason="KVM equivalence runs under ctest -L kvm")


# Human output only: the JSON form is rendered on the host from the very same guest messages, so
# comparing it again would only double the time under the TCG rig. Two JSON cases stay below.
@pytest.mark.parametrize("command,output", [("info", "human"), ("check", "human")])
@pytest.mark.parametrize("case", sorted(recipes.RECIPES))
def test_kvm_and_process_print_the_same(case, output, command, recipe_image, instar_bin):
    directory, image = recipe_image(case)
    args = [command, f"--output={output}", image]
    kvm = runner.run([instar_bin, "--sandbox=kvm", *args], directory)
    process = runner.run([instar_bin, "--sandbox=process", *args], directory)
    assert "sandbox" not in kvm.stderr.decode(errors="replace")
    assert (kvm.stdout, kvm.stderr, kvm.rc) == (process.stdout, process.stderr, process.rc), (
        f"reproduce: {runner.reproduction(kvm.argv, directory)}")


@pytest.mark.parametrize("args", [["info", "-f", "qcow2", "r.raw"], ["info", "missing.qcow2"],
                                  ["info", "--output=json", "v3.qcow2"],
                                  ["check", "--output=json", "v3.qcow2"]])
def test_errors_and_json_are_identical(args, tmp_path, instar_bin):
    recipes.build("raw-16m", tmp_path)
    recipes.build("qcow2-v3", tmp_path)
    kvm = runner.run([instar_bin, "--sandbox=kvm", *args], tmp_path)
    process = runner.run([instar_bin, "--sandbox=process", *args], tmp_path)
    assert "sandbox" not in kvm.stderr.decode(errors="replace")
    assert (kvm.stdout, kvm.stderr, kvm.rc) == (process.stdout, process.stderr, process.rc)


@pytest.mark.parametrize("case", hostile.cases(), ids=lambda c: c.name)
def test_hostile_images_get_the_same_answer(case, tmp_path, instar_bin):
    image = hostile.build(case.name, tmp_path)
    kvm = runner.run([instar_bin, "--sandbox=kvm", "info", image], tmp_path, timeout=5.0)
    process = runner.run([instar_bin, "--sandbox=process", "info", image], tmp_path, timeout=5.0)
    assert kvm.rc == case.rc, kvm.stderr.decode(errors="replace")
    assert (kvm.stdout, kvm.stderr, kvm.rc) == (process.stdout, process.stderr, process.rc), (
        f"reproduce: {runner.reproduction(kvm.argv, tmp_path)}")


# Compare reads data (L2 lookup, zero and compressed clusters, zlib and zstd, extended L2): a
# set of pairs that exercises each path, identical and differing, plain and strict.
COMPARE_PAIRS = [("raw-mixed", "qcow2-mixed-zlib", []), ("qcow2-mixed-zstd", "qcow2-mixed-el2", []),
                 ("qcow2-mixed", "raw-mixed-poked", []), ("raw-mixed", "qcow2-mixed", ["-s"]),
                 ("qcow2-zero-clusters", "qcow2-zero-subclusters", ["-s"]),
                 ("raw-mixed-8m-tail", "raw-mixed", [])]


@pytest.mark.parametrize("first,second,options", COMPARE_PAIRS,
                         ids=[f"{a}:{b}:{''.join(o)}" for a, b, o in COMPARE_PAIRS])
def test_compare_is_the_same_in_both_backends(first, second, options, tmp_path, instar_bin):
    a = recipes.build(first, tmp_path)
    b = recipes.build(second, tmp_path)
    args = ["compare", *options, str(a), str(b)]
    kvm = runner.run([instar_bin, "--sandbox=kvm", *args], tmp_path, timeout=120)
    process = runner.run([instar_bin, "--sandbox=process", *args], tmp_path, timeout=120)
    assert "sandbox" not in kvm.stderr.decode(errors="replace")
    assert (kvm.stdout, kvm.stderr, kvm.rc) == (process.stdout, process.stderr, process.rc), (
        f"reproduce: {runner.reproduction(kvm.argv, tmp_path)}")
