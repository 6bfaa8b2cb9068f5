"""`cmake --install` and scripts/package: instar runs from an installed or unpacked tree alone.

Each run is traced (strace -f, execve) so the tests see which guest helper instar executed: it
must be the one under the install root, never the build tree's. docs/install.md."""
from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT

HELPER = "instar-guest-process"
EXECVE = re.compile(r'execve\("([^"]+)"')


@pytest.fixture(scope="module")
def build_dir(instar_bin) -> Path:
    """The configured build tree that produced the instar under test (build/release normally)."""
    directory = Path(instar_bin).parent
    if not (directory / "cmake_install.cmake").exists():
        pytest.fail(f"{directory} is not a configured CMake build tree")
    return directory


def cache_value(build: Path, name: str) -> str:
    for line in (build / "CMakeCache.txt").read_text().splitlines():
        if line.startswith(name + ":"):
            return line.split("=", 1)[1]
    raise KeyError(name)


@pytest.fixture(scope="module")
def strace() -> str:
    path = shutil.which("strace")
    if path is None:
        pytest.skip("strace is missing (scripts/setup installs it): cannot see which helper ran")
    probe = subprocess.run([path, "-f", "-o", os.devnull, "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"strace cannot trace here: {probe.stderr.decode(errors='replace').strip()}")
    return path


@pytest.fixture(scope="module")
def installed(build_dir, tmp_path_factory) -> Path:
    """A DESTDIR install of the build tree with prefix /usr; returns the DESTDIR."""
    root = tmp_path_factory.mktemp("destdir")
    subprocess.run(["cmake", "--install", str(build_dir), "--prefix", "/usr"], check=True,
                   capture_output=True, env=dict(os.environ, DESTDIR=str(root)))
    return root


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("image")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(directory / "disk.qcow2"),
                    "64M"], check=True)
    return directory / "disk.qcow2"


def traced_info(strace: str, instar: Path, image: Path, log: Path):
    """`instar --sandbox=process info IMAGE` with an empty environment, under strace; returns
    the run and every program it executed."""
    argv = [strace, "-f", "-qq", "-e", "trace=execve", "-o", str(log),
            "env", "-i", str(instar), "--sandbox=process", "info", image.name]
    run = subprocess.run(argv, cwd=image.parent, capture_output=True)
    return run, EXECVE.findall(log.read_text())


def reference_info(instar_bin: str, image: Path) -> bytes:
    """The build tree's answer, with the same empty environment (same output profile)."""
    return subprocess.run(["env", "-i", instar_bin, "--sandbox=process", "info", image.name],
                          cwd=image.parent, capture_output=True, check=True).stdout


def assert_runs_from(root: Path, strace, instar_bin, image, tmp_path):
    instar = root / "usr/bin/instar"
    run, programs = traced_info(strace, instar, image, tmp_path / "trace")
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    assert run.stdout == reference_info(instar_bin, image)
    helpers = [p for p in programs if p.endswith("/" + HELPER)]
    assert helpers == [str(root / "usr/libexec/instar" / HELPER)], programs
    assert str(instar) in programs


def test_install_layout(installed):
    for path in ["usr/bin/instar", f"usr/libexec/instar/{HELPER}",
                 "usr/libexec/instar/instar-guest.elf", "usr/share/man/man1/instar.1"]:
        assert (installed / path).is_file(), path
    # The qemu-img symlink is opt-in (INSTAR_INSTALL_QEMU_IMG_LINK).
    assert not (installed / "usr/bin/qemu-img").exists()
    # Nothing beside bin/instar: the guests are not commands.
    assert sorted(p.name for p in (installed / "usr/bin").iterdir()) == ["instar"]


def test_installed_instar_runs_its_own_helper(installed, strace, instar_bin, image, tmp_path):
    assert_runs_from(installed, strace, instar_bin, image, tmp_path)


def test_installed_instar_without_helper_names_every_place(installed, build_dir, image,
                                                           tmp_path):
    root = tmp_path / "root"
    shutil.copytree(installed, root, symlinks=True)
    (root / f"usr/libexec/instar/{HELPER}").unlink()
    prefix_helper = Path(cache_value(build_dir, "CMAKE_INSTALL_PREFIX")) / "libexec/instar" / HELPER
    assert not prefix_helper.exists(), f"{prefix_helper} exists: the fallback would find it"
    run = subprocess.run(["env", "-i", str(root / "usr/bin/instar"), "--sandbox=process", "info",
                          image.name], cwd=image.parent, capture_output=True)
    assert run.returncode == 1
    assert run.stdout == b""
    stderr = run.stderr.decode()
    looked = [root / "usr/bin" / HELPER, root / "usr/libexec/instar" / HELPER, prefix_helper]
    assert f"cannot find the guest helper {HELPER}; looked at: " \
        + ", ".join(map(str, looked)) in stderr, stderr


@pytest.fixture(scope="module")
def deb(build_dir, tmp_path_factory) -> Path:
    for tool in ("dpkg-deb", "dpkg-shlibdeps"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is missing (scripts/setup installs dpkg-dev): no .deb to test")
    out = tmp_path_factory.mktemp("deb")
    # lintian runs once, in its own test below.
    run = subprocess.run([str(ROOT / "scripts/package"), "--build-dir", str(build_dir),
                          "--out", str(out), "--no-lintian"], capture_output=True)
    assert run.returncode == 0, (run.stdout + run.stderr).decode(errors="replace")
    debs = list(out.glob("instar_*_*.deb"))
    assert len(debs) == 1, debs
    return debs[0]


def test_deb_is_named_for_the_project_version(deb, build_dir):
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, check=True,
                          text=True).stdout.strip()
    version = cache_value(build_dir, "CMAKE_PROJECT_VERSION")
    assert deb.name == f"instar_{version}_{arch}.deb"
    assert subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], capture_output=True,
                          check=True, text=True).stdout.strip() == version


def test_deb_declares_its_shared_library_needs(deb):
    depends = subprocess.run(["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True,
                             check=True, text=True).stdout
    names = {d.split()[0] for d in depends.replace("|", ",").split(",") if d.strip()}
    # instar links libstdc++ and libseccomp (the helper's filter); both are real needs.
    assert {"libc6", "libstdc++6", "libseccomp2"} <= names, depends


def test_unpacked_deb_runs_its_own_helper(deb, strace, instar_bin, image, tmp_path):
    root = tmp_path / "unpacked"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    for path in ["usr/share/doc/instar/copyright", "usr/share/doc/instar/changelog.gz",
                 "usr/share/man/man1/instar.1.gz"]:
        assert (root / path).is_file(), path
    assert_runs_from(root, strace, instar_bin, image, tmp_path)


def loaded_image(elf: bytes):
    """The ELF64 header fields a loader uses, the program headers, and the file bytes of every
    segment: what instar's KVM monitor reads from the guest ELF (engine/vmm/elf_loader.cc)."""
    assert elf[:4] == b"\x7fELF" and elf[4] == 2, "not an ELF64 file"
    entry, phoff = struct.unpack_from("<QQ", elf, 24)
    phentsize, phnum = struct.unpack_from("<HH", elf, 54)
    segments = []
    for i in range(phnum):
        header = elf[phoff + i * phentsize:phoff + (i + 1) * phentsize]
        _, _, offset, _, _, filesz, _, _ = struct.unpack_from("<IIQQQQQQ", header)
        segments.append((header, elf[offset:offset + filesz]))
    return entry, segments


def test_packaged_guest_elf_loads_as_built(deb, build_dir, tmp_path):
    # The package strips the guest (cmake --install --strip); the VM must see the same bytes.
    root = tmp_path / "unpacked"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    packaged = (root / "usr/libexec/instar/instar-guest.elf").read_bytes()
    built = (build_dir / "instar-guest.elf").read_bytes()
    assert len(packaged) < len(built), "the packaged guest ELF was not stripped"
    assert loaded_image(packaged) == loaded_image(built)


def test_deb_passes_lintian_without_errors(deb):
    if shutil.which("lintian") is None:
        pytest.skip("lintian is missing (scripts/setup installs it)")
    run = subprocess.run(["lintian", "--fail-on", "error", str(deb)], capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert not [l for l in run.stdout.splitlines() if l.startswith("E: ")], run.stdout
