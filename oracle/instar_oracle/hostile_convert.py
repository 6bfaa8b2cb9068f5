"""The hostile corpus through convert, measure and map: the runs and each case's expected answer.

The convert runs write raw and qcow2 targets, with -c and -p, next to the case's image (inside
the allowed root). The expected answers are qemu-img 7.2's, observed once by hand in a scratch
directory whose outside/ held only scratch sentinels (qemu-img 7.2.22, under a 1 GiB address
space), except where instar deliberately differs (the allow-list of docs/chains.md: `qemu` then
says what qemu-img does instead):

- an image qemu cannot open fails as info does, "qemu-img: Could not open '<image>': <why>", rc 1,
  before any target exists (qemu opens every input before it creates the target);
- a read error while copying ends the run with rc 1 and leaves the half-written target in place,
  as qemu-img leaves it (it never deletes its target), so the exit code is what says it failed;
- every other case converts, rc 0, and nothing reaches the output that the image does not hold.
"""
from __future__ import annotations

import dataclasses

from instar_oracle import hostile

# Each run: (label, convert options); the target is out-<label> in the images directory.
CONVERT_RUNS = (("raw", ["-O", "raw"]), ("qcow2", ["-O", "qcow2"]),
                ("qcow2-c-p", ["-O", "qcow2", "-c", "-p"]), ("raw-p", ["-p", "-O", "raw"]))
MEASURE, MAP = "measure", "map-json"
# A case whose conversion fails on a read (target "left") also runs salvaged: qemu reads the
# failing sectors as zeros, warns for each and succeeds.
SALVAGE_RUN = ("raw-salvage", ["--salvage", "-O", "raw"])


def convert_argv(case: hostile.Case, options: list[str], target: str) -> list[str]:
    f = ["-f", case.fmt] if case.fmt else []
    return ["convert", *f, *options, case.top, target]


def read_argv(command: str, case: hostile.Case) -> list[str]:
    f = ["-f", case.fmt] if case.fmt else []
    return {MEASURE: ["measure", *f, "-O", "qcow2", case.top],
            MAP: ["map", *f, "--output=json", case.top]}[command]


@dataclasses.dataclass(frozen=True)
class Answer:
    rc: int
    stderr: str = ""       # a fragment of stderr ("" with rc 0: stderr must be empty)
    target: str = "made"   # convert: "made", "none" (never created) or "left" (half-written)
    qemu: str = ""         # set where instar deliberately differs: what qemu-img 7.2 does
    pending: str = ""      # set where instar does not give qemu's answer yet: why
    stdout: bytes = b""    # map/measure with rc != 0: stdout exactly (map --output=json has
                           # printed its "[" when block status fails)


_REFUSED = Answer(1, hostile.REFUSED, "none", qemu="converts, reading what the name points at")
_IO_ERROR = "qemu-img: error while reading at byte 65536: Input/output error\n"
# instar ends the nesting with "Backing file 'a.qcow2' creates an infinite loop." (hostile.py).
_CYCLE = "qemu-img: Could not open 'a.qcow2': Could not open backing file: "
_CYCLE_QEMU = ("'Could not open backing file: ' repeats until memory or threads run out (rc 1, "
               "or SIGABRT in qemu_thread_create)")
_SLOW_1PIB = "walks 1 PiB of unallocated L1 (more than 30 s)"
# qed_find_cluster()'s -EINVAL for the L2 table offset, from the first block status query.
_QED_EINVAL = "error while reading block status at offset 0: Invalid argument\n"

# Where a case's convert answer is not derived from its info answer (see convert_answer).
_CONVERT: dict[str, Answer] = {
    # qcow2_co_preadv_compressed(): the compressed cluster's read past EOF fails (EIO).
    "compressed-far-past-eof": Answer(1, _IO_ERROR, "left"),
    "chain-cycle-self": Answer(1, _CYCLE, "none", qemu=_CYCLE_QEMU),
    "chain-cycle-ab": Answer(1, _CYCLE, "none", qemu=_CYCLE_QEMU),
    "chain-depth-17": dataclasses.replace(_REFUSED, qemu="converts all 17 images"),
    "backing-nbd": dataclasses.replace(_REFUSED, qemu="connects to 127.0.0.1:10809"),
    "backing-file-protocol": dataclasses.replace(_REFUSED, qemu="copies /etc/passwd as raw"),
    # The target is created before the first block status query fails.
    "qed-l2-unaligned": Answer(1, _QED_EINVAL, "left"),
}

# Where a case's measure or map answer is not derived from its convert answer.
_READ: dict[tuple[str, str], Answer] = {
    ("qed-l2-unaligned", MEASURE): Answer(
        1, "qemu-img: Unable to get block status: Invalid argument\n", "none"),
    ("qed-l2-unaligned", MAP): Answer(
        1, "qemu-img: Could not read file metadata: Invalid argument\n", "none", stdout=b"["),
}


def convert_answer(case: hostile.Case, label: str) -> Answer:
    """qemu-img convert's answer for `case` onto target `label` (instar's where it differs)."""
    if label == SALVAGE_RUN[0]:
        unsalvaged = convert_answer(case, "raw")
        if unsalvaged.target != "left":
            return unsalvaged
        return Answer(0, "qemu-img: warning: error while reading ")
    if case.name == "vsize-1pib":
        # file-posix refuses to grow a raw file to 1 PiB (EFBIG from ftruncate), leaving it empty;
        # a qcow2 target takes qemu-img minutes to fill with nothing.
        if label.startswith("raw"):
            return Answer(1, "error while converting raw: Could not resize file: File too large",
                          "left")
        return Answer(0, qemu=_SLOW_1PIB)
    if case.name in _CONVERT:
        return _CONVERT[case.name]
    info = hostile.expected(case, hostile.INFO)
    chain = hostile.expected(case, hostile.CHAIN)
    if info.stream == "err":   # the image itself does not open: as info says
        return Answer(info.rc, "qemu-img: " + info.text.replace("{image}", case.top), "none")
    if chain.stream == "err" and hostile.REFUSED in chain.text:   # a chain the allow-list refuses
        return _REFUSED
    if case.name.startswith("datafile-") and hostile.expected(case, hostile.CHECK).rc == 1:
        return _REFUSED   # an external data file outside the root
    return Answer(0)


def read_answer(case: hostile.Case, command: str) -> Answer:
    """measure's or map's answer: they open the image (and chain) as convert does, but read no
    data cluster, so the compressed descriptor past EOF does not fail them."""
    if case.name == "vsize-1pib":
        return Answer(0, qemu=_SLOW_1PIB)
    if case.name == "compressed-far-past-eof":
        return Answer(0)
    if (case.name, command) in _READ:
        return _READ[(case.name, command)]
    return dataclasses.replace(convert_answer(case, command), target="none")
