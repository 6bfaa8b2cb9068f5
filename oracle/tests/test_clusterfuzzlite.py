"""The ClusterFuzzLite / OSS-Fuzz build (.clusterfuzzlite/build.sh) run locally with the variables
those systems set, then every fuzzer it produced run for a few seconds on its seed corpus with its
dictionary, as the infrastructure would run it.

The whole build (every target, ASan, ~5 min on two cores) runs with INSTAR_CLUSTERFUZZLITE=all
(scripts/clusterfuzzlite-check); the default suite builds one image-reading target as a smoke."""
from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# OSS-Fuzz's flags for the address sanitizer with libFuzzer (infra/base-images/base-clang).
SANITIZER_FLAGS = ("-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address "
                   "-fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link")

SMOKE_TARGETS = ["refcount_walk_fuzzer"]

pytestmark = pytest.mark.skipif(shutil.which("clang++") is None, reason="no clang++")


def fuzz_targets():
    every = sorted(p.stem for p in (ROOT / "fuzz" / "targets").glob("*_fuzzer.cc"))
    return every if os.environ.get("INSTAR_CLUSTERFUZZLITE") == "all" else SMOKE_TARGETS


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("cflite")
    out, work = base / "out", base / "work"
    work.mkdir()
    env = dict(os.environ, CC="clang", CXX="clang++", CFLAGS=SANITIZER_FLAGS,
               CXXFLAGS=SANITIZER_FLAGS, LIB_FUZZING_ENGINE="-fsanitize=fuzzer", OUT=str(out),
               WORK=str(work), SRC=str(ROOT.parent), INSTAR_FUZZ_TARGETS=" ".join(fuzz_targets()))
    # Run from another directory: build.sh must find the checkout from its own path.
    proc = subprocess.run([str(ROOT / ".clusterfuzzlite" / "build.sh")], cwd=base, env=env,
                          capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def test_every_target_is_built_with_seeds(built):
    for name in fuzz_targets():
        assert os.access(built / name, os.X_OK), name
        corpus = built / f"{name}_seed_corpus.zip"
        assert corpus.is_file(), name
        with zipfile.ZipFile(corpus) as z:
            assert z.testzip() is None and z.namelist(), name
    assert sorted(p.name for p in built.iterdir() if os.access(p, os.X_OK)) == fuzz_targets()
    # The image-reading targets get the qcow2 dictionary.
    assert (built / "refcount_walk_fuzzer.dict").read_text() == \
        (ROOT / "fuzz" / "dicts" / "qcow2.dict").read_text()


@pytest.mark.parametrize("name", fuzz_targets())
def test_fuzzer_runs_on_its_seeds(built, tmp_path, name):
    corpus = tmp_path / "corpus"
    with zipfile.ZipFile(built / f"{name}_seed_corpus.zip") as z:
        z.extractall(corpus)
    dictionary = built / f"{name}.dict"
    argv = [str(built / name), "-max_total_time=3", "-timeout=25", "-rss_limit_mb=2560",
            *([f"-dict={dictionary}"] if dictionary.exists() else []), str(corpus)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Done " in proc.stderr or "INITED" in proc.stderr
    if dictionary.exists():  # libFuzzer parsed the dictionary instead of rejecting it
        assert "Dictionary: " in proc.stderr
