"""The hostile corpus: images built to attack qemu-img, each with its expected answer per command.

Every case is built on demand into a case directory laid out as

    <tmp>/images/<the case's files>     the command runs here; this is the allowed root
    <tmp>/outside/sentinel.qcow2        a file no case may make instar open or stat
    <tmp>/outside/sentinel.raw

Metadata cases patch single fields of (or cut) a fresh qemu-img qcow2; chain and data-file cases
are small directory layouts. None of them is ever given to the real qemu-img by a test
(DESIGN §5). Each case has one row in a table: its expected outcome under every command of
COMMANDS. An outcome is what qemu-img 7.2 answers, established once by hand in a scratch
directory for cases that only read the image, and by reading qemu's source for cases where qemu
would reach outside the directory or into the network (the reasoning is written next to them).
Where instar deliberately answers differently (the allow-list of docs/chains.md), the outcome
is instar's, and `qemu` says what qemu-img does instead. Where instar does not give qemu's answer
yet, `pending` says why: the test then checks everything but the answer, and xfails on it.
"""
from __future__ import annotations

import dataclasses
import struct
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

# The commands every case runs through (oracle/tests/test_hostile_commands.py).
INFO, INFO_JSON = "info", "info-json"
CHAIN, CHAIN_JSON = "info-chain", "info-chain-json"
CHECK, CHECK_JSON = "check", "check-json"
COMPARE_CLEAN, COMPARE_SELF = "compare-clean", "compare-self"
COMMANDS = (INFO, INFO_JSON, CHAIN, CHAIN_JSON, CHECK, CHECK_JSON, COMPARE_CLEAN, COMPARE_SELF)
# The output profiles every case runs under (INSTAR_QEMU_VERSION): the safety properties hold
# under each, and the outcomes are the table's unless a case overrides them for a profile.
PROFILES = ("7.2", "8.2", "9.2", "10.0", "10.2")
# The profiles whose info opens an external data file: qemu 8.0 to 9.0 (before CVE-2024-4467's
# fix in 8.2.6 and 9.0.2); the 8.2 profile is 8.2.2's. instar opens it through the allow-list.
INFO_OPENS_DATA_FILE = ("8.2",)
CLEAN = "clean.qcow2"   # the well-formed 16 MiB qcow2 every case is compared with

# Reasons instar does not give qemu's answer yet (the test xfails on the answer only).


def argv(command: str, image: str, fmt: str | None = None) -> list[str]:
    """The instar arguments (after the global options) of `command` on `image`."""
    f = ["-f", fmt] if fmt else []
    return {
        INFO: ["info", *f, image],
        INFO_JSON: ["info", *f, "--output=json", image],
        CHAIN: ["info", *f, "--backing-chain", image],
        CHAIN_JSON: ["info", *f, "--backing-chain", "--output=json", image],
        CHECK: ["check", *f, image],
        CHECK_JSON: ["check", *f, "--output=json", image],
        COMPARE_CLEAN: ["compare", *f, *(["-F", "qcow2"] if fmt else []), image, CLEAN],
        COMPARE_SELF: ["compare", *f, *(["-F", fmt] if fmt else []), image, image],
    }[command]


@dataclasses.dataclass(frozen=True)
class Outcome:
    rc: int
    text: str             # a fragment of stdout (`out`) or stderr (`err`); "{image}" stands for
    stream: str = "out"   # the case's image name as given on the command line
    qemu: str = ""        # set when instar deliberately differs: what qemu-img 7.2 does instead
    pending: str = ""     # set when instar does not give this answer yet: why


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    why: str                          # the attack, CVE class or iotests case it stands for
    expect: dict[str, Outcome]        # command -> outcome, one for every command in COMMANDS
    image: str = ""                   # the file the commands name (default "<name>.img")
    fmt: str | None = None            # -f for the commands (compare: -f and -F)
    reaches_out: bool = False         # names something outside images/: the sentinel case
    # profile -> command -> outcome, where a profile's answer differs from `expect`'s.
    by_profile: dict[str, dict[str, Outcome]] = dataclasses.field(default_factory=dict)

    @property
    def top(self) -> str:
        return self.image or f"{self.name}.img"

    # The info answer, for the KVM equivalence suite.
    @property
    def rc(self) -> int:
        return self.expect[INFO].rc


def expected(case: Case, command: str, profile: str = PROFILES[0]) -> Outcome:
    """The outcome of `command` on `case` under output profile `profile`."""
    return case.by_profile.get(profile, {}).get(command, case.expect[command])


def mismatch(case: Case, command: str, stdout: bytes, stderr: bytes, rc: int | None,
             profile: str = PROFILES[0]) -> str | None:
    """None when a run of `command` on `case` under `profile` gives the table's outcome, else
    what differs."""
    want = expected(case, command, profile)
    text = want.text.replace("{image}", case.top)
    out = stdout.decode(errors="replace")
    err = stderr.decode(errors="replace")
    if rc != want.rc:
        return f"rc {rc}, want {want.rc}: stdout {out[:300]!r} stderr {err[:300]!r}"
    got = out if want.stream == "out" else err
    if text not in got:
        return f"{text!r} not in {want.stream} {got[:600]!r}"
    # An open error prints nothing on stdout (check may print a partial result before failing).
    if want.stream == "err" and want.rc in (1, 2) and command not in (CHECK, CHECK_JSON) and out:
        return f"an error with output on stdout: {out[:300]!r}"
    return None


def _err(rc: int, text: str, **kw) -> Outcome:
    return Outcome(rc, text, "err", **kw)


def fails_to_open(message: str, **kw) -> dict[str, Outcome]:
    """Every command fails in qcow2_open with `message`: info/check rc 1, compare rc 2."""
    text = "Could not open '{image}': " + message
    return {c: _err(2 if c in (COMPARE_CLEAN, COMPARE_SELF) else 1, text, **kw) for c in COMMANDS}


def opens(info: str, info_json: str, check: tuple[Outcome, Outcome], clean: Outcome,
          self_: Outcome) -> dict[str, Outcome]:
    """The image opens: info and info --backing-chain (one image) succeed; check (human, JSON)
    and compare (with the clean image, with itself) as given."""
    return {INFO: Outcome(0, info), INFO_JSON: Outcome(0, info_json),
            CHAIN: Outcome(0, info), CHAIN_JSON: Outcome(0, info_json),
            CHECK: check[0], CHECK_JSON: check[1], COMPARE_CLEAN: clean, COMPARE_SELF: self_}


def checked(rc: int, summary: str, json: str) -> tuple[Outcome, Outcome]:
    """check's answer: its human summary line and a JSON member, both on stdout."""
    return Outcome(rc, summary), Outcome(rc, json)


def corrupt(errors: int) -> tuple[Outcome, Outcome]:
    return checked(2, f"\n{errors} errors were found on the image.",
                   f'"corruptions": {errors},')


def leaking(leaks: int) -> tuple[Outcome, Outcome]:
    return checked(3, f"\n{leaks} leaked clusters were found on the image.", f'"leaks": {leaks},')


NO_ERRORS = checked(0, "No errors were found on the image.", '"check-errors": 0,')
RAW_NO_CHECK = (_err(63, "This image format does not support checks"),) * 2
IDENTICAL = Outcome(0, "Images are identical.")
IDENTICAL_SIZES_DIFFER = Outcome(0, "Warning: Image size mismatch!\nImages are identical.")
MISMATCH_AT_0 = Outcome(1, "Content mismatch at offset 0!")
REFUSED = "refused by instar: "
QCOW2 = ("file format: qcow2", '"format": "qcow2"')   # info's human and JSON fragments
VDI = ("file format: vdi", '"format": "vdi"')
QED = ("file format: qed", '"format": "qed"')
VPC = ("file format: vpc", '"format": "vpc"')
VHDX = ("file format: vhdx", '"format": "vhdx"')
VHDX_EINVAL = "Could not open '{image}': Invalid argument"
QCOW = ("file format: qcow", '"format": "qcow"')  # small-formats
PARALLELS = ("file format: parallels", '"format": "parallels"')
VPC_TRUNCATED = ("block-vpc: free_data_block_offset points after the end of file. The image has "
                 "been truncated.")


# --- metadata cases: header-field patches and truncations of a fresh 16 MiB, 64 KiB image ----
# Header field offsets (qemu-img-7.2.md §7).
BACKING_OFFSET, BACKING_SIZE, CLUSTER_BITS, SIZE = 8, 16, 20, 24
CRYPT, L1_SIZE, L1_OFFSET, RT_OFFSET, RT_CLUSTERS = 32, 36, 40, 48, 56
NB_SNAPSHOTS, SNAPSHOTS_OFFSET, INCOMPAT, REFCOUNT_ORDER, HEADER_LENGTH = 60, 64, 72, 96, 100


def _u32(v): return ("I", v)
def _u64(v): return ("Q", v)


_PATCHES = {
    "vsize-1pib": {SIZE: _u64(1 << 50), L1_SIZE: _u32(1 << 21)},
    "vsize-1pib-small-l1": {SIZE: _u64(1 << 50)},
    "vsize-2p62": {SIZE: _u64(1 << 62)},
    "vsize-max": {SIZE: _u64((1 << 64) - 512)},
    "l1-size-max": {L1_SIZE: _u32(0xffffffff)},
    "l1-size-over-limit": {L1_SIZE: _u32(0x2000001)},
    "l1-offset-unaligned": {L1_OFFSET: _u64(0x30001)},
    "l1-at-header": {L1_OFFSET: _u64(0)},
    "refcount-table-max": {RT_CLUSTERS: _u32(0xffffffff)},
    "refcount-table-unaligned": {RT_OFFSET: _u64(0x10001)},
    "refcount-table-none": {RT_CLUSTERS: _u32(0)},
    "refcount-order-7": {REFCOUNT_ORDER: _u32(7)},
    "snapshots-max": {NB_SNAPSHOTS: _u32(0xffffffff), SNAPSHOTS_OFFSET: _u64(0x40000)},
    "snapshots-unaligned": {NB_SNAPSHOTS: _u32(1), SNAPSHOTS_OFFSET: _u64(0x30001)},
    "header-length-huge": {HEADER_LENGTH: _u32(0x20000)},
    "header-length-short": {HEADER_LENGTH: _u32(100)},
    "cluster-bits-8": {CLUSTER_BITS: _u32(8)},
    "cluster-bits-31": {CLUSTER_BITS: _u32(31)},
    "crypt-method-3": {CRYPT: _u32(3)},
    "backing-size-huge": {BACKING_OFFSET: _u64(0x200), BACKING_SIZE: _u32(0xffffffff)},
    "backing-offset-past-end": {BACKING_OFFSET: _u64(0xfffffffffffff000),
                                BACKING_SIZE: _u32(8)},
    "incompat-unknown": {INCOMPAT: _u64(1 << 40)},
}

# Cuts at every structure boundary of the fresh image (header 0, refcount table 0x10000,
# refcount block 0x20000, L1 0x30000; 0x40000 bytes in all).
_TRUNCATIONS = {
    "trunc-0": 0, "trunc-inside-magic": 3, "trunc-50": 50, "trunc-v3-header": 100,
    "trunc-after-header": 112, "trunc-inside-extensions": 0x100,
    "trunc-after-header-cluster": 0x10000, "trunc-inside-refcount-block": 0x20010,
    "trunc-inside-l1": 0x30004,
}

# Pointer cases on an image with data (see _data_image): L1 at 0x30000, L2 at 0x40000, a normal
# cluster at guest offset 0 and a compressed one at 64 KiB. Entry values are built from the
# image's real offsets by _patch_pointers.
COPIED = 1 << 63
COMPRESSED = 1 << 62

# --- builders ------------------------------------------------------------------------------------

_BASES: dict[str, bytes] = {}


def _base(kind: str) -> bytes:
    """A fresh 16 MiB qcow2 (`plain`), or one with a normal cluster at 0 and a compressed one at
    64 KiB (`data`), made once per process by qemu-img/qemu-io on well-formed input."""
    if kind not in _BASES:
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "base.qcow2"
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), "16M"],
                           check=True)
            if kind == "data":
                subprocess.run(["qemu-io", "-c", "write -P 0x11 0 64k",
                                "-c", "write -c -P 0x22 64k 64k", str(path)],
                               check=True, stdout=subprocess.DEVNULL)
            _BASES[kind] = path.read_bytes()
    return _BASES[kind]


def _be64(data, at): return struct.unpack_from(">Q", data, at)[0]


def _pointer_patch(name: str, data: bytearray) -> None:
    """Points one L1, L2 or refcount-table entry of the `data` image at a structure."""
    l1 = _be64(data, L1_OFFSET)
    rt = _be64(data, RT_OFFSET)
    l2 = _be64(data, l1) & 0x00fffffffffffe00
    compressed = _be64(data, l2 + 8)
    host = compressed & ((1 << 54) - 1)   # 64 KiB clusters: 54 offset bits, 8 sector-count bits
    entries = {
        "compressed-far-past-eof": (l2 + 8, COMPRESSED | (0xff << 54) | (1 << 53)),
        "compressed-span-past-eof": (l2 + 8, COMPRESSED | (0xff << 54) | host),
        "l2-entry-at-header": (l2, COPIED | 0),
        "l2-entry-at-l1": (l2, COPIED | l1),
        "l2-entry-at-itself": (l2, COPIED | l2),
        "l1-entry-at-header": (l1, COPIED | 0),
        "l1-entry-at-itself": (l1, COPIED | l1),
        "refcount-entry-at-header": (rt, 0),
        "refcount-entry-at-itself": (rt, rt),
    }
    at, value = entries[name]
    struct.pack_into(">Q", data, at, value)


_POINTER_CASES = ("compressed-far-past-eof", "compressed-span-past-eof", "l2-entry-at-header",
                  "l2-entry-at-l1", "l2-entry-at-itself", "l1-entry-at-header",
                  "l1-entry-at-itself", "refcount-entry-at-header", "refcount-entry-at-itself")


def _qimg(cwd: Path, *args: str) -> None:
    subprocess.run(["qemu-img", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def _overlay(d: Path, name: str, backing: str, fmt: str = "qcow2") -> None:
    """`name` with backing name `backing` (never opened: -u) and backing format `fmt`."""
    _qimg(d, "create", "-q", "-f", "qcow2", "-u", "-b", backing, "-F", fmt, name, "16M")


def _set_data_file(path: Path, name: str) -> None:
    """Rewrites the external data file name extension (0x44415441) of `path` to `name`."""
    data = bytearray(path.read_bytes())
    header_length = struct.unpack_from(">I", data, HEADER_LENGTH)[0]
    at, extensions = header_length, []
    while True:
        kind, length = struct.unpack_from(">II", data, at)
        if kind == 0:
            break
        extensions.append((kind, bytes(data[at + 8:at + 8 + length])))
        at += 8 + (length + 7) // 8 * 8
    area = b""
    for kind, body in extensions:
        body = name.encode() if kind == 0x44415441 else body
        area += struct.pack(">II", kind, len(body)) + body + bytes(-len(body) % 8)
    area += bytes(8)
    assert header_length + len(area) <= 0x10000 and not _be64(data, BACKING_OFFSET)
    data[header_length:at + 8] = bytes(at + 8 - header_length)
    data[header_length:header_length + len(area)] = area
    path.write_bytes(bytes(data))


def _with_data_file(d: Path, name: str, target: str) -> None:
    _qimg(d, "create", "-q", "-f", "qcow2", "-o", "data_file=placeholder.raw", name, "16M")
    (d / "placeholder.raw").unlink()
    _set_data_file(d / name, target)


def _chain(d: Path, n: int) -> None:
    _qimg(d, "create", "-q", "-f", "qcow2", "e0.qcow2", "16M")
    for i in range(1, n):
        _qimg(d, "create", "-q", "-f", "qcow2", "-b", f"e{i - 1}.qcow2", "-F", "qcow2",
              f"e{i}.qcow2")


def _vmdk_descriptor(d: Path, name: str, extent: str) -> None:
    """A monolithicFlat vmdk descriptor whose one extent is `extent` (qemu opens it as is)."""
    (d / name).write_bytes(
        b"# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\n"
        b'createType="monolithicFlat"\n\n# Extent description\n'
        b'RW 32768 FLAT "' + extent.encode() + b'" 0\n')


def _vmdk_table_past_eof(d: Path, name: str) -> None:
    """A 16 MiB monolithicSparse vmdk whose first grain directory entry points 1 TiB past EOF."""
    _qimg(d, "create", "-q", "-f", "vmdk", name, "16M")
    data = bytearray((d / name).read_bytes())
    gd = struct.unpack_from("<Q", data, 56)[0] * 512
    struct.pack_into("<I", data, gd, 0x7fffffff)
    (d / name).write_bytes(bytes(data))


def _vdi(d: Path, name: str, size: str, entries: dict[int, int] | None = None,
         header: dict[int, tuple[str, int]] | None = None, keep: int | None = None) -> None:
    """A qemu-made dynamic vdi with block map entries (index -> value) and header fields
    (offset -> (struct format, value)) replaced, cut to its first `keep` bytes."""
    _qimg(d, "create", "-q", "-f", "vdi", name, size)
    data = bytearray((d / name).read_bytes())
    bmap = struct.unpack_from("<I", data, 0x154)[0]
    for index, value in (entries or {}).items():
        struct.pack_into("<I", data, bmap + 4 * index, value)
    for offset, (fmt, value) in (header or {}).items():
        struct.pack_into("<" + fmt, data, offset, value)
    (d / name).write_bytes(bytes(data[:keep] if keep else data))


def _qed(d: Path, name: str, l1: dict[int, str] | None = None,
         header: dict[int, tuple[str, int]] | None = None) -> None:
    """A qemu-made 16 MiB qed (64 KiB clusters, 4-cluster tables) with its first cluster
    written, then L1 entries (index -> "l2", "l2+8", "l1" or "1") and header fields (offset ->
    (struct format, value)) replaced."""
    _qimg(d, "create", "-q", "-f", "qed", name, "16M")
    subprocess.run(["qemu-io", "-f", "qed", "-c", "write -P 0x11 0 64k", name], cwd=d,
                   check=True, stdout=subprocess.DEVNULL)
    data = bytearray((d / name).read_bytes())
    l1_at = struct.unpack_from("<Q", data, 0x28)[0]
    l2_at = struct.unpack_from("<Q", data, l1_at)[0]
    values = {"l2": l2_at, "l2+8": l2_at + 8, "l1": l1_at, "1": 1}
    for index, what in (l1 or {}).items():
        struct.pack_into("<Q", data, l1_at + 8 * index, values[what])
    for offset, (fmt, value) in (header or {}).items():
        struct.pack_into("<" + fmt, data, offset, value)
    (d / name).write_bytes(bytes(data))


def _vhdx(d: Path, name: str, edit) -> None:
    """A qemu-made 16 MiB dynamic vhdx (nothing written) edited by `edit(Image)`, its checksums
    recomputed by the edit (instar_oracle.vhdx_image)."""
    from instar_oracle.vhdx_image import Image
    _qimg(d, "create", "-q", "-f", "vhdx", name, "16M")
    image = Image((d / name).read_bytes())
    edit(image)
    (d / name).write_bytes(image.bytes())


def _vhdx_dirty(image) -> None:
    """A log entry qemu would replay: the log's first sector made a valid entry of the current
    header's log GUID."""
    import struct as _s
    from instar_oracle.vhdx_image import reseal
    log = image.current_header()
    offset = _s.unpack_from("<Q", image.data, log + 72)[0]
    guid = b"instar-dirty-log"
    entry = bytearray(4096)
    _s.pack_into("<4sIIIQII16sQQ", entry, 0, b"loge", 0, 4096, 0, 1, 0, 0, guid, 0, 0)
    image.data[offset:offset + 4096] = entry
    reseal(image.data, offset, 4096)
    image.patch_header("<16s", 48, guid)


def _qcow(d: Path, name: str, header: dict[int, tuple[str, int]] | None = None,
          backing: str | None = None) -> None:
    """small-formats: a qemu-made 16 MiB qcow (v1) with its first cluster written (or, with
    `backing`, an empty one naming it, never opened), header fields (offset -> (struct format,
    value), big-endian) replaced."""
    opts = ["-u", "-b", backing, "-F", "qcow2"] if backing else []
    _qimg(d, "create", "-q", "-f", "qcow", *opts, name, "16M")
    if not backing:
        subprocess.run(["qemu-io", "-f", "qcow", "-c", "write -P 0x11 0 4k", name], cwd=d,
                       check=True, stdout=subprocess.DEVNULL)
    data = bytearray((d / name).read_bytes())
    for offset, (fmt, value) in (header or {}).items():
        struct.pack_into(">" + fmt, data, offset, value)
    (d / name).write_bytes(bytes(data))


def _parallels(d: Path, name: str, header: dict[int, tuple[str, int]] | None = None) -> None:
    """small-formats: a qemu-made 16 MiB parallels image with its first cluster written, header
    fields (offset -> (struct format, value), little-endian) replaced."""
    _qimg(d, "create", "-q", "-f", "parallels", name, "16M")
    subprocess.run(["qemu-io", "-f", "parallels", "-c", "write -P 0x11 0 4k", name], cwd=d,
                   check=True, stdout=subprocess.DEVNULL)
    data = bytearray((d / name).read_bytes())
    for offset, (fmt, value) in (header or {}).items():
        struct.pack_into("<" + fmt, data, offset, value)
    (d / name).write_bytes(bytes(data))


def _vpc(d: Path, name: str, entries: dict[int, int] | None = None,
         fields: dict[int, tuple[str, object]] | None = None, seal: bool = True) -> None:
    """A qemu-made 16 MiB dynamic vpc with BAT entries (index -> value) and fields (offset ->
    (struct format, value); bytes values copied) replaced, its footer's checksum recomputed
    unless `seal` is off."""
    _qimg(d, "create", "-q", "-f", "vpc", name, "16M")
    data = bytearray((d / name).read_bytes())
    bat = struct.unpack_from(">Q", data, 0x200 + 0x10)[0]
    for index, value in (entries or {}).items():
        struct.pack_into(">I", data, bat + 4 * index, value)
    for offset, (fmt, value) in (fields or {}).items():
        if isinstance(value, bytes):
            data[offset:offset + len(value)] = value
        else:
            struct.pack_into(">" + fmt, data, offset, value)
    if seal:
        struct.pack_into(">I", data, 0x40, 0)
        struct.pack_into(">I", data, 0x40, ~sum(data[:512]) & 0xffffffff)
    (d / name).write_bytes(bytes(data))


# name -> builder(images dir, outside dir) for the layout cases; the top image is Case.image.
_LAYOUTS: dict[str, Callable[[Path, Path], None]] = {
    "backing-dotdot": lambda d, o: _overlay(d, "top.qcow2", "../outside/sentinel.qcow2"),
    "backing-absolute": lambda d, o: _overlay(d, "top.qcow2", f"{o}/sentinel.qcow2"),
    "backing-symlink-out": lambda d, o: (
        (d / "link.qcow2").symlink_to("../outside/sentinel.qcow2"),
        _overlay(d, "top.qcow2", "link.qcow2")),
    "backing-json": lambda d, o: _overlay(
        d, "top.qcow2", 'json:{"driver":"qcow2","file":{"driver":"file","filename":"'
        f'{o}/sentinel.qcow2"}}}}'),
    "backing-nbd": lambda d, o: _overlay(d, "top.qcow2", "nbd://127.0.0.1:10809/x", "raw"),
    "backing-file-protocol": lambda d, o: _overlay(d, "top.qcow2", "file:/etc/passwd", "raw"),
    "chain-cycle-self": lambda d, o: (
        _qimg(d, "create", "-q", "-f", "qcow2", "a.qcow2", "16M"),
        _qimg(d, "rebase", "-u", "-b", "a.qcow2", "-F", "qcow2", "a.qcow2")),
    "chain-cycle-ab": lambda d, o: (_overlay(d, "a.qcow2", "b.qcow2"),
                                    _overlay(d, "b.qcow2", "a.qcow2")),
    "chain-depth-17": lambda d, o: _chain(d, 17),
    # The middle element is a qcow2 file recorded as raw: qemu reads it as raw and stops there,
    # never following the outside backing file the qcow2 header inside it names.
    "chain-raw-over-qcow2": lambda d, o: (_overlay(d, "mid.qcow2", "../outside/sentinel.qcow2"),
                                          _overlay(d, "top.qcow2", "mid.qcow2", "raw")),
    "datafile-absolute": lambda d, o: _with_data_file(d, "top.qcow2", f"{o}/sentinel.raw"),
    "datafile-dotdot": lambda d, o: _with_data_file(d, "top.qcow2", "../outside/sentinel.raw"),
    "datafile-symlink-out": lambda d, o: (
        (d / "link.raw").symlink_to("../outside/sentinel.raw"),
        _with_data_file(d, "top.qcow2", "link.raw")),
    "datafile-is-symlink": lambda d, o: (
        (d / "real.raw").write_bytes(bytes(16 << 20)), (d / "link.raw").symlink_to("real.raw"),
        _with_data_file(d, "top.qcow2", "link.raw")),
    # Raw content that begins with a qcow2 header naming an outside backing file (what a guest
    # can write into its raw disk): probed it is qcow2 (CVE-2008-2004); with -f raw it is data.
    "confusion-probed": lambda d, o: _overlay(d, "disk.img", "../outside/sentinel.qcow2"),
    "confusion-raw": lambda d, o: _overlay(d, "disk.img", "../outside/sentinel.qcow2"),
    "vmdk-extent-dotdot": lambda d, o: _vmdk_descriptor(d, "disk.vmdk",
                                                        "../outside/sentinel.raw"),
    "vmdk-extent-absolute": lambda d, o: _vmdk_descriptor(d, "disk.vmdk", "/etc/passwd"),
    "vmdk-table-past-eof": lambda d, o: _vmdk_table_past_eof(d, "disk.vmdk"),
    # 200 blocks, the map cut after its first sector: entries 128-199 read as 0.
    "vdi-map-truncated": lambda d, o: _vdi(d, "disk.vdi", "200M", keep=0x400),
    "vdi-map-past-eof": lambda d, o: _vdi(d, "disk.vdi", "16M", {0: 5}),
    "vdi-map-duplicated": lambda d, o: _vdi(d, "disk.vdi", "16M", {i: 3 for i in range(16)}),
    "vdi-size-huge": lambda d, o: _vdi(d, "disk.vdi", "16M", header={0x170: ("Q", 1 << 60)}),
    "vdi-blocks-too-many": lambda d, o: _vdi(d, "disk.vdi", "16M",
                                             header={0x180: ("I", 0xffffffff)}),
    "qed-l1-past-eof": lambda d, o: _qed(d, "disk.qed", header={0x28: ("Q", 1 << 40)}),
    "qed-l2-unaligned": lambda d, o: _qed(d, "disk.qed", {0: "l2+8"}),
    "qed-l2-duplicated": lambda d, o: _qed(d, "disk.qed", {1: "l2", 2: "l2", 3: "l2"}),
    "qed-l2-is-l1": lambda d, o: _qed(d, "disk.qed", {0: "l1"}),
    "qed-size-huge": lambda d, o: _qed(d, "disk.qed", header={0x30: ("Q", 1 << 60)}),
    "qed-backing-name-past-header": lambda d, o: _qed(
        d, "disk.qed", header={0x10: ("Q", 1), 0x38: ("I", 0x10000), 0x3c: ("I", 16)}),
    "vhdx-log-replay": lambda d, o: _vhdx(d, "disk.vhdx", _vhdx_dirty),
    "vhdx-region-overlap": lambda d, o: _vhdx(
        d, "disk.vhdx", lambda im: im.patch_region_table("<Q", 16 + 16, im.metadata_offset())),
    "vhdx-bat-past-eof": lambda d, o: _vhdx(d, "disk.vhdx",
                                            lambda im: im.set_bat_entry(0, (1 << 40) | 6)),
    "vhdx-bat-region-2g": lambda d, o: _vhdx(d, "disk.vhdx", lambda im: (
        im.patch_region_table("<Q", 16 + 16, 1 << 40),
        im.patch_region_table("<I", 16 + 24, 0x7ffffe00))),
    "vhdx-metadata-count-huge": lambda d, o: _vhdx(
        d, "disk.vhdx", lambda im: im.put("<H", im.metadata_offset() + 10, 0xffff)),
    # small-formats: qcow (v1)
    "qcow-backing-dotdot": lambda d, o: _qcow(d, "top.qcow", backing="../outside/sentinel.qcow2"),
    "qcow-size-huge": lambda d, o: _qcow(d, "disk.qcow", {0x18: ("Q", (1 << 64) - 16)}),
    "qcow-l1-past-max": lambda d, o: _qcow(d, "disk.qcow", {0x28: ("Q", 0x7fffffffc0000000)}),
    "qcow-backing-name-long": lambda d, o: _qcow(d, "disk.qcow", {0x08: ("Q", 48),
                                                                   0x10: ("I", 4096)}),
    "parallels-catalog-huge": lambda d, o: _parallels(d, "disk.prl", {0x20: ("I", 0x1fffffff)}),
    "parallels-bat-past-eof": lambda d, o: _parallels(d, "disk.prl", {0x40: ("I", 0xffffffff)}),
    "parallels-ext-past-max": lambda d, o: _parallels(d, "disk.prl",
                                                      {0x38: ("Q", 0x3fffffffe00000)}),
    "vpc-bat-past-eof": lambda d, o: _vpc(d, "disk.vhd", fields={0x210: ("Q", 1 << 40)}),
    "vpc-bat-entry-past-eof": lambda d, o: _vpc(d, "disk.vhd", {0: 0x7fffffff}),
    "vpc-block-size-huge": lambda d, o: _vpc(d, "disk.vhd", fields={0x220: ("I", 1 << 31)}),
    "vpc-block-size-odd": lambda d, o: _vpc(d, "disk.vhd", fields={0x220: ("I", 0xffffffff)}),
    "vpc-checksum-bad": lambda d, o: _vpc(d, "disk.vhd", fields={0x1ff: ("B", 1)},
                                          seal=False),
    "vpc-table-entries-negative": lambda d, o: _vpc(d, "disk.vhd",
                                                    fields={0x21c: ("I", 0x80000000)}),
    "vpc-table-entries-huge": lambda d, o: _vpc(d, "disk.vhd", fields={
        0x21c: ("I", 0x1fffff80), 0x220: ("I", 512)}),
    "vpc-size-huge": lambda d, o: _vpc(d, "disk.vhd", fields={
        0x1c: ("", b"win "), 0x30: ("Q", 1 << 60)}),
}


def build(case: Case, root: Path) -> Path:
    """Lays case `case` out under `root` (images/, outside/, the clean image); returns images/."""
    images, outside = root / "images", root / "outside"
    images.mkdir(parents=True, exist_ok=True)
    outside.mkdir(exist_ok=True)
    (outside / "sentinel.qcow2").write_bytes(_base("plain"))
    (outside / "sentinel.raw").write_bytes(b"sentinel\n" * 1000)
    (images / CLEAN).write_bytes(_base("plain"))
    name = case.name
    if name in _LAYOUTS:
        _LAYOUTS[name](images, outside)
        return images
    if name in _TRUNCATIONS:
        data = bytearray(_base("plain")[:_TRUNCATIONS[name]])
    elif name in _PATCHES:
        data = bytearray(_base("plain"))
        for offset, (fmt, value) in _PATCHES[name].items():
            struct.pack_into(">" + fmt, data, offset, value)
    else:
        data = bytearray(_base("data"))
        _pointer_patch(name, data)
    (images / case.top).write_bytes(bytes(data))
    return images


# --- the table: every case, its attack, and its outcome under every command ---------------------

def _check_refused(qemu: str = "No errors were found on the image.") -> dict[str, Outcome]:
    """check of an image whose backing or data file the allow-list refuses: qemu's img_check
    opens the whole chain (and the data file) before checking, and so does instar's, through
    the allow-list, which refuses the name as info --backing-chain does."""
    refused = _err(1, REFUSED, qemu=qemu)
    return {CHECK: refused, CHECK_JSON: refused}


def _chain_refused(info_line: str, info_json: str, qemu_chain: str, qemu_compare: str,
                   qemu_check: str = "No errors were found on the image.") -> dict[str, Outcome]:
    """A top image whose backing file the allow-list refuses. Plain info only prints the name;
    check and compare open the chain, so they refuse it as info --backing-chain does."""
    refused = _err(1, REFUSED, qemu=qemu_chain)
    return {INFO: Outcome(0, info_line), INFO_JSON: Outcome(0, info_json),
            CHAIN: refused, CHAIN_JSON: refused, **_check_refused(qemu_check),
            COMPARE_CLEAN: _err(2, REFUSED, qemu=qemu_compare),
            COMPARE_SELF: _err(2, REFUSED, qemu="Images are identical.")}


def _data_file(name: str, inside: bool) -> dict[str, Outcome]:
    """A qcow2 image with external data file `name`. qemu 7.2's info does not open the data file
    (the 8.0-9.0 profiles do: _DATA_FILE_OPENED_BY_INFO); its check and compare do (all
    unallocated here: no errors, identical), and so do instar's, through the allow-list, which
    refuses `name` when it leads outside."""
    compare = (IDENTICAL if inside else _err(2, REFUSED, qemu="Images are identical."))
    return opens(f"data file: {name}", f'"data-file": "{name}', NO_ERRORS, compare, compare) | (
        {} if inside else _check_refused())


# Under the profiles whose info opens the data file, info refuses an outside one as check does.
_DATA_FILE_OPENED_BY_INFO = {
    profile: {c: _err(1, REFUSED, qemu="opens it and prints its size and allocation under "
                      "Child node '/data-file'") for c in (INFO, INFO_JSON, CHAIN, CHAIN_JSON)}
    for profile in INFO_OPENS_DATA_FILE}


# qemu's img_check and img_compare open the whole chain (no BDRV_O_NO_BACKING); on a cycle
# bdrv_open_backing_file() recurses, each level adding "Could not open backing file: ", until
# memory or descriptors run out (1186 levels, then "Could not allocate metadata caches", under a
# 1 GB address-space limit: the tail depends on the limits, the prefix does not).
_CYCLE_OPEN = "Could not open '{image}': Could not open backing file: "
# instar ends the same nesting with "Backing file 'a.qcow2' creates an infinite loop." instead.
_CYCLE_QEMU = "the nesting repeats until memory or descriptors run out"


def _cycle(info_line: str) -> dict[str, Outcome]:
    loop = _err(1, "Backing file 'a.qcow2' creates an infinite loop.")
    return {INFO: Outcome(0, info_line), INFO_JSON: Outcome(0, '"backing-filename": '),
            CHAIN: loop, CHAIN_JSON: loop,
            CHECK: _err(1, _CYCLE_OPEN, qemu=_CYCLE_QEMU),
            CHECK_JSON: _err(1, _CYCLE_OPEN, qemu=_CYCLE_QEMU),
            COMPARE_CLEAN: _err(2, _CYCLE_OPEN, qemu=_CYCLE_QEMU),
            COMPARE_SELF: _err(2, _CYCLE_OPEN, qemu=_CYCLE_QEMU)}


_VMDK_EXTENTS = "instar: vmdk descriptors that name extent files are not supported yet"
_SLOW = "answers the same after walking 1 PiB of unallocated L1 (10 s against the clean image)"
_DOTDOT = "../outside/sentinel.qcow2"

CASES: list[Case] = [
    # -- resource exhaustion, size and offset overflows (CVE-2014-0143/0144/0145/0147 classes) --
    Case("vsize-1pib", "huge but valid virtual size, L1 far past EOF (CVE-2014-0143 class)",
         opens("virtual size: 1 PiB", '"virtual-size": 1125899906842624', corrupt(1),
               dataclasses.replace(IDENTICAL_SIZES_DIFFER, qemu=_SLOW),
               dataclasses.replace(IDENTICAL, qemu=_SLOW))),
    Case("vsize-1pib-small-l1", "L1 too small for the size (CVE-2014-0143)",
         fails_to_open("L1 table is too small")),
    Case("vsize-2p62", "virtual size needing an L1 larger than qemu allows (CVE-2014-0143)",
         fails_to_open("Image is too big")),
    # block.c bdrv_refresh_total_sectors(): the size in sectors must fit an int64_t.
    Case("vsize-max", "a size beyond INT64_MAX bytes (sector count overflow)",
         fails_to_open("Could not refresh total sector count: File too large")),
    Case("l1-size-max", "L1 size overflow (CVE-2014-0143)",
         fails_to_open("Active L1 table too large")),
    Case("l1-size-over-limit", "L1 allocation exhaustion (CVE-2014-0143)",
         fails_to_open("Active L1 table too large")),
    Case("l1-offset-unaligned", "misaligned L1 (iotests 080)",
         fails_to_open("Active L1 table offset invalid")),
    # The header's first 8 bytes as L1[0]: an L2 offset with reserved bits set, far past EOF.
    Case("l1-at-header", "L1 table pointing at the header",
         opens(*QCOW2, corrupt(3), IDENTICAL, IDENTICAL)),
    Case("refcount-table-max", "refcount table size overflow (CVE-2014-0144)",
         fails_to_open("Reference count table too large")),
    Case("refcount-table-unaligned", "misaligned refcount table (iotests 080)",
         fails_to_open("Reference count table offset invalid")),
    # qcow2_do_open() only refuses a missing refcount table without BDRV_O_CHECK.
    Case("refcount-table-none", "no refcount table (iotests 080)",
         fails_to_open("Image does not contain a reference count table")
         | dict(zip((CHECK, CHECK_JSON), corrupt(2)))),
    Case("refcount-order-7", "refcount width overflow",
         fails_to_open("Reference count entry width too large")),
    # With BDRV_O_CHECK qcow2_read_snapshots() leaves a broken table to the check, which reports
    # it and fails (qcow2_check_read_snapshot_table: "Check failed: <errno>").
    Case("snapshots-max", "2^32-1 snapshots (CVE-2014-0145 class)",
         fails_to_open("Snapshot table too large")
         | {c: _err(1, "ERROR snapshot table too large\nYou can force-remove all 4294901759 "
                    "overhanging snapshots with qemu-img check -r all\n")
            for c in (CHECK, CHECK_JSON)}),
    Case("snapshots-unaligned", "misaligned snapshot table (iotests 080)",
         fails_to_open("Snapshot table offset invalid")
         | {c: _err(1, "ERROR snapshot table offset invalid\n") for c in (CHECK, CHECK_JSON)}),
    Case("header-length-huge", "header length beyond the cluster (iotests 080)",
         fails_to_open("qcow2 header exceeds cluster size")),
    Case("header-length-short", "header length below 104 (iotests 080)",
         fails_to_open("qcow2 header too short")),
    Case("cluster-bits-8", "cluster size below the minimum",
         fails_to_open("Unsupported cluster size: 2^8")),
    Case("cluster-bits-31", "cluster_bits shift overflow",
         fails_to_open("Unsupported cluster size: 2^31")),
    Case("crypt-method-3", "unknown encryption method",
         fails_to_open("Unsupported encryption method 3")),
    Case("backing-size-huge", "backing name length overflow",
         fails_to_open("Backing file name too long")),
    Case("backing-offset-past-end", "backing name offset overflow",
         fails_to_open("Invalid backing file offset")),
    Case("incompat-unknown", "unknown incompatible feature",
         fails_to_open("Unsupported qcow2 feature(s): Unknown incompatible feature: 10000000000")),
    # -- truncation at every structure boundary; the cut-off rest reads as zeros --
    Case("trunc-0", "empty file: raw to every qemu",
         opens("virtual size: 0 B", '"format": "raw"', RAW_NO_CHECK, IDENTICAL_SIZES_DIFFER,
               IDENTICAL)),
    Case("trunc-inside-magic", "3 bytes: too short to be qcow2, so raw",
         opens("file format: raw", '"format": "raw"', RAW_NO_CHECK, MISMATCH_AT_0, IDENTICAL)),
    Case("trunc-50", "header cut in the v2 fields", fails_to_open("qcow2 header too short")),
    Case("trunc-v3-header", "header cut in the v3 fields", fails_to_open("qcow2 header too short")),
    Case("trunc-after-header", "extensions cut off",
         opens(*QCOW2, corrupt(3), IDENTICAL, IDENTICAL)),
    Case("trunc-inside-extensions", "feature table cut off",
         opens(*QCOW2, corrupt(3), IDENTICAL, IDENTICAL)),
    Case("trunc-after-header-cluster", "refcount table missing",
         opens(*QCOW2, corrupt(3), IDENTICAL, IDENTICAL)),
    Case("trunc-inside-refcount-block", "refcount block cut",
         opens(*QCOW2, NO_ERRORS, IDENTICAL, IDENTICAL)),
    Case("trunc-inside-l1", "L1 cut", opens(*QCOW2, NO_ERRORS,
                                            IDENTICAL, IDENTICAL)),
    # -- pointers into metadata, on an image with a normal cluster at 0 and a compressed one at
    # 64 KiB (CVE-2014-0146/0148 classes: offsets taken from the image unchecked) --
    # 255 extra sectors at 2^53: qemu's read of the compressed cluster fails (EIO) in compare;
    # check counts the span as beyond the end of the file.
    Case("compressed-far-past-eof", "compressed descriptor 2^53 bytes past EOF, 128 KiB long",
         opens(*QCOW2, corrupt(1), MISMATCH_AT_0,
               _err(4, "Error while reading offset 65536 of {image}: Input/output error"))),
    # The span from the real compressed data 128 KiB on past EOF: the tail reads as zeros and
    # the stream inflates as before.
    Case("compressed-span-past-eof", "compressed descriptor spanning 128 KiB past EOF",
         opens(*QCOW2, corrupt(1), MISMATCH_AT_0, IDENTICAL)),
    # Offset 0 with only OFLAG_COPIED is "unallocated" to qcow2_get_cluster_type().
    Case("l2-entry-at-header", "L2 entry pointing at the header",
         opens(*QCOW2, leaking(1),
               Outcome(1, "Content mismatch at offset 65536!"), IDENTICAL)),
    Case("l2-entry-at-l1", "L2 entry pointing at the L1 table",
         opens(*QCOW2, corrupt(1), MISMATCH_AT_0, IDENTICAL)),
    Case("l2-entry-at-itself", "L2 entry pointing at its own L2 table",
         opens(*QCOW2, corrupt(1), MISMATCH_AT_0, IDENTICAL)),
    # check_refcounts_l1() tests the raw L1 entry (OFLAG_COPIED alone is non-zero), so it walks
    # the header as an L2 table; the read path masks the flag first and sees no L2 table.
    Case("l1-entry-at-header", "L1 entry pointing at the header",
         opens(*QCOW2, corrupt(45), IDENTICAL, IDENTICAL)),
    Case("l1-entry-at-itself", "L1 entry pointing at the L1 table (L1 read as its own L2)",
         opens(*QCOW2, corrupt(1), MISMATCH_AT_0, IDENTICAL)),
    Case("refcount-entry-at-header", "refcount table entry 0 pointing at the header (no block)",
         opens(*QCOW2, corrupt(8), MISMATCH_AT_0, IDENTICAL)),
    Case("refcount-entry-at-itself", "refcount table entry 0 pointing at the refcount table",
         opens(*QCOW2, corrupt(9), MISMATCH_AT_0, IDENTICAL)),
    # -- host file disclosure through backing names (CVE-2024-4467 class). qemu's answers were
    # observed in a scratch directory whose outside/ held only a scratch sentinel, except for
    # nbd:// and file:/etc/passwd, which are reasoned from qemu's source --
    Case("backing-dotdot", "backing file ../ out of the image's directory", _chain_refused(
        f"backing file: {_DOTDOT}", f'"backing-filename": "{_DOTDOT}"',
        "describes ../outside/sentinel.qcow2", "Images are identical."),
         image="top.qcow2", reaches_out=True),
    Case("backing-absolute", "absolute backing name outside the directory", _chain_refused(
        "backing file: /", '"backing-filename": "/', "describes the absolute sentinel",
        "Images are identical."), image="top.qcow2", reaches_out=True),
    Case("backing-symlink-out", "backing name a symlink in the directory pointing out",
         _chain_refused("backing file: link.qcow2", '"backing-filename": "link.qcow2"',
                        "follows the link to the sentinel", "Images are identical."),
         image="top.qcow2", reaches_out=True),
    # bdrv_open_backing_file() parses json: names into options (block.c parse_json_filename).
    Case("backing-json", "json:{...} backing name choosing driver and outside file",
         _chain_refused("backing file: json:{", '"backing-filename": "json:{',
                        "opens the sentinel named in the JSON", "Images are identical."),
         image="top.qcow2", reaches_out=True),
    # nbd:// selects the NBD client (block/nbd.c), which connects to 127.0.0.1:10809 under
    # info --backing-chain, check and compare alike; with nothing listening the open fails.
    Case("backing-nbd", "nbd:// backing name: network access chosen by the image",
         _chain_refused("backing file: nbd://127.0.0.1:10809/x", '"backing-filename": "nbd:',
                        "connects to 127.0.0.1:10809", "connects to 127.0.0.1:10809",
                        qemu_check="connects to 127.0.0.1:10809; rc 1 when nothing listens"),
         image="top.qcow2", reaches_out=True),
    # file: is the file protocol with its prefix stripped (raw_parse_filename): /etc/passwd,
    # read as raw data under the overlay.
    Case("backing-file-protocol", "file:/etc/passwd backing name with backing format raw",
         _chain_refused("backing file: file:/etc/passwd", '"backing-filename": "file:/etc/passwd"',
                        "describes /etc/passwd as raw", "Content mismatch at offset 0!"),
         image="top.qcow2", reaches_out=True),
    # -- chains --
    Case("chain-cycle-self", "a.qcow2 backed by itself", _cycle("backing file: a.qcow2"),
         image="a.qcow2"),
    Case("chain-cycle-ab", "a.qcow2 -> b.qcow2 -> a.qcow2", _cycle("backing file: b.qcow2"),
         image="a.qcow2"),
    # qemu has no depth limit (collect_image_info_list, bdrv_open_backing_file): it describes
    # and opens all 17 images; instar stops at 16 (docs/chains.md).
    Case("chain-depth-17", "17 images: beyond instar's limit of 16",
         {INFO: Outcome(0, "backing file: e15.qcow2"), INFO_JSON: Outcome(0, '"e15.qcow2"'),
          CHAIN: _err(1, "Could not open 'e0.qcow2': refused by instar: backing chain longer "
                      "than 16 images", qemu="describes all 17 images"),
          CHAIN_JSON: _err(1, "refused by instar: backing chain longer than 16 images",
                           qemu="describes all 17 images"),
          **_check_refused(),
          COMPARE_CLEAN: _err(2, REFUSED, qemu="Images are identical."),
          COMPARE_SELF: _err(2, REFUSED, qemu="Images are identical.")},
         image="e16.qcow2"),
    Case("chain-raw-over-qcow2", "middle element a qcow2 (backed from outside) recorded as raw",
         {INFO: Outcome(0, "backing file format: raw"), INFO_JSON: Outcome(0, '"raw"'),
          CHAIN: Outcome(0, "image: mid.qcow2\nfile format: raw\n"),
          CHAIN_JSON: Outcome(0, '"filename": "mid.qcow2"'),
          CHECK: NO_ERRORS[0], CHECK_JSON: NO_ERRORS[1],
          COMPARE_CLEAN: MISMATCH_AT_0, COMPARE_SELF: IDENTICAL},
         image="top.qcow2", reaches_out=True),
    # -- external data files --
    Case("datafile-absolute", "data file named by an absolute path outside",
         _data_file("/", inside=False), image="top.qcow2", reaches_out=True,
         by_profile=_DATA_FILE_OPENED_BY_INFO),
    Case("datafile-dotdot", "data file ../ out of the directory",
         _data_file("../outside/sentinel.raw", inside=False), image="top.qcow2",
         reaches_out=True, by_profile=_DATA_FILE_OPENED_BY_INFO),
    Case("datafile-symlink-out", "data file a symlink in the directory pointing out",
         _data_file("link.raw", inside=False), image="top.qcow2", reaches_out=True,
         by_profile=_DATA_FILE_OPENED_BY_INFO),
    Case("datafile-is-symlink", "data file a symlink to a file inside the directory",
         _data_file("link.raw", inside=True), image="top.qcow2"),
    # -- format confusion (CVE-2008-2004): raw content beginning with a qcow2 header --
    Case("confusion-probed", "raw disk holding a qcow2 header with an outside backing, probed",
         _chain_refused(f"backing file: {_DOTDOT}", '"format": "qcow2"',
                        "probes qcow2 and describes the sentinel", "Images are identical."),
         image="disk.img", reaches_out=True),
    Case("confusion-raw", "the same disk opened with -f raw: data, never a backing file",
         opens("file format: raw", '"format": "raw"', RAW_NO_CHECK, MISMATCH_AT_0, IDENTICAL),
         image="disk.img", fmt="raw", reaches_out=True),
    # -- vmdk (CVE-2022-47951 class: descriptors naming host files as extents) --
    Case("vmdk-extent-dotdot", "vmdk descriptor whose flat extent is ../ out of the directory",
         fails_to_open(_VMDK_EXTENTS, qemu="opens the sentinel as the flat extent"),
         image="disk.vmdk", reaches_out=True),
    Case("vmdk-extent-absolute", "vmdk descriptor whose flat extent is /etc/passwd",
         fails_to_open(_VMDK_EXTENTS, qemu="opens /etc/passwd as the flat extent"),
         image="disk.vmdk", reaches_out=True),
    # Reads past EOF are zeros in qemu's block layer: the grain table is empty, nothing breaks.
    Case("vmdk-table-past-eof", "vmdk grain directory entry 1 TiB past EOF",
         opens("file format: vmdk", '"format": "vmdk"', NO_ERRORS, IDENTICAL, IDENTICAL),
         image="disk.vmdk"),
    # -- vdi: the block map (reads past EOF are zeros: a cut map maps blocks to block 0) --
    Case("vdi-map-truncated", "vdi block map cut short: 72 entries read as block 0",
         opens(*VDI, corrupt(72), IDENTICAL_SIZES_DIFFER, IDENTICAL), image="disk.vdi"),
    Case("vdi-map-past-eof", "vdi block map entry naming a block past the end of the file",
         opens(*VDI, corrupt(1), IDENTICAL, IDENTICAL), image="disk.vdi"),
    Case("vdi-map-duplicated", "every vdi block map entry naming the same block",
         opens(*VDI, corrupt(16), IDENTICAL, IDENTICAL), image="disk.vdi"),
    Case("vdi-size-huge", "vdi disk size of 1 EiB",
         fails_to_open("Unsupported VDI image size (size is 0x1000000000000000, max supported "
                       "is 0x1fffff8000000)"), image="disk.vdi"),
    Case("vdi-blocks-too-many", "vdi block count of 2^32 - 1 (a 16 GiB block map)",
         fails_to_open("unsupported VDI image (too many blocks 4294967295, max is 536870784)"),
         image="disk.vdi"),
    # -- qed: header limits and the two table levels (qed_check_table_offset() on open and on
    # every lookup; check walks each table once, counting clusters named twice) --
    Case("qed-l1-past-eof", "qed L1 table 1 TiB past the end of the file",
         fails_to_open("QED table offset is invalid"), image="disk.qed"),
    Case("qed-l2-unaligned", "qed L1 entry naming an L2 table 8 bytes into a cluster",
         opens(*QED, corrupt(1), Outcome(3, "Sector allocation test failed for disk.qed", "err"),
               Outcome(3, "Sector allocation test failed for disk.qed", "err")),
         image="disk.qed"),
    Case("qed-l2-duplicated", "four qed L1 entries naming the same L2 table",
         opens(*QED, corrupt(12), MISMATCH_AT_0, IDENTICAL), image="disk.qed"),
    Case("qed-l2-is-l1", "qed L1 entry naming the L1 table itself as an L2 table (a cycle)",
         opens(*QED, corrupt(4), MISMATCH_AT_0, IDENTICAL), image="disk.qed"),
    Case("qed-size-huge", "qed image size of 1 EiB",
         fails_to_open("QED image size is invalid"), image="disk.qed"),
    Case("qed-backing-name-past-header", "qed backing file name beyond the header's clusters",
         fails_to_open("QED backing filename offset is invalid"), image="disk.qed"),
    # -- small-formats: qcow (v1) header limits and a backing name out of the directory --
    Case("qcow-backing-dotdot", "qcow backing file ../ out of the image's directory",
         _chain_refused(f"backing file: {_DOTDOT}", f'"backing-filename": "{_DOTDOT}"',
                        "describes ../outside/sentinel.qcow2", "Images are identical.",
                        "This image format does not support checks"),
         image="top.qcow", reaches_out=True),
    Case("qcow-size-huge", "qcow size of 2^64 - 16 (an L1 table past INT_MAX bytes)",
         fails_to_open("Image too large"), image="disk.qcow"),
    Case("qcow-l1-past-max", "qcow L1 table at BDRV_MAX_LENGTH",
         fails_to_open("Could not open '{image}': Input/output error"), image="disk.qcow"),
    Case("qcow-backing-name-long", "qcow backing file name of 4096 bytes",
         fails_to_open("Backing file name too long"), image="disk.qcow"),
    # -- small-formats: parallels header limits and a BAT entry far past the end --
    Case("parallels-catalog-huge", "parallels BAT of 2^29 - 1 entries (a 2 GiB header read)",
         fails_to_open("Could not open '{image}': Input/output error"), image="disk.prl"),
    Case("parallels-bat-past-eof", "parallels BAT entry naming a cluster 4 PiB past the end",
         opens(*PARALLELS, corrupt(1), IDENTICAL, IDENTICAL), image="disk.prl"),
    Case("parallels-ext-past-max", "parallels Format Extension at BDRV_MAX_LENGTH",
         fails_to_open("Failed to read Format Extension cluster: Input/output error"),
         image="disk.prl"),
    # -- vhdx: the log, the region table and the BAT (vhdx_open() checks every present entry) --
    Case("vhdx-log-replay", "vhdx log entry that a read-only open would have to replay",
         fails_to_open("VHDX image file '{image}' opened read-only, but contains a log that "
                       "needs to be replayed"), image="disk.vhdx"),
    Case("vhdx-region-overlap", "vhdx BAT region placed over the metadata region",
         fails_to_open(VHDX_EINVAL), image="disk.vhdx"),
    Case("vhdx-bat-past-eof", "vhdx BAT entry naming a block 1 TiB into the file (check "
         "counts it instead: its open skips the BAT check)",
         {**fails_to_open(VHDX_EINVAL), CHECK: corrupt(1)[0], CHECK_JSON: corrupt(1)[1]},
         image="disk.vhdx"),
    Case("vhdx-bat-region-2g", "vhdx BAT region of 2 GiB 1 TiB past the end of the file "
         "(qemu allocates and reads it whole)",
         opens(*VHDX, NO_ERRORS, IDENTICAL, IDENTICAL), image="disk.vhdx"),
    Case("vhdx-metadata-count-huge", "vhdx metadata table claiming 65535 entries",
         fails_to_open(VHDX_EINVAL), image="disk.vhdx"),
    # -- vpc: the BAT and its sizes (vpc_open() checks every entry against the file's end) --
    Case("vpc-bat-past-eof", "vpc BAT 1 TiB past the end of the file",
         fails_to_open(VPC_TRUNCATED), image="disk.vhd"),
    Case("vpc-bat-entry-past-eof", "vpc BAT entry naming a block 1 TiB into a 2.5 KiB file",
         fails_to_open(VPC_TRUNCATED), image="disk.vhd"),
    Case("vpc-block-size-huge", "vpc block size of 2 GiB (a 256 KiB sector bitmap per block)",
         opens(*VPC, RAW_NO_CHECK, IDENTICAL_SIZES_DIFFER, IDENTICAL), image="disk.vhd"),
    Case("vpc-block-size-odd", "vpc block size of 2^32 - 1",
         fails_to_open("Invalid block size 4294967295"), image="disk.vhd"),
    Case("vpc-checksum-bad", "vpc footer whose checksum does not match",
         fails_to_open("Incorrect header checksum"), image="disk.vhd"),
    Case("vpc-table-entries-negative", "vpc max_table_entries of 2^31 (negative in qemu's int)",
         fails_to_open("Max Table Entries too large (-2147483648)"), image="disk.vhd"),
    Case("vpc-table-entries-huge", "vpc BAT of 2 GiB - 512 bytes in a 2.5 KiB file",
         fails_to_open(VPC_TRUNCATED), image="disk.vhd"),
    Case("vpc-size-huge", "vpc current_size of 1 EiB (creator app \"win \")",
         fails_to_open("Could not open '{image}': File too large"), image="disk.vhd"),
]


def cases() -> list[Case]:
    return list(CASES)
