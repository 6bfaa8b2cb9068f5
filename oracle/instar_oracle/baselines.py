"""Per-version qemu-img baselines: layout, manifest, recipe images and the one normalisation."""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASELINES = ROOT / "baselines"
MANIFEST = BASELINES / "manifest.json"
# The image recipe the cases run on (copied from shared/reference/qemu-versions/make-images.py,
# which built the recorded outputs): qemu-img and qemu-io commands plus fixed snapshot dates.
RECIPE = BASELINES / "make-images.py"
# Cases instar adds over the same recipe images (recorded by scripts/regenerate-baselines from any
# qemu-img binary; the reference recordings only hold the cases of its cases.json).
INSTAR_CASES = BASELINES / "instar-cases.json"
# The subcommands instar implements; recorded cases of other subcommands are not baselines.
SUPPORTED_COMMANDS = ("info", "check", "compare", "map")
# Where a case comes from: the reference recordings or instar-cases.json.
SOURCE_RECORDED, SOURCE_INSTAR = "recorded", "instar"


def case_kind(argv: list[str]) -> str:
    """'<command>-json' or '<command>-human' for an argv after 'qemu-img'."""
    json_out = "--output=json" in argv or any(
        a == "--output" and i + 1 < len(argv) and argv[i + 1] == "json"
        for i, a in enumerate(argv))
    return f"{argv[0]}-{'json' if json_out else 'human'}"


def case_name(argv: list[str]) -> str:
    """A file name for the case: its arguments without the command and output choice.

    ["info", "--backing-chain", "--output=json", "top.qcow2"] -> "backing-chain_top.qcow2".
    """
    parts = [a.lstrip("-") for a in argv[1:] if a not in ("--output=json", "--output=human")]
    return "_".join(parts)


def case_images(argv: list[str]) -> list[str]:
    """The image files a case names: its last argument, the last two for compare."""
    return argv[-2:] if argv[0] == "compare" else [argv[-1]]


def is_supported_case(argv: list[str]) -> bool:
    return bool(argv) and argv[0] in SUPPORTED_COMMANDS


def instar_cases() -> list[list[str]]:
    """The argv lists (after 'qemu-img') of instar-cases.json."""
    return json.loads(INSTAR_CASES.read_text())["cases"]


def cases_for(manifest: dict, version: str) -> list[dict]:
    """The manifest's cases that `version` has baselines for (by the sources it was recorded from)."""
    sources = manifest["versions"][version]["case_sources"]
    return [c for c in manifest["cases"] if c["source"] in sources]


def case_dir(version: str, kind: str) -> Path:
    return BASELINES / f"qemu-{version}" / kind


def write_case(version: str, argv: list[str], stdout: str, stderr: str, rc: int) -> None:
    d = case_dir(version, case_kind(argv))
    d.mkdir(parents=True, exist_ok=True)
    name = case_name(argv)
    (d / f"{name}.out").write_text(stdout)
    (d / f"{name}.err").write_text(stderr)
    (d / f"{name}.rc").write_text(f"{rc}\n")


def read_case(version: str, case: dict) -> tuple[str, str, int]:
    d = case_dir(version, case["kind"])
    name = case["name"]
    return ((d / f"{name}.out").read_text(), (d / f"{name}.err").read_text(),
            int((d / f"{name}.rc").read_text()))


def recipe_sha256() -> str:
    return hashlib.sha256(RECIPE.read_bytes()).hexdigest()


def manifest_cases(source: str, argvs: list[list[str]]) -> list[dict]:
    """Manifest entries for the supported cases among `argvs` (argv lists after 'qemu-img')."""
    return [{"name": case_name(a), "kind": case_kind(a), "argv": ["qemu-img", *a],
             "images": case_images(a), "source": source}
            for a in argvs if is_supported_case(a)]


def write_manifest(cases: list[list[str]], versions: dict[str, dict]) -> None:
    """baselines/manifest.json: the recorded cases of supported commands, then instar's own (name,
    kind, argv, images, source), the recipe and each version's origin and case sources."""
    manifest = {
        "recipe": {
            "script": str(RECIPE.relative_to(ROOT)),
            "sha256": recipe_sha256(),
            "run": "python3 baselines/make-images.py DIR (qemu-img and qemu-io on PATH); "
                   "cases run in DIR with relative names, LC_ALL=C TZ=UTC, argv[0] qemu-img",
            "steps": recipe_steps(),
        },
        "normalisation": "none when the images are built on tmpfs; otherwise the st_blocks-based "
                         "'disk size:' lines and 'actual-size' values (see normalise())",
        "cases": manifest_cases(SOURCE_RECORDED, cases) + manifest_cases(SOURCE_INSTAR,
                                                                          instar_cases()),
        "versions": versions,
    }
    MANIFEST.write_text(json.dumps(manifest, indent=1) + "\n")


def load_manifest() -> dict:
    return json.loads(MANIFEST.read_text())


def recipe_steps() -> list[str]:
    """The recipe's commands, read from make-images.py's img()/io()/run() calls, for humans."""
    steps = []
    for line in RECIPE.read_text().splitlines():
        # Top-level statements only: the helpers' bodies are not steps.
        if re.match(r"^(img|io|run|fix_snapshot_dates)\(", line) or line.startswith("with open("):
            steps.append(line)
    return steps


def tmpfs_dir() -> Path:
    """A fresh directory on tmpfs when there is one (st_blocks then match the recordings)."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="instar-baseline-", dir=base))


def on_tmpfs(path: Path) -> bool:
    """Whether `path` lives on a tmpfs mount (longest matching mount point wins)."""
    best, fstype = "", ""
    real = os.path.realpath(path)
    with open("/proc/mounts") as mounts:
        for line in mounts:
            fields = line.split()
            mnt = fields[1].replace("\\040", " ")
            if (real == mnt or real.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
                best, fstype = mnt, fields[2]
    return fstype == "tmpfs"


def build_images(directory: Path, tool_dir: str | None = None) -> None:
    """Runs the recipe into `directory`, with `tool_dir`'s qemu-img/qemu-io first on PATH."""
    env = dict(os.environ, LC_ALL="C", TZ="UTC")
    if tool_dir:
        env["PATH"] = tool_dir + os.pathsep + env.get("PATH", "")
    subprocess.run([sys.executable, str(RECIPE), str(directory)], check=True, env=env)


_DISK_SIZE = re.compile(r"^( *disk size: ).*$", re.M)
_ACTUAL_SIZE = re.compile(r'^( *"actual-size": )\d+', re.M)


def normalise(text: str) -> str:
    """Blanks the st_blocks-based fields: 'disk size:' lines and JSON 'actual-size' values.

    Only used when the images could not be built on tmpfs: other filesystems allocate differently
    (ext4 preallocation, XFS speculative allocation, btrfs compression), so these two fields are
    not reproducible there while every other byte is.
    """
    return _ACTUAL_SIZE.sub(r"\g<1><st_blocks>", _DISK_SIZE.sub(r"\g<1><st_blocks>", text))
