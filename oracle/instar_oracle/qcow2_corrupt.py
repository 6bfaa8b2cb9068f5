"""Crafted qcow2 metadata corruptions for the check oracle: patch refcounts, L1/L2 and
refcount-table entries of an image made by qemu-img, in place."""
from __future__ import annotations

import struct
from pathlib import Path


class Qcow2File:
    """Header fields needed to locate the tables, read from the image itself."""

    def __init__(self, path: Path):
        self.path = Path(path)
        head = self.path.read_bytes()[:112]
        version = struct.unpack_from(">I", head, 4)[0]
        self.cluster_size = 1 << struct.unpack_from(">I", head, 20)[0]
        self.l1_offset = struct.unpack_from(">Q", head, 40)[0]
        self.reftable_offset = struct.unpack_from(">Q", head, 48)[0]
        self.refcount_bits = 1 << (struct.unpack_from(">I", head, 96)[0] if version >= 3 else 4)
        incompatible = struct.unpack_from(">Q", head, 72)[0] if version >= 3 else 0
        self.l2_entry_size = 16 if incompatible & (1 << 4) else 8

    def _read_u64(self, offset: int) -> int:
        with open(self.path, "rb") as f:
            f.seek(offset)
            return struct.unpack(">Q", f.read(8))[0]

    def _write(self, offset: int, data: bytes) -> None:
        with open(self.path, "r+b") as f:
            f.seek(offset)
            f.write(data)

    def set_l1(self, index: int, value: int) -> None:
        self._write(self.l1_offset + 8 * index, struct.pack(">Q", value))

    def l2_entry_offset(self, l1_index: int, l2_index: int) -> int:
        l2 = self._read_u64(self.l1_offset + 8 * l1_index) & 0x00FFFFFFFFFFFE00
        assert l2, "no L2 table behind that L1 entry"
        return l2 + self.l2_entry_size * l2_index

    def set_l2(self, l1_index: int, l2_index: int, value: int) -> None:
        self._write(self.l2_entry_offset(l1_index, l2_index), struct.pack(">Q", value))

    def set_reftable(self, index: int, value: int) -> None:
        self._write(self.reftable_offset + 8 * index, struct.pack(">Q", value))

    def set_refcount(self, cluster: int, value: int) -> None:
        per_block = self.cluster_size * 8 // self.refcount_bits
        block = self._read_u64(self.reftable_offset + 8 * (cluster // per_block))
        assert block, "no refcount block covers that cluster"
        bit = (cluster % per_block) * self.refcount_bits
        if self.refcount_bits >= 8:
            self._write(block + bit // 8, value.to_bytes(self.refcount_bits // 8, "big"))
            return
        # Sub-byte widths are packed from the least significant bit of each byte.
        with open(self.path, "r+b") as f:
            f.seek(block + bit // 8)
            byte = f.read(1)[0]
            mask = ((1 << self.refcount_bits) - 1) << (bit % 8)
            byte = (byte & ~mask) | ((value << (bit % 8)) & mask)
            f.seek(block + bit // 8)
            f.write(bytes([byte]))


def apply(path: Path, action: str, *args: int) -> None:
    """One corruption: set-ref CLUSTER VALUE, set-l1 IDX VALUE, set-l2 L1IDX L2IDX VALUE,
    set-rt IDX VALUE, truncate SIZE."""
    if action == "truncate":
        with open(path, "r+b") as f:
            f.truncate(args[0])
        return
    image = Qcow2File(path)
    {"set-ref": image.set_refcount, "set-l1": image.set_l1, "set-l2": image.set_l2,
     "set-rt": image.set_reftable}[action](*args)


if __name__ == "__main__":
    import sys
    apply(Path(sys.argv[1]), sys.argv[2], *(int(a, 0) for a in sys.argv[3:]))
