"""The default output profile comes from PATH's qemu-img, asked once per binary and cached."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path


def fake_qemu_img(directory: Path, version: str, log: Path) -> Path:
    """A qemu-img that answers --version with `version` and logs every run to `log`."""
    script = directory / "qemu-img"
    script.write_text(f"#!/bin/sh\necho run >> '{log}'\necho 'qemu-img version {version}'\n")
    script.chmod(0o755)
    return script


def instar_version(instar_bin: str, path_dir: Path, cache_home: Path) -> str:
    env = dict(os.environ, PATH=f"{path_dir}:/usr/bin:/bin", XDG_CACHE_HOME=str(cache_home))
    env.pop("INSTAR_QEMU_VERSION", None)
    return subprocess.run([instar_bin, "--version"], env=env, capture_output=True, text=True,
                          check=True, timeout=30).stdout.splitlines()[0]


def test_path_qemu_img_is_asked_once_then_cached(instar_bin, tmp_path):
    bin_dir, cache, log = tmp_path / "bin", tmp_path / "cache", tmp_path / "runs.log"
    bin_dir.mkdir()
    fake_qemu_img(bin_dir, "9.2.4", log)
    assert "qemu-img 9.2.4 output profile" in instar_version(instar_bin, bin_dir, cache)
    assert "qemu-img 9.2.4 output profile" in instar_version(instar_bin, bin_dir, cache)
    assert log.read_text().count("run") == 1  # the second run used the cache
    assert (cache / "instar" / "qemu-img-version").read_text().rstrip().endswith(" 9.2.4")


def test_replaced_qemu_img_is_asked_again(instar_bin, tmp_path):
    bin_dir, cache, log = tmp_path / "bin", tmp_path / "cache", tmp_path / "runs.log"
    bin_dir.mkdir()
    fake_qemu_img(bin_dir, "9.2.4", log)
    assert "9.2.4" in instar_version(instar_bin, bin_dir, cache)
    # An upgrade replaces the file (new inode / ctime): the cached answer must not be reused.
    (bin_dir / "qemu-img").unlink()
    fake_qemu_img(bin_dir, "8.2.2", log)
    assert "qemu-img 8.2.2 output profile" in instar_version(instar_bin, bin_dir, cache)
    assert log.read_text().count("run") == 2


def test_unwritable_cache_still_selects(instar_bin, tmp_path):
    bin_dir, log = tmp_path / "bin", tmp_path / "runs.log"
    bin_dir.mkdir()
    fake_qemu_img(bin_dir, "10.0.13", log)
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("")
    assert "qemu-img 10.0.13 output profile" in instar_version(instar_bin, bin_dir, blocker)


def test_every_binary_asked_in_one_run_is_cached(instar_bin, tmp_path):
    # A copy of instar first on PATH (a negative answer), the real qemu-img after it: one run asks
    # both, and both answers must be remembered, not only the last.
    copy_dir, real_dir = tmp_path / "copy", tmp_path / "real"
    copy_dir.mkdir()
    real_dir.mkdir()
    cache, log = tmp_path / "cache", tmp_path / "runs.log"
    copy = copy_dir / "qemu-img"
    copy.write_text(f"#!/bin/sh\necho run >> '{log}'\necho 'qemu-img version 10.2.2 (instar 0.1.0)'\n")
    copy.chmod(0o755)
    fake_qemu_img(real_dir, "9.2.4", log)
    env_path = f"{copy_dir}:{real_dir}"
    for _ in range(2):
        env = dict(os.environ, PATH=f"{env_path}:/usr/bin:/bin", XDG_CACHE_HOME=str(cache))
        env.pop("INSTAR_QEMU_VERSION", None)
        out = subprocess.run([instar_bin, "--version"], env=env, capture_output=True, text=True,
                             check=True, timeout=30).stdout
        assert "qemu-img 9.2.4 output profile" in out
    assert log.read_text().count("run") == 2  # each binary once, in the first run only
    assert len((cache / "instar" / "qemu-img-version").read_text().splitlines()) == 2


def test_working_directory_qemu_img_is_never_run(instar_bin, tmp_path):
    # An empty PATH entry, ".", or a relative one would run a qemu-img from the working directory
    # (for example the directory of an untrusted image): never asked, never executed.
    work, cache, log = tmp_path / "work", tmp_path / "cache", tmp_path / "runs.log"
    (work / "sub").mkdir(parents=True)
    fake_qemu_img(work, "8.2.2", log)
    fake_qemu_img(work / "sub", "8.2.2", log)
    for path in ("", ":/usr/bin:/bin", "/usr/bin::/bin", ".:/usr/bin", "sub:/usr/bin"):
        env = dict(os.environ, PATH=path, XDG_CACHE_HOME=str(cache))
        env.pop("INSTAR_QEMU_VERSION", None)
        out = subprocess.run([instar_bin, "--version"], env=env, cwd=work, capture_output=True,
                             text=True, check=True, timeout=30).stdout
        assert "8.2.2" not in out, path
    assert not log.exists()


def test_copy_of_instar_named_qemu_img_does_not_recurse(instar_bin, tmp_path):
    # A byte copy (not a link: is_self cannot see it) answers with instar's marker and is skipped.
    bin_dir, cache = tmp_path / "bin", tmp_path / "cache"
    bin_dir.mkdir()
    import shutil
    shutil.copy2(instar_bin, bin_dir / "qemu-img")
    for helper in Path(instar_bin).parent.glob("instar-guest*"):
        shutil.copy2(helper, bin_dir / helper.name)
    # The copy is skipped: the profile is the one PATH gives without it, and the run returns.
    without_copy = instar_version(instar_bin, tmp_path / "empty", tmp_path / "cache2")
    assert instar_version(instar_bin, bin_dir, cache) == without_copy
