"""File-level shrinking (instar_oracle.shrink) on synthetic predicates."""
from __future__ import annotations

import struct

from instar_oracle import shrink


def _qcow2_like(clusters: int, bits: int = 9) -> bytes:
    size = 1 << bits
    data = bytearray(b"\x5a" * (clusters * size))
    data[:4] = shrink.QCOW2_MAGIC
    data[20:24] = struct.pack(">I", bits)
    return bytes(data)


def test_unit_is_the_cluster_size_or_a_sector():
    assert shrink.unit(_qcow2_like(2, 16)) == 65536
    assert shrink.unit(b"\0" * 4096) == 512
    bad = bytearray(_qcow2_like(1))
    bad[20:24] = struct.pack(">I", 40)
    assert shrink.unit(bytes(bad)) == 512


def test_keeps_only_what_the_failure_needs():
    data = _qcow2_like(64)
    calls = []

    def fails(b: bytes) -> bool:
        calls.append(len(b))
        return b[:4] == shrink.QCOW2_MAGIC and len(b) > 10 * 512 + 7 and b[10 * 512 + 7] == 0x5a

    out, complete = shrink.shrink_bytes(data, fails, 30)
    assert complete and fails(out)
    assert len(out) == 11 * 512                        # trailing zero clusters cut off
    nonzero = {i // 512 for i, v in enumerate(out) if v}
    assert nonzero == {0, 10}                          # only the two needed clusters survive
    assert len(calls) < 200


def test_never_returns_a_passing_variant():
    data = _qcow2_like(8)
    out, _ = shrink.shrink_bytes(data, lambda b: b == data, 30)
    assert out == data


def test_budget_stops_shrinking():
    out, complete = shrink.shrink_bytes(_qcow2_like(8), lambda b: True, 0)
    assert not complete and out == _qcow2_like(8)


def test_large_files_are_only_emptied(tmp_path, monkeypatch):
    monkeypatch.setattr(shrink, "MAX_IN_MEMORY", 4096)
    big = tmp_path / "big.raw"
    big.write_bytes(b"\1" * 8192)
    assert not shrink.shrink_image(big, lambda: big.stat().st_size > 0, 30)
    assert big.read_bytes() == b"\1" * 8192 and not (tmp_path / "big.raw.shrink-saved").exists()
    assert shrink.shrink_image(big, lambda: True, 30)
    assert big.read_bytes() == b""
