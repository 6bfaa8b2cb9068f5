"""info --backing-chain against qemu-img on legitimate chains; instar's allow-list and safe
detection where it deliberately differs (docs/chains.md)."""
from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from instar_oracle import runner

BACKING_FORMAT_EXT = b"\xe2\x79\x2a\xca"


def qimg(cwd: Path, *args: str) -> None:
    import subprocess
    subprocess.run(["qemu-img", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def hide_backing_format(path: Path) -> None:
    """Patches the backing-format header extension's magic to an unknown one, so the image has a
    backing file without a recorded format (qemu-img create refuses to make one directly)."""
    data = bytearray(path.read_bytes()[:65536])
    at = data.find(BACKING_FORMAT_EXT, 72)
    assert at > 0, "no backing format extension"
    with open(path, "r+b") as f:
        f.seek(at)
        f.write(b"\x12\x34\x56\x78")


# name -> (top image relative to the case directory, builder)
def _two(d: Path):
    qimg(d, "create", "-q", "-f", "qcow2", "base.qcow2", "16M")
    qimg(d, "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2")


def _three(d: Path):
    _two(d)
    qimg(d, "create", "-q", "-f", "qcow2", "-b", "top.qcow2", "-F", "qcow2", "top2.qcow2")


def _sub_dotdot(d: Path):
    # top.qcow2 -> sub/mid.qcow2 -> "../base.qcow2", shown as "sub/../base.qcow2"
    (d / "sub").mkdir()
    qimg(d, "create", "-q", "-f", "qcow2", "base.qcow2", "16M")
    qimg(d / "sub", "create", "-q", "-f", "qcow2", "-b", "../base.qcow2", "-F", "qcow2",
         "mid.qcow2")
    qimg(d, "create", "-q", "-f", "qcow2", "-b", "sub/mid.qcow2", "-F", "qcow2", "top.qcow2")


def _sub_top(d: Path):
    # the whole chain inside sub/, named from the case directory: sub/top -> sub/base
    (d / "sub").mkdir()
    qimg(d / "sub", "create", "-q", "-f", "qcow2", "base.qcow2", "16M")
    qimg(d / "sub", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2",
         "top.qcow2")


def _no_format_qcow2(d: Path):
    _two(d)
    hide_backing_format(d / "top.qcow2")


def _raw_base(d: Path):
    qimg(d, "create", "-q", "-f", "raw", "base.raw", "16M")
    qimg(d, "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", "top.qcow2")


def _raw_base_no_format(d: Path):
    _raw_base(d)
    hide_backing_format(d / "top.qcow2")


def _missing(d: Path):
    qimg(d, "create", "-q", "-f", "qcow2", "-u", "-b", "missing.qcow2", "-F", "qcow2",
         "top.qcow2", "16M")


def _missing_in_sub(d: Path):
    (d / "sub").mkdir()
    qimg(d / "sub", "create", "-q", "-f", "qcow2", "-u", "-b", "missing.qcow2", "-F", "qcow2",
         "top.qcow2", "16M")


def _single(d: Path):
    qimg(d, "create", "-q", "-f", "qcow2", "top.qcow2", "16M")


def _loop(d: Path):
    qimg(d, "create", "-q", "-f", "qcow2", "top.qcow2", "16M")
    qimg(d, "create", "-q", "-f", "qcow2", "-u", "-b", "top.qcow2", "-F", "qcow2", "b.qcow2",
         "16M")
    qimg(d, "rebase", "-u", "-b", "b.qcow2", "-F", "qcow2", "top.qcow2")


def _self(d: Path):
    qimg(d, "create", "-q", "-f", "qcow2", "top.qcow2", "16M")
    qimg(d, "rebase", "-u", "-b", "top.qcow2", "-F", "qcow2", "top.qcow2")


CHAINS = {
    "two": ("top.qcow2", _two),
    "three": ("top2.qcow2", _three),
    "sub-dotdot": ("top.qcow2", _sub_dotdot),
    "sub-top": ("sub/top.qcow2", _sub_top),
    "no-backing-format": ("top.qcow2", _no_format_qcow2),
    "raw-base": ("top.qcow2", _raw_base),
    "raw-base-probed": ("top.qcow2", _raw_base_no_format),
    "missing": ("top.qcow2", _missing),
    "missing-in-sub": ("sub/top.qcow2", _missing_in_sub),
    "single": ("top.qcow2", _single),
    "loop": ("top.qcow2", _loop),
    "self": ("top.qcow2", _self),
}


def _compare(instar_bin, qemu_img, directory, args, env=None):
    ours = runner.run([instar_bin, "--sandbox=process", *args], directory, env=env)
    theirs = runner.run([qemu_img, *args], directory)
    assert runner.classify(ours, theirs) == runner.MATCH, (
        f"--- qemu-img rc={theirs.rc}\n{theirs.stdout.decode(errors='replace')}"
        f"{theirs.stderr.decode(errors='replace')}\n--- instar rc={ours.rc}\n"
        f"{ours.stdout.decode(errors='replace')}{ours.stderr.decode(errors='replace')}\n"
        f"reproduce: {runner.reproduction(ours.argv, directory)}")
    return ours


@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("case", sorted(CHAINS))
def test_backing_chain_matches_qemu_img(case, output, tmp_path, as_qemu_img, qemu_img):
    top, build = CHAINS[case]
    build(tmp_path)
    _compare(as_qemu_img, qemu_img, tmp_path,
             ["info", "--backing-chain", f"--output={output}", top])


@pytest.mark.parametrize("case", ["three", "sub-dotdot"])
def test_backing_chain_by_absolute_path(case, tmp_path, as_qemu_img, qemu_img):
    top, build = CHAINS[case]
    build(tmp_path)
    _compare(as_qemu_img, qemu_img, tmp_path, ["info", "--backing-chain", str(tmp_path / top)])


# --- the allow-list: instar refuses what qemu-img would open -------------------------------------

def _hostile_case(tmp_path: Path, backing: str) -> tuple[Path, Path]:
    """images/top.qcow2 whose backing name is `backing`; outside/sentinel.qcow2 beside images/."""
    images, outside = tmp_path / "images", tmp_path / "outside"
    images.mkdir()
    outside.mkdir()
    qimg(outside, "create", "-q", "-f", "qcow2", "sentinel.qcow2", "16M")
    qimg(images, "create", "-q", "-f", "qcow2", "-u", "-b", backing, "-F", "qcow2", "top.qcow2",
         "16M")
    return images, outside


HOSTILE = [
    "../outside/sentinel.qcow2",
    "{outside}/sentinel.qcow2",
    "link-out.qcow2",
    "dirlink/sentinel.qcow2",
    "file:../outside/sentinel.qcow2",
]


@pytest.mark.parametrize("backing", HOSTILE)
def test_hostile_backing_never_touches_the_sentinel(backing, tmp_path, instar_bin):
    name = backing.format(outside=tmp_path / "outside")
    images, outside = _hostile_case(tmp_path, name)
    (images / "link-out.qcow2").symlink_to("../outside/sentinel.qcow2")
    (images / "dirlink").symlink_to(outside)
    log = tmp_path / "audit.log"
    ours = runner.run([instar_bin, "--sandbox=process", "info", "--backing-chain", "top.qcow2"],
                      images, env={"INSTAR_AUDIT_LOG": str(log)})
    assert ours.rc == 1
    assert b"refused by instar" in ours.stderr, ours.stderr
    assert ours.stdout == b""
    accessed = log.read_text().splitlines()
    assert accessed, "the audit log recorded nothing"
    for line in accessed:
        assert "outside" not in line and "sentinel" not in line, line

    strace = shutil.which("strace")
    if strace is None:
        return
    trace = tmp_path / "strace.out"
    traced = runner.run([strace, "-f", "-qq", "-e", "trace=%file", "-o", str(trace), instar_bin,
                         "--sandbox=process", "info", "--backing-chain", "top.qcow2"], images)
    if not trace.exists() or b"PTRACE" in traced.stderr:
        return  # ptrace not permitted here: the audit log above is the evidence
    for line in trace.read_text().splitlines():
        # The first string argument is the path a syscall acts on; readlink's second one is
        # merely the link's text, which naming the sentinel is the point of the test.
        quoted = line.split('"')
        path = quoted[1] if len(quoted) > 2 else ""
        assert "sentinel" not in path and "outside" not in path, line


def test_refusal_does_not_reveal_existence(tmp_path, instar_bin):
    images, _ = _hostile_case(tmp_path, "../outside/sentinel.qcow2")
    qimg(images, "create", "-q", "-f", "qcow2", "-u", "-b", "../outside/absent.qcow2", "-F",
         "qcow2", "top2.qcow2", "16M")
    a = runner.run([instar_bin, "--sandbox=process", "info", "--backing-chain", "top.qcow2"],
                   images)
    b = runner.run([instar_bin, "--sandbox=process", "info", "--backing-chain", "top2.qcow2"],
                   images)
    assert a.rc == b.rc == 1
    assert a.stderr.replace(b"sentinel", b"X") == b.stderr.replace(b"absent", b"X")


def test_json_backing_name_refused(tmp_path, instar_bin):
    images, outside = _hostile_case(
        tmp_path, 'json:{"driver":"qcow2","file":{"driver":"file","filename":"'
        + str(tmp_path / "outside" / "sentinel.qcow2") + '"}}')
    ours = runner.run([instar_bin, "--sandbox=process", "info", "--backing-chain", "top.qcow2"],
                      images)
    assert ours.rc == 1 and b"json: pseudo-protocol" in ours.stderr


def test_without_backing_chain_the_backing_file_is_not_opened(tmp_path, instar_bin, qemu_img):
    # plain info only prints the name, as qemu does: no allow-list involved
    images, _ = _hostile_case(tmp_path, "../outside/sentinel.qcow2")
    _compare(instar_bin, qemu_img, images, ["info", "top.qcow2"])


# --- safe detection ------------------------------------------------------------------------------

def _mbr(path: Path):
    sector = bytearray(512)
    sector[446] = 0x80             # bootable
    sector[446 + 4] = 0x83         # Linux partition
    sector[446 + 8:446 + 16] = struct.pack("<II", 2048, 2048)
    sector[510:512] = b"\x55\xaa"
    path.write_bytes(bytes(sector) + b"\x01" * (1 << 20))


def _gpt(path: Path):
    sector = bytearray(512)
    sector[446 + 4] = 0xEE         # protective MBR
    sector[510:512] = b"\x55\xaa"
    header = bytearray(512)
    header[0:8] = b"EFI PART"
    path.write_bytes(bytes(sector) + bytes(header) + b"\x02" * (1 << 20))


def _zero_sector_then_data(path: Path):
    # e.g. a bare ext4 file system: boot area zero, superblock at 1024
    path.write_bytes(bytes(1024) + b"\x53\xef" * 512 + bytes(1 << 20))


SAFE_RAW = {"mbr.img": _mbr, "gpt.img": _gpt, "fs.img": _zero_sector_then_data}


@pytest.mark.parametrize("output", ["human", "json"])
@pytest.mark.parametrize("name", sorted(SAFE_RAW))
def test_recognised_raw_content_matches_qemu_img(name, output, tmp_path, instar_bin, qemu_img):
    SAFE_RAW[name](tmp_path / name)
    _compare(instar_bin, qemu_img, tmp_path, ["info", f"--output={output}", name])


def _unknown(tmp_path: Path) -> str:
    (tmp_path / "text.img").write_bytes(b"not a disk image\n" * 100)
    return "text.img"


def test_unrecognised_content_is_refused(tmp_path, instar_bin):
    name = _unknown(tmp_path)
    ours = runner.run([instar_bin, "--sandbox=process", "info", name], tmp_path)
    assert ours.rc == 1 and ours.stdout == b""
    assert ours.stderr == (
        b"instar: Could not open 'text.img': instar does not recognise this image format and "
        b"will not guess raw (use -f raw, or --unsafe-quirks to read unrecognised content as "
        b"raw)\n")


@pytest.mark.parametrize("how", ["option", "env", "format"])
def test_unrecognised_content_with_consent_matches_qemu_img(how, tmp_path, instar_bin, qemu_img):
    name = _unknown(tmp_path)
    args = ["info", name]
    if how == "format":
        args = ["info", "-f", "raw", name]
    ours = runner.run([instar_bin, "--sandbox=process",
                       *(["--unsafe-quirks"] if how == "option" else []), *args], tmp_path,
                      env={"INSTAR_UNSAFE_QUIRKS": "1"} if how == "env" else None)
    theirs = runner.run([qemu_img, *args], tmp_path)
    assert (ours.stdout, ours.stderr, ours.rc) == (theirs.stdout, theirs.stderr, theirs.rc)


def test_unrecognised_backing_file_is_refused_in_a_chain(tmp_path, instar_bin):
    (tmp_path / "base.img").write_bytes(b"not a disk image\n" * 100)
    qimg(tmp_path, "create", "-q", "-f", "qcow2", "-b", "base.img", "-F", "raw", "top.qcow2")
    hide_backing_format(tmp_path / "top.qcow2")
    ours = runner.run([instar_bin, "--sandbox=process", "info", "--backing-chain", "top.qcow2"],
                      tmp_path)
    assert ours.rc == 1 and b"will not guess raw" in ours.stderr


# --- hidden names and --allow-root (issue 11, finding 6) -----------------------------------------

def _home_with_key(tmp_path: Path) -> Path:
    """home/top.qcow2 whose raw backing file is .ssh/id_rsa, as an image in a home directory."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_bytes(b"-----BEGIN OPENSSH PRIVATE KEY-----\n" * 64)
    qimg(home, "create", "-q", "-f", "qcow2", "-u", "-b", ".ssh/id_rsa", "-F", "raw",
         "top.qcow2", "1M")
    return home


@pytest.mark.parametrize("command", [["check"], ["info", "--backing-chain"]])
def test_hidden_backing_name_refused_by_default(command, tmp_path, instar_bin):
    home = _home_with_key(tmp_path)
    log = tmp_path / "audit.log"
    for roots in ([], ["--allow-root", str(home)]):
        log.unlink(missing_ok=True)
        ours = runner.run([instar_bin, "--sandbox=process", *roots, *command, "top.qcow2"], home,
                          env={"INSTAR_AUDIT_LOG": str(log)})
        assert ours.rc == 1, ours
        assert (b"Could not open '.ssh/id_rsa': refused by instar: backing name with a hidden "
                b"component") in ours.stderr, ours.stderr
        assert ours.stdout == b""
        accessed = log.read_text().splitlines()
        assert accessed and not [line for line in accessed if ".ssh" in line], accessed


@pytest.mark.parametrize("how", ["option", "environment"])
def test_allow_root_naming_the_hidden_directory_opens_it(how, tmp_path, instar_bin):
    home = _home_with_key(tmp_path)
    if how == "option":
        argv, env = ["--allow-root", str(home / ".ssh")], {}
    else:
        argv, env = [], {"INSTAR_ALLOW_ROOT": f"{home}:{home / '.ssh'}"}
    ours = runner.run([instar_bin, "--sandbox=process", *argv, "check", "top.qcow2"], home,
                      env=env)
    assert (ours.rc, ours.stderr) == (0, b""), ours
    assert ours.stdout.startswith(b"No errors were found on the image.\n"), ours.stdout
    chain = runner.run([instar_bin, "--sandbox=process", *argv, "info", "--backing-chain",
                        "top.qcow2"], home, env=env)
    assert chain.rc == 0 and b"image: .ssh/id_rsa\nfile format: raw\n" in chain.stdout, chain


def test_allow_root_that_does_not_exist_fails_clearly(tmp_path, instar_bin):
    home = _home_with_key(tmp_path)
    ours = runner.run([instar_bin, "--sandbox=process", "--allow-root", str(tmp_path / "nope"),
                       "check", "top.qcow2"], home)
    assert ours.rc == 1
    assert f"cannot open the allowed root '{tmp_path / 'nope'}'".encode() in ours.stderr, ours
