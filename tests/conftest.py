"""Shared fixtures: one real index of the seed corpus, built once per test session."""

from __future__ import annotations

import io
import os
import shutil
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
# The exported model and embedding cache are reused across runs (gitignored); a fresh
# clone pays for the ONNX export once.
CACHE = ROOT / "var" / "cache"


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary folder of this test run, one for all its pytest-xdist workers.

    Each worker's ``tmp_path_factory`` has a base folder of its own (``popen-gw0``, ...) in
    the run's folder; without xdist the base folder is the run's.
    """
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real index of the repository's corpus, built with the real model, once per run.

    Read-only: a test that damages or rebuilds an index takes ``index_copy``. The workers of
    ``make test`` (pytest-xdist) share it: the first to take the lock builds it, the others
    wait and open the same folder (xdist's documented pattern for session data).
    """
    from filelock import FileLock

    from index.build import build_index

    folder = run_folder(tmp_path_factory)
    out = folder / "index" / "seed"
    with FileLock(folder / "seed-index.lock"):
        if not (out / "manifest.json").is_file():  # a build publishes its manifest last
            build_index(CORPUS, out, cache_dir=CACHE, show_progress=False)
    return out


@pytest.fixture
def index_copy(seed_index: Path, tmp_path: Path) -> Path:
    """A private copy of the seed index that a test may damage or rebuild."""
    target = tmp_path / "index"
    shutil.copytree(seed_index, target)
    return target


@pytest.fixture(scope="session")
def retriever(seed_index: Path):
    from index.search import Retriever

    return Retriever.open(seed_index)


@pytest.fixture(scope="session")
def pipeline(retriever):
    from bot.pipeline import Pipeline

    return Pipeline(retriever)


@pytest.fixture
def fresh_cache(seed_index: Path, tmp_path: Path) -> Path:
    """An empty embedding cache that shares the session's ONNX export.

    A cache with no model re-exports it through torch (10 s and more); a test that needs an
    empty cache for its embedding counts does not need a new export. The export itself on an
    empty cache is tested in tests/test_index_store.py (marked slow).
    """
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "model").symlink_to(CACHE / "model", target_is_directory=True)
    return cache


@dataclass(frozen=True)
class CliRun:
    """What ``python -m bot ARGS`` returned and printed."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliRun]:
    """Run the command line in this process: ``bot.__main__.main(argv)``, stdin given, output captured.

    The same code as ``python -m bot`` without a new interpreter (about 1.5 s each); the
    environment as a subprocess would get it, with no TELEGRAM_* variables unless given.
    tests/test_cli.py keeps a few true subprocess tests of the contract.
    """
    from bot.__main__ import main

    # main installs a redacting excepthook; put the originals back after the test.
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)

    def run(*args: str, stdin: str | bytes = "", env: dict[str, str] | None = None) -> CliRun:
        for name in list(os.environ):
            if name.startswith("TELEGRAM_"):
                monkeypatch.delenv(name)
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err)

    return run
