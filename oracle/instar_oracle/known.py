"""The registry of known divergences from qemu-img (oracle/known_divergences.toml) and its matcher."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

KNOWN = "known-divergence"
DEFAULT_PATH = Path(__file__).resolve().parents[1] / "known_divergences.toml"

# The conditions an entry may state; every stated one must hold for the entry to match.
_REGEX_FIELDS = ("command", "instar_stdout", "instar_stderr", "qemu_stdout", "qemu_stderr")
_INT_FIELDS = ("instar_rc", "qemu_rc")


@dataclass(frozen=True)
class Answer:
    """A recorded answer (baseline, regression case) in the shape of a runner.Run."""
    stdout: bytes
    stderr: bytes
    rc: int | None

    @classmethod
    def of_text(cls, stdout: str, stderr: str, rc: int | None) -> "Answer":
        return cls(stdout.encode(errors="surrogateescape"), stderr.encode(errors="surrogateescape"),
                   rc)


@dataclass(frozen=True)
class Entry:
    id: str
    reason: str
    conditions: dict = field(default_factory=dict)   # field -> compiled regex or int
    model: dict = field(default_factory=dict)         # sidecar model field -> value / "present"

    def matches(self, args, model: dict | None, instar, qemu) -> bool:
        """args: the command's arguments (without the program); instar, qemu: runner.Run or
        Answer (stdout, stderr bytes and rc); model: the generated image's model, if any."""
        text = {"command": " ".join(args),
                "instar_stdout": instar.stdout.decode(errors="replace"),
                "instar_stderr": instar.stderr.decode(errors="replace"),
                "qemu_stdout": qemu.stdout.decode(errors="replace"),
                "qemu_stderr": qemu.stderr.decode(errors="replace")}
        ints = {"instar_rc": instar.rc, "qemu_rc": qemu.rc}
        for name, want in self.conditions.items():
            if name in text and not want.search(text[name]):
                return False
            if name in ints and ints[name] != want:
                return False
        # Model conditions narrow an entry on generated images; cases without a model
        # (recipes, baselines) are matched on their command and outputs alone.
        for name, want in (self.model.items() if model is not None else ()):
            have = model.get(name)
            if want == "present" and have in (None, "", [], False):
                return False
            if want == "absent" and have not in (None, "", [], False):
                return False
            if want not in ("present", "absent") and have != want:
                return False
        return True


@dataclass(frozen=True)
class Registry:
    entries: tuple[Entry, ...]

    def match(self, args, model, instar, qemu) -> Entry | None:
        return next((e for e in self.entries if e.matches(args, model, instar, qemu)), None)

    def by_id(self, entry_id: str) -> Entry:
        for e in self.entries:
            if e.id == entry_id:
                return e
        raise KeyError(entry_id)


def parse(text: str) -> Registry:
    """Parses the TOML text; rejects entries without id, reason or any condition, unknown keys
    and duplicate ids, so a typo cannot register a catch-all."""
    data = tomllib.loads(text)
    entries, seen = [], set()
    for raw in data.get("divergence", []):
        raw = dict(raw)
        entry_id, reason = raw.pop("id", None), raw.pop("reason", None)
        if not entry_id or not reason or not str(reason).strip():
            raise ValueError(f"known divergence {entry_id!r}: needs an id and a written reason")
        if entry_id in seen:
            raise ValueError(f"known divergence {entry_id!r} is registered twice")
        seen.add(entry_id)
        model = raw.pop("model", {})
        conditions = {}
        for name, value in raw.items():
            if name in _REGEX_FIELDS:
                conditions[name] = re.compile(value, re.S)
            elif name in _INT_FIELDS:
                conditions[name] = int(value)
            else:
                raise ValueError(f"known divergence {entry_id!r}: unknown condition {name!r}")
        if not conditions:
            raise ValueError(f"known divergence {entry_id!r}: states no condition on the outputs")
        entries.append(Entry(entry_id, reason.strip(), conditions, dict(model)))
    return Registry(tuple(entries))


def load(path: Path = DEFAULT_PATH) -> Registry:
    return parse(Path(path).read_text())
