"""Fixtures shared by the oracle suites: the binaries and a per-case working directory."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "oracle"))

from instar_oracle import recipes  # noqa: E402


@pytest.fixture(scope="session")
def instar_bin() -> str:
    path = Path(os.environ.get("INSTAR_BIN", ROOT / "build" / "instar"))
    if not path.exists():
        pytest.fail(f"{path} is missing: run scripts/setup")
    return str(path.resolve())


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
