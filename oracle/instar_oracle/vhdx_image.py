"""Reads and patches vhdx images for the oracle's hostile variants: the structures qemu's
block/vhdx.h lays out (headers at 64 KiB and 128 KiB, the region table at 192 KiB, the metadata
table and the BAT the region table names), with their CRC32C checksums recomputed after each
edit so that a patch reaches the check it is aimed at."""
from __future__ import annotations

import struct
import uuid

KIB = 1 << 10
MIB = 1 << 20
HEADER_OFFSETS = (64 * KIB, 128 * KIB)
HEADER_SIZE = 4 * KIB
REGION_TABLE_OFFSET = 192 * KIB
REGION_TABLE_SIZE = 64 * KIB

BAT_GUID = uuid.UUID("2dc27766-f623-4200-9d64-115e9bfd4a08").bytes_le
METADATA_GUID = uuid.UUID("8b7ca206-4790-4b9a-b8fe-575f050f886e").bytes_le
FILE_PARAMS_GUID = uuid.UUID("caa16737-fa36-4d43-b3b6-33f0aa44e76b").bytes_le
VIRTUAL_SIZE_GUID = uuid.UUID("2fa54224-cd1b-4876-b211-5dbed83bf4b8").bytes_le
PAGE83_GUID = uuid.UUID("beca12ab-b2e6-4523-93ef-c309e000c746").bytes_le
LOGICAL_SECTOR_GUID = uuid.UUID("8141bf1d-a96f-4709-ba47-f233a8faab5f").bytes_le
PHYS_SECTOR_GUID = uuid.UUID("cda348c7-445d-4471-9cc9-e9885251c556").bytes_le
PARENT_LOCATOR_GUID = uuid.UUID("a8d35f2d-b30b-454d-abf7-d3d84834ab0c").bytes_le


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC32C (Castagnoli), as qemu's vhdx_checksum_calc(0xffffffff, ...) then the final xor."""
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def reseal(data: bytearray, offset: int, size: int) -> None:
    """Recomputes the checksum at offset + 4 over `size` bytes (the field counted as zero)."""
    struct.pack_into("<I", data, offset + 4, 0)
    struct.pack_into("<I", data, offset + 4, crc32c(bytes(data[offset:offset + size])))


class Image:
    """A vhdx image in memory, its structures located as qemu's open locates them."""

    def __init__(self, data: bytes):
        self.data = bytearray(data)

    # --- headers ----------------------------------------------------------------------------
    def current_header(self) -> int:
        seqs = [struct.unpack_from("<Q", self.data, o + 8)[0] for o in HEADER_OFFSETS]
        return HEADER_OFFSETS[0] if seqs[0] > seqs[1] else HEADER_OFFSETS[1]

    def patch_header(self, fmt: str, field: int, value, which=None, seal=True) -> None:
        offsets = HEADER_OFFSETS if which is None else (which,)
        for o in offsets:
            struct.pack_into(fmt, self.data, o + field, value)
            if seal:
                reseal(self.data, o, HEADER_SIZE)

    # --- region table -----------------------------------------------------------------------
    def regions(self):
        count = struct.unpack_from("<I", self.data, REGION_TABLE_OFFSET + 8)[0]
        out = []
        for i in range(min(count, 2047)):
            at = REGION_TABLE_OFFSET + 16 + 32 * i
            guid = bytes(self.data[at:at + 16])
            off, length, bits = struct.unpack_from("<QII", self.data, at + 16)
            out.append((at, guid, off, length, bits))
        return out

    def region(self, guid: bytes):
        for entry in self.regions():
            if entry[1] == guid:
                return entry
        raise KeyError(guid)

    def patch_region_table(self, fmt: str, field: int, value, seal=True) -> None:
        struct.pack_into(fmt, self.data, REGION_TABLE_OFFSET + field, value)
        if seal:
            reseal(self.data, REGION_TABLE_OFFSET, REGION_TABLE_SIZE)

    def bat_offset(self) -> int:
        return self.region(BAT_GUID)[2]

    def metadata_offset(self) -> int:
        return self.region(METADATA_GUID)[2]

    # --- metadata ---------------------------------------------------------------------------
    def metadata_entry(self, guid: bytes) -> int:
        """The file offset of the metadata table entry with item id `guid`."""
        base = self.metadata_offset()
        count = struct.unpack_from("<H", self.data, base + 10)[0]
        for i in range(count):
            at = base + 32 + 32 * i
            if bytes(self.data[at:at + 16]) == guid:
                return at
        raise KeyError(guid)

    def metadata_item(self, guid: bytes) -> int:
        """The file offset of the item the entry `guid` points at."""
        at = self.metadata_entry(guid)
        return self.metadata_offset() + struct.unpack_from("<I", self.data, at + 16)[0]

    def bat_entry(self, index: int) -> int:
        return struct.unpack_from("<Q", self.data, self.bat_offset() + 8 * index)[0]

    def set_bat_entry(self, index: int, value: int) -> None:
        struct.pack_into("<Q", self.data, self.bat_offset() + 8 * index, value)

    def put(self, fmt: str, offset: int, value) -> None:
        struct.pack_into(fmt, self.data, offset, value)

    def bytes(self) -> bytes:
        return bytes(self.data)
