"""File-level shrinking of a diverging image: zero and cut clusters while the divergence persists.

The predicate reruns both tools on the image directory and says whether the divergence still has
the same signature (differential.signature), so a reduction that turns one bug into another is
not kept. Zeroing works from large chunks down to single clusters (delta debugging), then the
trailing zero clusters are cut off; zeroed metadata reads as "unallocated", so what survives is
the metadata and data the divergence needs.
"""
from __future__ import annotations

import struct
import time
from pathlib import Path
from typing import Callable

QCOW2_MAGIC = b"QFI\xfb"


def unit(data: bytes) -> int:
    """The shrinking granularity: the qcow2 cluster size, 512 bytes for anything else."""
    if len(data) >= 24 and data[:4] == QCOW2_MAGIC:
        bits = struct.unpack(">I", data[20:24])[0]
        if 9 <= bits <= 21:
            return 1 << bits
    return 512


def shrink_bytes(data: bytes, still_fails: Callable[[bytes], bool], budget_seconds: float,
                 granule: int | None = None) -> tuple[bytes, bool]:
    """Returns (smallest failing variant found, whether shrinking ran to completion)."""
    deadline = time.monotonic() + budget_seconds
    size = granule or unit(data)
    buf = bytearray(data)
    n = (len(buf) + size - 1) // size
    chunk = max(1, n // 2)
    while True:
        for start in range(0, n, chunk):
            if time.monotonic() > deadline:
                return bytes(buf), False
            lo, hi = start * size, min(len(buf), (start + chunk) * size)
            if not any(buf[lo:hi]):
                continue
            trial = bytearray(buf)
            trial[lo:hi] = bytes(hi - lo)
            if still_fails(bytes(trial)):
                buf = trial
        if chunk == 1:
            break
        chunk = max(1, chunk // 2)
    end = len(buf)
    while end > 0 and not any(buf[max(0, end - size):end]):
        end = max(0, end - size)
    if end < len(buf) and time.monotonic() <= deadline and still_fails(bytes(buf[:end])):
        buf = buf[:end]
    return bytes(buf), True


# Files above this are not read into memory (sparse raw companions can be gigabytes): they
# only get the one cheap attempt of being emptied.
MAX_IN_MEMORY = 64 << 20


def shrink_image(path: Path, still_fails: Callable[[], bool], budget_seconds: float) -> bool:
    """Shrinks the file at path in place; still_fails() reruns the divergence on it. Returns
    whether shrinking completed within the budget. The file always ends up failing."""
    if path.stat().st_size > MAX_IN_MEMORY:
        saved = path.with_name(path.name + ".shrink-saved")
        path.rename(saved)
        path.write_bytes(b"")
        if still_fails():
            saved.unlink()
            return True
        path.unlink()
        saved.rename(path)
        return False
    original = path.read_bytes()

    def check(candidate: bytes) -> bool:
        path.write_bytes(candidate)
        return still_fails()

    result, complete = shrink_bytes(original, check, budget_seconds)
    path.write_bytes(result)
    return complete
