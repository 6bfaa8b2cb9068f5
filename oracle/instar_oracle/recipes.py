"""Recipe cases: images built with qemu-img / qemu-io command lists, never hostile."""
from __future__ import annotations

import subprocess
from pathlib import Path

# name -> (image file, commands run in the case directory). Each command is an argv list.
RECIPES: dict[str, tuple[str, list[list[str]]]] = {
    "raw-16m": ("r.raw", [["qemu-img", "create", "-q", "-f", "raw", "r.raw", "16M"]]),
    "raw-1000-bytes": ("odd.raw", [["truncate", "-s", "1000", "odd.raw"]]),
    "raw-empty": ("empty.img", [["truncate", "-s", "0", "empty.img"]]),
    "qcow2-v2": ("v2.qcow2", [["qemu-img", "create", "-q", "-f", "qcow2", "-o", "compat=0.10",
                               "v2.qcow2", "16M"]]),
    "qcow2-v3": ("v3.qcow2", [["qemu-img", "create", "-q", "-f", "qcow2", "v3.qcow2", "16M"]]),
    "qcow2-lazy": ("lazy.qcow2", [["qemu-img", "create", "-q", "-f", "qcow2", "-o",
                                   "lazy_refcounts=on", "lazy.qcow2", "1G"]]),
    "qcow2-zstd-el2": ("z.qcow2", [["qemu-img", "create", "-q", "-f", "qcow2", "-o",
                                    "compression_type=zstd,extended_l2=on", "z.qcow2", "64M"]]),
    "qcow2-cs512-rb1": ("c512.qcow2", [["qemu-img", "create", "-q", "-f", "qcow2", "-o",
                                        "cluster_size=512,refcount_bits=1", "c512.qcow2",
                                        "3M"]]),
    "qcow2-cs2m-rb64": ("c2m.qcow2", [["qemu-img", "create", "-q", "-f", "qcow2", "-o",
                                       "cluster_size=2M,refcount_bits=64", "c2m.qcow2", "10G"]]),
    "qcow2-odd-size": ("odd.qcow2", [["qemu-img", "create", "-q", "-f", "qcow2", "odd.qcow2",
                                      "1000"]]),
    "qcow2-data": ("d.qcow2", [["qemu-img", "create", "-q", "-f", "qcow2", "d.qcow2", "4M"],
                               ["qemu-io", "-c", "write -P 0x11 0 1M", "d.qcow2"]]),
}


def build(name: str, directory: Path) -> Path:
    """Builds recipe `name` inside `directory` and returns the image path (relative name)."""
    image, commands = RECIPES[name]
    for argv in commands:
        subprocess.run(argv, cwd=directory, check=True, stdout=subprocess.DEVNULL)
    return Path(image)
