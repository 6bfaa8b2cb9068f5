"""The known-divergence registry: it parses, its entries are narrow, and the matcher works."""
from __future__ import annotations

import pytest

from instar_oracle import known


class _Run:
    def __init__(self, stdout=b"", stderr=b"", rc=0):
        self.stdout, self.stderr, self.rc = stdout, stderr, rc


SAFE = (b"qemu-img: Could not open 'image.raw': will not guess raw (use -f raw, or --unsafe-quirks "
        b"to read unrecognised content as raw)\n")


def test_committed_registry_parses_with_reasons():
    registry = known.load()
    assert registry.entries
    for e in registry.entries:
        assert len(e.reason) > 40, f"{e.id}: the reason must say why"
        assert e.conditions, f"{e.id}: no condition"


def test_safe_detection_entry_matches_only_its_refusal():
    registry = known.load()
    args = ["compare", "image.qcow2", "image.raw"]
    qemu = _Run(b"Images are identical.\n", b"", 0)
    assert registry.match(args, {}, _Run(b"", SAFE, 1), qemu).id == "safe-detection-raw"
    assert registry.match(args, {}, _Run(b"Images differ\n", b"", 1), qemu) is None
    assert registry.match(args, {}, _Run(b"", SAFE, 2), qemu) is None


def test_model_conditions():
    registry = known.parse('''
[[divergence]]
id = "x"
command = "^compare "
model = { backing_file = "present", version = 3 }
reason = "a reason long enough to explain the divergence it registers, for the test"
''')
    run = _Run()
    assert registry.match(["compare", "a", "b"], {"backing_file": "b", "version": 3}, run, run)
    assert registry.match(["compare", "a", "b"], {"backing_file": None, "version": 3}, run, run) \
        is None
    assert registry.match(["compare", "a", "b"], {"backing_file": "b", "version": 2}, run, run) \
        is None
    assert registry.match(["check", "a"], {"backing_file": "b", "version": 3}, run, run) is None
    # Without a model (recipe and baseline cases) only the command and outputs are matched.
    assert registry.match(["compare", "a", "b"], None, run, run).id == "x"


@pytest.mark.parametrize("text,error", [
    ('[[divergence]]\nid = "a"\ncommand = "x"\n', "reason"),
    ('[[divergence]]\nid = "a"\nreason = "r"\n', "no condition"),
    ('[[divergence]]\nid = "a"\nreason = "r"\nstdout = "x"\n', "unknown condition"),
    ('[[divergence]]\nid = "a"\nreason = "r"\ncommand = "x"\n'
     '[[divergence]]\nid = "a"\nreason = "r"\ncommand = "y"\n', "twice"),
])
def test_bad_entries_are_refused(text, error):
    with pytest.raises(ValueError, match=error):
        known.parse(text)
