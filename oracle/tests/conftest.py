"""Fixtures shared by the oracle suites: the binaries and a per-case working directory."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "oracle"))

from instar_oracle import recipes, runner, sampling  # noqa: E402

# Suites whose grids repeat one mechanism over many layouts (a format's images x subcommands x
# profiles, an in-place op over cluster sizes x refcount widths): the default run (scripts/test,
# CI) keeps a fixed 1 in N of the cells of each parametrized test by name
# (instar_oracle/sampling.py), and always its first cell, so every test function runs;
# INSTAR_FULL_GRIDS=1 (scripts/oracle-full-grids) runs them whole.
SAMPLED_SUITES = {
    "test_vpc.py": 3,
    "test_qed.py": 3,
    "test_vhdx.py": 3,
    "test_qcow.py": 3,
    "test_parallels.py": 3,
    "test_vdi.py": 2,
    "test_amend.py": 3,
    "test_hostile_amend.py": 2,
    "test_rebase.py": 2,
    "test_luks_raw.py": 2,
    "test_metadata_preallocation.py": 2,
    "test_convert_existing_qcow2.py": 3,
    "test_check_repair.py": 3,
    "test_commit.py": 2,
}


def pytest_collection_modifyitems(config, items):
    kept, dropped = [], []
    seen_functions = set()
    for item in items:
        one_in = SAMPLED_SUITES.get(Path(str(item.fspath)).name)
        function = (str(item.fspath), getattr(item, "originalname", item.name))
        first_cell = function not in seen_functions
        seen_functions.add(function)
        if one_in is None or first_cell or not hasattr(item, "callspec") \
                or sampling.keep(item.nodeid, one_in):
            kept.append(item)
        else:
            dropped.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def instar_bin() -> str:
    path = Path(os.environ.get("INSTAR_BIN", ROOT / "build" / "instar"))
    if not path.exists():
        pytest.fail(f"{path} is missing: run scripts/setup")
    return str(path.resolve())


@pytest.fixture(scope="session")
def as_qemu_img(instar_bin, tmp_path_factory) -> str:
    """instar invoked through a symlink named qemu-img, so that its diagnostics carry qemu-img's
    prefix and the outputs compare byte for byte."""
    link = tmp_path_factory.mktemp("argv0") / "qemu-img"
    link.symlink_to(instar_bin)
    return str(link)


@pytest.fixture(scope="session")
def qemu_img() -> str:
    path = shutil.which("qemu-img")
    if path is None:
        pytest.fail("qemu-img is not installed: run scripts/setup")
    return path


@pytest.fixture
def recipe_image(tmp_path):
    """Returns a builder: recipe name -> (case directory, relative image name)."""
    def make(name: str):
        return tmp_path, str(recipes.build(name, tmp_path))
    return make


@pytest.fixture
def unreadable_backing(instar_bin):
    """A directory every user can enter holding top.qcow2 over base.raw that only root can read;
    yields the directory and the argv prefix that runs a command as nobody."""
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run as another user")
    if runner.run([*as_nobody, instar_bin, "--help"], "/").rc != 0:
        pytest.skip("the instar binary is not executable by nobody here")
    directory = Path(tempfile.mkdtemp(prefix="instar-unreadable-"))
    directory.chmod(0o755)
    try:
        runner.run(["qemu-img", "create", "-q", "-f", "raw", "base.raw", "1M"], directory)
        runner.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw",
                    "top.qcow2"], directory)
        (directory / "top.qcow2").chmod(0o644)
        (directory / "base.raw").chmod(0o000)
        # Plain info opens no backing file: it fails only when nobody cannot run the guest helper
        # (a build tree under a directory only root may search, as a mktemp -d clone is).
        probe = runner.run([*as_nobody, instar_bin, "--sandbox=process", "info", "top.qcow2"],
                           directory)
        if probe.rc != 0:
            pytest.skip(f"nobody cannot run instar's guest helper here: {probe.stderr!r}")
        yield directory, as_nobody
    finally:
        shutil.rmtree(directory)


@pytest.fixture(scope="module")
def hostile_case_dirs(tmp_path_factory):
    """The hostile corpus's cases, each laid out once per module on first use; commands only
    read them."""
    from instar_oracle import hostile

    built: dict[str, Path] = {}

    def get(case) -> Path:
        if case.name not in built:
            built[case.name] = hostile.build(case, tmp_path_factory.mktemp(case.name))
        return built[case.name]
    return get
