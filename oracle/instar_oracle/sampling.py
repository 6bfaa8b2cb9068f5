"""Fixed samples of the largest oracle grids for the default test run, and the whole grids on
demand.

The default run (scripts/test, CI) keeps a fixed, representative part of a grid whose cells
repeat what other cells already show (the same guest work rendered under another output profile,
say); `INSTAR_FULL_GRIDS=1` (scripts/oracle-full-grids) runs every cell. The choice is a stable
hash of the cell's name, so a cell is in the sample in every run on every machine, and a
failure found by the full run reproduces by name."""
from __future__ import annotations

import os
import zlib

FULL_GRIDS = os.environ.get("INSTAR_FULL_GRIDS") == "1"


def keep(cell: str, one_in: int) -> bool:
    """Whether the cell named `cell` runs: always with the full grids, else for a fixed 1 in
    `one_in` of the names."""
    return FULL_GRIDS or zlib.crc32(cell.encode()) % one_in == 0
