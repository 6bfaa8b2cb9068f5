"""Invocation forms callers pass to qemu-img (issue 15): file:, json:{...}, --image-opts,
--object secret, protocol prefixes. Each form qemu-img 7.2 accepts for a local file must give
byte-identical stdout, stderr and exit code; each protocol instar does not implement is refused
with one clear message before any filesystem access (docs/invocation.md)."""
from __future__ import annotations

import json
import os
import shutil

import pytest

from instar_oracle import runner

SANDBOX = os.environ.get("INSTAR_INVOCATION_SANDBOX", "process")
REFUSAL = b"is not supported by instar (it opens local files only)"


@pytest.fixture(scope="module")
def images(tmp_path_factory, qemu_img):
    """base.qcow2, top.qcow2 over it, r.raw, d/x.qcow2, d/top2.qcow2 over it, and files named
    'a:b' and 'c,d'."""
    d = tmp_path_factory.mktemp("invocation")
    def make(*args):
        assert runner.run([qemu_img, "create", "-q", *args], d).rc == 0
    make("-f", "qcow2", "base.qcow2", "1M")
    make("-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2")
    make("-f", "raw", "r.raw", "1M")
    (d / "d").mkdir()
    make("-f", "qcow2", "d/x.qcow2", "2M")
    make("-f", "qcow2", "-b", "x.qcow2", "-F", "qcow2", "d/top2.qcow2")
    make("-f", "qcow2", "./a:b", "1M")
    make("-f", "qcow2", "c,d", "1M")
    (d / "pw.txt").write_text("secret")
    return d


def both(instar_bin, qemu_img, images, args):
    instar = runner.run([instar_bin, f"--sandbox={SANDBOX}", *args], images)
    qemu = runner.run([qemu_img, *args], images)
    return instar, qemu


def assert_same(instar, qemu):
    assert (instar.stdout, instar.stderr, instar.rc) == (qemu.stdout, qemu.stderr, qemu.rc), (
        f"instar: rc={instar.rc} out={instar.stdout!r} err={instar.stderr!r}\n"
        f"qemu:   rc={qemu.rc} out={qemu.stdout!r} err={qemu.stderr!r}")


def js(obj) -> str:
    return "json:" + json.dumps(obj, separators=(",", ":"))


QCOW2_FILE = {"driver": "qcow2", "file": {"driver": "file", "filename": "base.qcow2"}}

PARITY = {
    "file-prefix": ["info", "file:base.qcow2"],
    "file-prefix-subdir": ["info", "file:d/x.qcow2"],
    "file-prefix-colon-name": ["info", "file:a:b"],
    "file-prefix-empty": ["info", "file:"],
    "file-prefix-missing": ["info", "file:nonexistent.qcow2"],
    "dot-slash-colon-name": ["info", "./a:b"],
    "unknown-protocol": ["info", "a:b"],
    "unknown-protocol-vvfat": ["info", "vvfat:/tmp"],
    "json-nested-file": ["info", js(QCOW2_FILE)],
    "json-nested-file-json-output": ["info", "--output=json", js(QCOW2_FILE)],
    "json-dotted": ["info", js({"driver": "qcow2", "file.filename": "d/x.qcow2"})],
    "json-single-quotes": ["info", "json:{'driver':'qcow2','file.filename':'base.qcow2'}"],
    "json-no-driver-probes": ["info", js({"file.filename": "base.qcow2"})],
    "json-raw-over-qcow2": ["info", js({"driver": "raw", "file.filename": "r.raw"})],
    "json-f-wins": ["info", "-f", "raw", js({"driver": "qcow2", "file.filename": "r.raw"})],
    "json-f-wins-over-unknown-driver": ["info", "-f", "raw",
                                        js({"driver": "foo", "file.filename": "r.raw"})],
    "json-colon-filename": ["info", js({"driver": "qcow2", "file.filename": "a:b"})],
    "json-backing-null": ["info", js({**QCOW2_FILE, "backing": None,
                                      "file": {"driver": "file", "filename": "top.qcow2"}})],
    "json-backing-chain": ["info", "--backing-chain",
                           js({"driver": "qcow2", "file.filename": "top.qcow2"})],
    # The allow-list is rooted at the named file's directory, and backing names continue from it.
    "json-subdir-backing-chain": ["info", "--backing-chain",
                                  js({"driver": "qcow2", "file.filename": "d/top2.qcow2"})],
    "file-prefix-subdir-backing-chain": ["info", "--backing-chain", "file:d/top2.qcow2"],
    "json-subdir-check": ["check", js({"driver": "qcow2", "file.filename": "d/top2.qcow2"})],
    "json-subdir-compare": ["compare", js({"driver": "qcow2", "file.filename": "d/top2.qcow2"}),
                            "d/x.qcow2"],
    "json-missing-file": ["info", js({"driver": "qcow2", "file.filename": "nonexistent"})],
    "json-wrong-format": ["info", js({"driver": "qcow2", "file.filename": "r.raw"})],
    "json-unknown-driver": ["info", js({"driver": "foo", "file.filename": "r.raw"})],
    "json-file-node-reference": ["info", js({"driver": "qcow2", "file": "base.qcow2"})],
    "json-no-file": ["info", js({"driver": "qcow2", "filename": "base.qcow2"})],
    "json-nothing": ["info", js({"filename": "base.qcow2"})],
    "json-not-object": ["info", "json:[]"],
    "json-empty": ["info", "json:"],
    "json-premature": ["info", "json:{"],
    "json-duplicate-key": ["info", 'json:{"driver":"qcow2","driver":"raw"}'],
    "json-two-values": ["info", 'json:{"driver":"qcow2"} {}'],
    "json-bad-escape": ["info", 'json:{"driver":"q\\xcow2"}'],
    "json-trailing-comma": ["info", 'json:{"driver":"qcow2",}'],
    "json-stray": ["info", 'json:{"a":01}'],
    "json-bad-unicode": ["info", 'json:{"a":"\\ud800"}'],
    "json-too-deep": ["info", "json:" + "[" * 1025 + "]" * 1025],
    "json-nul-escape": ["info", 'json:{"driver":"qcow2","file.filename":"base\\u0000.qcow2"}'],
    "image-opts": ["info", "--image-opts", "driver=qcow2,file.filename=base.qcow2"],
    "image-opts-file-driver": ["info", "--image-opts",
                               "driver=qcow2,file.driver=file,file.filename=d/x.qcow2,"],
    "image-opts-comma-escape": ["info", "--image-opts", "driver=qcow2,file.filename=c,,d"],
    "image-opts-no-driver": ["info", "--image-opts", "file.filename=base.qcow2"],
    "image-opts-last-wins": ["info", "--image-opts",
                             "driver=qcow2,file.filename=base.qcow2,driver=raw"],
    "image-opts-plain-name": ["info", "--image-opts", "base.qcow2"],
    "image-opts-with-format": ["info", "--image-opts", "-f", "qcow2",
                               "driver=qcow2,file.filename=base.qcow2"],
    "image-opts-escaped-driver": ["info", "--image-opts", "driver=qcow2,,file.filename=x"],
    "image-opts-short-boolean": ["info", "--image-opts", "driver=qcow2,file.filename=c,d"],
    "object-secret-data": ["info", "--object", "secret,id=s0,data=abc", "base.qcow2"],
    "object-secret-file": ["info", "--object", "secret,id=s0,file=pw.txt", "base.qcow2"],
    "object-secret-json": ["info", "--object", '{"qom-type":"secret","id":"s0","data":"x"}',
                           "base.qcow2"],
    "object-secret-missing-file": ["info", "--object", "secret,id=s0,file=nonexist", "base.qcow2"],
    "object-no-id": ["info", "--object", "secret,data=abc", "base.qcow2"],
    "object-no-data": ["info", "base.qcow2", "--object", "secret,id=s0"],
    "object-bad-type": ["info", "--object", "bogus,id=s0", "base.qcow2"],
    "object-bad-param": ["info", "--object", "secret,id=s0,data=a,bogus=1", "base.qcow2"],
    "object-bad-id": ["info", "--object", "secret,id=0s,data=abc", "base.qcow2"],
    "object-duplicate": ["info", "--object", "secret,id=s0,data=a", "--object",
                         "secret,id=s0,data=b", "base.qcow2"],
    "object-help": ["info", "--object", "help", "base.qcow2"],
    "object-secret-help": ["info", "--object", "secret,help", "base.qcow2"],
    "check-json": ["check", js({"driver": "qcow2", "file.filename": "top.qcow2"})],
    "check-json-output": ["check", "--output=json",
                          js({"driver": "qcow2", "file.filename": "base.qcow2"})],
    "check-file-prefix": ["check", "file:top.qcow2"],
    "check-image-opts": ["check", "--image-opts", "driver=qcow2,file.filename=base.qcow2"],
    "check-object": ["check", "--object", "secret,id=s0,data=x", "base.qcow2"],
    "check-unknown-protocol": ["check", "foo:bar"],
    "compare-json": ["compare", js(QCOW2_FILE), "base.qcow2"],
    "compare-file-prefix": ["compare", "file:base.qcow2", "file:d/x.qcow2"],
    "compare-image-opts": ["compare", "--image-opts", "driver=qcow2,file.filename=base.qcow2",
                           "driver=raw,file.filename=r.raw"],
    "compare-object": ["compare", "--object", "secret,id=s0,data=x", "base.qcow2", "base.qcow2"],
    "compare-unknown-protocol": ["compare", "foo:x", "base.qcow2"],
    "map-json": ["map", js({"driver": "qcow2", "file.filename": "d/top2.qcow2"})],
    "map-json-output": ["map", "--output=json", js(QCOW2_FILE)],
    "map-json-raw": ["map", js({"driver": "raw", "file.filename": "r.raw"})],
    "map-file-prefix": ["map", "file:d/top2.qcow2"],
    "map-image-opts": ["map", "--image-opts", "driver=qcow2,file.filename=top.qcow2"],
    "map-image-opts-with-format": ["map", "--image-opts", "-f", "qcow2",
                                   "driver=qcow2,file.filename=base.qcow2"],
    "map-object": ["map", "--object", "secret,id=s0,data=x", "base.qcow2"],
    "map-object-help": ["map", "--object", "help", "base.qcow2"],
    "map-object-bad": ["map", "--object", "secret,id=s0", "base.qcow2"],
    "map-unknown-protocol": ["map", "foo:bar"],
    "map-json-missing-file": ["map", js({"driver": "qcow2", "file.filename": "nonexistent"})],
    "measure-json": ["measure", "-O", "qcow2",
                     js({"driver": "qcow2", "file.filename": "d/top2.qcow2"})],
    "measure-json-output": ["measure", "--output=json", js(QCOW2_FILE)],
    "measure-file-prefix": ["measure", "file:r.raw"],
    "measure-image-opts": ["measure", "--image-opts", "driver=raw,file.filename=r.raw"],
    "measure-image-opts-no-file": ["measure", "--image-opts", "--size", "1M"],
    "measure-object": ["measure", "--object", "secret,id=s0,data=x", "base.qcow2"],
    "measure-object-help": ["measure", "--object", "help", "base.qcow2"],
    "measure-object-bad": ["measure", "--object", "bogus,id=s0", "base.qcow2"],
    "measure-unknown-protocol": ["measure", "foo:bar"],
}


@pytest.mark.parametrize("name", sorted(PARITY))
def test_same_as_qemu_img(name, as_qemu_img, qemu_img, images):
    assert_same(*both(as_qemu_img, qemu_img, images, PARITY[name]))


# Protocols and drivers instar does not implement: refused with one message, exit code as qemu's
# failure to open (1 for info and check, 2 for compare), and no file opened at all.
REFUSED = {
    "nbd": ["info", "nbd:localhost:10809"],
    "nbd-unix": ["info", "nbd+unix:///x?socket=/tmp/s"],
    "nbd-tcp": ["info", "nbd+tcp://localhost/x"],
    "http": ["info", "http://example.invalid/x"],
    "https": ["info", "https://example.invalid/x"],
    "ftp": ["info", "ftp://example.invalid/x"],
    "ssh": ["info", "ssh://example.invalid/x"],
    "iscsi": ["info", "iscsi://example.invalid/iqn/0"],
    "rbd": ["info", "rbd:pool/image"],
    "gluster": ["info", "gluster://example.invalid/v/x"],
    "null-co": ["info", "null-co://"],
    "host-device": ["info", "host_device:/dev/null"],
    "blkdebug-check": ["check", "blkdebug:conf:base.qcow2"],
    "blkverify": ["info", "blkverify:r.raw:base.qcow2"],
    "json-nbd": ["info", js({"driver": "nbd", "server": {"type": "unix", "path": "/x"}})],
    "json-null-co": ["info", js({"driver": "null-co"})],
    "json-file-nbd": ["info", js({"driver": "qcow2", "file": {"driver": "nbd", "path": "/x"}})],
    "json-host-device": ["info", js({"driver": "qcow2", "file.driver": "host_device",
                                     "file.filename": "/dev/null"})],
    "image-opts-nbd": ["info", "--image-opts", "driver=nbd,path=/x"],
    "compare-blkdebug": ["compare", "blkdebug:conf:base.qcow2", "base.qcow2"],
    "compare-second-ssh": ["compare", "base.qcow2", "ssh://example.invalid/x"],
    "map-nbd": ["map", "nbd:localhost:10809"],
    "map-json-nbd": ["map", js({"driver": "nbd", "server": {"type": "unix", "path": "/x"}})],
    "measure-http": ["measure", "-O", "qcow2", "http://example.invalid/x"],
    "measure-image-opts-nbd": ["measure", "--image-opts", "driver=nbd,path=/x"],
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_protocols_refused_before_any_access(name, instar_bin, images, tmp_path):
    args = REFUSED[name]
    audit = tmp_path / "audit.log"
    run = runner.run([instar_bin, f"--sandbox={SANDBOX}", *args], images,
                     env={"INSTAR_AUDIT_LOG": str(audit)})
    assert run.rc == (2 if args[0] == "compare" else 1), run
    assert REFUSAL in run.stderr, run.stderr
    assert run.stdout == b""
    assert run.stderr.count(b"\n") == 1, run.stderr
    # Nothing is opened for the refused name; compare still opens its first image before it
    # looks at the second, as qemu does.
    opened = audit.read_text().splitlines() if audit.exists() else []
    if name == "compare-second-ssh":
        assert not [line for line in opened if "ssh" in line or "example" in line], opened
    else:
        assert opened == [], opened


# instar's other deliberate differences (docs/invocation.md §2, §5), each with its message.
def test_trace_help_is_refused_other_traces_ignored(instar_bin, images):
    run = runner.run([instar_bin, f"--sandbox={SANDBOX}", "-T", "help", "info", "base.qcow2"],
                     images)
    assert (run.rc, run.stdout) == (1, b"")
    assert b"-T help: instar has no qemu trace events to list" in run.stderr
    run = runner.run([instar_bin, f"--sandbox={SANDBOX}", "--trace", "enable=bdrv_*", "info",
                      "base.qcow2"], images)
    assert run.rc == 0 and run.stdout.startswith(b"image: base.qcow2\n"), run


def test_backing_null_check_skips_the_chain_others_refuse(as_qemu_img, qemu_img, images,
                                                             tmp_path):
    # top.qcow2 over a backing file that does not exist: with backing null neither opens it.
    orphan = tmp_path / "orphan.qcow2"
    assert runner.run([qemu_img, "create", "-q", "-f", "qcow2", "-u", "-b", "missing.qcow2",
                       "-F", "qcow2", str(orphan), "1M"], images).rc == 0
    name = js({"driver": "qcow2", "file.filename": str(orphan), "backing": None})
    assert_same(*both(as_qemu_img, qemu_img, images, ["check", name]))
    run = runner.run([as_qemu_img, f"--sandbox={SANDBOX}", "compare", name, "base.qcow2"], images)
    assert run.rc == 2
    assert b'"backing": null is not supported by instar for compare' in run.stderr
    for subcommand in ("map", "measure"):
        run = runner.run([as_qemu_img, f"--sandbox={SANDBOX}", subcommand, name], images)
        assert (run.rc, run.stdout) == (1, b""), run
        assert f'"backing": null is not supported by instar for {subcommand}'.encode() \
            in run.stderr


def test_unmodelled_json_option_refused_after_the_file_opens(as_qemu_img, images):
    run = runner.run([as_qemu_img, f"--sandbox={SANDBOX}", "info",
                      js({"driver": "raw", "file.filename": "r.raw", "offset": 512})], images)
    assert run.rc == 1 and run.stdout == b""
    assert b"option 'offset' is not supported by instar in image names" in run.stderr


# convert reads its inputs' names as the other subcommands do (img_open() for each input); its
# target stays a plain file name. Each case runs in its own copy of the images, and the target
# qemu-img leaves must be the one instar leaves, byte for byte.
CONVERT = {
    "json": ["-O", "raw", js(QCOW2_FILE), "out"],
    "json-chain-subdir": ["-O", "qcow2", js({"driver": "qcow2", "file.filename": "d/top2.qcow2"}),
                          "out"],
    "json-and-plain": ["-O", "raw", js({"driver": "raw", "file.filename": "r.raw"}), "base.qcow2",
                       "out"],
    "json-missing-file": ["-p", "-O", "raw", js({"driver": "qcow2", "file.filename": "nope"}),
                          "out"],
    "json-wrong-format": ["-O", "raw", js({"driver": "qcow2", "file.filename": "r.raw"}), "out"],
    "file-prefix": ["-O", "qcow2", "file:top.qcow2", "out"],
    "image-opts": ["--image-opts", "-O", "raw", "driver=qcow2,file.filename=top.qcow2", "out"],
    "image-opts-two": ["--image-opts", "-O", "qcow2", "driver=raw,file.filename=r.raw",
                       "driver=qcow2,file.filename=c,,d", "out"],
    "image-opts-with-format": ["--image-opts", "-f", "qcow2", "-O", "raw",
                               "driver=qcow2,file.filename=base.qcow2", "out"],
    "image-opts-short-boolean": ["--image-opts", "-O", "raw", "driver=qcow2,file.filename=c,d",
                                 "out"],
    "object": ["--object", "secret,id=s0,data=x", "-O", "raw", "base.qcow2", "out"],
    "object-file": ["--object", "secret,id=s0,file=pw.txt", "-O", "raw", "base.qcow2", "out"],
    "object-bad": ["-O", "raw", "base.qcow2", "--object", "secret,id=s0", "out"],
    "object-help": ["--object", "help", "-O", "raw", "base.qcow2", "out"],
    "unknown-protocol": ["-O", "raw", "foo:bar", "out"],
}


@pytest.mark.parametrize("name", sorted(CONVERT))
def test_convert_reads_names_as_qemu_img(name, as_qemu_img, qemu_img, images, tmp_path):
    results = []
    for program, sandbox in ((qemu_img, []), (as_qemu_img, [f"--sandbox={SANDBOX}"])):
        work = tmp_path / ("instar" if sandbox else "qemu")
        shutil.copytree(images, work, symlinks=True)
        run = runner.run([program, *sandbox, "convert", *CONVERT[name]], work)
        out = work / "out"
        results.append((run.stdout, run.stderr, run.rc,
                        out.read_bytes() if out.exists() else None))
    assert results[1][:3] == results[0][:3], f"instar {results[1][:3]}\nqemu   {results[0][:3]}"
    assert results[1][3] == results[0][3], "the targets differ"


def test_convert_refuses_protocols_before_any_access(instar_bin, images, tmp_path):
    audit = tmp_path / "audit.log"
    run = runner.run([instar_bin, f"--sandbox={SANDBOX}", "convert", "-O", "raw",
                      js({"driver": "nbd", "server": {"type": "unix", "path": "/x"}}),
                      str(tmp_path / "out")], images, env={"INSTAR_AUDIT_LOG": str(audit)})
    assert run.rc == 1 and REFUSAL in run.stderr, run
    assert not (tmp_path / "out").exists()
    assert not audit.exists() or audit.read_text() == "", audit.read_text()
