"""LUKS v1 header cases the qcow2 (encrypt.format=luks) and raw luks oracle suites share: the
header variants qemu-img 7.2 creates and the header corruptions, each as qemu checks it."""
from __future__ import annotations

import struct

from instar_oracle import runner
# (name, LUKS options beyond the key) as qemu-img 7.2 creates them.
VARIANTS = {
    "default": {},
    "aes128-cbc-essiv": {"cipher-alg": "aes-128", "cipher-mode": "cbc", "ivgen-alg": "essiv",
                         "ivgen-hash-alg": "sha256", "hash-alg": "sha1"},
    "serpent192-cbc-plain": {"cipher-alg": "serpent-192", "cipher-mode": "cbc",
                             "ivgen-alg": "plain"},
    "twofish128-xts": {"cipher-alg": "twofish-128", "hash-alg": "sha512"},
    "cast5-cbc-plain64": {"cipher-alg": "cast5-128", "cipher-mode": "cbc"},
}


def patched(src, dst, offset_from_luks, data):
    """Copies `src` to `dst` with `data` written at `offset_from_luks` from its LUKS header."""
    raw = bytearray(src.read_bytes())
    at = raw.find(b"LUKS\xba\xbe")
    assert at >= 0
    raw[at + offset_from_luks:at + offset_from_luks + len(data)] = data
    dst.write_bytes(bytes(raw))


def text32(s: bytes) -> bytes:
    return s + b"\0" * (32 - len(s))


# Corruptions of the LUKS header: (offset from the header's start, bytes).
CORRUPT = {
    "magic": (0, b"l"),
    "version": (6, struct.pack(">H", 2)),
    "slot3-stripes-zero": (208 + 3 * 48 + 44, struct.pack(">I", 0)),
    "slot2-state": (208 + 2 * 48, struct.pack(">I", 0x1234)),
    "payload-overlap": (104, struct.pack(">I", 100)),
    "slots-overlap": (208 + 5 * 48 + 40, struct.pack(">I", 8 + 504 + 8)),
    "mode-no-dash": (40, text32(b"xtsplain64")),
    "mode-unknown": (40, text32(b"lrw-plain64")),
    "ivgen-unknown": (40, text32(b"xts-benbi")),
    "ivhash-unknown": (40, text32(b"xts-plain64:whirlpool")),
    "essiv-no-hash": (40, text32(b"xts-essiv")),
    "essiv-sha1": (40, text32(b"xts-essiv:sha1")),
    "cipher-unknown": (8, text32(b"des")),
    "cipher-unterminated": (8, b"a" * 32),
    "hash-unknown": (72, text32(b"sha3")),
    "key-size": (108, struct.pack(">I", 40)),
    "uuid-unterminated": (168, b"u" * 40),
    "mode-unterminated": (40, b"m" * 32),
    "hash-unterminated": (72, b"h" * 32),
    "payload-in-header": (104, struct.pack(">I", 7)),
    "key-iterations-zero": (164, struct.pack(">I", 0)),
    "slot0-iterations-zero": (208 + 4, struct.pack(">I", 0)),
    "slot0-in-header": (208 + 40, struct.pack(">I", 7)),
    "slot3-stripes": (208 + 3 * 48 + 44, struct.pack(">I", 3999)),
}


def create(argv, cwd, attempts: int = 20) -> bool:
    """Runs a `qemu-img create` of a LUKS header; true when it made the image. qemu times its
    PBKDF2 iterations against the CPU time it measured, and with a short iter-time on a busy
    machine that measure can be 0 ("Unable to get accurate CPU usage"): such runs are retried."""
    for _ in range(attempts):
        run = runner.run(argv, cwd)
        if run.rc == 0:
            return True
        if b"Unable to get accurate CPU usage" not in run.stderr:
            return False
    return False

