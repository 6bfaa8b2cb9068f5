"""The hostile corpus: images built to attack a qcow2 reader, each with its expected outcome.

Images are derived from a fresh qemu-img qcow2 by patching single fields or cutting the file, so
the corpus is small to describe and rebuilt on demand; none of them is ever given to the real
qemu-img (DESIGN §5). Each case says what instar must answer: `ok` (rc 0) with a fragment of the
output, or an open error with qemu's message.
"""
from __future__ import annotations

import dataclasses
import struct
import subprocess
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    rc: int               # expected exit code of `info`
    expect: str           # a fragment of stdout (rc 0) or of the error message (rc 1)
    why: str              # the attack or CVE class it stands for


# Header field offsets (qemu-img-7.2.md §7).
BACKING_OFFSET, BACKING_SIZE, CLUSTER_BITS, SIZE = 8, 16, 20, 24
CRYPT, L1_SIZE, L1_OFFSET, RT_OFFSET, RT_CLUSTERS = 32, 36, 40, 48, 56
NB_SNAPSHOTS, SNAPSHOTS_OFFSET, INCOMPAT, REFCOUNT_ORDER, HEADER_LENGTH = 60, 64, 72, 96, 100


def _u32(v): return ("I", v)
def _u64(v): return ("Q", v)


# name -> (patches {offset: (fmt, value)} or a truncation length, expected rc, fragment, why)
_PATCHES = {
    "vsize-1pib": ({SIZE: _u64(1 << 50), L1_SIZE: _u32(1 << 21)}, 0, "virtual size: 1 PiB",
                   "huge but valid virtual size, L1 far past the end (CVE-2014-0143 class)"),
    "vsize-1pib-small-l1": ({SIZE: _u64(1 << 50)}, 1, "L1 table is too small",
                            "L1 too small for the size (CVE-2014-0143)"),
    "vsize-2p62": ({SIZE: _u64(1 << 62)}, 1, "Could not open", "virtual size needing an L1 "
                   "larger than qemu allows (CVE-2014-0143)"),
    "vsize-max": ({SIZE: _u64((1 << 64) - 512)}, 1,
                  "Could not refresh total sector count: File too large",
                  "a size beyond INT64_MAX (sector count overflow)"),
    "l1-size-max": ({L1_SIZE: _u32(0xffffffff)}, 1, "Active L1 table too large",
                    "L1 size overflow (CVE-2014-0143)"),
    "l1-size-over-limit": ({L1_SIZE: _u32(0x2000001)}, 1, "Active L1 table too large",
                           "L1 allocation exhaustion"),
    "l1-offset-unaligned": ({L1_OFFSET: _u64(0x30001)}, 1, "Active L1 table offset invalid",
                            "misaligned L1 (iotests 080)"),
    "l1-at-header": ({L1_OFFSET: _u64(0)}, 0, "file format: qcow2",
                     "L1 table pointing at the header"),
    "refcount-table-max": ({RT_CLUSTERS: _u32(0xffffffff)}, 1, "Reference count table too large",
                           "refcount table size overflow (CVE-2014-0144)"),
    "refcount-table-unaligned": ({RT_OFFSET: _u64(0x10001)}, 1,
                                 "Reference count table offset invalid", "iotests 080"),
    "refcount-table-none": ({RT_CLUSTERS: _u32(0)}, 1,
                            "Image does not contain a reference count table", "iotests 080"),
    "refcount-order-7": ({REFCOUNT_ORDER: _u32(7)}, 1, "Reference count entry width too large",
                         "refcount width overflow"),
    "snapshots-max": ({NB_SNAPSHOTS: _u32(0xffffffff), SNAPSHOTS_OFFSET: _u64(0x40000)}, 1,
                      "Snapshot table too large", "snapshot count overflow (CVE-2014-0145)"),
    "snapshots-unaligned": ({NB_SNAPSHOTS: _u32(1), SNAPSHOTS_OFFSET: _u64(0x30001)}, 1,
                            "Snapshot table offset invalid", "iotests 080"),
    "header-length-huge": ({HEADER_LENGTH: _u32(0x20000)}, 1, "qcow2 header exceeds cluster size",
                           "header length beyond the cluster (iotests 080)"),
    "header-length-short": ({HEADER_LENGTH: _u32(100)}, 1, "qcow2 header too short",
                            "iotests 080"),
    "cluster-bits-8": ({CLUSTER_BITS: _u32(8)}, 1, "Unsupported cluster size: 2^8",
                       "cluster size below the minimum"),
    "cluster-bits-31": ({CLUSTER_BITS: _u32(31)}, 1, "Unsupported cluster size: 2^31",
                        "shift overflow"),
    "crypt-method-3": ({CRYPT: _u32(3)}, 1, "Unsupported encryption method 3", "bad enum"),
    "backing-size-huge": ({BACKING_OFFSET: _u64(0x200), BACKING_SIZE: _u32(0xffffffff)}, 1,
                          "Backing file name too long", "backing name length overflow"),
    "backing-offset-past-end": ({BACKING_OFFSET: _u64(0xfffffffffffff000), BACKING_SIZE: _u32(8)},
                                1, "Could not open", "backing name offset overflow"),
    "incompat-unknown": ({INCOMPAT: _u64(1 << 40)}, 1, "Unsupported qcow2 feature(s)",
                         "unknown incompatible feature"),
}

# Cuts at every structure boundary of a fresh 64 KiB-cluster image.
_TRUNCATIONS = {
    "trunc-0": (0, 0, "virtual size: 0 B", "empty file reads as raw"),
    "trunc-inside-magic": (3, 0, "file format: raw", "too short to be qcow2: raw"),
    "trunc-50": (50, 1, "qcow2 header too short", "truncated header"),
    "trunc-v3-header": (100, 1, "qcow2 header too short", "inside the v3 fields"),
    "trunc-after-header": (112, 0, "file format: qcow2", "extensions cut off (read as zeros)"),
    "trunc-inside-extensions": (0x100, 0, "file format: qcow2", "feature table cut off"),
    "trunc-after-header-cluster": (0x10000, 0, "file format: qcow2", "refcount table missing"),
    "trunc-inside-refcount-block": (0x20010, 0, "file format: qcow2", "refcount block cut"),
    "trunc-inside-l1": (0x30004, 0, "file format: qcow2", "L1 cut"),
}


def cases() -> list[Case]:
    out = [Case(n, rc, frag, why) for n, (_, rc, frag, why) in _PATCHES.items()]
    out += [Case(n, rc, frag, why) for n, (_, rc, frag, why) in _TRUNCATIONS.items()]
    return out


def build(name: str, directory: Path) -> str:
    """Writes the image of case `name` into `directory`; returns its file name."""
    base = directory / "base.qcow2"
    if not base.exists():
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(base), "16M"], check=True)
    data = bytearray(base.read_bytes())
    if name in _PATCHES:
        for offset, (fmt, value) in _PATCHES[name][0].items():
            struct.pack_into(">" + fmt, data, offset, value)
    else:
        data = data[:_TRUNCATIONS[name][0]]
    image = f"{name}.img"
    (directory / image).write_bytes(bytes(data))
    return image
