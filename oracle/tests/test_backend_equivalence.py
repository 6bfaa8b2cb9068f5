"""The KVM and process backends print identical bytes for every recipe image (label kvm).

Run by ctest (`oracle_backend_equivalence`, label kvm) with INSTAR_REQUIRE_KVM=1: natively where
/dev/kvm can run the guest, inside scripts/nested-kvm otherwise. Without that variable (the plain
pytest run of scripts/test) the module is skipped, because that run has no guaranteed KVM.

INSTAR_EQUIVALENCE_SANDBOXES=A,B (default kvm,process) names the two backends compared; with
process,process the module runs where KVM cannot, to check the test itself (not a substitute for
the kvm run).
"""
from __future__ import annotations

import os

import pytest

from instar_oracle import hostile, recipes, runner, sampling

SANDBOXES = os.environ.get("INSTAR_EQUIVALENCE_SANDBOXES", "kvm,process").split(",")
FIRST, SECOND = SANDBOXES
pytestmark = pytest.mark.skipif(
    os.environ.get("INSTAR_REQUIRE_KVM") != "1" and "INSTAR_EQUIVALENCE_SANDBOXES" not in os.environ,
    reason="KVM equivalence runs under ctest -L kvm")
# The TCG rig runs everything 5-50 times slower (docs/kvm-testing.md): the hostile corpus's 5 s
# bound is asserted natively only.
HOSTILE_TIMEOUT_S = 120.0 if os.environ.get("INSTAR_IN_NESTED_KVM") == "1" else 5.0


@pytest.fixture(scope="module")
def built_recipe(tmp_path_factory):
    """Each recipe built once for the module, in its own directory (instar only reads it): under
    the TCG rig every qemu-img / qemu-io run of a recipe costs seconds."""
    built = {}

    def get(name):
        if name not in built:
            directory = tmp_path_factory.mktemp(name)
            built[name] = (directory, str(recipes.build(name, directory)))
        return built[name]
    return get


# Human output only: the JSON form is rendered on the host from the very same guest messages, so
# comparing it again would only double the time under the TCG rig. Two JSON cases stay below.
# Inside the rig, a fixed half of the (recipe, command) cells (instar_oracle/sampling.py; every
# cell with INSTAR_FULL_GRIDS=1); natively, all of them.
RECIPE_RUNS = [(case, command) for case in sorted(recipes.RECIPES) for command in ("info", "check")
               if os.environ.get("INSTAR_IN_NESTED_KVM") != "1"
               or sampling.keep(f"{case}:{command}", 2)]


@pytest.mark.parametrize("case,command", RECIPE_RUNS, ids=[f"{c}-{m}" for c, m in RECIPE_RUNS])
def test_kvm_and_process_print_the_same(case, command, built_recipe, instar_bin):
    output = "human"
    directory, image = built_recipe(case)
    args = [command, f"--output={output}", image]
    kvm = runner.run([instar_bin, f"--sandbox={FIRST}", *args], directory)
    process = runner.run([instar_bin, f"--sandbox={SECOND}", *args], directory)
    assert "sandbox" not in kvm.stderr.decode(errors="replace")
    assert (kvm.stdout, kvm.stderr, kvm.rc) == (process.stdout, process.stderr, process.rc), (
        f"reproduce: {runner.reproduction(kvm.argv, directory)}")


@pytest.mark.parametrize("args", [["info", "-f", "qcow2", "r.raw"], ["info", "missing.qcow2"],
                                  ["info", "--output=json", "v3.qcow2"],
                                  ["check", "--output=json", "v3.qcow2"]])
def test_errors_and_json_are_identical(args, tmp_path, instar_bin):
    recipes.build("raw-16m", tmp_path)
    recipes.build("qcow2-v3", tmp_path)
    kvm = runner.run([instar_bin, f"--sandbox={FIRST}", *args], tmp_path)
    process = runner.run([instar_bin, f"--sandbox={SECOND}", *args], tmp_path)
    assert "sandbox" not in kvm.stderr.decode(errors="replace")
    assert (kvm.stdout, kvm.stderr, kvm.rc) == (process.stdout, process.stderr, process.rc)


def _hostile_commands(index, case):
    """Every guest op on every hostile image, in human form: the JSON forms are rendered on the
    host from the very same guest messages. info --backing-chain runs the info op once per
    element, so it adds guest work only where a case has a chain (its layout cases). Inside the
    TCG rig, where each run costs 5-50 times more, compare runs once per case (with the clean
    image), and check and compare run on a fixed half of the cases (every other one in corpus
    order, so each kind of case is still there): info, the op that parses the most, runs on
    every case. Natively both backends get the whole corpus."""
    in_rig = os.environ.get("INSTAR_IN_NESTED_KVM") == "1"
    compares = [hostile.COMPARE_CLEAN] + ([] if in_rig else [hostile.COMPARE_SELF])
    commands = [hostile.INFO]
    if not in_rig or index % 2 == 0:
        commands += [hostile.CHECK, *compares]
    return commands + ([hostile.CHAIN] if case.image else [])


# The guest is the same under every output profile; the profiles change what the host opens
# and renders. So the whole corpus runs under the default profile, and under each other one
# `info` (what the profiles render differently) of a fixed sample: every case a profile answers
# differently, and one case of each kind besides.
_PROFILE_SAMPLE = ("l1-offset-unaligned", "compressed-far-past-eof", "backing-dotdot",
                   "chain-cycle-ab", "datafile-is-symlink")
HOSTILE_RUNS = [(case, command, hostile.PROFILES[0]) for index, case in enumerate(hostile.cases())
                for command in _hostile_commands(index, case)] + [
    (case, command, profile) for profile in hostile.PROFILES[1:] for case in hostile.cases()
    if profile in case.by_profile or case.name in _PROFILE_SAMPLE
    for command in (hostile.INFO,)]


@pytest.mark.parametrize("case,command,profile", HOSTILE_RUNS,
                         ids=[f"{c.name}:{command}:{p}" for c, command, p in HOSTILE_RUNS])
def test_hostile_images_get_the_same_answer(case, command, profile, hostile_case_dirs,
                                           instar_bin):
    images = hostile_case_dirs(case)
    args = hostile.argv(command, case.top, case.fmt)
    env = {"INSTAR_QEMU_VERSION": profile}
    first = runner.run([instar_bin, f"--sandbox={FIRST}", *args], images,
                       timeout=HOSTILE_TIMEOUT_S, env=env)
    second = runner.run([instar_bin, f"--sandbox={SECOND}", *args], images,
                        timeout=HOSTILE_TIMEOUT_S, env=env)
    repro = runner.reproduction(first.argv, images)
    assert first.rc is not None and second.rc is not None, f"no answer in time: {repro}"
    assert first.signal is None and second.signal is None, repro
    assert "sandbox" not in first.stderr.decode(errors="replace"), repro
    assert (first.stdout, first.stderr, first.rc) == (second.stdout, second.stderr, second.rc), (
        f"reproduce: {repro}")
    problem = hostile.mismatch(case, command, first.stdout, first.stderr, first.rc, profile)
    assert problem is None or hostile.expected(case, command, profile).pending, (
        f"{problem} [{profile}]: {repro}")


# convert writes through each backend's output device: a small fixed sample of the hostile corpus
# (test_hostile_convert.py runs it all on the process backend), one of each kind: a read error
# mid-copy (the half-written target qemu-img leaves too), metadata pointing into metadata with -c
# and -p, a refused outside backing file, an image that does not open, a probed 3-byte raw file.
HOSTILE_CONVERTS = [("compressed-far-past-eof", ["-O", "raw"]),
                    ("l2-entry-at-l1", ["-O", "qcow2", "-c", "-p"]),
                    ("backing-dotdot", ["-O", "qcow2"]),
                    ("l1-offset-unaligned", ["-p", "-O", "raw"]),
                    ("trunc-inside-magic", ["-O", "qcow2"])]


@pytest.mark.parametrize("name,options", HOSTILE_CONVERTS,
                         ids=[f"{n}:{' '.join(o)}" for n, o in HOSTILE_CONVERTS])
def test_hostile_converts_write_the_same_target(name, options, hostile_case_dirs, instar_bin):
    case = next(c for c in hostile.cases() if c.name == name)
    images = hostile_case_dirs(case)
    outcomes = []
    for sandbox in (FIRST, SECOND):
        target = images / f"out-{sandbox}"
        target.unlink(missing_ok=True)
        run = runner.run([instar_bin, f"--sandbox={sandbox}", "convert", *options, case.top,
                          target.name], images, timeout=HOSTILE_TIMEOUT_S)
        assert run.rc is not None and run.signal is None, runner.reproduction(run.argv, images)
        assert "sandbox" not in run.stderr.decode(errors="replace"), run.stderr
        data = target.read_bytes() if target.exists() else None
        target.unlink(missing_ok=True)
        outcomes.append((run.rc, run.stdout, run.stderr.replace(target.name.encode(), b"OUT"),
                         data))
    assert outcomes[0] == outcomes[1], f"{FIRST}: {outcomes[0][:3]}, {SECOND}: {outcomes[1][:3]}"


# Compare reads data (L2 lookup, zero and compressed clusters, zlib and zstd, extended L2): a
# set of pairs that exercises each path, identical and differing, plain and strict.
COMPARE_PAIRS = [("raw-mixed", "qcow2-mixed-zlib", []), ("qcow2-mixed-zstd", "qcow2-mixed-el2", []),
                 ("qcow2-mixed", "raw-mixed-poked", []), ("raw-mixed", "qcow2-mixed", ["-s"]),
                 ("qcow2-zero-clusters", "qcow2-zero-subclusters", ["-s"]),
                 ("raw-mixed-8m-tail", "raw-mixed", [])]
# Through backing chains and external data files: every chain image and data file is one more
# device (KVM hypercalls, process fds and seccomp rules alike).
COMPARE_PAIRS += [("chain-raw-qcow2-qcow2", "chain-raw-qcow2-qcow2-flat", ["-s"]),
                  ("chain-short-backing", "chain-short-backing-flat", []),
                  ("chain-compressed-backing", "raw-mixed", []),
                  ("qcow2-data-file", "qcow2-data-file-raw", ["-s"]),
                  ("chain-data-file-backing", "chain-data-file-backing-flat", []),
                  ("chain-missing-deeper", "raw-mixed", []),
                  ("chain-depth-16-data-files", "chain-depth-16-data-files", ["-s"])]


@pytest.mark.parametrize("first,second,options", COMPARE_PAIRS,
                         ids=[f"{a}:{b}:{''.join(o)}" for a, b, o in COMPARE_PAIRS])
def test_compare_is_the_same_in_both_backends(first, second, options, tmp_path, instar_bin):
    a = recipes.build(first, tmp_path)
    b = recipes.build(second, tmp_path)
    args = ["compare", *options, str(a), str(b)]
    kvm = runner.run([instar_bin, f"--sandbox={FIRST}", *args], tmp_path, timeout=120)
    process = runner.run([instar_bin, f"--sandbox={SECOND}", *args], tmp_path, timeout=120)
    assert "sandbox" not in kvm.stderr.decode(errors="replace")
    assert (kvm.stdout, kvm.stderr, kvm.rc) == (process.stdout, process.stderr, process.rc), (
        f"reproduce: {runner.reproduction(kvm.argv, tmp_path)}")


# create: the qcow2 image the guest writes (and a backing file read for its size) must be the
# same bytes from both backends.
CREATE_RUNS = [["-f", "qcow2", "-o", "cluster_size=4k,refcount_bits=1", "new.qcow2", "1G"],
               ["-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "new.qcow2"],
               ["-f", "qcow2", "-o", "extended_l2=on,compat=0.10", "new.qcow2", "1M"]]


@pytest.mark.parametrize("args", CREATE_RUNS, ids=[" ".join(a) for a in CREATE_RUNS])
def test_create_is_the_same_in_both_backends(args, tmp_path, instar_bin):
    outputs = []
    for index, sandbox in enumerate((FIRST, SECOND)):
        directory = tmp_path / f"{index}-{sandbox}"
        directory.mkdir()
        made = runner.run([instar_bin, f"--sandbox={sandbox}", "create", "-q", "-f", "qcow2",
                           "base.qcow2", "3M"], directory, timeout=120)
        assert made.rc == 0, made.stderr
        run = runner.run([instar_bin, f"--sandbox={sandbox}", "create", *args], directory,
                         timeout=120)
        new = directory / "new.qcow2"
        outputs.append((run.stdout, run.stderr, run.rc,
                        new.read_bytes() if new.exists() else None))
    assert "sandbox" not in outputs[0][1].decode(errors="replace")
    assert outputs[0] == outputs[1]
